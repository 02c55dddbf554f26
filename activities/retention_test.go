package activities

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/kontakt/kontakt/store"
)

// retentionStore lists pending requests past their expiry in id order, as the store does,
// and records which it was asked to expire; the steps themselves are tested against
// PostgreSQL in package store.
type retentionStore struct {
	RetentionStore // the purges are not called here
	pending        []string
	confirmed      map[string]bool // ExpireVerification finds these confirmed after all
	grace          time.Duration
	expired        []string
}

func (s *retentionStore) AbandonedVerifications(_ context.Context, grace time.Duration, after string, limit int) ([]string, error) {
	s.grace = grace
	var out []string
	for _, id := range s.pending {
		if id > after && len(out) < limit {
			out = append(out, id)
		}
	}
	return out, nil
}

func (s *retentionStore) ExpireVerification(_ context.Context, id string) (store.ExpireResult, error) {
	s.expired = append(s.expired, id)
	return store.ExpireResult{Confirmed: s.confirmed[id]}, nil
}

type runningSet map[string]bool

func (r runningSet) VerificationRunning(_ context.Context, id string) (bool, error) {
	if id == "unreachable" {
		return false, errors.New("temporal unavailable")
	}
	return r[id], nil
}

func TestExpireAbandonedRequests(t *testing.T) {
	// More than a batch, so the listing pages; every 7th workflow still runs and one request
	// turns out confirmed.
	st := &retentionStore{confirmed: map[string]bool{"r-0010": true}}
	running := runningSet{}
	var want []string
	for i := range 2*retentionBatch + 5 {
		id := fmt.Sprintf("r-%04d", i)
		st.pending = append(st.pending, id)
		if i%7 == 0 {
			running[id] = true
		} else {
			want = append(want, id)
		}
	}
	r := &Retention{Store: st, Verifications: running}
	n, err := r.ExpireAbandonedRequests(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(st.expired, want) {
		t.Fatalf("expired %d requests, want %d (those whose workflow is gone)", len(st.expired), len(want))
	}
	if n != len(want)-1 {
		t.Errorf("count %d, want %d (the confirmed one is not an expiry)", n, len(want)-1)
	}
	if st.grace != store.DefaultRetention.PendingGrace {
		t.Errorf("grace %v, want the default", st.grace)
	}

	st = &retentionStore{pending: []string{"a", "unreachable", "z"}}
	if _, err := (&Retention{Store: st, Verifications: runningSet{}}).ExpireAbandonedRequests(context.Background()); err == nil ||
		!slices.Equal(st.expired, []string{"a"}) {
		t.Fatalf("Temporal unreachable: %v, expired %v; want an error and nothing expired unchecked", err, st.expired)
	}
}

func TestRetentionPolicyDefaults(t *testing.T) {
	p := (&Retention{Policy: store.RetentionPolicy{RevokedDevices: time.Hour}}).policy()
	if p.RevokedDevices != time.Hour || p.APITokens != store.DefaultRetention.APITokens || p.EndedRequests != 30*24*time.Hour {
		t.Fatalf("policy %+v", p)
	}
}
