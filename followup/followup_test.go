package followup

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// At most Workers follow-ups run at once, every queued one runs, and the workers stop
// when the queue is empty.
func TestRunnerBounded(t *testing.T) {
	r := New(slog.New(slog.NewTextHandler(io.Discard, nil)))
	var running, most, done atomic.Int64
	var wg sync.WaitGroup
	const n = 200
	wg.Add(n)
	for range n {
		r.Go(func(context.Context) error {
			defer wg.Done()
			now := running.Add(1)
			for m := most.Load(); now > m && !most.CompareAndSwap(m, now); m = most.Load() {
			}
			time.Sleep(time.Millisecond)
			running.Add(-1)
			done.Add(1)
			return nil
		})
	}
	wg.Wait()
	if done.Load() != n || most.Load() > Workers {
		t.Fatalf("%d of %d ran, at most %d at once (limit %d)", done.Load(), n, most.Load(), Workers)
	}
	deadline := time.Now().Add(time.Second)
	for {
		r.mu.Lock()
		idle := r.running == 0
		r.mu.Unlock()
		if idle {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("workers still running with nothing queued")
		}
		time.Sleep(time.Millisecond)
	}
}

// A full queue drops; a failing follow-up is retried until it succeeds.
func TestRunnerFullAndRetry(t *testing.T) {
	r := &Runner{log: slog.New(slog.NewTextHandler(io.Discard, nil)), workers: 1, waiting: 1}
	release := make(chan struct{})
	started := make(chan struct{})
	r.Go(func(context.Context) error { close(started); <-release; return nil })
	<-started
	var tries atomic.Int64
	ok := make(chan struct{})
	r.Go(func(context.Context) error { // waits in the one place
		if tries.Add(1) < 3 {
			return errors.New("temporal unreachable")
		}
		close(ok)
		return nil
	})
	dropped := true
	r.Go(func(context.Context) error { dropped = false; return nil }) // no place left
	close(release)
	select {
	case <-ok:
	case <-time.After(5 * time.Second):
		t.Fatal("the failing follow-up was not retried to success")
	}
	if tries.Load() != 3 || !dropped {
		t.Errorf("tries %d (want 3), dropped %v", tries.Load(), dropped)
	}
}
