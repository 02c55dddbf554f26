package activities

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"log/slog"
	"net/textproto"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/kontakt/kontakt/mail"
	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
)

const (
	requestID = "0b8f7a52-3c1e-4f55-9a57-1f6c0d2d9e11"
	email     = "jana.novakova@example.org"
)

// fakeStore answers the confirmation-mail calls of SendConfirmation; the real store is
// tested against PostgreSQL in package store.
type fakeStore struct {
	Store // the other methods are not called here
	err   error
	kind  string // the request's kind; "" is an intake

	tokenHash []byte
	marked    int
}

func (s *fakeStore) ConfirmationMail(_ context.Context, id string, tokenHash []byte) (store.ConfirmationMailData, error) {
	if id != requestID {
		return store.ConfirmationMailData{}, store.ErrNotFound
	}
	if s.err != nil {
		return store.ConfirmationMailData{}, s.err
	}
	s.tokenHash = tokenHash
	return store.ConfirmationMailData{
		To:           email,
		Name:         "Jana Nováková",
		Language:     "cs",
		Organisation: "Spolek Příklad",
		Purposes:     []model.Purpose{{Key: "newsletter", Name: "Zpravodaj", Description: "Jednou měsíčně novinky."}},
		ExpiresAt:    time.Date(2025, 3, 10, 9, 0, 0, 0, time.UTC),
		Kind:         s.kind,
		ValidUntil:   &renewedUntil,
	}, nil
}

var renewedUntil = time.Date(2025, 4, 1, 9, 0, 0, 0, time.UTC)

func (s *fakeStore) MarkConfirmationSent(_ context.Context, id string) error {
	s.marked++
	return nil
}

type fakeMailer struct {
	err  error
	sent []mail.Message
}

func (m *fakeMailer) Send(_ context.Context, msg mail.Message) error {
	m.sent = append(m.sent, msg)
	return m.err
}

func newActivities(st *fakeStore, m *fakeMailer, logs *bytes.Buffer) *Activities {
	return &Activities{
		Store:     st,
		Mailer:    m,
		PublicURL: "https://kontakt.example.org/",
		Log:       slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelInfo})),
	}
}

var confirmURL = regexp.MustCompile(`https://kontakt\.example\.org/public/confirm/([A-Za-z0-9_-]+)`)

func TestSendConfirmation(t *testing.T) {
	st, m, logs := &fakeStore{}, &fakeMailer{}, &bytes.Buffer{}
	a := newActivities(st, m, logs)

	if err := a.SendConfirmation(context.Background(), requestID); err != nil {
		t.Fatal(err)
	}
	if len(m.sent) != 1 {
		t.Fatalf("%d mails sent, want 1", len(m.sent))
	}
	msg := m.sent[0]
	if msg.To != email || msg.ToName != "Jana Nováková" || msg.Subject == "" {
		t.Errorf("To %q, ToName %q, Subject %q", msg.To, msg.ToName, msg.Subject)
	}
	match := confirmURL.FindStringSubmatch(msg.Text)
	if match == nil {
		t.Fatalf("no confirmation link in the text part:\n%s", msg.Text)
	}
	token := match[1]
	if raw := len(token) * 6 / 8; raw < 32 {
		t.Errorf("token %q carries %d bytes, want 32", token, raw)
	}
	if sum := sha256.Sum256([]byte(token)); !bytes.Equal(st.tokenHash, sum[:]) {
		t.Errorf("store got token hash %x, want sha256 of the link's token %x", st.tokenHash, sum)
	}
	if !strings.Contains(msg.HTML, match[0]) {
		t.Errorf("HTML part lacks the link %s", match[0])
	}
	if !strings.Contains(msg.Text, "Zpravodaj") {
		t.Errorf("text part lacks the purpose name:\n%s", msg.Text)
	}
	if st.marked != 1 {
		t.Errorf("MarkConfirmationSent called %d times, want 1", st.marked)
	}
	if strings.Contains(logs.String(), email) || strings.Contains(logs.String(), token) {
		t.Errorf("log holds the address or the token:\n%s", logs)
	}

	// Every attempt makes a new token.
	if err := a.SendConfirmation(context.Background(), requestID); err != nil {
		t.Fatal(err)
	}
	if again := confirmURL.FindStringSubmatch(m.sent[1].Text); again == nil || again[1] == token {
		t.Errorf("second mail reuses the token or has none")
	}
}

func TestSendConfirmationErrors(t *testing.T) {
	// Relays quote the address in their replies; none of it may reach Temporal's history.
	refused := &textproto.Error{Code: 550, Msg: "5.1.1 <" + email + ">: Recipient address rejected"}
	busy := &textproto.Error{Code: 451, Msg: "4.3.0 <" + email + ">: try again later"}

	tests := []struct {
		name         string
		storeErr     error
		mailErr      error
		nonRetryable string // the ApplicationError type, "" for a retryable error
		mails        int
	}{
		{"permanent mail error", nil, mail.Permanent(refused), ErrTypePermanentMail, 1},
		{"temporary mail error", nil, busy, "", 1},
		{"request no longer pending", store.ErrNotFound, nil, ErrTypeNotFound, 0},
		{"database down", errors.New("store: connection refused"), nil, "", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st, m, logs := &fakeStore{err: tt.storeErr}, &fakeMailer{err: tt.mailErr}, &bytes.Buffer{}
			err := newActivities(st, m, logs).SendConfirmation(context.Background(), requestID)
			if err == nil {
				t.Fatal("no error")
			}
			var appErr *temporal.ApplicationError
			isApp := errors.As(err, &appErr)
			switch {
			case tt.nonRetryable != "" && (!isApp || !appErr.NonRetryable() || appErr.Type() != tt.nonRetryable):
				t.Errorf("err = %v, want a non-retryable %s", err, tt.nonRetryable)
			case tt.nonRetryable == "" && isApp && appErr.NonRetryable():
				t.Errorf("err = %v is non-retryable", err)
			}
			if strings.Contains(err.Error(), email) {
				t.Errorf("error names the address: %v", err)
			}
			if len(m.sent) != tt.mails {
				t.Errorf("%d mails sent, want %d", len(m.sent), tt.mails)
			}
			if st.marked != 0 {
				t.Errorf("marked as sent after a failure")
			}
			if strings.Contains(logs.String(), email) {
				t.Errorf("log holds the address:\n%s", logs)
			}
		})
	}
}

// wrapStore answers the store calls the other activities wrap.
type wrapStore struct {
	Store
	err error
}

func (s wrapStore) PrepareVerification(context.Context, string) (store.VerificationPlan, error) {
	return store.VerificationPlan{RequestID: requestID, ContactID: "c1", ContactCreated: true, Status: "pending",
		ExpiresAt: time.Date(2025, 3, 10, 9, 0, 0, 0, time.UTC), PurposeKeys: []string{"newsletter"}}, s.err
}

func (s wrapStore) ActivateConsents(context.Context, string) ([]string, error) {
	if s.err != nil {
		return nil, s.err
	}
	return []string{"k1", "k2"}, nil
}

func (s wrapStore) ExpireVerification(context.Context, string) (store.ExpireResult, error) {
	return store.ExpireResult{Confirmed: false, Erased: true}, s.err
}

func (s wrapStore) CancelVerification(context.Context, string) error { return s.err }

func TestStoreActivities(t *testing.T) {
	ctx := context.Background()
	a := &Activities{Store: wrapStore{}}
	plan, err := a.PrepareVerification(ctx, requestID)
	if err != nil || plan.ContactID != "c1" || plan.Status != StatusPending || len(plan.PurposeKeys) != 1 || plan.ExpiresAt.IsZero() {
		t.Errorf("PrepareVerification = %+v, %v", plan, err)
	}
	if n, err := a.ActivateConsents(ctx, requestID); n != 2 || err != nil {
		t.Errorf("ActivateConsents = %d, %v", n, err)
	}
	if r, err := a.ExpireVerification(ctx, requestID); r != (ExpireResult{Erased: true}) || err != nil {
		t.Errorf("ExpireVerification = %+v, %v", r, err)
	}
	if err := a.CancelVerification(ctx, requestID); err != nil {
		t.Errorf("CancelVerification: %v", err)
	}

	gone := &Activities{Store: wrapStore{err: store.ErrNotFound}}
	down := &Activities{Store: wrapStore{err: errors.New("store: connection refused")}}
	for name, call := range map[string]func(*Activities) error{
		"PrepareVerification": func(a *Activities) error { _, err := a.PrepareVerification(ctx, requestID); return err },
		"ActivateConsents":    func(a *Activities) error { _, err := a.ActivateConsents(ctx, requestID); return err },
		"ExpireVerification":  func(a *Activities) error { _, err := a.ExpireVerification(ctx, requestID); return err },
		"CancelVerification":  func(a *Activities) error { return a.CancelVerification(ctx, requestID) },
	} {
		var appErr *temporal.ApplicationError
		if err := call(gone); !errors.As(err, &appErr) || !appErr.NonRetryable() || appErr.Type() != ErrTypeNotFound {
			t.Errorf("%s with the request gone: %v, want a non-retryable %s", name, err, ErrTypeNotFound)
		}
		if err := call(down); err == nil || errors.As(err, &appErr) {
			t.Errorf("%s with the database down: %v, want a retryable error", name, err)
		}
	}
}
