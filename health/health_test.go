package health

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
)

func probe(t *testing.T, h http.Handler) (int, Report) {
	t.Helper()
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/readyz", nil))
	var rep Report
	if err := json.Unmarshal(w.Body.Bytes(), &rep); err != nil {
		t.Fatalf("%d %s", w.Code, w.Body)
	}
	return w.Code, rep
}

func TestReady(t *testing.T) {
	var dbDown, temporalDown atomic.Bool
	fail := func(b *atomic.Bool, msg string) func(context.Context) error {
		return func(context.Context) error {
			if b.Load() {
				return errors.New(msg)
			}
			return nil
		}
	}
	var logs bytes.Buffer
	c := New(slog.New(slog.NewTextHandler(&logs, nil)),
		Check{Name: "database", Run: fail(&dbDown, "dial tcp db.internal:5432: refused")},
		Check{Name: "temporal", Optional: true, Run: fail(&temporalDown, "temporal down")})
	h := c.ReadyHandler()

	if code, rep := probe(t, h); code != 200 || rep.Status != "ready" || rep.Checks["database"] != "ok" {
		t.Fatalf("all up: %d %+v", code, rep)
	}
	temporalDown.Store(true)
	if code, rep := probe(t, h); code != 200 || rep.Status != "degraded" || rep.Checks["temporal"] != "failed" {
		t.Fatalf("optional down: %d %+v", code, rep)
	}
	dbDown.Store(true)
	code, rep := probe(t, h)
	if code != 503 || rep.Status != "unready" || rep.Checks["database"] != "failed" {
		t.Fatalf("required down: %d %+v", code, rep)
	}
	probe(t, h) // still down: logged once
	if n := strings.Count(logs.String(), `"readiness check failed" check=database`); n != 1 {
		t.Errorf("the failure was logged %d times:\n%s", n, logs.String())
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, httptest.NewRequest("GET", "/readyz", nil))
	if strings.Contains(w.Body.String(), "db.internal") {
		t.Errorf("the answer names the error: %s", w.Body)
	}
	dbDown.Store(false)
	temporalDown.Store(false)
	if code, _ := probe(t, h); code != 200 || !strings.Contains(logs.String(), `"readiness check ok again" check=database`) {
		t.Fatalf("back: %d\n%s", code, logs.String())
	}
	c.Drain()
	if code, rep := probe(t, h); code != 503 || rep.Status != "draining" {
		t.Fatalf("draining: %d %+v", code, rep)
	}
	w = httptest.NewRecorder()
	LiveHandler().ServeHTTP(w, httptest.NewRequest("GET", "/healthz", nil))
	if w.Code != 200 {
		t.Fatalf("liveness while draining: %d", w.Code)
	}
}
