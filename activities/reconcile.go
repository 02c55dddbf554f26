package activities

import (
	"context"
	"fmt"
)

// RequestFunc acts on one committed row by id: starts its workflow, or tells a running one
// of a change; doing it twice must be harmless.
type RequestFunc func(ctx context.Context, id string) error

// Lane is one kind of outbox entry (ARCHITECTURE.md, invariant 3): rows committed before
// their workflow was started or told, which List finds, Do acts on and Mark records as done.
type Lane struct {
	Name string
	List func(ctx context.Context, limit int) ([]string, error)
	Do   RequestFunc
	Mark RequestFunc
}

// Reconciler does what Temporal missed: it works through every lane, so that a request
// committed while Temporal was unreachable, or whose start or signal was lost in a crash,
// gets its workflow after all. workflows.NewReconciler builds the app's lanes.
type Reconciler struct {
	Lanes []Lane
}

// reconcileBatch bounds one query of the outbox.
const reconcileBatch = 200

// Reconcile drains every lane in order and returns how many entries it handled. It is an
// activity (run by the ReconcileOutbox schedule) and is also called when a process starts.
func (r *Reconciler) Reconcile(ctx context.Context) (int, error) {
	total := 0
	for _, l := range r.Lanes {
		n, err := drain(ctx, l)
		total += n
		if err != nil {
			return total, fmt.Errorf("activities: reconcile %s: %w", l.Name, err)
		}
	}
	return total, nil
}

// drain applies the lane's Do to every id its List returns, batch by batch, marking each.
func drain(ctx context.Context, l Lane) (int, error) {
	n := 0
	for {
		ids, err := l.List(ctx, reconcileBatch)
		if err != nil {
			return n, err
		}
		for _, id := range ids {
			if err := l.Do(ctx, id); err != nil {
				return n, fmt.Errorf("%s: %w", id, err)
			}
			if err := l.Mark(ctx, id); err != nil {
				return n, err
			}
			n++
		}
		if len(ids) < reconcileBatch {
			return n, nil
		}
	}
}
