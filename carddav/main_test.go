package carddav_test

import (
	"bytes"
	"context"
	"encoding/xml"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/emersion/go-webdav"
	gocarddav "github.com/emersion/go-webdav/carddav"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kontakt/kontakt/auth"
	"github.com/kontakt/kontakt/carddav"
	"github.com/kontakt/kontakt/devstack/testdb"
	"github.com/kontakt/kontakt/migrations"
	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
)

func TestMain(m *testing.M) { os.Exit(testdb.Main(m, migrations.UpURL)) }

// loginPassword is every fixture user's login password; CardDAV must refuse it.
const loginPassword = "login-password-123"

// env is one test's CardDAV server over its own database, with:
//
//	jana: editor of "Partneři" (read-write sync) and "Dodavatelé" (read-only sync),
//	      editor of "Interní" (no sync grant), a sync grant on "Tajné" (no book grant);
//	      one device, password janaPW.
//	petr: viewer of "Partneři" with a read-write sync grant (a viewer cannot write).
type env struct {
	t       testing.TB
	st      *store.Store
	pool    *pgxpool.Pool
	srv     *httptest.Server
	admin   store.Actor
	users   map[string]model.User
	books   map[string]model.Book // partners, suppliers, internal, secret
	devices map[string]string     // login → app password
	devIDs  map[string]string     // login → device id
	// jana is a Partneři person with every kind of contact point.
	jana model.Contact
}

func newEnv(t testing.TB) *env {
	t.Helper()
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, testdb.New(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	st := store.New(pool, "CZ")
	e := &env{t: t, st: st, pool: pool, users: map[string]model.User{}, books: map[string]model.Book{},
		devices: map[string]string{}, devIDs: map[string]string{}}
	e.srv = httptest.NewServer(carddav.NewHandler(carddav.Deps{Store: st, Logger: slog.New(slog.NewTextHandler(io.Discard, nil))}))
	t.Cleanup(e.srv.Close)

	hash, err := auth.HashPassword(loginPassword, auth.Params{Memory: 1024, Time: 1, Threads: 1})
	must(t, err)
	system := store.Actor{Channel: model.ChannelSystem}
	for _, u := range []model.User{{Login: "admin", Name: "Admin", IsAdmin: true}, {Login: "jana", Name: "Jana"}, {Login: "petr", Name: "Petr"}} {
		created, err := st.CreateUser(ctx, system, u, hash)
		must(t, err)
		e.users[u.Login] = created
	}
	e.admin = store.Actor{UserID: e.users["admin"].ID, Channel: model.ChannelAPI}
	for key, name := range map[string]string{"partners": "Partneři", "suppliers": "Dodavatelé", "internal": "Interní", "secret": "Tajné"} {
		b, err := st.CreateBook(ctx, e.admin, name, "")
		must(t, err)
		e.books[key] = b
	}
	e.grant("jana", "partners", model.RoleEditor)
	e.grant("jana", "suppliers", model.RoleEditor)
	e.grant("jana", "internal", model.RoleEditor)
	e.grant("petr", "partners", model.RoleViewer)
	e.syncGrant("jana", "partners", model.SyncReadWrite)
	e.syncGrant("jana", "suppliers", model.SyncRead)
	e.syncGrant("jana", "secret", model.SyncReadWrite)
	e.syncGrant("petr", "partners", model.SyncReadWrite)
	e.newDevice("jana")
	e.newDevice("petr")

	bday := "1985-04-12"
	e.jana = e.contact("partners", model.Contact{Kind: model.KindPerson, GivenName: "Jana", FamilyName: "Nováková",
		JobTitle: "Nákupčí", Birthday: &bday, Tags: []string{"vip"},
		Emails:    []model.Email{{Value: "jana@firma.cz", Label: "work", Preferred: true}, {Value: "jana@doma.cz", Label: "home"}},
		Phones:    []model.Phone{{Value: "+420 601 111 111", Label: "work"}, {Value: "+420 777 222 333", Label: "mobile"}},
		Addresses: []model.Address{{Label: "home", Street: "Domácí 1", Locality: "Brno", PostalCode: "60200", Country: "CZ"}},
		Websites:  []model.Website{{URL: "https://jana.example.cz"}}})
	return e
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func (e *env) grant(login, book string, role model.Role) {
	id := e.users[login].ID
	_, err := e.st.PutGrant(context.Background(), e.admin, model.Grant{BookID: e.books[book].ID, UserID: &id, Role: role})
	must(e.t, err)
}

func (e *env) syncGrant(login, book string, mode model.SyncMode) {
	_, err := e.st.PutSyncGrant(context.Background(), e.admin, model.SyncGrant{UserID: e.users[login].ID, BookID: e.books[book].ID, Mode: mode})
	must(e.t, err)
}

// newDevice gives login a device app password, made the way the API makes them.
func (e *env) newDevice(login string) string {
	pw := auth.RandomPassword(24)
	d, err := e.st.CreateDevice(context.Background(), store.Actor{UserID: e.users[login].ID, Channel: model.ChannelAPI}, "telefon "+login, pw[:5], auth.HashSecret(pw))
	must(e.t, err)
	e.devices[login], e.devIDs[login] = pw, d.ID
	return pw
}

func (e *env) contact(book string, c model.Contact) model.Contact {
	c.BookID = e.books[book].ID
	created, err := e.st.CreateContact(context.Background(), e.admin, c)
	must(e.t, err)
	return created
}

// client is go-webdav's own CardDAV client speaking as login with its device password,
// starting from the well-known URI as DAVx5 or iOS would.
func (e *env) client(login string) *gocarddav.Client {
	c, err := gocarddav.NewClient(webdav.HTTPClientWithBasicAuth(http.DefaultClient, login, e.devices[login]), e.srv.URL+"/.well-known/carddav")
	must(e.t, err)
	return c
}

func (e *env) collection(login, book string) string {
	return "/dav/addressbooks/" + login + "/" + e.books[book].ID + "/"
}

func (e *env) object(login, book, id string) string { return e.collection(login, book) + id + ".vcf" }

// reply is a raw answer.
type reply struct {
	status int
	header http.Header
	body   string
}

// noRedirects shows redirects as they are.
var noRedirects = &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}

// do sends a raw request as login with its device password (login "" sends none).
func (e *env) do(login, method, path string, header map[string]string, body string) reply {
	e.t.Helper()
	req, err := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
	must(e.t, err)
	if login != "" {
		req.SetBasicAuth(login, e.devices[login])
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := noRedirects.Do(req)
	must(e.t, err)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	must(e.t, err)
	return reply{status: res.StatusCode, header: res.Header, body: string(b)}
}

// The multistatus as the tests read it.
type msDoc struct {
	Responses []msResponse `xml:"DAV: response"`
	SyncToken string       `xml:"DAV: sync-token"`
}

type msResponse struct {
	Href   string `xml:"DAV: href"`
	Status string `xml:"DAV: status"`
	Error  *struct {
		Inner string `xml:",innerxml"`
	} `xml:"DAV: error"`
	Propstats []struct {
		Status string `xml:"DAV: status"`
		Prop   struct {
			Inner       string `xml:",innerxml"`
			ETag        string `xml:"DAV: getetag"`
			AddressData string `xml:"urn:ietf:params:xml:ns:carddav address-data"`
			CTag        string `xml:"http://calendarserver.org/ns/ getctag"`
			SyncToken   string `xml:"DAV: sync-token"`
			Privileges  *struct {
				Privileges []struct {
					Inner string `xml:",innerxml"`
				} `xml:"DAV: privilege"`
			} `xml:"DAV: current-user-privilege-set"`
		} `xml:"DAV: prop"`
	} `xml:"DAV: propstat"`
}

func parseMS(t testing.TB, r reply) msDoc {
	t.Helper()
	if r.status != http.StatusMultiStatus {
		t.Fatalf("status %d, want 207: %s", r.status, r.body)
	}
	var ms msDoc
	if err := xml.NewDecoder(bytes.NewReader([]byte(r.body))).Decode(&ms); err != nil {
		t.Fatalf("%v in %s", err, r.body)
	}
	return ms
}

// ok200 returns the 200 propstat of a response.
func (r msResponse) ok200() (etag, data string) {
	for _, ps := range r.Propstats {
		if strings.Contains(ps.Status, " 200 ") {
			return ps.Prop.ETag, ps.Prop.AddressData
		}
	}
	return "", ""
}
