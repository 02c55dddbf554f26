package web_test

import (
	"context"
	"html"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kontakt/kontakt/devstack/testdb"
	"github.com/kontakt/kontakt/session"
	"github.com/kontakt/kontakt/store"
	"github.com/kontakt/kontakt/store/storetest"
	"github.com/kontakt/kontakt/web"
)

// newFilesEnv is newEnv with import and export limits, and its pool for counting rows.
func newFilesEnv(t *testing.T, importMax int64) (*env, *pgxpool.Pool) {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), testdb.New(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	st := store.New(pool, "CZ")
	sm := session.New(st, session.Options{TTL: time.Hour, MaxFailures: 3, Window: time.Minute, Params: testParams})
	mux := http.NewServeMux()
	web.Mount(mux, web.NewHandler(web.Deps{Store: st, Sessions: sm, ImportMaxBytes: importMax, ExportTTL: time.Hour,
		Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))}))
	mux.Handle("/", http.NotFoundHandler())
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &env{t: t, srv: srv, st: st}, pool
}

// upload posts a multipart form with fields and, when name is set, the file.
func (b *browser) upload(path string, fields url.Values, name string, data []byte) page {
	b.e.t.Helper()
	return b.multipart(path, fields, "file", name, data)
}

var (
	countRe    = regexp.MustCompile(`data-count="(\w+)">([0-9]+)<`)
	hiddenRe   = regexp.MustCompile(`<input type="hidden" name="([a-z_0-9]+)" value="([^"]*)">`)
	mapSelRe   = regexp.MustCompile(`<select id="map-[0-9]+" name="map_t">`)
	importLink = regexp.MustCompile(`^/imports/([0-9]+)$`)
)

// counts are the created/merged/skipped/errors counts a preview or result shows.
func counts(p page) map[string]string {
	out := map[string]string{}
	for _, m := range countRe.FindAllStringSubmatch(p.body, -1) {
		out[m[1]] = m[2]
	}
	return out
}

// confirmFields are the hidden fields of a preview's confirming form.
func confirmFields(p page) url.Values {
	v := url.Values{}
	for _, m := range hiddenRe.FindAllStringSubmatch(p.body, -1) {
		v.Add(m[1], html.UnescapeString(m[2]))
	}
	return v
}

// bookCount counts a book's contacts and the import audit entries, straight from the tables.
func bookCount(t *testing.T, pool *pgxpool.Pool, bookID string) (contacts, imports int) {
	t.Helper()
	ctx := context.Background()
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM contacts WHERE book_id = $1`, bookID).Scan(&contacts); err != nil {
		t.Fatal(err)
	}
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM audit_log WHERE action = 'contact.import'`).Scan(&imports); err != nil {
		t.Fatal(err)
	}
	return contacts, imports
}

const importCSV = "Jméno;Příjmení;E-mail;Mobil\n" +
	"Jana;Nováková;jana@example.cz;\n" +
	"Jiří;Maticový B1;person-B1@example.com;602 111 222\n" +
	"Petr;Chybný;petr@@example;\n"

// TestImports: an editor checks a CSV file (new, merged and bad rows with reasons; nothing
// stored), then imports it and sees the result; bad input, a missing CSRF token, a book
// they may not edit and a file over the limit change nothing.
func TestImports(t *testing.T) {
	e, pool := newFilesEnv(t, 4096)
	ctx := context.Background()
	m, err := storetest.SeedMatrix(ctx, e.st, "")
	if err != nil {
		t.Fatal(err)
	}
	b1 := m.Books["B1"].ID
	bohdan := e.sessionFor(m.Users["bohdan"].ID) // editor of B1 through G1
	p := bohdan.get("/imports")
	if p.status != http.StatusOK || !strings.Contains(p.body, `value="`+b1+`"`) || strings.Contains(p.body, m.Books["B2"].ID) {
		t.Fatalf("imports page: %d %s", p.status, p.body)
	}
	tok := token(t, p)
	before, audits := bookCount(t, pool, b1)

	// The dry run: per row what would happen, nothing stored.
	fields := url.Values{"csrf": {tok}, "book_id": {b1}, "on_match": {"merge"}}
	p = bohdan.upload("/imports/preview", fields, "kontakty.csv", []byte(importCSV))
	if p.status != http.StatusOK {
		t.Fatalf("preview: %d %s", p.status, p.body)
	}
	if c := counts(p); c["created"] != "1" || c["merged"] != "1" || c["errors"] != "1" || c["skipped"] != "0" {
		t.Errorf("preview counts: %v", c)
	}
	if !strings.Contains(p.body, `data-line="4"`) || !strings.Contains(p.body, "imp-error") ||
		!strings.Contains(p.body, `href="/contacts/`+m.Contacts["b1-person"].ID+`"`) || len(mapSelRe.FindAllString(p.body, -1)) != 4 {
		t.Errorf("preview rows, the match or the column mapping missing: %s", p.body)
	}
	if n, a := bookCount(t, pool, b1); n != before || a != audits {
		t.Fatalf("the dry run stored: %d contacts (was %d), %d import entries (was %d)", n, before, a, audits)
	}

	// The real import, from the preview's form (the file travels in it).
	confirm := confirmFields(p)
	if confirm.Get("file_data") == "" {
		t.Fatalf("the preview does not carry the file: %v", confirm)
	}
	noTok := url.Values{}
	for k, v := range confirm {
		noTok[k] = v
	}
	noTok.Del("csrf")
	if p := bohdan.upload("/imports", noTok, "", nil); p.status != http.StatusForbidden {
		t.Errorf("import without CSRF token: %d", p.status)
	}
	if n, _ := bookCount(t, pool, b1); n != before {
		t.Fatal("refused import stored")
	}
	p = bohdan.upload("/imports", confirm, "", nil)
	sm := importLink.FindStringSubmatch(p.header.Get("Location"))
	if p.status != http.StatusSeeOther || sm == nil {
		t.Fatalf("import: %d %s %s", p.status, p.header.Get("Location"), p.body)
	}
	if n, a := bookCount(t, pool, b1); n != before+1 || a != audits+1 {
		t.Errorf("after the import: %d contacts (was %d), %d entries", n, before, a)
	}
	got, err := e.st.GetContact(ctx, m.Actor("bohdan"), m.Contacts["b1-person"].ID)
	if err != nil || len(got.Phones) != 2 {
		t.Errorf("merged contact: %+v %v", got.Phones, err)
	}
	res := bohdan.get(sm[0])
	if c := counts(res); res.status != http.StatusOK || c["created"] != "1" || c["merged"] != "1" || c["errors"] != "1" ||
		!strings.Contains(res.body, "Jana Nováková") || !strings.Contains(res.body, "kontakty.csv") {
		t.Errorf("result page: %d %v %s", res.status, c, res.body)
	}
	if p := bohdan.get("/imports"); !strings.Contains(p.body, `href="`+sm[0]+`"`) {
		t.Errorf("the import is not among bohdan's recent ones")
	}
	// Someone else's result is 404.
	if p := e.sessionFor(m.Users["cyril"].ID).get(sm[0]); p.status != http.StatusNotFound {
		t.Errorf("cyril reads bohdan's import: %d", p.status)
	}
	// The same file again merges nothing new.
	p = bohdan.upload("/imports/preview", fields, "kontakty.csv", []byte(importCSV))
	if c := counts(p); c["created"] != "0" || c["merged"] != "0" || c["skipped"] != "2" {
		t.Errorf("second preview: %v", c)
	}

	// Refusals: nothing stored.
	before, audits = bookCount(t, pool, b1)
	for _, tc := range []struct {
		who    *browser
		fields url.Values
		data   string
		status int
	}{
		{bohdan, url.Values{"csrf": {tok}, "book_id": {b1}}, "", http.StatusBadRequest},                                          // no file
		{bohdan, url.Values{"csrf": {tok}, "book_id": {b1}}, strings.Repeat("x", 5000), http.StatusRequestEntityTooLarge},        // over the limit
		{bohdan, url.Values{"csrf": {tok}, "book_id": {m.Books["B3"].ID}}, importCSV, http.StatusNotFound},                       // unseen book
		{bohdan, url.Values{"csrf": {tok}, "book_id": {"nope"}}, importCSV, http.StatusBadRequest},                               // no book
		{bohdan, url.Values{"csrf": {tok}, "book_id": {b1}, "format": {"xlsx"}}, importCSV, http.StatusBadRequest},               // format
		{bohdan, url.Values{"csrf": {tok}, "book_id": {b1}, "on_match": {"burn"}}, importCSV, http.StatusBadRequest},             // option
		{bohdan, url.Values{"csrf": {tok}, "book_id": {b1}, "all_or_nothing": {"1"}}, importCSV, http.StatusUnprocessableEntity}, // a bad row
	} {
		for _, path := range []string{"/imports/preview", "/imports"} {
			name := ""
			if tc.data != "" {
				name = "x.csv"
			}
			if path == "/imports/preview" && tc.status == http.StatusUnprocessableEntity {
				continue
			}
			p := tc.who.upload(path, tc.fields, name, []byte(tc.data))
			if p.status != tc.status || (p.status != http.StatusNotFound && !strings.Contains(p.body, `role="alert"`)) {
				t.Errorf("%s %v: %d, want %d", path, tc.fields, p.status, tc.status)
			}
		}
	}
	// A viewer of B1 may not import into it.
	alena := e.sessionFor(m.Users["alena"].ID)
	if p := alena.upload("/imports", url.Values{"csrf": {token(t, alena.get("/imports"))}, "book_id": {b1}}, "x.csv", []byte(importCSV)); p.status != http.StatusNotFound {
		t.Errorf("viewer imports: %d", p.status)
	}
	if n, a := bookCount(t, pool, b1); n != before || a != audits {
		t.Errorf("refused imports stored: %d contacts (was %d), %d entries (was %d)", n, before, a, audits)
	}

	// CSV columns the app does not recognise are mapped in the preview.
	odd := []byte("Kdo,Adresa\nFirma Nová s.r.o.,info@nova.example\n")
	p = bohdan.upload("/imports/preview", fields, "odd.csv", odd)
	if p.status != http.StatusBadRequest || len(mapSelRe.FindAllString(p.body, -1)) != 2 || strings.Contains(p.body, `id="i-run"`) {
		t.Errorf("unmapped CSV: %d %s", p.status, p.body)
	}
	mapped := confirmFields(p)
	mapped["map_t"] = []string{"org_name", "email"}
	p = bohdan.upload("/imports/preview", mapped, "", nil)
	if c := counts(p); p.status != http.StatusOK || c["created"] != "1" {
		t.Errorf("mapped CSV: %d %v", p.status, c)
	}

	// A vCard file.
	vcf := "BEGIN:VCARD\r\nVERSION:3.0\r\nN:Svoboda;Karel;;;\r\nFN:Karel Svoboda\r\nEMAIL:karel@example.cz\r\nEND:VCARD\r\n"
	p = bohdan.upload("/imports/preview", fields, "karel.vcf", []byte(vcf))
	if c := counts(p); p.status != http.StatusOK || c["created"] != "1" {
		t.Errorf("vCard preview: %d %v", p.status, c)
	}
	if n, _ := bookCount(t, pool, b1); n != before {
		t.Errorf("previews stored contacts")
	}
}

// TestImportLargeFile: a file too large to travel in the preview's form is chosen again
// for the import, and must be the file that was checked.
func TestImportLargeFile(t *testing.T) {
	e, pool := newFilesEnv(t, 0)
	ctx := context.Background()
	m, err := storetest.SeedMatrix(ctx, e.st, "")
	if err != nil {
		t.Fatal(err)
	}
	b1 := m.Books["B1"].ID
	bohdan := e.sessionFor(m.Users["bohdan"].ID)
	tok := token(t, bohdan.get("/imports"))
	big := []byte("Jméno;Příjmení;Poznámka\nVelká;Nová;" + strings.Repeat("x", 3<<20) + "\n")
	p := bohdan.upload("/imports/preview", url.Values{"csrf": {tok}, "book_id": {b1}}, "velky.csv", big)
	confirm := confirmFields(p)
	if c := counts(p); p.status != http.StatusOK || c["created"] != "1" || confirm.Get("file_data") != "" || confirm.Get("sha256") == "" ||
		!strings.Contains(p.body, `type="file"`) {
		t.Fatalf("large preview: %d %v %v", p.status, c, confirm)
	}
	before, _ := bookCount(t, pool, b1)
	other := append([]byte(nil), big...)
	other[len(other)-2] = 'y'
	if p := bohdan.upload("/imports", confirm, "velky.csv", other); p.status != http.StatusConflict || !strings.Contains(p.body, `role="alert"`) {
		t.Errorf("another file than the checked one: %d", p.status)
	}
	if n, _ := bookCount(t, pool, b1); n != before {
		t.Fatal("the other file was imported")
	}
	if p := bohdan.upload("/imports", confirm, "velky.csv", big); p.status != http.StatusSeeOther {
		t.Errorf("the checked file: %d %s", p.status, p.body)
	}
	if n, _ := bookCount(t, pool, b1); n != before+1 {
		t.Errorf("contacts after the import: %d, was %d", n, before)
	}
}
