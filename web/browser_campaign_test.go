package web_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/kontakt/kontakt/devstack"
	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
)

// TestBrowserCampaign drives Chromium through issue #8's "launch a small campaign" at
// 360 px: jana, made manager of the customers' book, defines a campaign on that book and
// the partner type, previews how many contacts it reaches, saves it and launches it (a
// fake launcher stands for Temporal), and sees its progress. The import and export pages
// are looked at, at 360 px, on the way.
func TestBrowserCampaign(t *testing.T) {
	ctx := newBrowser(t)
	e, rec := newWorkEnv(t)
	const password = "demo password 2026"
	bg := context.Background()
	if _, err := devstack.SeedDemo(bg, e.st, password, nil); err != nil {
		t.Fatal(err)
	}
	admin, _, err := e.st.UserLogin(bg, "admin")
	if err != nil {
		t.Fatal(err)
	}
	jana, _, err := e.st.UserLogin(bg, "jana")
	if err != nil {
		t.Fatal(err)
	}
	a := store.Actor{UserID: admin.ID, Channel: model.ChannelSystem}
	books, err := e.st.ListBooks(bg, a)
	if err != nil {
		t.Fatal(err)
	}
	var customers string
	for _, b := range books {
		if b.Name == "Zákazníci" {
			customers = b.ID
		}
	}
	if customers == "" {
		t.Fatalf("no customers' book among %v", books)
	}
	if _, err := e.st.PutGrant(bg, a, model.Grant{BookID: customers, UserID: &jana.ID, Role: model.RoleManager}); err != nil {
		t.Fatal(err)
	}
	janaActor := store.Actor{UserID: jana.ID, Channel: model.ChannelWeb}
	want, err := e.st.PreviewCampaignFilter(bg, janaActor, "", model.CampaignFilter{BookIDs: []string{customers}}, "", 0)
	if err != nil || want.Targets == 0 {
		t.Fatalf("the demo's customers: %+v %v", want, err)
	}

	d := drive(t, ctx)
	shot, step, eval, narrow := d.shot, d.step, d.eval, d.narrow

	step("log in as jana at 360 px",
		chromedp.EmulateViewport(360, 740, chromedp.EmulateMobile, chromedp.EmulateScale(2)),
		chromedp.Navigate(e.srv.URL+"/login"),
		chromedp.WaitVisible(chromedp.CSS("#password")),
		chromedp.SendKeys(chromedp.CSS("#login"), "jana"),
		chromedp.SendKeys(chromedp.CSS("#password"), password),
		chromedp.Click(chromedp.CSS(`button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("#q")),
	)
	book := `input[name="book_ids"][value="` + customers + `"]`
	step("open a new campaign",
		chromedp.Navigate(e.srv.URL+"/campaigns/new"),
		chromedp.WaitVisible(chromedp.CSS("#c-name")),
		shot("20-campaign-new-360"),
	)
	narrow("the campaign form")
	step("define it and preview",
		chromedp.SendKeys(chromedp.CSS("#c-name"), "Jarní obvolání zákazníků"),
		chromedp.Click(chromedp.CSS(book)),
		chromedp.SendKeys(chromedp.CSS("#c-ttitle"), "Zavolat a nabídnout novinky"),
		chromedp.Click(chromedp.CSS("#c-preview")),
		chromedp.WaitVisible(chromedp.CSS("[data-preview-count]")),
		shot("21-campaign-preview-360"),
	)
	got := strings.NewReplacer(" ", "", "\u00a0", "").Replace(eval(`document.querySelector("[data-preview-count]").textContent`))
	if got != strconv.Itoa(want.Targets) {
		t.Errorf("preview shows %q contacts, want %d", got, want.Targets)
	}
	if eval(`String(document.querySelector('`+book+`').checked && document.querySelector("#c-name").value)`) != "Jarní obvolání zákazníků" {
		t.Error("the preview lost the form")
	}
	if cs, _ := e.st.ListCampaigns(bg, janaActor); len(cs) != 0 {
		t.Errorf("the preview saved %v", cs)
	}
	narrow("the preview")
	step("save it",
		chromedp.Click(chromedp.CSS("#c-save")),
		chromedp.WaitVisible(chromedp.CSS(`form[action$="/launch"] button`)),
		shot("22-campaign-saved-360"),
	)
	cs, err := e.st.ListCampaigns(bg, janaActor)
	if err != nil || len(cs) != 1 || cs[0].Name != "Jarní obvolání zákazníků" || cs[0].TaskTitle != "Zavolat a nabídnout novinky" ||
		len(cs[0].Filter.BookIDs) != 1 || cs[0].Filter.BookIDs[0] != customers {
		t.Fatalf("saved: %+v %v", cs, err)
	}
	step("launch it",
		chromedp.Click(chromedp.CSS(`form[action$="/launch"] button`)),
		chromedp.WaitVisible(chromedp.CSS("#h-progress")),
		shot("23-campaign-launched-360"),
	)
	narrow("the launched campaign")
	rec.waitFor(t, "launch "+cs[0].ID)
	if c, _ := e.st.GetCampaign(bg, janaActor, cs[0].ID); c.LaunchedAt == nil || c.Status == model.CampaignDraft {
		t.Errorf("not launched: %+v", c)
	}

	step("the import and export pages at 360 px",
		chromedp.Navigate(e.srv.URL+"/imports"),
		chromedp.WaitVisible(chromedp.CSS("#i-file")),
		shot("24-imports-360"),
	)
	narrow("the import page")
	csvFile := filepath.Join(t.TempDir(), "veletrh.csv")
	if err := os.WriteFile(csvFile, []byte("Jméno;Příjmení;Firma;E-mail\nKarolína;Veselá;Veselá a syn s.r.o.;karolina@vesela.example\n"+
		"Marek;Bez adresy;;marek@@example\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	step("check a CSV file",
		chromedp.SetUploadFiles(chromedp.CSS("#i-file"), []string{csvFile}),
		chromedp.Click(chromedp.CSS(`form.impform button[type="submit"]`)),
		chromedp.WaitVisible(chromedp.CSS("#import-counts")),
		shot("26-import-preview-360"),
	)
	narrow("the import preview")
	step("import it",
		chromedp.Click(chromedp.CSS("#i-run")),
		// Only the result page has #import-result: waiting for a link the preview page has
		// too could evaluate in the page being left.
		chromedp.WaitVisible(chromedp.CSS("#import-result")),
		chromedp.Poll[chromedp.Void](`/^\/imports\/[0-9]+$/.test(location.pathname)`, chromedp.WithPollingTimeout(20*time.Second)),
		shot("27-import-result-360"),
	)
	if got := eval(`document.querySelector('[data-count="created"]').textContent`); got != "1" {
		t.Errorf("import created %s contacts", got)
	}
	step("exports",
		chromedp.Navigate(e.srv.URL+"/exports"),
		chromedp.WaitVisible(chromedp.CSS("#e-purpose")),
		shot("25-exports-360"),
	)
	narrow("the export page")
}
