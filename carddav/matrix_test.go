package carddav_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kontakt/kontakt/auth"
	"github.com/kontakt/kontakt/carddav"
	"github.com/kontakt/kontakt/devstack/testdb"
	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
	"github.com/kontakt/kontakt/store/storetest"
)

// newMatrixEnv serves CardDAV over a database seeded with the authorisation matrix, with
// one device app password for every matrix user.
func newMatrixEnv(t *testing.T) (*env, *storetest.Matrix) {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, testdb.New(t))
	must(t, err)
	t.Cleanup(pool.Close)
	st := store.New(pool, "CZ")
	m, err := storetest.SeedMatrix(ctx, st, "")
	must(t, err)
	srv := httptest.NewServer(carddav.NewHandler(carddav.Deps{Store: st, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}))
	t.Cleanup(srv.Close)
	e := &env{t: t, st: st, srv: srv, devices: map[string]string{}, devIDs: map[string]string{}, users: m.Users}
	for _, login := range m.Logins() {
		pw := auth.RandomPassword(24)
		d, err := st.CreateDevice(ctx, store.Actor{UserID: m.Users[login].ID}, "telefon", pw[:5], auth.HashSecret(pw))
		must(t, err)
		e.devices[login], e.devIDs[login] = pw, d.ID
	}
	return e, m
}

// TestCardDAVAuthorisationMatrix holds the CardDAV channel to the store's matrix
// (ARCHITECTURE.md, invariant 1): every user holds a read-write sync grant on every book,
// so what each may see and change over CardDAV is exactly what the policy and their roles
// allow: PROPFIND lists the visible books, GET and REPORT give the visible contacts and 404
// for the rest, PUT needs the editor role.
func TestCardDAVAuthorisationMatrix(t *testing.T) {
	ctx := context.Background()
	e, m := newMatrixEnv(t)
	st, admin := e.st, m.Actor("admin")
	for _, login := range m.Logins() {
		for _, b := range m.Books {
			_, err := st.PutSyncGrant(ctx, admin, model.SyncGrant{UserID: m.Users[login].ID, BookID: b.ID, Mode: model.SyncReadWrite})
			must(t, err)
		}
	}
	editors := map[string][]string{"admin": {"B1", "B2", "B3", "B4"}, "bohdan": {"B1"}, "cyril": {"B1", "B3"}}
	bookOf := func(key string) string { return "B" + key[1:2] }
	xmlH := map[string]string{"Content-Type": "application/xml"}

	for _, login := range m.Logins() {
		t.Run(login, func(t *testing.T) {
			e.t = t
			home := "/dav/addressbooks/" + login + "/"
			if m.Users[login].Disabled {
				if r := e.do(login, "PROPFIND", home, map[string]string{"Depth": "1"}, ""); r.status != http.StatusUnauthorized {
					t.Fatalf("disabled user's device: %d", r.status)
				}
				return
			}
			// PROPFIND: the visible books, no others
			var want, got []string
			for name, b := range m.Books {
				if m.SeesBook(login, name) {
					want = append(want, home+b.ID+"/")
				}
			}
			for _, r := range parseMS(t, e.do(login, "PROPFIND", home, map[string]string{"Depth": "1"}, "")).Responses {
				if r.Href != home {
					got = append(got, r.Href)
				}
			}
			slices.Sort(want)
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Fatalf("collections %v, want %v", got, want)
			}
			// GET every contact under its own book, and REPORT sync-collection per book
			visible := m.VisibleContacts(login)
			for key, c := range m.Contacts {
				path := home + c.BookID + "/" + c.ID + ".vcf"
				// A book's collection holds what the user sees through the book: a contact
				// shared through a project is not in it (projects have collections of their own).
				wantStatus := http.StatusNotFound
				if slices.Contains(visible, key) && m.SeesBook(login, bookOf(key)) {
					wantStatus = http.StatusOK
				}
				if r := e.do(login, "GET", path, nil, ""); r.status != wantStatus {
					t.Errorf("GET %s: %d, want %d", key, r.status, wantStatus)
				}
			}
			for name, b := range m.Books {
				r := e.do(login, "REPORT", home+b.ID+"/", xmlH, syncReport("", 0))
				if !m.SeesBook(login, name) {
					if r.status != http.StatusNotFound {
						t.Errorf("sync of invisible %s: %d", name, r.status)
					}
					continue
				}
				var gotKeys, wantKeys []string
				for _, resp := range parseMS(t, r).Responses {
					id := strings.TrimSuffix(resp.Href[strings.LastIndexByte(resp.Href, '/')+1:], ".vcf")
					gotKeys = append(gotKeys, m.ContactKey(id))
				}
				for _, k := range visible {
					if bookOf(k) == name {
						wantKeys = append(wantKeys, k)
					}
				}
				slices.Sort(gotKeys)
				if !slices.Equal(gotKeys, wantKeys) {
					t.Errorf("sync of %s: %v, want %v", name, gotKeys, wantKeys)
				}
			}
			// PUT: the editor role on top of the read-write grant
			for key, c := range m.Contacts {
				if !slices.Contains(visible, key) || !m.SeesBook(login, bookOf(key)) || c.Kind != model.KindPerson {
					continue
				}
				path := home + c.BookID + "/" + c.ID + ".vcf"
				cur := e.do(login, "GET", path, nil, "")
				r := e.do(login, "PUT", path, map[string]string{"Content-Type": "text/vcard", "If-Match": cur.header.Get("ETag")}, cur.body)
				wantStatus := http.StatusForbidden
				if slices.Contains(editors[login], bookOf(key)) {
					wantStatus = http.StatusNoContent
				}
				if r.status != wantStatus {
					t.Errorf("PUT %s: %d %s, want %d", key, r.status, r.body, wantStatus)
				}
			}
		})
	}
}
