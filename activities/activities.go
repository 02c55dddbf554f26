// Package activities holds the side effects Kontakt's workflows need: store calls and mail.
// Activities are methods on Activities, which holds their dependencies; workflows name them
// through a nil pointer (var a *activities.Activities) and worker registers the struct.
//
// What an activity returns, including its error text, is kept in the workflow's history
// after the person is forgotten, so activities return IDs, counts and flags, never personal
// data (ARCHITECTURE.md, invariant 5), and their errors say what failed, not to whom.
package activities

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"go.temporal.io/sdk/temporal"

	"github.com/kontakt/kontakt/auth"
	"github.com/kontakt/kontakt/mail"
	"github.com/kontakt/kontakt/store"
)

// Store is what the activities need from store.Store (declared here, where it is consumed).
type Store interface {
	PrepareVerification(ctx context.Context, requestID string) (store.VerificationPlan, error)
	ConfirmationMail(ctx context.Context, requestID string, tokenHash []byte) (store.ConfirmationMailData, error)
	MarkConfirmationSent(ctx context.Context, requestID string) error
	ActivateConsents(ctx context.Context, requestID string) ([]string, error)
	ExpireVerification(ctx context.Context, requestID string) (store.ExpireResult, error)
	CancelVerification(ctx context.Context, requestID string) error
}

// Mailer sends one message; errors for which mail.IsPermanent is true are not retried.
type Mailer interface {
	Send(ctx context.Context, m mail.Message) error
}

// Activities holds the dependencies of Kontakt's activities. Every exported method is an
// activity (the worker registers them all), so helpers stay unexported.
type Activities struct {
	Store  Store
	Mailer Mailer
	// PublicURL is where people reach Kontakt's public endpoints, e.g.
	// "https://kontakt.example.org"; confirmation links are built on it.
	PublicURL string
	// Lifecycle, when set, tells each consent's ConsentLifecycle workflow that the consent
	// changed, right after an activation commits; the lifecycle outbox catches what it misses.
	Lifecycle Teller
	Log       *slog.Logger
}

// Error types of the non-retryable application errors activities return; workflows test
// them with temporal.ApplicationError.Type.
const (
	// ErrTypeNotFound: the consent request is gone (e.g. its contact was forgotten).
	ErrTypeNotFound = "NotFound"
	// ErrTypePermanentMail: the mail server refused the message for good (e.g. no such
	// mailbox); retrying would not help.
	ErrTypePermanentMail = "PermanentMailError"
)

// Request statuses as PlanResult.Status reports them (consent_requests.status).
const (
	StatusPending   = "pending"
	StatusConfirmed = "confirmed"
	StatusExpired   = "expired"
	StatusCancelled = "cancelled"
)

// PlanResult is what ConsentVerification needs to know about a request: IDs and times only.
type PlanResult struct {
	ContactID   string
	PurposeKeys []string
	Status      string
	ExpiresAt   time.Time
}

// ExpireResult reports what ExpireVerification did. Confirmed means the person had
// confirmed after all (the signal was lost), so nothing was expired and the workflow should
// activate the consents instead; Erased means the contact this request created was erased.
type ExpireResult struct {
	Confirmed bool
	Erased    bool
}

// PrepareVerification matches or creates the request's contact, records its pending
// consents and reports the plan (idempotent). A missing request is a non-retryable
// ErrTypeNotFound error, as it is for every activity here.
func (a *Activities) PrepareVerification(ctx context.Context, requestID string) (PlanResult, error) {
	p, err := a.Store.PrepareVerification(ctx, requestID)
	if err != nil {
		return PlanResult{}, storeError("prepare verification", requestID, err)
	}
	return PlanResult{
		ContactID:   p.ContactID,
		PurposeKeys: p.PurposeKeys,
		Status:      p.Status,
		ExpiresAt:   p.ExpiresAt,
	}, nil
}

// SendConfirmation mails the person a confirmation link with a fresh single-use token. Only
// the token's SHA-256 (auth.HashSecret of the token as it appears in the URL) is stored; the
// token itself exists only in the mail. A request no longer pending (confirmed, ended or
// gone) is ErrTypeNotFound.
// Every attempt makes a new token, and earlier tokens of the request keep working until one
// is used or the request ends, so a retry after a lost answer does no harm beyond a
// duplicate mail.
func (a *Activities) SendConfirmation(ctx context.Context, requestID string) error {
	token := auth.NewSecret("")
	data, err := a.Store.ConfirmationMail(ctx, requestID, auth.HashSecret(token))
	if err != nil {
		return storeError("confirmation mail", requestID, err)
	}
	purposes := make([]mail.Purpose, len(data.Purposes))
	for i, p := range data.Purposes {
		purposes[i] = mail.Purpose{Name: p.Name, Description: p.Description}
	}
	// A renewal (the expiry reminder) asks to keep a consent rather than to give one.
	template := "confirm"
	cd := mail.ConfirmationData{
		Name:         data.Name,
		Organisation: data.Organisation,
		Purposes:     purposes,
		ConfirmURL:   a.confirmURL(token),
		ExpiresAt:    data.ExpiresAt,
	}
	if data.Kind == "renewal" {
		template = "renew"
		if data.ValidUntil != nil {
			cd.ValidUntil = *data.ValidUntil
		}
	}
	subject, text, html, err := mail.Render(template, data.Language, cd)
	if err != nil {
		// A template fault is ours: retried, so a fixed deploy picks the request up again.
		a.log().ErrorContext(ctx, "activities: rendering confirmation mail", "request_id", requestID, "err", err)
		return fmt.Errorf("activities: rendering confirmation mail for request %s failed", requestID)
	}
	err = a.Mailer.Send(ctx, mail.Message{
		To:      data.To,
		ToName:  data.Name,
		Subject: subject,
		Text:    text,
		HTML:    html,
		// RFC 3834 section 5: machine-sent, so auto-responders stay quiet.
		Headers: map[string]string{"Auto-Submitted": "auto-generated"},
	})
	if err != nil {
		// SMTP replies often quote the address: the detail goes to the debug log only, and
		// the error that Temporal keeps names the request alone.
		permanent := mail.IsPermanent(err)
		a.log().WarnContext(ctx, "activities: confirmation mail not sent", "request_id", requestID, "permanent", permanent)
		a.log().DebugContext(ctx, "activities: confirmation mail error", "request_id", requestID, "err", err)
		if permanent {
			return temporal.NewNonRetryableApplicationError(
				fmt.Sprintf("activities: confirmation mail for request %s refused permanently", requestID),
				ErrTypePermanentMail, nil)
		}
		return fmt.Errorf("activities: confirmation mail for request %s not sent", requestID)
	}
	if err := a.Store.MarkConfirmationSent(ctx, requestID); err != nil {
		return storeError("mark confirmation sent", requestID, err)
	}
	a.log().InfoContext(ctx, "activities: confirmation mail sent", "request_id", requestID)
	return nil
}

// ActivateConsents activates (or renews) the request's consents after a recorded
// confirmation, tells their lifecycle workflows, and returns how many it activated.
func (a *Activities) ActivateConsents(ctx context.Context, requestID string) (int, error) {
	ids, err := a.Store.ActivateConsents(ctx, requestID)
	if err != nil {
		return 0, storeError("activate consents", requestID, err)
	}
	tellLifecycles(ctx, a.Lifecycle, a.log(), ids...)
	return len(ids), nil
}

// ExpireVerification ends an unconfirmed request: its consents become expired-unconfirmed
// and a contact it created without other basis is erased.
func (a *Activities) ExpireVerification(ctx context.Context, requestID string) (ExpireResult, error) {
	r, err := a.Store.ExpireVerification(ctx, requestID)
	if err != nil {
		return ExpireResult{}, storeError("expire verification", requestID, err)
	}
	return ExpireResult{Confirmed: r.Confirmed, Erased: r.Erased}, nil
}

// CancelVerification ends a pending request on the person's or staff's request.
func (a *Activities) CancelVerification(ctx context.Context, requestID string) error {
	if err := a.Store.CancelVerification(ctx, requestID); err != nil {
		return storeError("cancel verification", requestID, err)
	}
	return nil
}

// confirmURL is the link in the mail; GET shows the page, only its POST confirms.
func (a *Activities) confirmURL(token string) string {
	return strings.TrimRight(a.PublicURL, "/") + "/public/confirm/" + token
}

func (a *Activities) log() *slog.Logger {
	if a.Log != nil {
		return a.Log
	}
	return slog.Default()
}

// storeError makes a missing request non-retryable (nothing will bring it back) and leaves
// every other store error retryable: a database outage must not fail a verification.
func storeError(op, requestID string, err error) error {
	if errors.Is(err, store.ErrNotFound) {
		return temporal.NewNonRetryableApplicationError(
			fmt.Sprintf("activities: %s: request %s not found", op, requestID), ErrTypeNotFound, err)
	}
	return fmt.Errorf("activities: %s: request %s: %w", op, requestID, err)
}
