package httpmw

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
)

func cidrs(t *testing.T, ss ...string) []*net.IPNet {
	var out []*net.IPNet
	for _, s := range ss {
		_, n, err := net.ParseCIDR(s)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, n)
	}
	return out
}

func TestClientAddr(t *testing.T) {
	trusted := cidrs(t, "10.0.0.0/8", "127.0.0.1/32")
	for _, tc := range []struct {
		peer      string
		forwarded []string
		want      string
	}{
		{"203.0.113.5:4000", []string{"198.51.100.1"}, "203.0.113.5:4000"}, // untrusted peer: header ignored
		{"127.0.0.1:4000", nil, "127.0.0.1:4000"},                          // no header
		{"127.0.0.1:4000", []string{"198.51.100.1"}, "198.51.100.1:4000"},
		{"10.1.2.3:4000", []string{"6.6.6.6, 198.51.100.1, 10.9.9.9"}, "198.51.100.1:4000"}, // rightmost untrusted wins, the forged left part is ignored
		{"10.1.2.3:4000", []string{"6.6.6.6", "198.51.100.1"}, "198.51.100.1:4000"},         // several header lines
		{"10.1.2.3:4000", []string{"2001:db8::7"}, "[2001:db8::7]:4000"},
		{"10.1.2.3:4000", []string{"198.51.100.1, garbage"}, "10.1.2.3:4000"}, // malformed: keep the peer
		{"10.1.2.3:4000", []string{"10.0.0.1"}, "10.1.2.3:4000"},              // only proxies
	} {
		if got := clientAddr(tc.peer, tc.forwarded, trusted); got != tc.want {
			t.Errorf("clientAddr(%s, %q) = %s, want %s", tc.peer, tc.forwarded, got, tc.want)
		}
	}
}

type observed struct {
	method, route string
	code          int
}

// TestHandler: routes are patterns from chi or ServeMux, request ids are kept or made, the
// access log carries the id and neither path nor query.
func TestHandler(t *testing.T) {
	api := chi.NewRouter()
	api.Use(middleware.RequestID) // as the API does: it must keep Handler's id
	var innerID string
	api.Get("/api/contacts/{id}", func(w http.ResponseWriter, r *http.Request) {
		innerID = middleware.GetReqID(r.Context())
		w.WriteHeader(http.StatusTeapot)
	})
	mux := http.NewServeMux()
	mux.Handle("/dav/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(207) }))
	mux.Handle("/healthz", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	mux.Handle("/", api)

	var logs bytes.Buffer
	log := slog.New(LogHandler(slog.NewJSONHandler(&logs, nil)))
	var got []observed
	h := Handler(mux, Options{Logger: log, TrustedProxies: cidrs(t, "192.0.2.0/24"),
		Observe: func(method, route string, code int, d time.Duration) {
			got = append(got, observed{method, route, code})
		}})

	do := func(method, target, id string) *httptest.ResponseRecorder {
		r := httptest.NewRequest(method, target, nil)
		if id != "" {
			r.Header.Set("X-Request-Id", id)
		}
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		return w
	}
	w := do("GET", "/api/contacts/42?q=Dvo%C5%99%C3%A1k", "")
	if id := w.Header().Get("X-Request-Id"); id == "" || id != innerID {
		t.Errorf("answer's request id %q, the API saw %q", id, innerID)
	}
	if w := do("GET", "/api/contacts/43", "caddy-1234"); w.Header().Get("X-Request-Id") != "caddy-1234" || innerID != "caddy-1234" {
		t.Errorf("a plain client id was not kept: %q %q", w.Header().Get("X-Request-Id"), innerID)
	}
	if w := do("GET", "/api/contacts/44", "bad id\nwith newline"); strings.Contains(w.Header().Get("X-Request-Id"), "bad") {
		t.Errorf("a malformed client id was kept")
	}
	do("PROPFIND", "/dav/addressbooks/jana/", "")
	do("GET", "/nothing/here", "")
	do("BREW", "/healthz", "")
	want := []observed{
		{"GET", "/api/contacts/{id}", 418}, {"GET", "/api/contacts/{id}", 418}, {"GET", "/api/contacts/{id}", 418},
		{"PROPFIND", "/dav/", 207}, {"GET", Unmatched, 404}, {"BREW", "/healthz", 200},
	}
	if len(got) != len(want) {
		t.Fatalf("observed %v", got)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Errorf("request %d observed as %+v, want %+v", i, got[i], want[i])
		}
	}
	for _, line := range strings.Split(strings.TrimSpace(logs.String()), "\n") {
		var rec map[string]any
		if err := json.Unmarshal([]byte(line), &rec); err != nil {
			t.Fatalf("not JSON: %s", line)
		}
		if rec["request_id"] == nil || rec["route"] == nil {
			t.Errorf("access log without request_id or route: %s", line)
		}
		if strings.Contains(line, "Dvo") || strings.Contains(line, "jana") || strings.Contains(line, "/api/contacts/42") {
			t.Errorf("info log holds a path or query: %s", line)
		}
	}
}

func TestLogHandlerAddsRequestID(t *testing.T) {
	var buf bytes.Buffer
	log := slog.New(LogHandler(slog.NewTextHandler(&buf, nil))).With("component", "x").WithGroup("g")
	ctx := context.WithValue(context.Background(), middleware.RequestIDKey, "abc123")
	log.InfoContext(ctx, "hello", "k", 1)
	log.Info("no context")
	out := buf.String()
	if !strings.Contains(out, "request_id=abc123") || strings.Count(out, "request_id") != 1 {
		t.Fatalf("got %s", out)
	}
}
