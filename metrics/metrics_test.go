package metrics

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/kontakt/kontakt/mail"
)

// scrape returns what /metrics serves.
func scrape(t *testing.T, m *Metrics) string {
	t.Helper()
	w := httptest.NewRecorder()
	m.Handler().ServeHTTP(w, httptest.NewRequest("GET", "/metrics", nil))
	if w.Code != 200 {
		t.Fatalf("/metrics: %d %s", w.Code, w.Body)
	}
	b, _ := io.ReadAll(w.Body)
	return string(b)
}

func wantLines(t *testing.T, out string, lines ...string) {
	t.Helper()
	for _, l := range lines {
		if !strings.Contains(out, "\n"+l+"\n") {
			t.Errorf("/metrics lacks %q", l)
		}
	}
}

type sendFunc func(context.Context, mail.Message) error

func (f sendFunc) Send(ctx context.Context, m mail.Message) error { return f(ctx, m) }

func TestMetrics(t *testing.T) {
	m := New("1.2.3")
	m.ObserveHTTP("GET", "/api/contacts/{id}", 200, 30*time.Millisecond)
	m.ObserveHTTP("BREW", "/api/contacts/{id}", 200, time.Millisecond)
	for _, code := range []int{202, 303, 429, 400, 401, 403, 404, 500} {
		m.ObserveHTTP("POST", IntakeRoute, code, time.Millisecond)
	}
	m.CardDAVSync("initial")
	m.CardDAVSync("incremental")
	m.CardDAVSync("incremental")
	mailer := Mailer{Metrics: m, Next: sendFunc(func(_ context.Context, msg mail.Message) error {
		switch msg.To {
		case "gone@x.example":
			return mail.Permanent(errors.New("no such mailbox"))
		case "later@x.example":
			return errors.New("timeout")
		}
		return nil
	})}
	for _, to := range []string{"a@x.example", "b@x.example", "gone@x.example", "later@x.example"} {
		_ = mailer.Send(context.Background(), mail.Message{To: to})
	}
	out := scrape(t, m)
	wantLines(t, out,
		`kontakt_build_info{version="1.2.3"} 1`,
		`kontakt_http_requests_total{code="200",method="GET",route="/api/contacts/{id}"} 1`,
		`kontakt_http_requests_total{code="200",method="OTHER",route="/api/contacts/{id}"} 1`,
		`kontakt_http_request_duration_seconds_count{method="GET",route="/api/contacts/{id}"} 1`,
		`kontakt_intake_submissions_total{result="accepted"} 2`,
		`kontakt_intake_submissions_total{result="rate_limited"} 1`,
		`kontakt_intake_submissions_total{result="invalid"} 1`,
		`kontakt_intake_submissions_total{result="bad_signature"} 1`,
		`kontakt_intake_submissions_total{result="origin_refused"} 1`,
		`kontakt_intake_submissions_total{result="unknown_form"} 1`,
		`kontakt_intake_submissions_total{result="error"} 1`,
		`kontakt_carddav_syncs_total{kind="initial"} 1`,
		`kontakt_carddav_syncs_total{kind="incremental"} 2`,
		`kontakt_mail_sent_total 2`,
		`kontakt_mail_failed_total{permanent="true"} 1`,
		`kontakt_mail_failed_total{permanent="false"} 1`,
	)
	if !strings.Contains(out, "go_goroutines") || !strings.Contains(out, "process_") {
		t.Error("no Go runtime or process metrics")
	}
	if strings.Contains(out, "x.example") {
		t.Error("an address reached the metrics")
	}
	var nilM *Metrics
	nilM.ObserveHTTP("GET", "/", 200, 0) // a nil *Metrics records nothing, and does not panic
	nilM.CardDAVSync("initial")
}

// TestTemporalHandler: the SDK's counters, gauges and timers land in the registry under the
// SDK's names and tags, including one name under two tag sets, and the scrape stays valid.
func TestTemporalHandler(t *testing.T) {
	m := New("test")
	h := m.TemporalHandler()
	h2 := m.TemporalHandler() // a second client of the process shares the collector
	ns := h.WithTags(map[string]string{"namespace": "default"})
	ns.Counter("temporal_request").Inc(2)
	ns.WithTags(map[string]string{"operation": "StartWorkflowExecution"}).Counter("temporal_request").Inc(1)
	h2.WithTags(map[string]string{"namespace": "default"}).Counter("temporal_request").Inc(1)
	ns.Gauge("temporal_num_pollers").Update(3)
	ns.WithTags(map[string]string{"task-queue": "kontakt"}).Timer("temporal_request_latency").Record(1500 * time.Millisecond)
	out := scrape(t, m)
	wantLines(t, out,
		`temporal_request{namespace="default"} 3`,
		`temporal_request{namespace="default",operation="StartWorkflowExecution"} 1`,
		`temporal_num_pollers{namespace="default"} 3`,
		`temporal_request_latency_bucket{namespace="default",task_queue="kontakt",le="2.5"} 1`,
		`temporal_request_latency_sum{namespace="default",task_queue="kontakt"} 1.5`,
	)
	var nilM *Metrics
	nilM.TemporalHandler().Counter("x").Inc(1)
}

func TestHandlerServesOpenMetrics(t *testing.T) {
	m := New("test")
	r := httptest.NewRequest("GET", "/metrics", nil)
	r.Header.Set("Accept", "application/openmetrics-text; version=1.0.0")
	w := httptest.NewRecorder()
	m.Handler().ServeHTTP(w, r)
	if w.Code != http.StatusOK || !strings.HasPrefix(w.Header().Get("Content-Type"), "application/openmetrics-text") {
		t.Fatalf("%d %s", w.Code, w.Header().Get("Content-Type"))
	}
}
