// Package metrics holds Kontakt's Prometheus metrics: one registry per process, built in main
// and passed down (never the global default registry), the counters the app's rooms feed, the
// Temporal SDK's metrics (TemporalHandler), a client interceptor that counts workflow starts
// and signals (Interceptor), and a mailer that counts what it sends (Mailer).
//
// Every series is labelled with routes, kinds and outcomes only: never a path with an id in
// it, an address or a name, so the metrics hold no personal data and their cardinality stays
// bounded.
package metrics

import (
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// IntakeRoute is the route pattern of the public consent intake (api's submitConsent); its
// POSTs are counted as intake submissions by their outcome.
const IntakeRoute = "/public/forms/{key}/consents"

// Metrics is the registry of one process with Kontakt's own collectors. A nil *Metrics is
// valid and records nothing, so tests and tools need not build one.
type Metrics struct {
	reg *prometheus.Registry

	httpRequests    *prometheus.CounterVec
	httpDuration    *prometheus.HistogramVec
	intake          *prometheus.CounterVec
	carddavSyncs    *prometheus.CounterVec
	workflowStarts  *prometheus.CounterVec
	workflowSignals *prometheus.CounterVec
	mailSent        prometheus.Counter
	mailFailed      *prometheus.CounterVec
	build           *prometheus.GaugeVec

	sdkOnce sync.Once
	sdk     *sdkCollector
}

// New returns the metrics of one process with the Go runtime and process collectors;
// version is exported as kontakt_build_info{version}.
func New(version string) *Metrics {
	reg := prometheus.NewRegistry()
	m := &Metrics{
		reg: reg,
		httpRequests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kontakt_http_requests_total",
			Help: "HTTP requests answered, by route pattern, method and status code.",
		}, []string{"route", "method", "code"}),
		httpDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "kontakt_http_request_duration_seconds",
			Help:    "Time to answer an HTTP request, by route pattern and method.",
			Buckets: []float64{.005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30},
		}, []string{"route", "method"}),
		intake: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kontakt_intake_submissions_total",
			Help: "Public consent form submissions, by the outcome their answer shows (accepted, invalid, bad_signature, origin_refused, unknown_form, rate_limited, error).",
		}, []string{"result"}),
		carddavSyncs: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kontakt_carddav_syncs_total",
			Help: "CardDAV sync-collection reports answered, by kind (initial, incremental, revoked).",
		}, []string{"kind"}),
		workflowStarts: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kontakt_workflow_starts_total",
			Help: "Workflow starts asked of Temporal by this process, by workflow type and result (started, already_started, failed).",
		}, []string{"workflow", "result"}),
		workflowSignals: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kontakt_workflow_signals_total",
			Help: "Signals sent to workflows by this process, by signal and result (sent, failed).",
		}, []string{"signal", "result"}),
		mailSent: prometheus.NewCounter(prometheus.CounterOpts{
			Name: "kontakt_mail_sent_total",
			Help: "Mails the SMTP relay accepted.",
		}),
		mailFailed: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "kontakt_mail_failed_total",
			Help: "Mails not sent, by whether the failure is permanent (true: refused for good, not retried).",
		}, []string{"permanent"}),
		build: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "kontakt_build_info",
			Help: "Always 1; the version label names the running build.",
		}, []string{"version"}),
	}
	reg.MustRegister(
		collectors.NewGoCollector(),
		collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		m.httpRequests, m.httpDuration, m.intake, m.carddavSyncs,
		m.workflowStarts, m.workflowSignals, m.mailSent, m.mailFailed, m.build,
	)
	m.build.WithLabelValues(version).Set(1)
	// The series every dashboard expects exist from the start, at zero.
	for _, r := range []string{"accepted", "invalid", "rate_limited"} {
		m.intake.WithLabelValues(r)
	}
	m.mailFailed.WithLabelValues("true")
	m.mailFailed.WithLabelValues("false")
	return m
}

// Registry is the process's registry, for collectors of other rooms.
func (m *Metrics) Registry() *prometheus.Registry { return m.reg }

// Handler serves the registry in the Prometheus text format (or OpenMetrics, when asked).
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{EnableOpenMetrics: true})
}

// knownMethods bounds the method label: anything else is "OTHER".
var knownMethods = map[string]bool{
	"GET": true, "HEAD": true, "POST": true, "PUT": true, "PATCH": true, "DELETE": true, "OPTIONS": true,
	"PROPFIND": true, "PROPPATCH": true, "REPORT": true, "MKCOL": true, "MOVE": true, "COPY": true,
}

// ObserveHTTP records one answered request: route is its pattern ("/api/contacts/{id}",
// never the path), code its status. httpmw calls it for every request.
func (m *Metrics) ObserveHTTP(method, route string, code int, d time.Duration) {
	if m == nil {
		return
	}
	if !knownMethods[method] {
		method = "OTHER"
	}
	m.httpRequests.WithLabelValues(route, method, codeLabel(code)).Inc()
	m.httpDuration.WithLabelValues(route, method).Observe(d.Seconds())
	if method == http.MethodPost && route == IntakeRoute {
		m.intake.WithLabelValues(intakeResult(code)).Inc()
	}
}

// intakeResult names what a submission's answer told the website (api/public_handlers.go).
// An accepted submission answers the same whether the address was known or new (invariant 2),
// so the metric cannot tell them apart either.
func intakeResult(code int) string {
	switch {
	case code == http.StatusAccepted || code == http.StatusSeeOther:
		return "accepted"
	case code == http.StatusTooManyRequests:
		return "rate_limited"
	case code == http.StatusUnauthorized:
		return "bad_signature"
	case code == http.StatusForbidden:
		return "origin_refused"
	case code == http.StatusNotFound:
		return "unknown_form"
	case code >= 400 && code < 500:
		return "invalid"
	}
	return "error"
}

func codeLabel(code int) string {
	if code < 100 || code > 599 {
		return "other"
	}
	return strconv.Itoa(code)
}

// CardDAVSync counts one sync-collection report answered; kind is "initial" (no token or a
// continued listing), "incremental" (changes since a token) or "revoked" (removals of a book
// no longer synced). carddav calls it through its SyncCounter interface.
func (m *Metrics) CardDAVSync(kind string) {
	if m == nil {
		return
	}
	m.carddavSyncs.WithLabelValues(kind).Inc()
}
