package store_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
)

// scanWorld is a book that requires a purpose, an editor, a viewer, a stranger and a user
// who will be disabled, one contact without the consent (hidden) and a second purpose.
type scanWorld struct {
	st                              *store.Store
	pool                            *pgxpool.Pool
	admin, editor, viewer, stranger store.Actor
	disabled                        store.Actor
	book                            model.Book
	required, other                 model.Purpose
	contact                         model.Contact
}

func newScanWorld(t *testing.T) *scanWorld {
	t.Helper()
	ctx := context.Background()
	st, pool := newStore(t)
	a, b := fixture(t, st)
	w := &scanWorld{st: st, pool: pool, admin: a, book: b}
	user := func(login string, role model.Role) store.Actor {
		u, err := st.CreateUser(ctx, a, model.User{Login: login, Name: login}, "")
		if err != nil {
			t.Fatal(err)
		}
		if role != "" {
			if _, err := st.PutGrant(ctx, a, model.Grant{BookID: b.ID, UserID: &u.ID, Role: role}); err != nil {
				t.Fatal(err)
			}
		}
		return store.Actor{UserID: u.ID, Channel: "api"}
	}
	w.editor, w.viewer, w.stranger, w.disabled = user("editor", "editor"), user("viewer", "viewer"), user("stranger", ""), user("gone", "viewer")
	var err error
	if w.required, err = st.CreatePurpose(ctx, a, model.Purpose{Key: "newsletter", Name: "Zpravodaj", Wording: "Souhlasím se zasíláním zpravodaje."}); err != nil {
		t.Fatal(err)
	}
	if w.other, err = st.CreatePurpose(ctx, a, model.Purpose{Key: "events", Name: "Akce", Wording: "Zvěte mě na akce.", ValidityMonths: 6}); err != nil {
		t.Fatal(err)
	}
	if _, err := st.UpdateBook(ctx, a, b.ID, store.BookPatch{RequiredPurposeID: &w.required.ID}); err != nil {
		t.Fatal(err)
	}
	if w.contact, err = st.CreateContact(ctx, a, model.Contact{BookID: b.ID, Kind: "person", GivenName: "Marie", FamilyName: "Podepsaná"}); err != nil {
		t.Fatal(err)
	}
	for _, u := range []store.Actor{w.editor, w.viewer, w.stranger, w.disabled} {
		w.grant(t, u, model.PermScans)
	}
	if _, err := st.UpdateUser(ctx, a, w.disabled.UserID, store.UserPatch{Disabled: ptr(true)}); err != nil {
		t.Fatal(err)
	}
	return w
}

func (w *scanWorld) grant(t *testing.T, u store.Actor, perms ...string) {
	t.Helper()
	if _, err := w.st.UpdateUser(context.Background(), w.admin, u.UserID, store.UserPatch{Permissions: &perms}); err != nil {
		t.Fatal(err)
	}
}

var pdfScan = []byte("%PDF-1.4\n% podepsaný souhlas\n%%EOF\n")

func (w *scanWorld) record(t *testing.T, as store.Actor, purpose model.Purpose, scan []byte) (model.Consent, error) {
	t.Helper()
	rec := store.ConsentRecord{ContactID: w.contact.ID, PurposeID: purpose.ID, Source: model.SourceBranch,
		GivenAt: time.Now().Add(-24 * time.Hour), Evidence: map[string]any{"branch": "Pobočka Brno"}}
	if scan != nil {
		rec.Scan = &store.Scan{ContentType: "application/pdf", Data: scan}
	}
	return w.st.RecordSignedConsent(context.Background(), as, rec)
}

func TestRecordSignedConsent(t *testing.T) {
	ctx := context.Background()
	w := newScanWorld(t)

	// The contact is hidden (it lacks the consent its book requires): its viewer and a
	// stranger do not learn it exists; its editor records the consent that shows it.
	for name, as := range map[string]store.Actor{"viewer": w.viewer, "stranger": w.stranger, "disabled": w.disabled} {
		if _, err := w.record(t, as, w.required, pdfScan); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s records for a hidden contact: %v, want ErrNotFound", name, err)
		}
	}
	if n := count(t, w.pool, `SELECT count(*) FROM consents`); n != 0 {
		t.Fatalf("refused recordings left %d consents", n)
	}
	c, err := w.record(t, w.editor, w.required, pdfScan)
	if err != nil {
		t.Fatalf("editor records: %v", err)
	}
	sum := sha256.Sum256(pdfScan)
	if c.Status != model.ConsentActive || c.Source != model.SourceBranch || len(c.Scans) != 1 || len(c.History) != 1 {
		t.Fatalf("recorded consent: %+v", c)
	}
	if s := c.Scans[0]; s.SHA256 != hex.EncodeToString(sum[:]) || s.Size != len(pdfScan) || s.ContentType != "application/pdf" ||
		s.UploadedBy == nil || *s.UploadedBy != w.editor.UserID {
		t.Errorf("scan info %+v", s)
	}
	ev := c.Evidence
	if ev["branch"] != "Pobočka Brno" || ev["recorded_by"] != w.editor.UserID || ev["scan_id"] != c.Scans[0].ID ||
		ev["scan_sha256"] != c.Scans[0].SHA256 {
		t.Errorf("evidence %v", ev)
	}
	if _, err := w.st.GetContact(ctx, w.viewer, w.contact.ID); err != nil {
		t.Fatalf("the consent should show the contact to its viewer: %v", err)
	}
	// Now the viewer sees the contact but may not change it.
	if _, err := w.record(t, w.viewer, w.other, pdfScan); !errors.Is(err, store.ErrForbidden) {
		t.Errorf("viewer of a visible contact: %v, want ErrForbidden", err)
	}
	// Listings show the scan, never its bytes.
	cs, err := w.st.ListContactConsents(ctx, w.viewer, w.contact.ID)
	if err != nil || len(cs) != 1 || len(cs[0].Scans) != 1 || cs[0].Scans[0].ID != c.Scans[0].ID || cs[0].Scans[0].SHA256 != c.Scans[0].SHA256 {
		t.Fatalf("listing: %+v, %v", cs, err)
	}
}

func TestConsentScanDownload(t *testing.T) {
	ctx := context.Background()
	w := newScanWorld(t)
	first, err := w.record(t, w.editor, w.required, pdfScan)
	if err != nil {
		t.Fatal(err)
	}
	second := append([]byte("%PDF-1.7\n"), pdfScan[9:]...)
	again, err := w.record(t, w.editor, w.required, second)
	if err != nil {
		t.Fatal(err)
	}
	if again.ID != first.ID || len(again.Scans) != 2 || again.Scans[0].ID == first.Scans[0].ID {
		t.Fatalf("second recording: %+v", again)
	}
	other, err := w.record(t, w.editor, w.other, nil)
	if err != nil || len(other.Scans) != 0 {
		t.Fatalf("consent without scan: %+v, %v", other, err)
	}

	downloads := func() int {
		return count(t, w.pool, `SELECT count(*) FROM audit_log WHERE action = 'consent.scan.download'`)
	}
	// The admin sees every book but holds no scans permission.
	for name, as := range map[string]store.Actor{"admin": w.admin, "stranger": w.stranger, "disabled": w.disabled} {
		if _, err := w.st.ConsentScan(ctx, as, first.ID, ""); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s downloads: %v, want ErrNotFound", name, err)
		}
	}
	if n := downloads(); n != 0 {
		t.Fatalf("refused downloads audited: %d", n)
	}
	w.grant(t, w.admin, model.PermScans)
	for name, as := range map[string]store.Actor{"admin": w.admin, "viewer": w.viewer} {
		f, err := w.st.ConsentScan(ctx, as, first.ID, "")
		if err != nil {
			t.Fatalf("%s downloads: %v", name, err)
		}
		if string(f.Data) != string(second) || f.ID != again.Scans[0].ID || f.ContactID != w.contact.ID || f.ContentType != "application/pdf" {
			t.Errorf("%s got scan %s of %s (%d bytes)", name, f.ID, f.ContactID, len(f.Data))
		}
	}
	f, err := w.st.ConsentScan(ctx, w.viewer, first.ID, first.Scans[0].ID)
	if err != nil || string(f.Data) != string(pdfScan) {
		t.Fatalf("earlier scan by id: %q, %v", f.Data, err)
	}
	for name, ids := range map[string][2]string{
		"consent without scan":    {other.ID, ""},
		"scan of another consent": {other.ID, first.Scans[0].ID},
		"malformed scan id":       {first.ID, "x"},
		"unknown consent":         {"00000000-0000-0000-0000-000000000000", ""},
	} {
		if _, err := w.st.ConsentScan(ctx, w.viewer, ids[0], ids[1]); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("%s: %v, want ErrNotFound", name, err)
		}
	}
	if n := downloads(); n != 3 {
		t.Fatalf("downloads audited: %d, want 3", n)
	}
	var contactIDs []string
	var objectID string
	if err := w.pool.QueryRow(ctx, `SELECT contact_ids, object_id FROM audit_log WHERE action = 'consent.scan.download'
		ORDER BY id DESC LIMIT 1`).Scan(&contactIDs, &objectID); err != nil {
		t.Fatal(err)
	}
	if len(contactIDs) != 1 || contactIDs[0] != w.contact.ID || objectID != first.Scans[0].ID {
		t.Errorf("audit names %v, %s", contactIDs, objectID)
	}
	// A revoked consent hides the contact from its viewer, but a scan holder of its book
	// still gets the signed form: that is when it matters.
	if _, err := w.pool.Exec(ctx, `UPDATE consents SET status = 'revoked' WHERE id = $1`, first.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := w.st.GetContact(ctx, w.viewer, w.contact.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("contact with revoked consent still visible: %v", err)
	}
	if _, err := w.st.ConsentScan(ctx, w.viewer, first.ID, ""); err != nil {
		t.Errorf("scan of a hidden contact for a scans holder of its book: %v", err)
	}
}

func count(t *testing.T, pool *pgxpool.Pool, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	return n
}
