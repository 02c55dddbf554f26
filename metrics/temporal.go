package metrics

import (
	"context"
	"errors"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.temporal.io/api/serviceerror"
	"go.temporal.io/sdk/client"
	"go.temporal.io/sdk/interceptor"
)

// TemporalHandler returns the handler for client.Options.MetricsHandler: it records every
// metric the Temporal SDK emits (requests, polls, workflow and activity task latencies, sticky
// cache, ...) in the registry under the SDK's own names, as the SDK's tally+Prometheus setup
// does: counters and gauges under their names (temporal_request, temporal_worker_task_slots_available),
// timers as histograms in seconds (temporal_activity_execution_latency_bucket). Its labels are the
// SDK's tags: namespace, task_queue, workflow_type, activity_type, operation, ... All the
// clients of a process share one handler.
func (m *Metrics) TemporalHandler() client.MetricsHandler {
	if m == nil {
		return client.MetricsNopHandler
	}
	m.sdkOnce.Do(func() {
		m.sdk = &sdkCollector{series: map[string]prometheus.Collector{}}
		m.reg.MustRegister(m.sdk)
	})
	return sdkHandler{c: m.sdk}
}

// sdkHelp is the help text of every SDK metric; a family needs one help text, and the SDK
// names its metrics without describing them.
const sdkHelp = "Temporal Go SDK metric (see the SDK's metrics reference)."

// sdkBuckets are the histogram buckets of the SDK's timers, in seconds.
var sdkBuckets = []float64{.001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60}

// sdkCollector holds the SDK's series, created as the SDK first names them. It is an
// unchecked collector (it describes nothing in advance) because the SDK's metrics and their
// tags are known only once it emits them; one name may carry different tag sets.
type sdkCollector struct {
	mu     sync.Mutex
	series map[string]prometheus.Collector // by name and sorted tags
}

// Describe describes nothing: the collector is unchecked.
func (c *sdkCollector) Describe(chan<- *prometheus.Desc) {}

// Collect sends every series.
func (c *sdkCollector) Collect(ch chan<- prometheus.Metric) {
	c.mu.Lock()
	all := slices.Collect(maps.Values(c.series))
	c.mu.Unlock()
	for _, s := range all {
		s.Collect(ch)
	}
}

// get returns the series of name with tags, creating it with make.
func (c *sdkCollector) get(kind byte, name string, tags map[string]string, make func(name string, labels prometheus.Labels) prometheus.Collector) prometheus.Collector {
	name = sanitize(name)
	var key strings.Builder
	key.WriteByte(kind)
	key.WriteString(name)
	for _, k := range slices.Sorted(maps.Keys(tags)) {
		key.WriteString("\xff" + k + "\xfe" + tags[k])
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if s, ok := c.series[key.String()]; ok {
		return s
	}
	labels := prometheus.Labels{}
	for k, v := range tags {
		labels[sanitize(k)] = strings.ToValidUTF8(v, "?")
	}
	s := make(name, labels)
	c.series[key.String()] = s
	return s
}

// sanitize makes a metric or label name of the SDK a valid Prometheus name.
func sanitize(s string) string {
	b := []byte(s)
	for i, ch := range b {
		ok := ch == '_' || ch >= 'a' && ch <= 'z' || ch >= 'A' && ch <= 'Z' || (i > 0 && ch >= '0' && ch <= '9')
		if !ok {
			b[i] = '_'
		}
	}
	if len(b) == 0 {
		return "_"
	}
	return string(b)
}

// sdkHandler is client.MetricsHandler over the collector with a set of tags.
type sdkHandler struct {
	c    *sdkCollector
	tags map[string]string
}

// WithTags returns a handler whose metrics carry tags over (and replacing) the current ones.
func (h sdkHandler) WithTags(tags map[string]string) client.MetricsHandler {
	merged := maps.Clone(h.tags)
	if merged == nil {
		merged = map[string]string{}
	}
	maps.Copy(merged, tags)
	return sdkHandler{c: h.c, tags: merged}
}

// Counter returns the counter name with the handler's tags.
func (h sdkHandler) Counter(name string) client.MetricsCounter {
	s := h.c.get('c', name, h.tags, func(name string, l prometheus.Labels) prometheus.Collector {
		return prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: sdkHelp, ConstLabels: l})
	}).(prometheus.Counter)
	return counterFunc(func(d int64) {
		if d > 0 {
			s.Add(float64(d))
		}
	})
}

// Gauge returns the gauge name with the handler's tags.
func (h sdkHandler) Gauge(name string) client.MetricsGauge {
	s := h.c.get('g', name, h.tags, func(name string, l prometheus.Labels) prometheus.Collector {
		return prometheus.NewGauge(prometheus.GaugeOpts{Name: name, Help: sdkHelp, ConstLabels: l})
	}).(prometheus.Gauge)
	return gaugeFunc(s.Set)
}

// Timer returns the timer name with the handler's tags, a histogram in seconds.
func (h sdkHandler) Timer(name string) client.MetricsTimer {
	s := h.c.get('t', name, h.tags, func(name string, l prometheus.Labels) prometheus.Collector {
		return prometheus.NewHistogram(prometheus.HistogramOpts{Name: name, Help: sdkHelp, ConstLabels: l, Buckets: sdkBuckets})
	}).(prometheus.Histogram)
	return timerFunc(func(d time.Duration) { s.Observe(d.Seconds()) })
}

type (
	counterFunc func(int64)
	gaugeFunc   func(float64)
	timerFunc   func(time.Duration)
)

func (f counterFunc) Inc(d int64)          { f(d) }
func (f gaugeFunc) Update(v float64)       { f(v) }
func (f timerFunc) Record(d time.Duration) { f(d) }

// Interceptor returns a client interceptor (client.Options.Interceptors) that counts the
// client's workflow starts by workflow type and result: started (a new run), already_started
// (the ID is taken: the idempotent starts of the outbox and the API find their workflow
// already there) or failed; and its signals by name and result.
func (m *Metrics) Interceptor() interceptor.ClientInterceptor {
	return &clientInterceptor{m: m}
}

type clientInterceptor struct {
	interceptor.ClientInterceptorBase
	m *Metrics
}

// InterceptClient wraps the client's outbound calls.
func (ci *clientInterceptor) InterceptClient(next interceptor.ClientOutboundInterceptor) interceptor.ClientOutboundInterceptor {
	return &outbound{ClientOutboundInterceptorBase: interceptor.ClientOutboundInterceptorBase{Next: next}, m: ci.m}
}

type outbound struct {
	interceptor.ClientOutboundInterceptorBase
	m *Metrics
}

// ExecuteWorkflow counts a start by its result.
func (o *outbound) ExecuteWorkflow(ctx context.Context, in *interceptor.ClientExecuteWorkflowInput) (client.WorkflowRun, error) {
	run, err := o.Next.ExecuteWorkflow(ctx, in)
	if o.m != nil {
		var already *serviceerror.WorkflowExecutionAlreadyStarted
		result := "started"
		switch {
		case errors.As(err, &already):
			result = "already_started"
		case err != nil:
			result = "failed"
		}
		o.m.workflowStarts.WithLabelValues(in.WorkflowType, result).Inc()
	}
	return run, err
}

// SignalWorkflow counts a signal by its result.
func (o *outbound) SignalWorkflow(ctx context.Context, in *interceptor.ClientSignalWorkflowInput) error {
	err := o.Next.SignalWorkflow(ctx, in)
	if o.m != nil {
		result := "sent"
		if err != nil {
			result = "failed"
		}
		o.m.workflowSignals.WithLabelValues(in.SignalName, result).Inc()
	}
	return err
}
