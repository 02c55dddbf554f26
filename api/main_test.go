package api_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kontakt/kontakt/api"
	"github.com/kontakt/kontakt/auth"
	"github.com/kontakt/kontakt/devstack/testdb"
	"github.com/kontakt/kontakt/migrations"
	"github.com/kontakt/kontakt/store"
)

func TestMain(m *testing.M) { os.Exit(testdb.Main(m, migrations.UpURL)) }

// testParams keep argon2 cheap in tests.
var testParams = auth.Params{Memory: 1024, Time: 1, Threads: 1}

// env is one test's running API over its own database.
type env struct {
	t    testing.TB
	srv  *httptest.Server
	st   *store.Store
	pool *pgxpool.Pool
}

func newEnv(t testing.TB) *env {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), testdb.New(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	st := store.New(pool, "CZ")
	h := api.NewHandler(api.Deps{Store: st, Logger: slog.New(slog.NewTextHandler(io.Discard, nil)), Options: api.Options{
		SessionTTL: time.Hour, MaxBodyBytes: 64 << 10, LoginMaxFailures: 3, LoginWindow: time.Minute, PasswordParams: testParams,
	}})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &env{t: t, srv: srv, st: st, pool: pool}
}

// client is an HTTP client speaking as one user, by token or cookie.
type client struct {
	e     *env
	token string
	http  *http.Client
}

func (e *env) anon() *client {
	jar, _ := cookiejar.New(nil)
	return &client{e: e, http: &http.Client{Jar: jar}}
}

// tokenFor creates a personal API token for the user with id and returns a client using it.
func (e *env) tokenFor(userID string) *client {
	secret := auth.NewSecret("kt_")
	if _, err := e.st.CreateToken(context.Background(), store.Actor{UserID: userID, Channel: "api"}, "test", secret[:7], auth.HashSecret(secret), nil); err != nil {
		e.t.Fatal(err)
	}
	c := e.anon()
	c.token = secret
	return c
}

type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal(r.body, v); err != nil {
		t.Fatalf("decode %s: %v", r.body, err)
	}
}

func (c *client) do(method, path string, body any, headers ...string) response {
	c.e.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			c.e.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, c.e.srv.URL+path, rd)
	if err != nil {
		c.e.t.Fatal(err)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if c.token != "" {
		req.Header.Set("Authorization", "Bearer "+c.token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := c.http.Do(req)
	if err != nil {
		c.e.t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return response{status: res.StatusCode, header: res.Header, body: b}
}
