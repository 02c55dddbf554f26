package web_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/kontakt/kontakt/auth"
	"github.com/kontakt/kontakt/devstack"
	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/session"
	"github.com/kontakt/kontakt/store"
	"github.com/kontakt/kontakt/web"
)

// tourPage is one GET page of the app the tour visits.
type tourPage struct {
	name, path string
	wide       bool // also at 1280 px
}

// TestBrowserTour is the accessibility, mobile and language review of the whole staff app:
// the demo admin and jana (a plain staff user), each in Czech and English, visit every GET
// page at 360 px and 1280 px, and a small checker in the page looks for what a screen
// reader, a keyboard, a phone or a Czech reader would trip on: sideways scrolling, the
// wrong <html lang>, not exactly one <h1>, no <main> or skip link, form fields without a
// label, links and buttons without text, images without alt, duplicate ids, message keys
// instead of text, English labels on Czech pages, text below WCAG AA contrast, tap targets
// under 44 px, and (Tab by Tab) focus that cannot be seen. Every finding of every page is
// reported, grouped, so one run shows all that is left to fix.
func TestBrowserTour(t *testing.T) {
	root := newBrowser(t)
	e := newEnv(t)
	bg := context.Background()
	if _, err := devstack.SeedDemo(bg, e.st, "demo password 2026", nil); err != nil {
		t.Fatal(err)
	}
	users, pages := e.tourFixture(t)
	dir := artefacts(t)
	keys, _ := json.Marshal(web.CatalogueKeys())

	var (
		mu       sync.Mutex
		findings = map[string][]string{} // finding → where
	)
	report := func(where string, what ...string) {
		mu.Lock()
		defer mu.Unlock()
		for _, w := range what {
			findings[w] = append(findings[w], where)
		}
	}

	phases := map[string]time.Duration{}
	phase := func(name string, t0 time.Time) {
		mu.Lock()
		defer mu.Unlock()
		phases[name] += time.Since(t0)
	}
	defer func() { t.Logf("time in the tabs, summed: %v", phases) }()
	// tour visits the pages as one user in one language, in its own browser context.
	tour := func(u tourUser, lang string) {
		login, cookie := u.login, u.cookie
		ctx, cancel := chromedp.NewContext(root, chromedp.WithNewBrowserContext())
		defer cancel()
		ctx, cancelT := context.WithTimeout(ctx, 3*time.Minute)
		defer cancelT()
		if cookie != "" {
			if _, err := chromedp.Call(ctx, network.SetCookie, network.SetCookieParams{Name: session.CookieName, Value: cookie,
				URL: e.srv.URL + "/"}); err != nil {
				report(login+"/"+lang, "set the session cookie: "+err.Error())
				return
			}
		} else if _, err := chromedp.Call(ctx, emulation.SetUserAgentOverride, emulation.SetUserAgentOverrideParams{
			UserAgent: "Mozilla/5.0 (X11; Linux x86_64) Kontakt tour", AcceptLanguage: lang}); err != nil {
			report(login+"/"+lang, "set Accept-Language: "+err.Error())
			return
		}
		list := pages
		if cookie == "" {
			list = []tourPage{{"login", "/login", true}}
		}
		for _, width := range []int64{360, 1280} {
			vp := chromedp.EmulateViewport(width, 800)
			if width == 360 {
				vp = chromedp.EmulateViewport(width, 740, chromedp.EmulateMobile)
			}
			if err := chromedp.Do(ctx, vp); err != nil {
				report(login+"/"+lang, "viewport: "+err.Error())
				return
			}
			for _, p := range list {
				if width > 360 && !p.wide {
					continue
				}
				if p.path == "{import}" {
					p.path = u.importPath
				}
				if u.hidden[p.path] {
					continue
				}
				where := fmt.Sprintf("%s/%s/%d %s", login, lang, width, p.path)
				t0 := time.Now()
				res, err := chromedp.RunResponse(ctx, chromedp.Navigate(e.srv.URL+p.path))
				phase("load", t0)
				if err != nil {
					report(where, "load: "+err.Error())
					continue
				}
				if want := int64(http.StatusOK); p.name == "not-found" && res.Status != http.StatusNotFound ||
					p.name != "not-found" && res.Status != want {
					report(where, fmt.Sprintf("answers %d", res.Status))
				}
				// Screenshots of every page, size and language as the admin (who sees them
				// all), and of jana's in Czech at 360 px.
				if login != "jana" || width == 360 && lang == "cs" {
					t0 = time.Now()
					shot, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
					if err == nil {
						err = os.WriteFile(filepath.Join(dir, fmt.Sprintf("tour-%s-%s-%d-%s.png", login, lang, width, p.name)), shot, 0o644)
					}
					if err != nil {
						report(where, "screenshot: "+err.Error())
					}
					phase("shot", t0)
				}
				if width == 360 && lang == "en" { // focus depends on neither the width nor the language
					t0 = time.Now()
					report(where, tabWalk(ctx)...)
					phase("keyboard", t0)
				}
				t0 = time.Now()
				got, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](fmt.Sprintf("(%s)(%q, %s, %t)", tourChecker, lang, keys, width == 360)))
				phase("check", t0)
				if err != nil {
					report(where, "checker: "+err.Error())
					continue
				}
				report(where, got...)
			}
		}
	}

	checkTheChecker(t, root, e.srv.URL, string(keys))
	start := time.Now()
	for _, lang := range []string{"cs", "en"} {
		var wg sync.WaitGroup
		for _, u := range users {
			if _, err := e.st.UpdateUser(bg, store.Actor{Channel: model.ChannelSystem}, u.id, store.UserPatch{Locale: &lang}); err != nil {
				t.Fatal(err)
			}
			wg.Go(func() { tour(u, lang) })
		}
		wg.Go(func() { tour(tourUser{login: "anonymous"}, lang) })
		wg.Wait()
	}
	for _, u := range users {
		if u.login == "admin" && len(u.hidden) > 0 {
			t.Errorf("the admin gets 404 for %v", u.hidden)
		}
		t.Logf("%s may not see %d of the %d pages", u.login, len(u.hidden), len(pages))
	}
	t.Logf("the tour took %s", time.Since(start).Round(time.Millisecond))

	whats := make([]string, 0, len(findings))
	for w := range findings {
		whats = append(whats, w)
	}
	sort.Strings(whats)
	for _, w := range whats {
		where := findings[w]
		slices.Sort(where)
		where = slices.Compact(where)
		more := ""
		if len(where) > 4 {
			more = fmt.Sprintf(" and %d more", len(where)-4)
			where = where[:4]
		}
		t.Errorf("%s\n\ton %s%s", w, strings.Join(where, "; "), more)
	}
}

// tourUser is a user the tour logs in as, with the session cookie's value.
type tourUser struct {
	login, id, cookie, importPath string
	client                        *browser
	hidden                        map[string]bool // pages that answer the user 404
}

var tourIDRe = regexp.MustCompile(`^/imports/[0-9]+$`)

// tourFixture seeds what the demo lacks so every page has something to show (a meeting, a
// collaboration record, a note, a relation, a consent with history, an erasure, a device,
// an import and an export, the CRM and campaign demos, a form and a pending verification),
// starts a session for the admin and for jana, and returns them and the pages to visit.
func (e *env) tourFixture(t *testing.T) ([]tourUser, []tourPage) {
	t.Helper()
	ctx := context.Background()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	crm, err := devstack.SeedDemoCRM(ctx, e.st)
	must(err)
	camp, err := devstack.SeedDemoCampaign(ctx, e.st)
	must(err)
	nl, err := devstack.SeedDemoNewsletter(ctx, e.st)
	must(err)
	form, err := devstack.SeedDemoForm(ctx, e.st, e.srv.URL)
	must(err)
	admin, _, err := e.st.UserLogin(ctx, "admin")
	must(err)
	jana, _, err := e.st.UserLogin(ctx, "jana")
	must(err)
	aa := store.Actor{UserID: admin.ID, Channel: model.ChannelSystem}
	ja := store.Actor{UserID: jana.ID, Channel: model.ChannelSystem}

	// The card: Lucie Bartošová of the Newsletter book, whose consent was revoked and given
	// again (a history), with jana's note and a relation to an organisation.
	people, err := e.st.ListContacts(ctx, ja, store.ContactFilter{Query: "Lucie Bartošová", Limit: 1})
	must(err)
	if len(people.Contacts) == 0 {
		t.Fatal("no Lucie Bartošová in the demo")
	}
	lucie := people.Contacts[0]
	consents, err := e.st.ListContactConsents(ctx, aa, lucie.ID)
	must(err)
	if len(consents) == 0 {
		t.Fatal("Lucie has no consent")
	}
	_, err = e.st.RevokeConsent(ctx, aa, consents[0].ID, "Odvoláno telefonicky")
	must(err)
	_, err = e.st.RecordConsent(ctx, aa, store.ConsentRecord{ContactID: lucie.ID, PurposeID: nl.Purpose.ID, Source: model.SourceBranch,
		GivenAt: time.Now().Add(-time.Hour), Evidence: map[string]any{"branch": "Brno", "form_number": "B-2026-777"}})
	must(err)
	note, err := e.st.CreateNote(ctx, ja, model.Note{ContactID: lucie.ID, Body: "Volat dopoledne, odpoledne nebere.", Audience: model.AudienceContact})
	must(err)
	orgs, err := e.st.ListContacts(ctx, ja, store.ContactFilter{Kind: string(model.KindOrganisation), Limit: 1})
	must(err)
	if len(orgs.Contacts) == 0 {
		t.Fatal("jana sees no organisation")
	}
	_, err = e.st.AddRelation(ctx, ja, model.Relation{PersonID: lucie.ID, OrganisationID: orgs.Contacts[0].ID, Role: "nákupčí"})
	must(err)

	// The demo project: a meeting, and a collaboration record for a contact involved in it.
	projects, err := e.st.ListProjects(ctx, ja)
	must(err)
	if len(projects) == 0 {
		t.Fatal("jana has no project")
	}
	prj, err := e.st.GetProject(ctx, aa, projects[0].ID)
	must(err)
	at := time.Now().AddDate(0, 0, 7).Truncate(time.Hour)
	meeting, err := e.st.CreateMeeting(ctx, aa, prj.ID, model.MeetingInput{At: &at, Title: "Kontrolní den", Agenda: "Harmonogram a rozpočet",
		Audience: model.MeetingAudienceProject})
	must(err)
	if len(prj.Contacts) == 0 {
		t.Fatal("the demo project involves no contact")
	}
	quality := 4
	rec, err := e.st.CreateCollaboration(ctx, aa, model.CollaborationRecord{ProjectID: prj.ID, ContactID: prj.Contacts[0].ContactID,
		Delivered: "Dodávka serverů a instalace", Quality: &quality, Comment: "Včas a bez chyb."})
	must(err)

	// An erasure request, a pending web-form verification, exports.
	hidden, err := e.st.ListContacts(ctx, aa, store.ContactFilter{Query: "Helena Kučerová", Limit: 1})
	must(err)
	forget := lucie.ID
	if len(hidden.Contacts) > 0 {
		forget = hidden.Contacts[0].ID
	}
	_, err = e.st.RequestErasure(ctx, aa, forget, "art17_request")
	must(err)
	_, err = e.st.RecordIntake(ctx, store.Intake{FormID: form.ID, Email: "novy.odberatel@example.cz", Name: "Nový Odběratel",
		PurposeIDs: form.PurposeIDs, Language: "cs"})
	must(err)
	for _, a := range []store.Actor{aa, ja} {
		_, _, err = e.st.CreateExport(ctx, a, store.ExportRequest{PurposeID: nl.Purpose.ID, Format: store.ExportListmonk}, time.Hour)
		must(err)
	}
	books, err := e.st.ListBooks(ctx, aa)
	must(err)
	var customers model.Book
	for _, b := range books {
		if b.Name == "Zákazníci" {
			customers = b
		}
	}
	if customers.ID == "" {
		t.Fatal("no book Zákazníci in the demo")
	}

	var users []tourUser
	for _, u := range []model.User{admin, jana} {
		secret := auth.NewSecret("")
		must(e.st.CreateSession(ctx, u.ID, auth.HashSecret(secret), time.Hour))
		jar, _ := cookiejar.New(nil)
		b := &browser{e: e, http: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
		su, _ := url.Parse(e.srv.URL)
		jar.SetCookies(su, []*http.Cookie{{Name: session.CookieName, Value: secret, Path: "/"}})
		tu := tourUser{login: u.Login, id: u.ID, cookie: secret, client: b, hidden: map[string]bool{}}
		// A device (for /me and the user's sync page) and an import (its result page).
		tok := token(t, b.get("/me"))
		if p := b.do("POST", "/me/devices", url.Values{"csrf": {tok}, "name": {"Telefon"}}); p.status >= 400 {
			t.Fatalf("device for %s: %d", u.Login, p.status)
		}
		p := b.upload("/imports/preview", url.Values{"csrf": {tok}, "book_id": {customers.ID}, "on_match": {"merge"}}, "kontakty.csv", []byte(importCSV))
		if p.status != http.StatusOK {
			t.Fatalf("import preview for %s: %d %s", u.Login, p.status, p.body)
		}
		p = b.upload("/imports", confirmFields(p), "", nil)
		if loc := p.header.Get("Location"); p.status != http.StatusSeeOther || !tourIDRe.MatchString(loc) {
			t.Fatalf("import for %s: %d %s", u.Login, p.status, p.body)
		} else {
			tu.importPath = loc
		}
		users = append(users, tu)
	}

	card := "/contacts/" + lucie.ID
	project := "/projects/" + prj.ID
	pages := []tourPage{
		{"directory", "/", true}, {"search", "/?q=nov", false}, {"card", card, true}, {"card-edit", card + "/edit", false}, {"contact-new", "/contacts/new", false},
		{"note-edit", card + "/notes/" + note.ID + "/edit", false}, {"relation-new", card + "/relations/new", false},
		{"contact-delete", card + "/delete", false}, {"forget", card + "/forget", false}, {"consents", card + "/consents", true},
		{"tasks", "/tasks", true}, {"task-new", "/tasks/new", false}, {"task-edit", "/tasks/" + crm.Tasks[0].ID + "/edit", false},
		{"contact-tasks", card + "/tasks", false}, {"project-tasks", project + "/tasks", false},
		{"event-documents", "/events/" + crm.Event.ID + "/documents", false}, {"my-books", "/me/books", false},
		{"projects", "/projects", false}, {"project-new", "/projects/new", false}, {"project", project, true}, {"project-edit", project + "/edit", false},
		{"project-people", project + "/people", false}, {"meeting-new", project + "/meetings/new", false},
		{"meeting", project + "/meetings/" + meeting.ID, false}, {"collaboration", project + "/collaboration", false},
		{"collaboration-record", project + "/collaboration/" + rec.ID, false},
		{"campaigns", "/campaigns", false}, {"campaign-new", "/campaigns/new", false}, {"campaign", "/campaigns/" + camp.Campaign.ID, true},
		{"campaign-edit", "/campaigns/" + camp.Campaign.ID + "/edit", false},
		{"events", "/events", false}, {"event-new", "/events/new", false}, {"event", "/events/" + crm.Event.ID, true}, {"event-edit", "/events/" + crm.Event.ID + "/edit", false},
		{"imports", "/imports", false}, {"import", "{import}", false}, {"exports", "/exports", true}, {"me", "/me", true},
		{"admin", "/admin", false}, {"users", "/admin/users", false}, {"user", "/admin/users/" + jana.ID, false}, {"user-sync", "/admin/users/" + jana.ID + "/sync", true},
		{"groups", "/admin/groups", false}, {"books", "/admin/books", false}, {"book-new", "/admin/books/new", false}, {"book", "/admin/books/" + customers.ID, true},
		{"audit", "/admin/audit", false}, {"erasures", "/admin/erasures", false}, {"erasure", "/admin/erasures/" + forget, false},
		{"purposes", "/admin/purposes", false}, {"purpose", "/admin/purposes/" + nl.Purpose.ID, false},
		{"forms", "/admin/forms", false}, {"form-new", "/admin/forms/new", false}, {"form", "/admin/forms/" + form.ID, true},
		{"verifications", "/admin/verifications", false}, {"not-found", "/contacts/00000000-0000-4000-8000-000000000000", false},
	}
	// What a user may not see answers 404, the same error page each time: the browser
	// visits it once (the page "not-found"), not for every administration page.
	for _, u := range users {
		for _, p := range pages {
			if p.path != "{import}" && p.name != "not-found" && u.client.get(p.path).status == http.StatusNotFound {
				u.hidden[p.path] = true
			}
		}
	}
	return users, pages
}

// tabWalk presses Tab once from the top of the page, which must reach the skip link to
// #main, shown on screen with a focus ring; then, the keyboard being in use, it focuses one
// of each kind of control on the page, each of which must show a focus ring too.
func tabWalk(ctx context.Context) []string {
	if err := chromedp.Do(ctx, chromedp.KeyEvent(kb.Tab)); err != nil {
		return []string{"Tab: " + err.Error()}
	}
	got, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](tourFocus))
	if err != nil {
		return []string{"focus: " + err.Error()}
	}
	return got
}

// tourFocus checks the focus after the first Tab and then of one control of each kind.
const tourFocus = `(function () {
  var out = [];
  function ring(el) {
    var cs = getComputedStyle(el);
    return (cs.outlineStyle !== "none" && cs.outlineStyle !== "auto" && parseFloat(cs.outlineWidth) >= 2) || cs.boxShadow !== "none";
  }
  var el = document.activeElement, skip = document.querySelector('a[href="#main"]');
  // A page that puts the cursor in its one field (the directory's search) starts there;
  // its skip link is checked as the keyboard would find it with Shift+Tab.
  if (skip && document.querySelector("[autofocus]") && el !== skip) { skip.focus(); el = document.activeElement; }
  if (!el || !el.matches('a[href="#main"]')) {
    out.push("the first Tab does not reach a skip link to #main");
  } else {
    var r = el.getBoundingClientRect();
    if (!(r.width > 1 && r.height > 1 && r.top >= 0 && r.left >= 0)) out.push("the skip link stays hidden when focused");
    if (!ring(el)) out.push("no visible focus on the skip link");
  }
  ["a[href]", "button", "input[type=text], input:not([type])", "input[type=search]", "input[type=email]", "input[type=password]",
   "input[type=tel]", "input[type=url]", "input[type=number]", "input[type=date]", "input[type=datetime-local]", "input[type=file]",
   "input[type=checkbox]", "input[type=radio]", "select", "textarea", "summary"].forEach(function (kind) {
    var x = Array.prototype.find.call(document.querySelectorAll(kind), function (c) { return c.offsetWidth || c.offsetHeight; });
    if (!x) return;
    x.focus();
    if (document.activeElement === x && x.matches(":focus-visible") && !ring(x)) out.push("no visible focus on " + kind);
  });
  return out;
})()`

// checkTheChecker runs the checker on a page made to break every rule and fails the test
// unless it finds each break: a checker that finds nothing would pass any app. Then it
// checks the contrast of every coloured text style of app.css (muted text, links, buttons,
// badges ...), whether or not a page of the tour shows it.
func checkTheChecker(t *testing.T, root context.Context, base, keys string) {
	t.Helper()
	ctx, cancel := chromedp.NewContext(root)
	defer cancel()
	ctx, cancelT := context.WithTimeout(ctx, 30*time.Second)
	defer cancelT()
	bad := `(function () {
  document.documentElement.lang = "en";
  document.body.innerHTML = '<h1>One</h1><h1>Two</h1><input id="x"><a href="/"></a><img src="/static/icon.svg">' +
    '<p id="d">x</p><p id="d">y</p><p>dir.title</p><button>Uložit</button><a href="/">Cancel</a><p class="grey">šedá</p><div class="wide">w</div>' +
    '<input id="hh" aria-label="Pole"><p class="hint">Nápověda</p>' +
    '<label><input type="checkbox" name="t" value="1"> A</label><label><input type="checkbox" name="t" value="2"> B</label>';
  document.querySelector(".grey").style.color = "#aaa";
  document.querySelector(".wide").style.width = "600px";
  document.querySelector("button").style.minHeight = "20px";
})()`
	if err := chromedp.Do(ctx, chromedp.EmulateViewport(360, 740, chromedp.EmulateMobile),
		chromedp.Navigate(base+"/login"), chromedp.Evaluate[chromedp.Void](bad)); err != nil {
		t.Fatal(err)
	}
	found, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](fmt.Sprintf("(%s)(%q, %s, %t)", tourChecker, "cs", keys, true)))
	if err != nil {
		t.Fatal(err)
	}
	all := strings.Join(found, "\n")
	// The palette: each kind of text the stylesheet colours, on its own background.
	palette := `(function () {
  document.body.innerHTML = '<header class="bar"><a class="brand" href="/">K</a><a class="adminlink" href="/admin">A</a>' +
    '<form class="logout"><span class="who">Jana</span><button>Odhlásit</button></form></header>' +
    '<nav class="worknav"><a href="/">Adresář</a></nav><main id="main"><h1>Barvy</h1><h2>Nadpis</h2><p>Text</p>' +
    '<p class="sub">Vedlejší</p><p class="hint">Nápověda</p><p class="empty">Nic</p><a href="/">Odkaz</a>' +
    '<button>Hlavní</button><button class="danger">Smazat</button><button class="secondary">Náhled</button>' +
    '<button class="ced-small">Malé</button><p class="error">Chyba</p><p class="ok">Hotovo</p><p class="secret">Tajné</p>' +
    '<span class="tag">štítek</span><span class="stars">★★★</span><span class="status">koncept</span>' +
    '<span class="status status-active">platný</span><span class="status status-pending">čeká</span>' +
    '<span class="status status-revoked">odvolaný</span><span class="status status-expired">vypršel</span>' +
    '<span class="status rsvp-accepted">přijal</span><span class="status rsvp-declined">odmítl</span>' +
    '<span class="status rsvp-attended">přišel</span><ul class="danger"><li><a href="/">Zrušit</a></li></ul>' +
    '<dl class="progress"><dt>Hotovo</dt><dd>3</dd></dl><div class="task done">Úkol hotov</div>' +
    '<a class="action call" href="tel:+420"><span class="label">Volat</span><span class="value">+420</span></a>' +
    '<div class="card"><p class="sub">Na kartě</p><a href="/">Odkaz na kartě</a></div></main>';
})()`
	if err := chromedp.Do(ctx, chromedp.Evaluate[chromedp.Void](palette)); err != nil {
		t.Fatal(err)
	}
	colours, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](fmt.Sprintf("(%s)(%q, %s, %t)", tourChecker, "cs", keys, false)))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range colours {
		if strings.HasPrefix(c, "contrast") {
			t.Errorf("the palette: %s", c)
		}
	}
	for _, want := range []string{"scrolls sideways", "tap target under 44 px: button", `<html lang="en">, want cs`, "2 <h1>", "no <main",
		"no skip link", "form field without a label: input#x", "link or button without text", "image without alt",
		"duplicate id: d", "message key shown instead of text: dir.title", `English text on a Czech page: "Cancel"`, "contrast 2.15:1",
		"checkboxes or radio buttons without a group name", "hint not tied to its field by aria-describedby: input#hh"} {
		if !strings.Contains(all, want) {
			t.Errorf("the checker misses %q on a broken page; it found:\n%s", want, all)
		}
	}
}

// tourChecker is the page checker: it returns one line per problem found.
const tourChecker = `function (lang, keys, narrow) {
  var out = [];
  function add(s) { if (out.indexOf(s) < 0) out.push(s); }
  function cls(el) { return typeof el.className === "string" && el.className.trim() ? "." + el.className.trim().split(/\s+/).join(".") : ""; }
  function desc(el) {
    var s = el.tagName.toLowerCase() + (el.id ? "#" + el.id : (el.getAttribute("name") ? "[name=" + el.getAttribute("name") + "]" : cls(el)));
    var p = el.parentElement;
    if (!el.id && p && p !== document.body) s = p.tagName.toLowerCase() + (p.id ? "#" + p.id : cls(p)) + " > " + s;
    return s;
  }
  function visible(el) {
    if (!(el.offsetWidth || el.offsetHeight || el.getClientRects().length)) return false;
    var cs = getComputedStyle(el);
    return cs.visibility !== "hidden" && !(cs.position === "absolute" && cs.clip === "rect(0px, 0px, 0px, 0px)");
  }
  function text(el) {
    if (el.tagName === "INPUT") return (el.value || "").trim();
    var t = (el.textContent || "").trim();
    if (!t) el.querySelectorAll("img[alt]").forEach(function (i) { t += i.alt.trim(); });
    return t;
  }
  var de = document.documentElement;
  // What a closed <details> holds is a click away: check it open.
  document.querySelectorAll("details").forEach(function (d) { d.open = true; });

  // Mobile: no sideways scrolling, and tap targets of at least 44 px.
  // (A phone's browser widens its layout viewport to fit wide content, so compare with the
  // phone's 360 px, not with innerWidth.)
  if (narrow && de.scrollWidth > 361) {
    var wide = [];
    document.querySelectorAll("body *").forEach(function (el) {
      var r = el.getBoundingClientRect();
      if (r.right <= 361 || !visible(el)) return;
      var inner = Array.prototype.some.call(el.children, function (c) { return c.getBoundingClientRect().right > 361; });
      if (!inner && wide.length < 3) wide.push(desc(el) + " to " + Math.round(r.right) + " px");
    });
    add("scrolls sideways at 360 px: " + wide.join(", "));
  }
  if (narrow) {
    document.querySelectorAll("button, select, textarea, input:not([type=hidden]):not([type=checkbox]):not([type=radio]), summary").forEach(function (el) {
      if (!visible(el)) return;
      var r = el.getBoundingClientRect();
      if (r.height < 43.5) add("tap target under 44 px: " + desc(el) + " (" + Math.round(r.height) + " px high)");
    });
  }

  // Landmarks and structure.
  if (de.lang !== lang) add("<html lang=\"" + de.lang + "\">, want " + lang);
  var h1 = document.querySelectorAll("h1").length;
  if (h1 !== 1) add(h1 + " <h1> elements");
  if (!document.querySelector("main#main")) add("no <main id=\"main\">");
  if (!document.querySelector('a[href="#main"]')) add("no skip link to #main");

  // Names: form fields, links and buttons, images.
  document.querySelectorAll("input, select, textarea").forEach(function (el) {
    var type = (el.getAttribute("type") || "").toLowerCase();
    if (["hidden", "submit", "button", "reset", "image"].indexOf(type) >= 0 || !visible(el)) return;
    if ((el.getAttribute("aria-label") || "").trim()) return;
    var by = el.getAttribute("aria-labelledby");
    if (by && by.split(/\s+/).some(function (id) { var x = document.getElementById(id); return x && x.textContent.trim(); })) return;
    if (el.labels && Array.prototype.some.call(el.labels, function (l) { return l.textContent.trim(); })) return;
    add("form field without a label: " + desc(el));
  });
  // Several checkboxes or radio buttons of one name are a group with a name of its own.
  var groups = {};
  document.querySelectorAll("input[type=checkbox][name], input[type=radio][name]").forEach(function (el) {
    if (!visible(el)) return;
    var k = (el.form ? el.form.getAttribute("action") || "" : "") + " " + el.name;
    (groups[k] = groups[k] || []).push(el);
  });
  Object.keys(groups).forEach(function (k) {
    var els = groups[k];
    if (els.length < 2) return;
    var named = els.every(function (el) {
      var g = el.closest("fieldset, [role=group], [role=radiogroup]");
      if (!g) return false;
      if (g.tagName === "FIELDSET") { var lg = g.querySelector("legend"); return !!(lg && lg.textContent.trim()); }
      return !!((g.getAttribute("aria-label") || "").trim() || g.getAttribute("aria-labelledby"));
    });
    if (!named) add("checkboxes or radio buttons without a group name (fieldset and legend): " + desc(els[0]));
  });
  if (!document.title.trim()) add("no <title>");
  // A hint right after a field is read with it (aria-describedby).
  document.querySelectorAll(".hint").forEach(function (h) {
    var f = h.previousElementSibling;
    if (!f || !f.matches("input, select, textarea") || !visible(f)) return;
    var by = (f.getAttribute("aria-describedby") || "").split(/\s+/);
    if (!h.id || by.indexOf(h.id) < 0) add("hint not tied to its field by aria-describedby: " + desc(f));
  });
  document.querySelectorAll("label[for]").forEach(function (l) {
    var x = document.getElementById(l.htmlFor);
    if (!x || ["INPUT", "SELECT", "TEXTAREA", "BUTTON", "METER", "OUTPUT", "PROGRESS"].indexOf(x.tagName) < 0) add("label for a missing field: " + l.htmlFor);
  });
  document.querySelectorAll("a[href], button, input[type=submit], input[type=button], summary").forEach(function (el) {
    if (!text(el) && !(el.getAttribute("aria-label") || "").trim() && !el.getAttribute("aria-labelledby")) add("link or button without text: " + desc(el));
  });
  document.querySelectorAll("img:not([alt])").forEach(function (el) { add("image without alt: " + desc(el)); });
  var seen = {};
  document.querySelectorAll("[id]").forEach(function (el) {
    if (seen[el.id]) add("duplicate id: " + el.id);
    seen[el.id] = true;
  });

  // Language: message keys instead of text, English labels on Czech pages.
  var known = {};
  keys.forEach(function (k) { if (k.indexOf(".") > 0) known[k] = true; });
  function scan(s, where) {
    (s.match(/[a-z][a-z0-9_]*(?:\.[a-z0-9_-]+)+/gi) || []).forEach(function (tok) {
      if (known[tok]) add("message key shown instead of text: " + tok + " in " + where);
    });
  }
  scan(document.title, "<title>");
  var walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT), n;
  while ((n = walk.nextNode())) {
    if (n.parentElement && n.parentElement.closest("script, style")) continue;
    scan(n.nodeValue, desc(n.parentElement));
  }
  document.querySelectorAll("[placeholder], [aria-label], [title], [alt], input[type=submit], input[type=button]").forEach(function (el) {
    ["placeholder", "aria-label", "title", "alt"].forEach(function (a) { if (el.hasAttribute(a)) scan(el.getAttribute(a), desc(el) + " @" + a); });
    if (el.tagName === "INPUT" && (el.type === "submit" || el.type === "button")) scan(el.value, desc(el));
  });
  if (lang === "cs") {
    var english = /^(Save|Cancel|Delete|Search|Back|Edit|Remove|Add|Close|Submit|Next|Previous|Create|Update|Download|Upload|Revoke|Send|Show|Hide|More|New|Open|Log in|Log out|Yes|No|Confirm|Continue|Done|Reset|Apply|Change|Settings|Name|Email|E-mail address|Password|Description|Status|Date|Title|Notes?|Tasks?|Projects?|Events?|Campaigns?|Users?|Groups?|Books?)\b/;
    document.querySelectorAll("a[href], button, input[type=submit], summary, label, legend, th, h1, h2, h3, option").forEach(function (el) {
      var t = text(el);
      if (english.test(t)) add("English text on a Czech page: \"" + t.slice(0, 40) + "\" (" + desc(el) + ")");
    });
    // States and kinds the store keeps in English must be shown translated.
    var states = /\b(recorded|revoked|active|pending|expired|confirmed|submitted|cancelled|draft|running|finished|closed|invited|accepted|declined|attended|system|business|branch|staff|member|owner|viewer)\b/;
    var tw = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT), m;
    while ((n = tw.nextNode())) {
      if (n.parentElement.closest("script, style, code, textarea, [data-raw]")) continue;
      // (A term in parentheses names the field of the API on purpose.)
      if ((m = states.exec(n.nodeValue.replace(/\([^)]*\)/g, "")))) add("English word on a Czech page: \"" + m[1] + "\" in \"" + n.nodeValue.trim().slice(0, 50) + "\" (" + desc(n.parentElement) + ")");
    }
  }

  // Contrast: every visible text against its background, WCAG AA (4.5:1, 3:1 for large text).
  function rgba(s) {
    var m = /rgba?\(([^)]+)\)/.exec(s || "");
    if (!m) return null;
    var p = m[1].split(/[\s,\/]+/).filter(Boolean).map(parseFloat);
    return [p[0], p[1], p[2], p.length > 3 ? p[3] : 1];
  }
  function over(c, b) { return [c[0] * c[3] + b[0] * (1 - c[3]), c[1] * c[3] + b[1] * (1 - c[3]), c[2] * c[3] + b[2] * (1 - c[3])]; }
  function background(el) {
    var layers = [];
    for (var x = el; x; x = x.parentElement) {
      var c = rgba(getComputedStyle(x).backgroundColor);
      if (c && c[3] > 0) { layers.push(c); if (c[3] >= 1) break; }
    }
    var b = [255, 255, 255];
    for (var i = layers.length - 1; i >= 0; i--) b = over(layers[i], b);
    return b;
  }
  function lum(c) {
    var a = c.map(function (v) { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); });
    return 0.2126 * a[0] + 0.7152 * a[1] + 0.0722 * a[2];
  }
  document.querySelectorAll("body *").forEach(function (el) {
    if (!Array.prototype.some.call(el.childNodes, function (c) { return c.nodeType === 3 && c.nodeValue.trim(); })) return;
    if (!visible(el) || el.disabled) return;
    var cs = getComputedStyle(el), b = background(el), f = rgba(cs.color);
    if (!f) return;
    f = over(f, b);
    var l1 = lum(f), l2 = lum(b), ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
    var size = parseFloat(cs.fontSize), bold = parseInt(cs.fontWeight, 10) >= 700;
    var need = (size >= 24 || (bold && size >= 18.66)) ? 3 : 4.5;
    if (ratio < need) add("contrast " + ratio.toFixed(2) + ":1 under " + need + ":1: " + desc(el) + " " + cs.color + " on rgb(" + b.map(Math.round).join(", ") + ")");
  });
  return out;
}`
