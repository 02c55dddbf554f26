package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/kontakt/kontakt/auth"
	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
)

const missingID = "00000000-0000-0000-0000-000000000000"

// grantRole gives user a role on book through the API, as c.
func grantRole(t testing.TB, c *client, bookID, userID string, role model.Role) {
	t.Helper()
	if r := c.do("POST", "/api/books/"+bookID+"/grants", map[string]any{"user_id": userID, "role": role}); r.status != http.StatusOK {
		t.Fatalf("grant %s on book: %d %s", role, r.status, r.body)
	}
}

// wantError checks an error answer's status and field.
func wantError(t testing.TB, r response, status int, field string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	var body struct{ Error, Field string }
	r.json(t, &body)
	if body.Error == "" || body.Field != field {
		t.Fatalf("body %s, want an error with field %q", r.body, field)
	}
}

func countRows(t testing.TB, e *env, sql string, args ...any) int {
	t.Helper()
	var n int
	if err := e.pool.QueryRow(context.Background(), sql, args...).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestSyncGrants(t *testing.T) {
	e := newEnv(t)
	admin, b := seedBook(t, e)
	var b2 model.Book
	admin.do("POST", "/api/books", map[string]string{"name": "Dodavatelé"}).json(t, &b2)
	mgrUser := e.user("manazer", false, "heslo-manazer-1")
	viewerUser := e.user("divak", false, "heslo-divak-1")
	stranger := e.tokenFor(e.user("cizi", false, "heslo-cizi-1").ID)
	jana := e.user("jana", false, "heslo-jana-1")
	grantRole(t, admin, b.ID, mgrUser.ID, model.RoleManager)
	grantRole(t, admin, b.ID, viewerUser.ID, model.RoleViewer)
	mgr, viewer, janaC := e.tokenFor(mgrUser.ID), e.tokenFor(viewerUser.ID), e.tokenFor(jana.ID)
	path := "/api/books/" + b.ID + "/sync-grants/" + jana.ID
	listPath := "/api/users/" + jana.ID + "/sync-grants"

	// a manager of the book grants read sync
	r := mgr.do("PUT", path, map[string]any{"mode": "read"})
	if r.status != http.StatusOK {
		t.Fatalf("manager grants sync: %d %s", r.status, r.body)
	}
	var g model.SyncGrant
	r.json(t, &g)
	if g.UserID != jana.ID || g.BookID != b.ID || g.Mode != model.SyncRead || g.Until != nil || g.CreatedAt.IsZero() {
		t.Fatalf("grant: %s", r.body)
	}
	// an admin grants read_write on another book, until tomorrow
	until := time.Now().Add(24 * time.Hour).UTC().Truncate(time.Second)
	r = admin.do("PUT", "/api/books/"+b2.ID+"/sync-grants/"+jana.ID, map[string]any{"mode": "read_write", "until": until})
	if r.status != http.StatusOK {
		t.Fatalf("admin grants sync: %d %s", r.status, r.body)
	}
	r.json(t, &g)
	if g.Mode != model.SyncReadWrite || g.Until == nil || !g.Until.Equal(until) {
		t.Fatalf("grant with until: %s", r.body)
	}
	// a second grant replaces the first
	if r := mgr.do("PUT", path, map[string]any{"mode": "read_write"}); r.status != http.StatusOK {
		t.Fatalf("replace grant: %d %s", r.status, r.body)
	}

	// the user lists their grants; so may an admin, nobody else
	var gs []model.SyncGrant
	r = janaC.do("GET", listPath, nil)
	if r.status != http.StatusOK {
		t.Fatalf("list own grants: %d %s", r.status, r.body)
	}
	r.json(t, &gs)
	if len(gs) != 2 {
		t.Fatalf("grants listed: %s", r.body)
	}
	for _, g := range gs {
		if g.BookID == b.ID && g.Mode != model.SyncReadWrite {
			t.Fatalf("replaced grant keeps its old mode: %s", r.body)
		}
	}
	if r := admin.do("GET", listPath, nil); r.status != http.StatusOK {
		t.Fatalf("admin lists grants: %d %s", r.status, r.body)
	}
	wantError(t, mgr.do("GET", listPath, nil), http.StatusForbidden, "")
	wantError(t, stranger.do("GET", listPath, nil), http.StatusForbidden, "")

	// who may not grant: a viewer sees the book (403), a stranger does not (404)
	before := countRows(t, e, `SELECT count(*) FROM sync_grants`)
	wantError(t, viewer.do("PUT", path, map[string]any{"mode": "read"}), http.StatusForbidden, "")
	wantError(t, viewer.do("PUT", "/api/books/"+b.ID+"/sync-grants/"+viewerUser.ID, map[string]any{"mode": "read"}), http.StatusForbidden, "")
	wantError(t, stranger.do("PUT", path, map[string]any{"mode": "read"}), http.StatusNotFound, "")
	wantError(t, viewer.do("DELETE", path, nil), http.StatusForbidden, "")
	wantError(t, stranger.do("DELETE", path, nil), http.StatusNotFound, "")

	// bad input changes nothing
	cases := []struct {
		name, method, path string
		body               any
		status             int
		field              string
	}{
		{"mode write", "PUT", path, map[string]any{"mode": "write"}, 400, "mode"},
		{"no mode", "PUT", path, map[string]any{}, 400, "mode"},
		{"until in the past", "PUT", path, map[string]any{"mode": "read", "until": time.Now().Add(-time.Hour)}, 400, "until"},
		{"until not a time", "PUT", path, map[string]any{"mode": "read", "until": "zítra"}, 400, ""},
		{"unknown field", "PUT", path, map[string]any{"mode": "read", "role": "viewer"}, 400, "role"},
		{"unknown user", "PUT", "/api/books/" + b.ID + "/sync-grants/" + missingID, map[string]any{"mode": "read"}, 400, "user_id"},
		{"unknown book", "PUT", "/api/books/" + missingID + "/sync-grants/" + jana.ID, map[string]any{"mode": "read"}, 404, ""},
		{"malformed book id", "PUT", "/api/books/kniha/sync-grants/" + jana.ID, map[string]any{"mode": "read"}, 404, ""},
		{"malformed user id", "PUT", "/api/books/" + b.ID + "/sync-grants/jana", map[string]any{"mode": "read"}, 404, ""},
		{"delete malformed user id", "DELETE", "/api/books/" + b.ID + "/sync-grants/jana", nil, 404, ""},
		{"delete without grant", "DELETE", "/api/books/" + b.ID + "/sync-grants/" + mgrUser.ID, nil, 404, ""},
		{"list malformed id", "GET", "/api/users/jana/sync-grants", nil, 404, ""},
		{"revoke all malformed id", "DELETE", "/api/users/jana/sync-grants", nil, 404, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := admin.do(tc.method, tc.path, tc.body)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
			if tc.field != "" {
				wantError(t, r, tc.status, tc.field)
			}
		})
	}
	if after := countRows(t, e, `SELECT count(*) FROM sync_grants`); after != before {
		t.Fatalf("refused requests changed sync_grants: %d → %d", before, after)
	}
	if n := countRows(t, e, `SELECT count(*) FROM sync_grants WHERE book_id = $1 AND mode = 'read_write'`, b.ID); n != 1 {
		t.Fatalf("refused requests changed the grant: %d read_write grants", n)
	}

	// revoke one: the manager, then the user themself
	if r := mgr.do("DELETE", path, nil); r.status != http.StatusNoContent {
		t.Fatalf("manager revokes: %d %s", r.status, r.body)
	}
	wantError(t, mgr.do("DELETE", path, nil), http.StatusNotFound, "")
	janaC.do("GET", listPath, nil).json(t, &gs)
	if len(gs) != 1 || gs[0].BookID != b2.ID {
		t.Fatalf("after revoking one: %+v", gs)
	}
	if r := janaC.do("DELETE", "/api/books/"+b2.ID+"/sync-grants/"+jana.ID, nil); r.status != http.StatusNoContent {
		t.Fatalf("user revokes own grant: %d %s", r.status, r.body)
	}

	// revoke all in one call
	mgr.do("PUT", path, map[string]any{"mode": "read"})
	admin.do("PUT", "/api/books/"+b2.ID+"/sync-grants/"+jana.ID, map[string]any{"mode": "read"})
	admin.do("PUT", "/api/books/"+b.ID+"/sync-grants/"+mgrUser.ID, map[string]any{"mode": "read"})
	wantError(t, mgr.do("DELETE", listPath, nil), http.StatusForbidden, "")
	var revoked map[string]int
	r = janaC.do("DELETE", listPath, nil)
	if r.status != http.StatusOK {
		t.Fatalf("revoke all: %d %s", r.status, r.body)
	}
	r.json(t, &revoked)
	if len(revoked) != 1 || revoked["revoked"] != 2 {
		t.Fatalf("revoke all: %s", r.body)
	}
	r = janaC.do("GET", listPath, nil)
	if strings.TrimSpace(string(r.body)) != "[]" {
		t.Fatalf("grants after revoking all: %s", r.body)
	}
	admin.do("DELETE", listPath, nil).json(t, &revoked)
	if revoked["revoked"] != 0 {
		t.Fatalf("revoke all again: %+v", revoked)
	}
	// other users' grants stay
	if n := countRows(t, e, `SELECT count(*) FROM sync_grants WHERE user_id = $1`, mgrUser.ID); n != 1 {
		t.Fatalf("revoking jana's sync touched manazer's: %d grants left", n)
	}
	if n := countRows(t, e, `SELECT count(*) FROM audit_log WHERE action = 'sync.revoke_all'`); n != 2 {
		t.Fatalf("sync.revoke_all audited %d times, want 2", n)
	}
}

var appPasswordRE = regexp.MustCompile(`^[A-Za-z0-9]{6}-[A-Za-z0-9]{6}-[A-Za-z0-9]{6}-[A-Za-z0-9]{6}$`)

func TestDevices(t *testing.T) {
	e := newEnv(t)
	admin := e.tokenFor(e.user("admin", true, "admin-heslo-123").ID)
	jana := e.user("jana", false, "heslo-jana-1")
	petr := e.user("petr", false, "heslo-petr-1")
	janaC, petrC := e.tokenFor(jana.ID), e.tokenFor(petr.ID)

	create := func(name string) (model.Device, string) {
		t.Helper()
		r := janaC.do("POST", "/api/devices", map[string]string{"name": name})
		if r.status != http.StatusCreated {
			t.Fatalf("create device: %d %s", r.status, r.body)
		}
		var d struct {
			model.Device
			Password string `json:"password"`
		}
		r.json(t, &d)
		if !appPasswordRE.MatchString(d.Password) {
			t.Fatalf("app password %q is not xxxxxx-xxxxxx-xxxxxx-xxxxxx", d.Password)
		}
		if d.UserID != jana.ID || d.Name != strings.TrimSpace(name) || d.Prefix == "" || !strings.HasPrefix(d.Password, d.Prefix) || d.RevokedAt != nil {
			t.Fatalf("device: %s", r.body)
		}
		return d.Device, d.Password
	}
	phone, phonePW := create("iPhone Jana")
	laptop, laptopPW := create("  Thunderbird  ")
	if laptop.Name != "Thunderbird" {
		t.Fatalf("name not trimmed: %q", laptop.Name)
	}
	if phonePW == laptopPW {
		t.Fatal("two devices got the same app password")
	}
	// the app password is what the store knows the device by; the login password is not
	u, d, err := e.st.DeviceUser(context.Background(), auth.HashSecret(phonePW))
	if err != nil || u.ID != jana.ID || d.ID != phone.ID || d.LastUsedAt == nil {
		t.Fatalf("device by its app password: %v %+v %+v", err, u, d)
	}
	// the use is recorded once per store.DeviceUsedEvery, not at every request
	if _, again, err := e.st.DeviceUser(context.Background(), auth.HashSecret(phonePW)); err != nil || again.LastUsedAt == nil || !again.LastUsedAt.Equal(*d.LastUsedAt) {
		t.Fatalf("second use within the minute: %v %v, first %v", err, again.LastUsedAt, d.LastUsedAt)
	}
	if _, _, err := e.st.DeviceUser(context.Background(), auth.HashSecret("heslo-jana-1")); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("login password as app password: %v", err)
	}

	// lists show the devices, newest first, never the password
	var ds []model.Device
	r := janaC.do("GET", "/api/devices", nil)
	if r.status != http.StatusOK {
		t.Fatalf("list devices: %d %s", r.status, r.body)
	}
	r.json(t, &ds)
	if len(ds) != 2 || ds[0].ID != laptop.ID || ds[1].ID != phone.ID {
		t.Fatalf("devices: %s", r.body)
	}
	for _, secret := range []string{phonePW, laptopPW, `"password"`, "secret"} {
		if bytes.Contains(r.body, []byte(secret)) {
			t.Fatalf("device list shows %s: %s", secret, r.body)
		}
	}
	r = janaC.do("GET", "/api/users/"+jana.ID+"/devices", nil)
	if r.status != http.StatusOK || bytes.Contains(r.body, []byte(phonePW)) {
		t.Fatalf("own devices by user id: %d %s", r.status, r.body)
	}
	admin.do("GET", "/api/users/"+jana.ID+"/devices", nil).json(t, &ds)
	if len(ds) != 2 {
		t.Fatalf("admin lists jana's devices: %+v", ds)
	}
	if r := petrC.do("GET", "/api/devices", nil); r.status != http.StatusOK || strings.TrimSpace(string(r.body)) != "[]" {
		t.Fatalf("petr's own devices: %d %s", r.status, r.body)
	}

	// another user can neither list nor revoke them, nor see what they hold
	wantError(t, petrC.do("GET", "/api/users/"+jana.ID+"/devices", nil), http.StatusForbidden, "")
	wantError(t, petrC.do("DELETE", "/api/devices/"+phone.ID, nil), http.StatusNotFound, "")
	wantError(t, petrC.do("GET", "/api/devices/"+phone.ID+"/holdings", nil), http.StatusNotFound, "")
	wantError(t, petrC.do("DELETE", "/api/users/"+jana.ID+"/devices", nil), http.StatusForbidden, "")
	if n := countRows(t, e, `SELECT count(*) FROM devices WHERE revoked_at IS NOT NULL`); n != 0 {
		t.Fatalf("refused revocations revoked %d devices", n)
	}

	// the sync ledger is empty until CardDAV serves the device
	for _, c := range []*client{janaC, admin} {
		if r := c.do("GET", "/api/devices/"+phone.ID+"/holdings", nil); r.status != http.StatusOK || strings.TrimSpace(string(r.body)) != "[]" {
			t.Fatalf("holdings: %d %s", r.status, r.body)
		}
	}

	// bad input
	before := countRows(t, e, `SELECT count(*) FROM devices`)
	wantError(t, janaC.do("POST", "/api/devices", map[string]string{"name": " "}), http.StatusBadRequest, "name")
	wantError(t, janaC.do("POST", "/api/devices", map[string]string{"name": strings.Repeat("x", 101)}), http.StatusBadRequest, "name")
	wantError(t, janaC.do("POST", "/api/devices", map[string]string{"name": "x", "password": "vlastni"}), http.StatusBadRequest, "password")
	wantError(t, janaC.do("DELETE", "/api/devices/telefon", nil), http.StatusNotFound, "")
	wantError(t, janaC.do("DELETE", "/api/devices/"+missingID, nil), http.StatusNotFound, "")
	wantError(t, janaC.do("GET", "/api/devices/telefon/holdings", nil), http.StatusNotFound, "")
	wantError(t, janaC.do("GET", "/api/devices/"+missingID+"/holdings", nil), http.StatusNotFound, "")
	wantError(t, janaC.do("GET", "/api/users/jana/devices", nil), http.StatusNotFound, "")
	if after := countRows(t, e, `SELECT count(*) FROM devices`); after != before {
		t.Fatalf("refused requests made devices: %d → %d", before, after)
	}

	// revoke one
	if r := janaC.do("DELETE", "/api/devices/"+phone.ID, nil); r.status != http.StatusNoContent {
		t.Fatalf("revoke device: %d %s", r.status, r.body)
	}
	if r := janaC.do("DELETE", "/api/devices/"+phone.ID, nil); r.status != http.StatusNoContent {
		t.Fatalf("revoke a revoked device: %d %s", r.status, r.body)
	}
	if _, _, err := e.st.DeviceUser(context.Background(), auth.HashSecret(phonePW)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("revoked app password still accepted: %v", err)
	}
	janaC.do("GET", "/api/devices", nil).json(t, &ds)
	if len(ds) != 2 || ds[1].ID != phone.ID || ds[1].RevokedAt == nil || ds[0].RevokedAt != nil {
		t.Fatalf("after revoking one: %+v", ds)
	}

	// revoke all: only the live ones count
	var revoked map[string]int
	r = janaC.do("DELETE", "/api/users/"+jana.ID+"/devices", nil)
	if r.status != http.StatusOK {
		t.Fatalf("revoke all devices: %d %s", r.status, r.body)
	}
	r.json(t, &revoked)
	if len(revoked) != 1 || revoked["revoked"] != 1 {
		t.Fatalf("revoke all devices: %s", r.body)
	}
	if _, _, err := e.st.DeviceUser(context.Background(), auth.HashSecret(laptopPW)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("app password accepted after revoking all: %v", err)
	}
	// an admin may revoke someone's devices too
	petrC.do("POST", "/api/devices", map[string]string{"name": "Android Petr"})
	admin.do("DELETE", "/api/users/"+petr.ID+"/devices", nil).json(t, &revoked)
	if revoked["revoked"] != 1 {
		t.Fatalf("admin revokes petr's devices: %+v", revoked)
	}
}

func TestSyncProfile(t *testing.T) {
	e := newEnv(t)
	admin, b := seedBook(t, e)
	var other model.Book
	admin.do("POST", "/api/books", map[string]string{"name": "Dodavatelé"}).json(t, &other)
	viewerUser := e.user("divak", false, "heslo-divak-1")
	grantRole(t, admin, b.ID, viewerUser.ID, model.RoleViewer)
	viewer := e.tokenFor(viewerUser.ID)
	for _, name := range []string{"Nováková", "Dvořák"} {
		if r := admin.do("POST", "/api/contacts", map[string]any{"book_id": b.ID, "kind": "person", "family_name": name}); r.status != http.StatusCreated {
			t.Fatalf("create contact: %d %s", r.status, r.body)
		}
	}
	admin.do("POST", "/api/contacts", map[string]any{"book_id": other.ID, "kind": "person", "family_name": "Svoboda"})

	var got model.Book
	admin.do("GET", "/api/books/"+b.ID, nil).json(t, &got)
	if !slices.Equal(got.SyncProfile, model.DefaultSyncProfile) {
		t.Fatalf("new book's sync_profile %v, want %v", got.SyncProfile, model.DefaultSyncProfile)
	}

	feed := func(bookID string) int {
		return countRows(t, e, `SELECT count(*) FROM book_changes WHERE book_id = $1`, bookID)
	}
	inBook, inOther := feed(b.ID), feed(other.ID)
	profile := []string{"name", "email.work"}
	r := admin.do("PATCH", "/api/books/"+b.ID, map[string]any{"sync_profile": profile})
	if r.status != http.StatusOK {
		t.Fatalf("patch sync_profile: %d %s", r.status, r.body)
	}
	r.json(t, &got)
	if !slices.Equal(got.SyncProfile, profile) || got.Name != b.Name {
		t.Fatalf("patched book: %s", r.body)
	}
	admin.do("GET", "/api/books/"+b.ID, nil).json(t, &got)
	if !slices.Equal(got.SyncProfile, profile) {
		t.Fatalf("GET after patch: %v", got.SyncProfile)
	}
	var books []model.Book
	admin.do("GET", "/api/books", nil).json(t, &books)
	for _, bk := range books {
		if bk.ID == b.ID && !slices.Equal(bk.SyncProfile, profile) {
			t.Fatalf("book list: %v", bk.SyncProfile)
		}
	}
	// every contact of the book enters the change feed once; other books do not
	if n := feed(b.ID) - inBook; n != 2 {
		t.Fatalf("sync_profile change fed %d rows, want one per contact (2)", n)
	}
	if n := feed(other.ID) - inOther; n != 0 {
		t.Fatalf("sync_profile change fed %d rows of another book", n)
	}
	if n := countRows(t, e, `SELECT count(DISTINCT contact_id) FROM book_changes WHERE book_id = $1`, b.ID); n != 2 {
		t.Fatalf("change feed names %d contacts of the book", n)
	}
	// a change of name alone does not feed anything
	inBook = feed(b.ID)
	admin.do("PATCH", "/api/books/"+b.ID, map[string]any{"description": "Stálí zákazníci"})
	if n := feed(b.ID) - inBook; n != 0 {
		t.Fatalf("description change fed %d rows", n)
	}

	// refused: no name, an unknown part, an empty profile, a viewer
	wantError(t, admin.do("PATCH", "/api/books/"+b.ID, map[string]any{"sync_profile": []string{"email.work"}}), http.StatusBadRequest, "sync_profile")
	wantError(t, admin.do("PATCH", "/api/books/"+b.ID, map[string]any{"sync_profile": []string{"shoe-size"}}), http.StatusBadRequest, "sync_profile[0]")
	wantError(t, admin.do("PATCH", "/api/books/"+b.ID, map[string]any{"sync_profile": []string{"name", "shoe-size"}}), http.StatusBadRequest, "sync_profile[1]")
	wantError(t, admin.do("PATCH", "/api/books/"+b.ID, map[string]any{"sync_profile": []string{}}), http.StatusBadRequest, "sync_profile")
	wantError(t, admin.do("PATCH", "/api/books/"+b.ID, map[string]any{"sync_profile": "name"}), http.StatusBadRequest, "sync_profile")
	wantError(t, viewer.do("PATCH", "/api/books/"+b.ID, map[string]any{"sync_profile": []string{"name"}}), http.StatusForbidden, "")
	admin.do("GET", "/api/books/"+b.ID, nil).json(t, &got)
	if !slices.Equal(got.SyncProfile, profile) {
		t.Fatalf("refused patches changed sync_profile: %v", got.SyncProfile)
	}
	if n := feed(b.ID) - inBook; n != 0 {
		t.Fatalf("refused patches fed %d rows", n)
	}
}

// TestChangeFeed checks that the trigger on contacts feeds book_changes.
func TestChangeFeed(t *testing.T) {
	e := newEnv(t)
	c, b := seedBook(t, e)
	var other model.Book
	c.do("POST", "/api/books", map[string]string{"name": "Dodavatelé"}).json(t, &other)
	rows := func(contactID, bookID string) int {
		return countRows(t, e, `SELECT count(*) FROM book_changes WHERE contact_id = $1 AND book_id = $2`, contactID, bookID)
	}
	r := c.do("POST", "/api/contacts", map[string]any{"book_id": b.ID, "kind": "person", "family_name": "Nováková"})
	if r.status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	var ct model.Contact
	r.json(t, &ct)
	if n := rows(ct.ID, b.ID); n != 1 {
		t.Fatalf("created contact: %d change rows, want 1", n)
	}
	r = c.do("PATCH", "/api/contacts/"+ct.ID, map[string]any{"job_title": "Ředitelka"}, "If-Match", r.header.Get("ETag"))
	if r.status != http.StatusOK {
		t.Fatalf("patch: %d %s", r.status, r.body)
	}
	if n := rows(ct.ID, b.ID); n != 2 {
		t.Fatalf("edited contact: %d change rows, want 2", n)
	}
	// the feed is ordered: the edit comes after the creation
	var seqs []int64
	qr, err := e.pool.Query(context.Background(), `SELECT seq FROM book_changes WHERE contact_id = $1 ORDER BY at, seq`, ct.ID)
	if err != nil {
		t.Fatal(err)
	}
	for qr.Next() {
		var s int64
		if err := qr.Scan(&s); err != nil {
			t.Fatal(err)
		}
		seqs = append(seqs, s)
	}
	if qr.Err() != nil || !slices.IsSorted(seqs) {
		t.Fatalf("feed order: %v %v", seqs, qr.Err())
	}
	if r := c.do("DELETE", "/api/contacts/"+ct.ID, nil); r.status != http.StatusNoContent {
		t.Fatalf("delete: %d %s", r.status, r.body)
	}
	if n := rows(ct.ID, b.ID); n != 3 {
		t.Fatalf("deleted contact: %d change rows, want 3", n)
	}
	if n := countRows(t, e, `SELECT count(*) FROM book_changes WHERE book_id = $1`, other.ID); n != 0 {
		t.Fatalf("another book got %d change rows", n)
	}
}

// TestSyncLedger checks who may ask the ledger; it stays empty until CardDAV serves devices.
func TestSyncLedger(t *testing.T) {
	e := newEnv(t)
	admin, b := seedBook(t, e)
	mgrUser := e.user("manazer", false, "heslo-manazer-1")
	viewerUser := e.user("divak", false, "heslo-divak-1")
	grantRole(t, admin, b.ID, mgrUser.ID, model.RoleManager)
	grantRole(t, admin, b.ID, viewerUser.ID, model.RoleViewer)
	stranger := e.tokenFor(e.user("cizi", false, "heslo-cizi-1").ID)
	var ct model.Contact
	admin.do("POST", "/api/contacts", map[string]any{"book_id": b.ID, "kind": "person", "family_name": "Nováková"}).json(t, &ct)
	holders := "/api/contacts/" + ct.ID + "/holders"
	for _, c := range []*client{admin, e.tokenFor(mgrUser.ID)} {
		if r := c.do("GET", holders, nil); r.status != http.StatusOK || strings.TrimSpace(string(r.body)) != "[]" {
			t.Fatalf("holders: %d %s", r.status, r.body)
		}
	}
	wantError(t, e.tokenFor(viewerUser.ID).do("GET", holders, nil), http.StatusForbidden, "")
	wantError(t, stranger.do("GET", holders, nil), http.StatusNotFound, "")
	wantError(t, admin.do("GET", "/api/contacts/"+missingID+"/holders", nil), http.StatusNotFound, "")
	wantError(t, admin.do("GET", "/api/contacts/kontakt/holders", nil), http.StatusNotFound, "")
}

// TestSyncFieldsDocumented keeps openapi.json's SyncField enum equal to model.SyncFields.
func TestSyncFieldsDocumented(t *testing.T) {
	b, err := os.ReadFile("openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Components struct {
			Schemas struct {
				SyncField struct {
					Enum []string `json:"enum"`
				} `json:"SyncField"`
				SyncMode struct {
					Enum []model.SyncMode `json:"enum"`
				} `json:"SyncMode"`
			} `json:"schemas"`
		} `json:"components"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	if got := doc.Components.Schemas.SyncField.Enum; !slices.Equal(got, model.SyncFields) {
		t.Errorf("SyncField enum %v, want model.SyncFields %v", got, model.SyncFields)
	}
	if got := doc.Components.Schemas.SyncMode.Enum; !slices.Equal(got, []model.SyncMode{model.SyncRead, model.SyncReadWrite}) {
		t.Errorf("SyncMode enum %v", got)
	}
}
