// Package followup runs the follow-ups of committed requests (workflow starts and signals)
// off the request path, a bounded number at a time, each retried briefly. A follow-up must
// be idempotent and recorded in the database before it is handed over: what the runner
// drops when its queue is full, or gives up on, the outbox reconcilers redo from there.
//
// Bounding them matters under a burst: a goroutine per request would put thousands of
// concurrent calls on Temporal at once, each competing with the requests still arriving.
package followup

import (
	"context"
	"log/slog"
	"sync"
	"time"
)

// Defaults of New.
const (
	Workers  = 8                // follow-ups running at the same time
	Capacity = 10_000           // follow-ups waiting; more are dropped
	Retry    = 10 * time.Second // how long one follow-up is retried
	pause    = 500 * time.Millisecond
)

// Func is one follow-up.
type Func func(ctx context.Context) error

// Runner runs follow-ups. Its workers start when there is work and stop when there is none.
type Runner struct {
	log              *slog.Logger
	workers, waiting int

	mu      sync.Mutex
	queue   []Func
	running int
	dropped int
}

// New returns a runner of Workers workers and Capacity waiting places.
func New(log *slog.Logger) *Runner { return &Runner{log: log, workers: Workers, waiting: Capacity} }

// Go queues fn. With the queue full it drops fn and says so; the reconcilers redo it.
func (r *Runner) Go(fn Func) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.queue) >= r.waiting {
		r.dropped++
		if r.dropped%1000 == 1 { // the first, then one line per thousand
			r.log.Warn("followup: queue full, leaving workflow starts and signals to the reconciler", "waiting", len(r.queue), "dropped", r.dropped)
		}
		return
	}
	r.queue = append(r.queue, fn)
	if r.running < r.workers {
		r.running++
		go r.work()
	}
}

// work runs queued follow-ups until none is left.
func (r *Runner) work() {
	for {
		r.mu.Lock()
		if len(r.queue) == 0 {
			r.running--
			r.mu.Unlock()
			return
		}
		fn := r.queue[0]
		r.queue[0] = nil
		r.queue = r.queue[1:]
		r.mu.Unlock()
		r.run(fn)
	}
}

// run runs fn, retrying for up to Retry.
func (r *Runner) run(fn Func) {
	ctx, cancel := context.WithTimeout(context.Background(), Retry)
	defer cancel()
	for {
		err := fn(ctx)
		if err == nil {
			return
		}
		select {
		case <-ctx.Done():
			r.log.Warn("followup: workflow start or signal failed; the reconciler will retry", "err", err)
			return
		case <-time.After(pause):
		}
	}
}
