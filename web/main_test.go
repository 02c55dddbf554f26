package web_test

import (
	"bytes"
	"context"
	"io"
	"log/slog"
	"mime/multipart"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kontakt/kontakt/auth"
	"github.com/kontakt/kontakt/devstack/testdb"
	"github.com/kontakt/kontakt/migrations"
	"github.com/kontakt/kontakt/session"
	"github.com/kontakt/kontakt/store"
	"github.com/kontakt/kontakt/web"
)

func TestMain(m *testing.M) { os.Exit(testdb.Main(m, migrations.UpURL)) }

// testParams keep argon2 cheap in tests.
var testParams = auth.Params{Memory: 1024, Time: 1, Threads: 1}

// env is one test's web app over its own database.
type env struct {
	t   testing.TB
	srv *httptest.Server
	st  *store.Store
}

func newEnv(t testing.TB) *env {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), testdb.New(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	st := store.New(pool, "CZ")
	sm := session.New(st, session.Options{TTL: time.Hour, MaxFailures: 3, Window: time.Minute, Params: testParams})
	mux := http.NewServeMux()
	web.Mount(mux, web.NewHandler(web.Deps{Store: st, Sessions: sm, Logger: slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))}))
	mux.Handle("/", http.NotFoundHandler()) // the API's place in main
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return &env{t: t, srv: srv, st: st}
}

// browser is a cookie-keeping client that does not follow redirects.
type browser struct {
	e    *env
	http *http.Client
}

func (e *env) browser() *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{e: e, http: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error {
		return http.ErrUseLastResponse
	}}}
}

// sessionFor starts a session for the user with id through the store, as a login would.
func (e *env) sessionFor(userID string) *browser {
	secret := auth.NewSecret("")
	if err := e.st.CreateSession(context.Background(), userID, auth.HashSecret(secret), time.Hour); err != nil {
		e.t.Fatal(err)
	}
	b := e.browser()
	u, _ := url.Parse(e.srv.URL)
	b.http.Jar.SetCookies(u, []*http.Cookie{{Name: session.CookieName, Value: secret, Path: "/"}})
	return b
}

type page struct {
	status int
	header http.Header
	body   string
}

func (b *browser) do(method, path string, form url.Values, headers ...string) page {
	b.e.t.Helper()
	var rd io.Reader
	if form != nil {
		rd = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.e.srv.URL+path, rd)
	if err != nil {
		b.e.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := b.http.Do(req)
	if err != nil {
		b.e.t.Fatal(err)
	}
	defer res.Body.Close()
	body, _ := io.ReadAll(res.Body)
	return page{status: res.StatusCode, header: res.Header, body: string(body)}
}

// multipart posts a multipart form with fields and, when name is set, data as the file
// field.
func (b *browser) multipart(path string, fields url.Values, field, name string, data []byte) page {
	b.e.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, vs := range fields {
		for _, v := range vs {
			mw.WriteField(k, v) //nolint:errcheck
		}
	}
	if name != "" {
		fw, _ := mw.CreateFormFile(field, name)
		fw.Write(data) //nolint:errcheck
	}
	mw.Close()
	req, _ := http.NewRequest("POST", b.e.srv.URL+path, &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	res, err := b.http.Do(req)
	if err != nil {
		b.e.t.Fatal(err)
	}
	defer res.Body.Close()
	out, _ := io.ReadAll(res.Body)
	return page{status: res.StatusCode, header: res.Header, body: string(out)}
}

func (b *browser) get(path string, headers ...string) page { return b.do("GET", path, nil, headers...) }

var (
	resultRe = regexp.MustCompile(`<li><a href="/contacts/([0-9a-f-]{36})"`)
	noteRe   = regexp.MustCompile(`data-note="([0-9a-f-]{36})"`)
	csrfRe   = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
	moreRe   = regexp.MustCompile(`class="more" href="([^"]+)"`)
)

// matches returns the first submatch of every match of re in s.
func matches(re *regexp.Regexp, s string) []string {
	var out []string
	for _, m := range re.FindAllStringSubmatch(s, -1) {
		out = append(out, m[1])
	}
	return out
}
