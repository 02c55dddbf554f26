package api_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/textproto"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kontakt/kontakt/api"
	"github.com/kontakt/kontakt/devstack/testdb"
	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
)

// newEnvWith is newEnv with the options changed by set.
func newEnvWith(t testing.TB, set func(*api.Options)) *env {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), testdb.New(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	st := store.New(pool, "CZ")
	opt := api.Options{SessionTTL: time.Hour, MaxBodyBytes: 64 << 10, LoginMaxFailures: 3, LoginWindow: time.Minute, PasswordParams: testParams}
	set(&opt)
	srv := httptest.NewServer(api.NewHandler(api.Deps{Store: st, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Options: opt}))
	t.Cleanup(srv.Close)
	return &env{t: t, srv: srv, st: st, pool: pool}
}

// signedWorld is a book that requires the purpose newsletter, a contact hidden for lacking
// it, and clients for the admin, an editor, a viewer and a stranger of the book.
type signedWorld struct {
	e                               *env
	admin, editor, viewer, stranger *client
	viewerID                        string
	book                            model.Book
	purpose, other                  model.Purpose
	contact                         model.Contact
}

func newSignedWorld(t *testing.T, e *env) *signedWorld {
	t.Helper()
	w := &signedWorld{e: e}
	var b model.Book
	w.admin, b = seedBook(t, e)
	w.book = b
	w.admin.do("POST", "/api/purposes", map[string]any{"key": "newsletter", "name": "Zpravodaj", "wording": "Souhlasím se zpravodajem."}).json(t, &w.purpose)
	w.admin.do("POST", "/api/purposes", map[string]any{"key": "events", "name": "Akce", "wording": "Zvěte mě."}).json(t, &w.other)
	if w.purpose.ID == "" || w.other.ID == "" {
		t.Fatal("purposes not created")
	}
	if r := w.admin.do("PATCH", "/api/books/"+b.ID, map[string]any{"required_purpose_id": w.purpose.ID}); r.status != http.StatusOK {
		t.Fatalf("require purpose: %d %s", r.status, r.body)
	}
	r := w.admin.do("POST", "/api/contacts", map[string]any{"book_id": b.ID, "kind": "person", "given_name": "Marie", "family_name": "Podepsaná"})
	if r.status != http.StatusCreated {
		t.Fatalf("contact: %d %s", r.status, r.body)
	}
	r.json(t, &w.contact)
	editor := e.user("editor", false, "heslo-editor-1")
	viewer := e.user("viewer", false, "heslo-viewer-1")
	grantRole(t, w.admin, b.ID, editor.ID, "editor")
	grantRole(t, w.admin, b.ID, viewer.ID, "viewer")
	w.editor, w.viewer, w.viewerID = e.tokenFor(editor.ID), e.tokenFor(viewer.ID), viewer.ID
	w.stranger = e.tokenFor(e.user("stranger", false, "heslo-stranger-1").ID)
	return w
}

// upload posts a signed-consent form: fields, then the scan (when not nil) as a file part
// that claims claimedType.
func (w *signedWorld) upload(c *client, contactID string, fields map[string]string, scan []byte, claimedType string) response {
	w.e.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for k, v := range fields {
		if err := mw.WriteField(k, v); err != nil {
			w.e.t.Fatal(err)
		}
	}
	if scan != nil {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", `form-data; name="scan"; filename="souhlas-novakova.pdf"`)
		h.Set("Content-Type", claimedType)
		p, err := mw.CreatePart(h)
		if err != nil {
			w.e.t.Fatal(err)
		}
		p.Write(scan) //nolint:errcheck
	}
	mw.Close()
	return c.do("POST", "/api/contacts/"+contactID+"/consents/signed", buf.Bytes(), "Content-Type", mw.FormDataContentType())
}

func (w *signedWorld) fields() map[string]string {
	return map[string]string{"purpose_id": w.purpose.ID, "signed_on": time.Now().AddDate(0, 0, -2).Format(time.DateOnly), "branch": "Pobočka Brno"}
}

var (
	pngScan  = append([]byte("\x89PNG\r\n\x1a\n"), bytes.Repeat([]byte{0}, 200)...)
	jpegScan = append([]byte{0xFF, 0xD8, 0xFF, 0xE0}, bytes.Repeat([]byte{1}, 100)...)
	pdfScan  = []byte("%PDF-1.5\nsouhlas\n%%EOF\n")
)

func TestSignedConsentUpload(t *testing.T) {
	dir := t.TempDir()
	got := filepath.Join(dir, "stdin")
	script := filepath.Join(dir, "scan.sh")
	// The hook keeps what it was given and rejects the EICAR test string.
	if err := os.WriteFile(script, []byte("#!/bin/sh\ncat > \"$1\"\nif grep -q EICAR \"$1\"; then echo FOUND; exit 1; fi\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	e := newEnvWith(t, func(o *api.Options) {
		o.ScanMaxBytes = 4096
		o.ScanHook = []string{"/bin/sh", script, got}
	})
	w := newSignedWorld(t, e)
	nothingStored := func(step string) {
		t.Helper()
		if n := countRows(t, e, `SELECT count(*) FROM consents`) + countRows(t, e, `SELECT count(*) FROM consent_scans`); n != 0 {
			t.Fatalf("%s: %d rows stored", step, n)
		}
	}

	// Neither the viewer (the contact is hidden from them) nor a stranger learns it exists.
	wantError(t, w.upload(w.viewer, w.contact.ID, w.fields(), pdfScan, "application/pdf"), 404, "")
	wantError(t, w.upload(w.stranger, w.contact.ID, w.fields(), pdfScan, "application/pdf"), 404, "")
	wantError(t, w.upload(w.editor, missingID, w.fields(), pdfScan, "application/pdf"), 404, "")

	with := func(k, v string) map[string]string {
		f := w.fields()
		if v == "" {
			delete(f, k)
		} else {
			f[k] = v
		}
		return f
	}
	eicar := append([]byte("%PDF-1.4\n"), []byte(`X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*`)...)
	for _, tc := range []struct {
		name   string
		fields map[string]string
		scan   []byte
		status int
		field  string
	}{
		{"no purpose", with("purpose_id", ""), pdfScan, 400, "purpose_id"},
		{"unknown purpose", with("purpose_id", missingID), pdfScan, 400, "purpose_id"},
		{"no date", with("signed_on", ""), pdfScan, 400, "signed_on"},
		{"bad date", with("signed_on", "1. 3. 2025"), pdfScan, 400, "signed_on"},
		{"future date", with("signed_on", time.Now().AddDate(0, 0, 2).Format(time.DateOnly)), pdfScan, 400, "signed_on"},
		{"valid until before signing", with("valid_until", "2000-01-01"), pdfScan, 400, "valid_until"},
		{"control characters in branch", with("branch", "Brno\x07"), pdfScan, 400, "branch"},
		{"unknown field", with("note", "x"), pdfScan, 400, "note"},
		{"no scan", w.fields(), nil, 400, "scan"},
		{"empty scan", w.fields(), []byte{}, 400, "scan"},
		{"text claiming to be a PDF", w.fields(), []byte("just text, not a PDF"), 415, "scan"},
		{"HTML claiming to be a PNG", w.fields(), []byte("<html><script>alert(1)</script>"), 415, "scan"},
		{"scan over the limit", w.fields(), append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte("x"), 4096)...), 413, "scan"},
		{"virus", w.fields(), eicar, 422, "scan"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			wantError(t, w.upload(w.editor, w.contact.ID, tc.fields, tc.scan, "application/pdf"), tc.status, tc.field)
			nothingStored(tc.name)
		})
	}
	if b, _ := os.ReadFile(got); !bytes.Equal(b, eicar) {
		t.Fatalf("the hook got %q on stdin", b)
	}
	wantError(t, w.editor.do("POST", "/api/contacts/"+w.contact.ID+"/consents/signed", map[string]any{"purpose_id": w.purpose.ID}), 415, "")
	// A body over the scan limit and the form's overhead, here in the preamble.
	var body bytes.Buffer
	body.Write(bytes.Repeat([]byte("preamble\r\n"), 10<<10))
	body.WriteString("\r\n")
	mw := multipart.NewWriter(&body)
	mw.WriteField("purpose_id", w.purpose.ID) //nolint:errcheck
	mw.Close()
	wantError(t, w.editor.do("POST", "/api/contacts/"+w.contact.ID+"/consents/signed", body.Bytes(), "Content-Type", mw.FormDataContentType()), 413, "")
	nothingStored("refused uploads")

	// A PNG sent as application/octet-stream is stored as what it is.
	f := w.fields()
	f["valid_until"] = "2030-06-30"
	r := w.upload(w.editor, w.contact.ID, f, pngScan, "application/octet-stream")
	if r.status != http.StatusCreated {
		t.Fatalf("upload: %d %s", r.status, r.body)
	}
	var c model.Consent
	r.json(t, &c)
	sum := sha256.Sum256(pngScan)
	if c.Status != model.ConsentActive || c.Source != model.SourceBranch || len(c.Scans) != 1 ||
		c.Scans[0].ContentType != "image/png" || c.Scans[0].SHA256 != hex.EncodeToString(sum[:]) || c.Scans[0].Size != len(pngScan) {
		t.Fatalf("consent %s", r.body)
	}
	if c.ValidUntil == nil || !c.ValidUntil.Equal(time.Date(2030, 7, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("valid_until %v, want through 2030-06-30", c.ValidUntil)
	}
	if c.Evidence["branch"] != "Pobočka Brno" || c.Evidence["signed_on"] != f["signed_on"] || c.Evidence["scan_id"] != c.Scans[0].ID {
		t.Errorf("evidence %v", c.Evidence)
	}
	if bytes.Contains(r.body, []byte(base64.StdEncoding.EncodeToString(pngScan[:30]))) {
		t.Error("the answer carries the scan's bytes")
	}
	if b, _ := os.ReadFile(got); !bytes.Equal(b, pngScan) {
		t.Errorf("the hook did not scan the stored file")
	}
	// The consent shows the contact to its viewer, who may now see but not record.
	if r := w.viewer.do("GET", "/api/contacts/"+w.contact.ID, nil); r.status != http.StatusOK {
		t.Fatalf("contact after consent: %d", r.status)
	}
	f["purpose_id"] = w.other.ID
	wantError(t, w.upload(w.viewer, w.contact.ID, f, jpegScan, "image/jpeg"), 403, "")
	var cs []model.Consent
	w.viewer.do("GET", "/api/contacts/"+w.contact.ID+"/consents", nil).json(t, &cs)
	if len(cs) != 1 || len(cs[0].Scans) != 1 || cs[0].Scans[0].ID != c.Scans[0].ID {
		t.Fatalf("listing %+v", cs)
	}
}

func TestScanHookUnavailable(t *testing.T) {
	e := newEnvWith(t, func(o *api.Options) { o.ScanHook = []string{filepath.Join(t.TempDir(), "no-such-scanner")} })
	w := newSignedWorld(t, e)
	wantError(t, w.upload(w.editor, w.contact.ID, w.fields(), pdfScan, "application/pdf"), 503, "")
	if n := countRows(t, e, `SELECT count(*) FROM consent_scans`); n != 0 {
		t.Fatalf("%d scans stored without a virus scan", n)
	}
}

func TestScanDownload(t *testing.T) {
	e := newEnvWith(t, func(*api.Options) {})
	w := newSignedWorld(t, e)
	r := w.upload(w.editor, w.contact.ID, w.fields(), jpegScan, "image/jpeg")
	if r.status != http.StatusCreated {
		t.Fatalf("upload: %d %s", r.status, r.body)
	}
	var c model.Consent
	r.json(t, &c)
	path := "/api/consents/" + c.ID + "/scan"

	// Seeing the contact is not enough, and neither is being an admin.
	for name, cl := range map[string]*client{"admin": w.admin, "viewer": w.viewer, "editor": w.editor, "stranger": w.stranger} {
		if r := cl.do("GET", path, nil); r.status != http.StatusNotFound {
			t.Errorf("%s without the scans permission: %d", name, r.status)
		}
	}
	for _, cl := range []*client{w.viewer, w.stranger} {
		var me model.User
		cl.do("GET", "/api/me", nil).json(t, &me)
		if r := w.admin.do("PATCH", "/api/users/"+me.ID, map[string]any{"permissions": []string{"scans"}}); r.status != http.StatusOK {
			t.Fatalf("grant scans: %d %s", r.status, r.body)
		}
	}
	if r := w.stranger.do("GET", path, nil); r.status != http.StatusNotFound {
		t.Errorf("scans holder who cannot see the book: %d", r.status)
	}
	r = w.viewer.do("GET", path, nil)
	if r.status != http.StatusOK || !bytes.Equal(r.body, jpegScan) {
		t.Fatalf("download: %d, %d bytes", r.status, len(r.body))
	}
	for k, want := range map[string]string{
		"Content-Type":           "image/jpeg",
		"Content-Disposition":    `attachment; filename=consent-` + c.ID + `-scan.jpg`,
		"X-Content-Type-Options": "nosniff",
		"Cache-Control":          "no-store",
	} {
		if got := r.header.Get(k); got != want {
			t.Errorf("%s: %q, want %q", k, got, want)
		}
	}
	sum := sha256.Sum256(jpegScan)
	if got := r.header.Get("Repr-Digest"); got != "sha-256=:"+base64.StdEncoding.EncodeToString(sum[:])+":" {
		t.Errorf("Repr-Digest %q", got)
	}
	if r := w.viewer.do("GET", path+"?scan_id="+c.Scans[0].ID, nil); r.status != http.StatusOK {
		t.Errorf("download by scan id: %d", r.status)
	}
	for _, p := range []string{path + "?scan_id=" + missingID, path + "?scan_id=x", "/api/consents/" + missingID + "/scan", "/api/consents/x/scan"} {
		if r := w.viewer.do("GET", p, nil); r.status != http.StatusNotFound {
			t.Errorf("%s: %d", p, r.status)
		}
	}
	var entries []model.AuditEntry
	w.admin.do("GET", "/api/audit?action=consent.scan.download", nil).json(t, &entries)
	if len(entries) != 2 {
		t.Fatalf("download audit entries: %d, want 2", len(entries))
	}
	for _, en := range entries {
		if len(en.ContactIDs) != 1 || en.ContactIDs[0] != w.contact.ID || *en.ObjectID != c.Scans[0].ID || *en.ActorID != w.viewerID {
			t.Errorf("audit entry %+v", en)
		}
	}
	if strings.Contains(string(mustGet(t, w.viewer, "/api/contacts/"+w.contact.ID+"/consents")), base64.StdEncoding.EncodeToString(jpegScan[:30])) {
		t.Error("the consent listing carries the scan's bytes")
	}
}

// mustGet returns the body of a GET that must answer 200.
func mustGet(t *testing.T, c *client, path string) []byte {
	t.Helper()
	r := c.do("GET", path, nil)
	if r.status != http.StatusOK {
		t.Fatalf("GET %s: %d %s", path, r.status, r.body)
	}
	return r.body
}
