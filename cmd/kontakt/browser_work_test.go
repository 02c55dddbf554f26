package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
)

// TestBrowserProjectClosure drives Debian's Chromium at 360 px through issue #8's "close a
// project and watch the progress" on Kontakt wired as `kontakt dev` wires it: a real
// Temporal server and worker, PostgreSQL with the demo data, the web pages and the API on
// one listener. eva, the demo project's lead, logs in, closes it without a grace period and
// reloads the closure's progress until the ProjectClosure workflow has finished it; the page
// links to the workflow in the Temporal Web UI and offers to reopen the project.
// Screenshots go to $KONTAKT_ARTIFACTS/projects (else a temporary folder).
func TestBrowserProjectClosure(t *testing.T) {
	const chromium = "/usr/bin/chromium"
	if _, err := os.Stat(chromium); err != nil {
		if os.Getenv("CI") != "" {
			t.Fatalf("%s is missing: install Debian's chromium (scripts/deps.sh test)", chromium)
		}
		t.Skipf("%s is missing: install Debian's chromium to run the browser test", chromium)
	}
	ts := startTemporal(t, 0)
	s := newStack(t, ts.Address())
	c := s.runWorker(ts.Address())
	ctx := context.Background()

	// The web pages and the API on one listener, starting workflows through c.
	cfg := s.cfg
	cfg.TemporalUIURL = "http://127.0.0.1:8233" // only linked to, never contacted
	mux := http.NewServeMux()
	mountApp(mux, cfg, s.log, s.st, c)
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)

	eva, _, err := s.st.UserLogin(ctx, "eva")
	if err != nil {
		t.Fatal(err)
	}
	evaActor := store.Actor{UserID: eva.ID, Channel: model.ChannelAPI}
	ps, err := s.st.ListProjects(ctx, evaActor)
	if err != nil || len(ps) != 1 {
		t.Fatalf("eva's projects: %v %v", ps, err)
	}
	project := ps[0]

	dir := t.TempDir()
	if base := os.Getenv("KONTAKT_ARTIFACTS"); base != "" {
		dir = filepath.Join(base, "projects")
		if err := os.MkdirAll(dir, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	t.Logf("screenshots in %s", dir)
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromium), chromedp.Headless, chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.NoFirstRun, chromedp.NoDefaultBrowserCheck, chromedp.UserDataDir(t.TempDir()),
		chromedp.Flag("disable-quic", true), chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true), chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true), chromedp.Flag("disable-extensions", true),
		chromedp.WindowSize(360, 740),
	}
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	bctx, cancel := chromedp.NewContext(actx, chromedp.WithLogf(t.Logf))
	t.Cleanup(func() { cancel(); cancelA() })
	if err := chromedp.Do(bctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	shot := func(name string) chromedp.Action[chromedp.Void] {
		return func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
			b, err := chromedp.FullScreenshot(100)(ctx, tg)
			if err != nil {
				return chromedp.Void{}, err
			}
			return chromedp.Void{}, os.WriteFile(filepath.Join(dir, name+".png"), b, 0o644)
		}
	}
	step := func(what string, steps ...chromedp.Action[chromedp.Void]) {
		t.Helper()
		sctx, cancel := context.WithTimeout(bctx, 20*time.Second)
		defer cancel()
		if err := chromedp.Do(sctx, steps...); err != nil {
			t.Fatalf("%s: %v", what, err)
		}
	}
	eval := func(expr string) string {
		t.Helper()
		sctx, cancel := context.WithTimeout(bctx, 20*time.Second)
		defer cancel()
		v, err := chromedp.Run(sctx, chromedp.Evaluate[string](expr))
		if err != nil {
			t.Fatalf("evaluate %s: %v", expr, err)
		}
		return v
	}

	step("eva logs in at 360 px",
		chromedp.EmulateViewport(360, 740, chromedp.EmulateMobile, chromedp.EmulateScale(2)),
		chromedp.Navigate(srv.URL+"/login"),
		chromedp.WaitVisible(chromedp.CSS("#password")),
		chromedp.SendKeys(chromedp.CSS("#login"), "eva"),
		chromedp.SendKeys(chromedp.CSS("#password"), "demo-heslo-2026"),
		chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("#q")),
	)
	step("she opens the project from the list",
		chromedp.Navigate(srv.URL+"/projects"),
		chromedp.WaitVisible(chromedp.CSS(`a[href="/projects/`+project.ID+`"]`)),
		chromedp.Click(chromedp.CSS(`a[href="/projects/`+project.ID+`"]`)),
		chromedp.WaitVisible(chromedp.CSS("#grace")),
		shot("01-project-360"),
	)
	if w := eval(`String(document.documentElement.scrollWidth)`); w != "360" {
		t.Errorf("the project page at 360 px scrolls sideways: %s px wide", w)
	}
	step("she closes it without a grace period",
		chromedp.SetValue(chromedp.CSS("#grace"), "0"),
		chromedp.Click(chromedp.CSS(`form[action$="/close"] button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS(".closure-status")),
		shot("02-closure-started-360"),
	)
	// Reload the progress, as she would, until the workflow has finished the closure.
	deadline := time.Now().Add(20 * time.Second)
	for eval(`String(document.querySelector(".closure-done") !== null)`) != "true" {
		if time.Now().After(deadline) {
			t.Fatalf("the closure did not finish; the page says: %s", eval(`document.querySelector("#closure").parentElement.innerText`))
		}
		time.Sleep(300 * time.Millisecond)
		step("reload the progress", chromedp.Reload(), chromedp.WaitVisible(chromedp.CSS(".closure-status")))
	}
	step("the closure is done", shot("03-closure-done-360"))
	if got := eval(`document.querySelector(".closure-status").textContent.trim()`); got != "uzavřený" {
		t.Errorf("closure status on the page: %q", got)
	}
	if href := eval(`(document.querySelector('a[href*="/workflows/project-closure"]') || {}).href || ""`); !strings.Contains(href, "127.0.0.1:8233/namespaces/default/workflows/project-closure%2F"+project.ID) {
		t.Errorf("Temporal UI link: %q", href)
	}
	if eval(`String(document.querySelector('form[action="/projects/`+project.ID+`/reopen"]') !== null)`) != "true" {
		t.Error("the closed project offers no reopen")
	}
	if w := eval(`String(document.documentElement.scrollWidth)`); w != "360" {
		t.Errorf("the closure progress at 360 px scrolls sideways: %s px wide", w)
	}
	if p, err := s.st.GetProject(ctx, evaActor, project.ID); err != nil || p.Status != model.ProjectClosed {
		t.Errorf("the project after the closure: %s %v", p.Status, err)
	}
}
