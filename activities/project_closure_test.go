package activities

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/kontakt/kontakt/mail"
	"github.com/kontakt/kontakt/store"
)

const projectID = "7a3c1e52-0b8f-4f55-9a57-1f6c0d2d9e22"

// fakeClosureStore keeps the notices of one closure and which members were told.
type fakeClosureStore struct {
	ProjectClosureStore
	notices []store.ProjectClosureNotice
	told    map[string]bool
}

func (s *fakeClosureStore) ProjectClosureNotices(_ context.Context, id string) ([]store.ProjectClosureNotice, error) {
	if id != projectID {
		return nil, store.ErrNotFound
	}
	var out []store.ProjectClosureNotice
	for _, n := range s.notices {
		if !s.told[n.UserID] {
			out = append(out, n)
		}
	}
	return out, nil
}

func (s *fakeClosureStore) MarkProjectClosureNotified(_ context.Context, _, userID string, _ time.Time) error {
	s.told[userID] = true
	return nil
}

// failingMailer fails the mails to the addresses in fail with their error.
type failingMailer struct {
	fail map[string]error
	sent []mail.Message
}

func (m *failingMailer) Send(_ context.Context, msg mail.Message) error {
	if err := m.fail[msg.To]; err != nil {
		return err
	}
	m.sent = append(m.sent, msg)
	return nil
}

// TestNotifyProjectMembers: each member is mailed once per closure in their language, a
// failed mail is retried alone, a refused one is not retried, and neither logs nor errors
// name an address.
func TestNotifyProjectMembers(t *testing.T) {
	closed := time.Date(2027, 3, 1, 10, 0, 0, 0, time.UTC)
	st := &fakeClosureStore{told: map[string]bool{}, notices: []store.ProjectClosureNotice{
		{UserID: "u1", Name: "Jana", Email: "jana@example.org", Locale: "cs", ProjectName: "Most", ClosedAt: closed, Contacts: 3, Synced: true},
		{UserID: "u2", Name: "Petr", Email: "petr@example.org", Locale: "en", ProjectName: "Most", ClosedAt: closed, Contacts: 3},
		{UserID: "u3", Name: "Eva", Email: "eva@example.org", Locale: "en", ProjectName: "Most", ClosedAt: closed, Contacts: 3},
	}}
	m := &failingMailer{fail: map[string]error{
		"petr@example.org": errors.New("mail: dial: connection refused"),
		"eva@example.org":  mail.Permanent(errors.New("mail: 550 no such mailbox")),
	}}
	var logs bytes.Buffer
	p := &ProjectClosure{Store: st, Mailer: m, PublicURL: "https://kontakt.example.org/",
		Log: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelInfo}))}
	ctx := context.Background()

	n, err := p.NotifyProjectMembers(ctx, projectID)
	if err == nil || n != 1 || strings.Contains(err.Error(), "@") {
		t.Fatalf("first attempt: %d sent, %v", n, err)
	}
	if len(m.sent) != 1 || m.sent[0].To != "jana@example.org" || !strings.HasPrefix(m.sent[0].Subject, "Projekt uzavřen") ||
		m.sent[0].MessageID != "project-closed-"+projectID+"-u1-1803895200" || !strings.Contains(m.sent[0].Text, "https://kontakt.example.org\n") {
		t.Fatalf("first mail %+v", m.sent)
	}
	// The retry mails only those not told yet; the refused address is given up on.
	delete(m.fail, "petr@example.org")
	if n, err = p.NotifyProjectMembers(ctx, projectID); err != nil || n != 1 {
		t.Fatalf("retry: %d sent, %v", n, err)
	}
	if len(m.sent) != 2 || m.sent[1].To != "petr@example.org" || !strings.HasPrefix(m.sent[1].Subject, "Project closed") {
		t.Fatalf("mails %+v", m.sent)
	}
	if n, err = p.NotifyProjectMembers(ctx, projectID); err != nil || n != 0 || len(m.sent) != 2 {
		t.Fatalf("a rerun mailed again: %d, %v", n, err)
	}
	if strings.Contains(logs.String(), "@") {
		t.Errorf("logs name an address:\n%s", logs.String())
	}

	var appErr *temporal.ApplicationError
	if _, err := p.NotifyProjectMembers(ctx, "00000000-0000-0000-0000-000000000000"); !errors.As(err, &appErr) || appErr.Type() != ErrTypeNotFound || !appErr.NonRetryable() {
		t.Fatalf("unknown project: %v", err)
	}
}
