package session_test

import (
	"context"
	"errors"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kontakt/kontakt/auth"
	"github.com/kontakt/kontakt/devstack/testdb"
	"github.com/kontakt/kontakt/migrations"
	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/session"
	"github.com/kontakt/kontakt/store"
)

func TestMain(m *testing.M) { os.Exit(testdb.Main(m, migrations.UpURL)) }

// TestLoginSessionLogout walks one session through its life, and the rate limit that the
// API and the web pages share.
func TestLoginSessionLogout(t *testing.T) {
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, testdb.New(t))
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	st := store.New(pool, "CZ")
	params := auth.Params{Memory: 1024, Time: 1, Threads: 1}
	hash, err := auth.HashPassword("long enough pw", params)
	if err != nil {
		t.Fatal(err)
	}
	u, err := st.CreateUser(ctx, store.Actor{Channel: model.ChannelSystem}, model.User{Login: "jana", Name: "Jana"}, hash)
	if err != nil {
		t.Fatal(err)
	}
	m := session.New(st, session.Options{TTL: time.Hour, MaxFailures: 2, Window: time.Minute, Params: params})

	got, secret, err := m.Login(ctx, "JANA", "long enough pw", "192.0.2.1")
	if err != nil || got.ID != u.ID || secret == "" {
		t.Fatalf("login: %v %v", got, err)
	}
	if su, err := m.User(ctx, secret); err != nil || su.ID != u.ID {
		t.Fatalf("session user: %v %v", su, err)
	}
	if c := m.Cookie(secret); c.Name != session.CookieName || !c.HttpOnly || c.Value != secret {
		t.Errorf("cookie %+v", c)
	}
	if err := m.Logout(ctx, secret); err != nil {
		t.Fatal(err)
	}
	if _, err := m.User(ctx, secret); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("after logout: %v", err)
	}
	if _, err := m.User(ctx, ""); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("no cookie: %v", err)
	}

	for _, login := range []string{"jana", "nobody"} {
		if _, _, err := m.Login(ctx, login, "wrong password", "192.0.2.2"); !errors.Is(err, session.ErrBadLogin) {
			t.Fatalf("wrong password for %s: %v", login, err)
		}
	}
	if _, _, err := m.Login(ctx, "jana", "long enough pw", "192.0.2.2"); !errors.Is(err, session.ErrRateLimited) {
		t.Errorf("limited address: %v", err)
	}
	if _, _, err := m.Login(ctx, "jana", "long enough pw", "192.0.2.3"); err != nil {
		t.Errorf("another address, one failure for the login: %v", err)
	}
}
