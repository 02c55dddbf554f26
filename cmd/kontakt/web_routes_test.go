package main

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kontakt/kontakt/config"
	"github.com/kontakt/kontakt/devstack/testdb"
	"github.com/kontakt/kontakt/migrations"
	"github.com/kontakt/kontakt/store"
)

// TestWebAndAPIShareTheListener checks mountApp's split: the web app's own paths go to the
// pages, everything else stays with the API, whose unknown paths still answer JSON 404.
func TestWebAndAPIShareTheListener(t *testing.T) {
	url := testdb.New(t)
	pool, err := pgxpool.New(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if _, err := migrations.Up(context.Background(), pool); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(func(string) string { return "" })
	if err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	mountApp(mux, cfg, slog.New(slog.NewTextHandler(io.Discard, nil)), store.New(pool, "CZ"), nil)
	srv := httptest.NewServer(mux)
	defer srv.Close()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	for _, tc := range []struct {
		path, wantType string
		wantStatus     int
	}{
		{"/", "text/html", http.StatusSeeOther},
		{"/login", "text/html", http.StatusOK},
		{"/manifest.webmanifest", "application/manifest+json", http.StatusOK},
		{"/static/app.css", "text/css", http.StatusOK},
		{"/tasks", "text/html", http.StatusSeeOther},
		{"/projects", "text/html", http.StatusSeeOther},
		{"/projects/00000000-0000-0000-0000-000000000000", "text/html", http.StatusSeeOther},
		{"/campaigns", "text/html", http.StatusSeeOther},
		{"/campaigns/00000000-0000-0000-0000-000000000000", "text/html", http.StatusSeeOther},
		{"/admin", "text/html", http.StatusSeeOther},
		{"/admin/erasures", "text/html", http.StatusSeeOther},
		{"/admin/audit", "text/html", http.StatusSeeOther},
		{"/admin/books", "text/html", http.StatusSeeOther},
		{"/healthz", "application/json", http.StatusOK},
		{"/api/me", "application/json", http.StatusUnauthorized},
		{"/api/openapi.json", "application/json", http.StatusOK},
		{"/no/such/page", "application/json", http.StatusNotFound},
	} {
		res, err := c.Get(srv.URL + tc.path)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != tc.wantStatus || (tc.wantStatus != http.StatusSeeOther && !strings.HasPrefix(res.Header.Get("Content-Type"), tc.wantType)) {
			t.Errorf("GET %s: %d %s, want %d %s", tc.path, res.StatusCode, res.Header.Get("Content-Type"), tc.wantStatus, tc.wantType)
		}
	}
}
