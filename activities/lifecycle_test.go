package activities

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/kontakt/kontakt/store"
)

const consentID = "6a1d2c3e-4f50-4a61-8b72-9c83d4e5f607"

// fakeLifecycleStore answers the lifecycle activities' store calls.
type fakeLifecycleStore struct {
	err     error
	renewal store.Renewal
	marked  []string
}

func (s *fakeLifecycleStore) ConsentLifecycleState(context.Context, string) (store.LifecycleState, error) {
	until := time.Date(2027, 1, 1, 0, 0, 0, 0, time.UTC)
	return store.LifecycleState{ContactID: "c1", PurposeKey: "newsletter", Status: "active", ValidUntil: &until}, s.err
}

func (s *fakeLifecycleStore) ExpireConsent(context.Context, string) (bool, error) {
	return s.err == nil, s.err
}

func (s *fakeLifecycleStore) StartRenewal(context.Context, string) (store.Renewal, error) {
	return s.renewal, s.err
}

func (s *fakeLifecycleStore) MarkVerificationStarted(_ context.Context, id string) error {
	s.marked = append(s.marked, id)
	return nil
}

func TestLifecycleActivities(t *testing.T) {
	ctx := context.Background()
	l := &Lifecycle{Store: &fakeLifecycleStore{}}
	st, err := l.ConsentState(ctx, consentID)
	if err != nil || st.Status != "active" || st.ContactID != "c1" || st.PurposeKey != "newsletter" || st.ValidUntil == nil {
		t.Errorf("ConsentState = %+v, %v", st, err)
	}
	if expired, err := l.ExpireConsent(ctx, consentID); !expired || err != nil {
		t.Errorf("ExpireConsent = %v, %v", expired, err)
	}

	gone := &Lifecycle{Store: &fakeLifecycleStore{err: store.ErrNotFound}}
	down := &Lifecycle{Store: &fakeLifecycleStore{err: errors.New("store: connection refused")}}
	for name, call := range map[string]func(*Lifecycle) error{
		"ConsentState":  func(l *Lifecycle) error { _, err := l.ConsentState(ctx, consentID); return err },
		"ExpireConsent": func(l *Lifecycle) error { _, err := l.ExpireConsent(ctx, consentID); return err },
		"StartRenewal":  func(l *Lifecycle) error { _, err := l.StartRenewal(ctx, consentID); return err },
	} {
		var appErr *temporal.ApplicationError
		if err := call(gone); !errors.As(err, &appErr) || !appErr.NonRetryable() || appErr.Type() != ErrTypeNotFound ||
			!strings.Contains(err.Error(), consentID) {
			t.Errorf("%s with the consent gone: %v, want a non-retryable %s naming the consent", name, err, ErrTypeNotFound)
		}
		if err := call(down); err == nil || errors.As(err, &appErr) {
			t.Errorf("%s with the database down: %v, want a retryable error", name, err)
		}
	}
}

// A renewal request is committed first; its verification starts right away when it can,
// and is left to the outbox when it cannot.
func TestStartRenewal(t *testing.T) {
	ctx := context.Background()
	for _, tt := range []struct {
		name     string
		renewal  store.Renewal
		startErr error
		started  []string
		marked   []string
	}{
		{"created and started", store.Renewal{RequestID: "r1", Created: true}, nil, []string{"r1"}, []string{"r1"}},
		{"start failed: left to the outbox", store.Renewal{RequestID: "r1", Created: true}, errors.New("unavailable"), []string{"r1"}, nil},
		{"already pending: not started again", store.Renewal{RequestID: "r1"}, nil, nil, nil},
		{"nothing to renew", store.Renewal{}, nil, nil, nil},
	} {
		t.Run(tt.name, func(t *testing.T) {
			st := &fakeLifecycleStore{renewal: tt.renewal}
			var started []string
			l := &Lifecycle{Store: st, Log: slog.New(slog.DiscardHandler), StartVerification: func(_ context.Context, id string) error {
				started = append(started, id)
				return tt.startErr
			}}
			r, err := l.StartRenewal(ctx, consentID)
			if err != nil || r != (RenewalResult{RequestID: tt.renewal.RequestID, Created: tt.renewal.Created}) {
				t.Errorf("StartRenewal = %+v, %v", r, err)
			}
			if !slices.Equal(started, tt.started) || !slices.Equal(st.marked, tt.marked) {
				t.Errorf("started %v, marked %v; want %v, %v", started, st.marked, tt.started, tt.marked)
			}
		})
	}
}

// fakeTeller records the consents whose lifecycles were told.
type fakeTeller struct {
	err  error
	told []string
}

func (f *fakeTeller) TellLifecycle(_ context.Context, id string) error {
	f.told = append(f.told, id)
	return f.err
}

// An activation tells the lifecycle of every consent it activated; a failed telling is left
// to the outbox and does not fail the activation.
func TestActivateTellsLifecycles(t *testing.T) {
	for _, tellErr := range []error{nil, errors.New("temporal unavailable")} {
		teller := &fakeTeller{err: tellErr}
		logs := &bytes.Buffer{}
		a := &Activities{Store: wrapStore{}, Lifecycle: teller, Log: slog.New(slog.NewTextHandler(logs, nil))}
		if n, err := a.ActivateConsents(context.Background(), requestID); n != 2 || err != nil {
			t.Errorf("ActivateConsents = %d, %v", n, err)
		}
		if !slices.Equal(teller.told, []string{"k1", "k2"}) {
			t.Errorf("told %v", teller.told)
		}
		if tellErr != nil && !strings.Contains(logs.String(), "the reconciler will") {
			t.Errorf("failed telling not logged: %s", logs)
		}
	}
}

// A renewal request's mail asks to renew.
func TestSendRenewal(t *testing.T) {
	st, m := &fakeStore{kind: "renewal"}, &fakeMailer{}
	if err := newActivities(st, m, &bytes.Buffer{}).SendConfirmation(context.Background(), requestID); err != nil {
		t.Fatal(err)
	}
	if len(m.sent) != 1 || !strings.HasPrefix(m.sent[0].Subject, "Platnost vašeho souhlasu brzy skončí") ||
		!strings.Contains(m.sent[0].Text, "Platnost souhlasu skončí 1. 4. 2025") || confirmURL.FindString(m.sent[0].Text) == "" {
		t.Errorf("renewal mail: %+v", m.sent)
	}
}
