// Package health answers the probes of an orchestrator or load balancer. /healthz is
// liveness: the process serves HTTP, nothing more, so a database outage never gets a replica
// restarted. /readyz is readiness: it runs the checks main gives it (database reachable,
// migrations current, Temporal reachable) and answers 503 while a required one fails or the
// process is draining before shutdown, so traffic goes to the replicas that can serve it.
//
// The answers name the checks and say ok or failed, never why: /readyz is reachable from the
// internet on the main listener, and an error may name hosts. Why goes to the log, once per
// change.
package health

import (
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"
)

// Check is one readiness check.
type Check struct {
	// Name names it in the answer and the log: "database", "migrations", "temporal".
	Name string
	// Optional checks are reported but do not make the process unready: serve takes
	// submissions into its outbox while Temporal is down, so Temporal is optional there.
	Optional bool
	// Run returns nil when the dependency is usable.
	Run func(ctx context.Context) error
}

// DefaultTimeout bounds each check of a probe.
const DefaultTimeout = 2 * time.Second

// Checker runs the checks of one process and remembers whether it is draining.
type Checker struct {
	checks   []Check
	log      *slog.Logger
	timeout  time.Duration
	draining atomic.Bool

	mu   sync.Mutex
	last map[string]bool // the last outcome of each check, to log changes only
}

// New returns a Checker running checks; log (may be nil) hears of every change of a check.
func New(log *slog.Logger, checks ...Check) *Checker {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Checker{checks: checks, log: log, timeout: DefaultTimeout, last: map[string]bool{}}
}

// Drain makes /readyz answer 503 from now on, so that load balancers stop sending requests
// before the listener closes.
func (c *Checker) Drain() { c.draining.Store(true) }

// Report is the answer of /readyz.
type Report struct {
	// Status is "ready", "degraded" (an optional check failed), "unready" or "draining".
	Status string `json:"status"`
	// Checks maps each check's name to "ok" or "failed".
	Checks map[string]string `json:"checks"`
}

// Ready reports whether the process should get traffic, and the outcome of every check.
func (c *Checker) Ready(ctx context.Context) (bool, Report) {
	rep := Report{Status: "ready", Checks: map[string]string{}}
	errs := make([]error, len(c.checks))
	var wg sync.WaitGroup
	for i, ch := range c.checks {
		wg.Go(func() {
			cctx, cancel := context.WithTimeout(ctx, c.timeout)
			defer cancel()
			errs[i] = ch.Run(cctx)
		})
	}
	wg.Wait()
	ready := true
	for i, ch := range c.checks {
		c.note(ch.Name, errs[i])
		if errs[i] == nil {
			rep.Checks[ch.Name] = "ok"
			continue
		}
		rep.Checks[ch.Name] = "failed"
		if ch.Optional {
			if rep.Status == "ready" {
				rep.Status = "degraded"
			}
			continue
		}
		ready = false
		rep.Status = "unready"
	}
	if c.draining.Load() {
		ready, rep.Status = false, "draining"
	}
	return ready, rep
}

// note logs a check whose outcome changed since the last probe.
func (c *Checker) note(name string, err error) {
	c.mu.Lock()
	prev, seen := c.last[name]
	c.last[name] = err == nil
	c.mu.Unlock()
	switch {
	case err != nil && (!seen || prev):
		c.log.Warn("readiness check failed", "check", name, "err", err)
	case err == nil && seen && !prev:
		c.log.Info("readiness check ok again", "check", name)
	}
}

// ReadyHandler answers /readyz: 200 with the report when ready, else 503.
func (c *Checker) ReadyHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ok, rep := c.Ready(r.Context())
		code := http.StatusOK
		if !ok {
			code = http.StatusServiceUnavailable
		}
		writeJSON(w, code, rep)
	})
}

// LiveHandler answers /healthz: 200 while the process serves HTTP.
func LiveHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	json.NewEncoder(w).Encode(v) //nolint:errcheck // the prober went away
}
