package activities

import (
	"context"
	"fmt"
)

// Outbox is the part of the store the reconciler reads: requests committed without a
// recorded workflow start, and confirmations the workflow was not recorded as told of.
type Outbox interface {
	UnstartedVerifications(ctx context.Context, limit int) ([]string, error)
	MarkVerificationStarted(ctx context.Context, requestID string) error
	UnsignalledConfirmations(ctx context.Context, limit int) ([]string, error)
	MarkConfirmSignalled(ctx context.Context, requestID string) error
}

// RequestFunc starts, or tells of its confirmation, the verification workflow of a request;
// doing it twice must be harmless.
type RequestFunc func(ctx context.Context, requestID string) error

// Reconciler does what Temporal missed (ARCHITECTURE.md, invariant 3): it starts the
// workflow of every consent request committed while Temporal was unreachable or whose start
// was lost in a crash, and signals every confirmation whose signal was lost.
type Reconciler struct {
	Outbox  Outbox
	Start   RequestFunc
	Confirm RequestFunc
}

// reconcileBatch bounds one query of the outbox.
const reconcileBatch = 200

// ReconcileVerifications starts the workflow of every request without a recorded start,
// then signals every unsignalled confirmation, and returns how many it did. It is an
// activity (run by the ReconcileOutbox schedule) and is also called when a process starts.
func (r *Reconciler) ReconcileVerifications(ctx context.Context) (int, error) {
	started, err := drain(ctx, r.Outbox.UnstartedVerifications, r.Start, r.Outbox.MarkVerificationStarted)
	if err != nil {
		return started, fmt.Errorf("activities: reconcile starts: %w", err)
	}
	signalled, err := drain(ctx, r.Outbox.UnsignalledConfirmations, r.Confirm, r.Outbox.MarkConfirmSignalled)
	if err != nil {
		return started + signalled, fmt.Errorf("activities: reconcile confirmations: %w", err)
	}
	return started + signalled, nil
}

// drain applies do to every id list returns, batch by batch, marking each done.
func drain(ctx context.Context, list func(context.Context, int) ([]string, error), do, mark RequestFunc) (int, error) {
	n := 0
	for {
		ids, err := list(ctx, reconcileBatch)
		if err != nil {
			return n, err
		}
		for _, id := range ids {
			if err := do(ctx, id); err != nil {
				return n, fmt.Errorf("request %s: %w", id, err)
			}
			if err := mark(ctx, id); err != nil {
				return n, err
			}
			n++
		}
		if len(ids) < reconcileBatch {
			return n, nil
		}
	}
}
