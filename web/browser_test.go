package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kontakt/kontakt/devstack"
)

// chromiumPath is Debian's Chromium (scripts/deps.sh installs it for make test).
const chromiumPath = "/usr/bin/chromium"

// artefacts returns the folder for the browser test's screenshots: $KONTAKT_ARTIFACTS/web
// when set (CI keeps it), else a temporary folder.
func artefacts(t *testing.T) string {
	dir := t.TempDir()
	if base := os.Getenv("KONTAKT_ARTIFACTS"); base != "" {
		dir = filepath.Join(base, "web")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("screenshots in %s", dir)
	return dir
}

// driving holds what every browser test does in its tab: screenshots into the artefacts
// folder, steps with a time limit, evaluating an expression, and the 360 px check.
type driving struct {
	t   *testing.T
	ctx context.Context
	dir string
}

func drive(t *testing.T, ctx context.Context) driving {
	return driving{t: t, ctx: ctx, dir: artefacts(t)}
}

// shot saves a full-page PNG screenshot named name.
func (d driving) shot(name string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
		b, err := chromedp.FullScreenshot(100)(ctx, tg) // 100: PNG
		if err != nil {
			return chromedp.Void{}, err
		}
		return chromedp.Void{}, os.WriteFile(filepath.Join(d.dir, name+".png"), b, 0o644)
	}
}

// step runs steps within 30 s and fails the test with what on an error.
func (d driving) step(what string, steps ...chromedp.Action[chromedp.Void]) {
	d.t.Helper()
	sctx, cancel := context.WithTimeout(d.ctx, 30*time.Second)
	defer cancel()
	if err := chromedp.Do(sctx, steps...); err != nil {
		d.t.Fatalf("%s: %v", what, err)
	}
}

// eval returns a JavaScript expression's value as a string.
func (d driving) eval(expr string) string {
	d.t.Helper()
	sctx, cancel := context.WithTimeout(d.ctx, 30*time.Second)
	defer cancel()
	v, err := chromedp.Run(sctx, chromedp.Evaluate[string](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		d.t.Fatalf("evaluate %s: %v", expr, err)
	}
	return v
}

// narrow reports a page that scrolls sideways at 360 px.
func (d driving) narrow(where string) {
	d.t.Helper()
	if w := d.eval(`String(document.documentElement.scrollWidth)`); w != "360" {
		d.t.Errorf("%s at 360 px scrolls sideways: %s px wide", where, w)
	}
}

// newBrowser starts headless Chromium with the flags this sandbox needs (no sandbox, no
// network of its own, an empty profile) and returns a tab's context.
func newBrowser(t *testing.T) context.Context {
	if _, err := os.Stat(chromiumPath); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is missing: install Debian's chromium (scripts/deps.sh test)", chromiumPath)
		}
		t.Skipf("%s is missing: install Debian's chromium (apt-get install chromium) to run the browser test", chromiumPath)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.Flag("disable-extensions", true),
		chromedp.WindowSize(1280, 900),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	t.Cleanup(func() { cancel(); cancelA() })
	if err := chromedp.Do(ctx); err != nil { // start the browser without a deadline
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// TestBrowserStaffFindsAndCalls drives Chromium through the staff path of issue #8: log in
// as jana, search "dvorak" as she types, open Antonín Dvořák's card and find the tel: link,
// at 360 px and 1280 px; and a cross-site POST and a POST without the CSRF token are refused.
func TestBrowserStaffFindsAndCalls(t *testing.T) {
	ctx := newBrowser(t)
	e := newEnv(t)
	const password = "demo password 2026"
	if _, err := devstack.SeedDemo(context.Background(), e.st, password, nil); err != nil {
		t.Fatal(err)
	}
	d := drive(t, ctx)
	shot, step, eval := d.shot, d.step, d.eval

	step("log in at 360 px",
		chromedp.EmulateViewport(360, 740, chromedp.EmulateMobile, chromedp.EmulateScale(2)),
		chromedp.Navigate(e.srv.URL+"/"),
		chromedp.WaitVisible(chromedp.CSS("#password")),
		shot("01-login-360"),
		chromedp.SendKeys(chromedp.CSS("#login"), "jana"),
		chromedp.SendKeys(chromedp.CSS("#password"), password),
		chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("#q")),
	)
	step("type dvorak and see Antonín Dvořák without a reload",
		chromedp.Evaluate[chromedp.Void](`window.notReloaded = true`),
		chromedp.SendKeys(chromedp.CSS("#q"), "dvorak"),
		chromedp.Poll[chromedp.Void](`location.search === "?q=dvorak" && [...document.querySelectorAll("#results a")].some(a => a.textContent.includes("Antonín Dvořák"))`,
			chromedp.WithPollingTimeout(20*time.Second)),
		chromedp.Poll[chromedp.Void](`window.notReloaded === true`),
		shot("02-search-360"),
	)
	if got := eval(`[...document.querySelectorAll("#results a")].map(a => a.textContent.trim()).join(" | ")`); strings.Contains(got, "Jan Novák") {
		t.Errorf("results for dvorak: %s", got)
	}
	step("open the card",
		chromedp.Evaluate[chromedp.Void](`[...document.querySelectorAll("#results a")].find(a => a.textContent.includes("Antonín Dvořák")).click()`),
		chromedp.WaitVisible(chromedp.CSS(`a[href^="tel:"]`)),
		shot("03-card-360"),
	)
	tel := eval(`document.querySelector('a[href^="tel:"]').getAttribute("href")`)
	if !strings.HasPrefix(tel, "tel:+") {
		t.Errorf("tel link %q", tel)
	}
	if w := eval(`String(document.documentElement.scrollWidth)`); w != "360" {
		t.Errorf("card at 360 px scrolls sideways: %s px wide", w)
	}
	step("card at 1280 px",
		chromedp.EmulateViewport(1280, 900),
		chromedp.Reload(),
		chromedp.WaitVisible(chromedp.CSS(`a[href^="tel:"]`)),
		shot("04-card-1280"),
		chromedp.Navigate(e.srv.URL+"/?q=dvo%C5%99%C3%A1k"),
		chromedp.WaitVisible(chromedp.CSS("#results a")),
		shot("05-search-1280"),
	)

	// A POST without the CSRF token, from the app's own page: refused, session kept.
	if got := eval(`fetch("/logout", {method: "POST", body: new URLSearchParams()}).then(r => String(r.status))`); got != "403" {
		t.Errorf("same-origin POST without CSRF token: %s", got)
	}
	// A cross-site form POST, with a valid-looking but foreign token: refused, session kept.
	evil := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprintf(w, `<!doctype html><form id="f" method="post" action="%s/logout"><input name="csrf" value="x"></form>
<script>document.getElementById("f").submit()</script>`, e.srv.URL)
	}))
	defer evil.Close()
	evilURL := strings.Replace(evil.URL, "127.0.0.1", "localhost", 1) // another site, not just another port
	step("cross-site POST",
		chromedp.Navigate(evilURL),
		chromedp.Poll[chromedp.Void](`location.pathname === "/logout" && document.readyState === "complete"`, chromedp.WithPollingTimeout(20*time.Second)),
		shot("06-cross-site-refused"),
	)
	if body := eval(`document.body.innerText`); !strings.Contains(body, "refused") && !strings.Contains(body, "odmítnut") {
		t.Errorf("cross-site POST answered: %s", body)
	}
	step("still logged in", chromedp.Navigate(e.srv.URL+"/"), chromedp.WaitVisible(chromedp.CSS("#q")))

	// Complete a task at 360 px: outcome and minutes, then it is among the done ones.
	if _, err := devstack.SeedDemoCRM(context.Background(), e.st); err != nil {
		t.Fatal(err)
	}
	step("open my tasks at 360 px",
		chromedp.EmulateViewport(360, 740, chromedp.EmulateMobile, chromedp.EmulateScale(2)),
		chromedp.Navigate(e.srv.URL+"/tasks"),
		chromedp.WaitVisible(chromedp.CSS("li.task form.complete")),
		shot("07-tasks-360"),
	)
	task := eval(`document.querySelector("li.task[data-task]").dataset.task`)
	form := `li[data-task="` + task + `"] `
	step("complete it",
		chromedp.SendKeys(chromedp.CSS(form+`input[name="outcome"]`), "Domluveno"),
		chromedp.SendKeys(chromedp.CSS(form+`input[name="minutes"]`), "12"),
		chromedp.Click(chromedp.CSS(form+`button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(`li[data-done="`+task+`"]`)),
		shot("08-task-done-360"),
	)
	if w := eval(`String(document.documentElement.scrollWidth)`); w != "360" {
		t.Errorf("tasks at 360 px scroll sideways: %s px wide", w)
	}
}
