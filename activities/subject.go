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

// SubjectStore is what the subject-request activities need from store.Store.
type SubjectStore interface {
	PlanSubjectRequest(ctx context.Context, requestID string) (store.SubjectPlan, error)
	SubjectAccessMail(ctx context.Context, requestID string, contactIDs []string, tokenHash []byte, ttl time.Duration) (store.SubjectMail, error)
	SubjectNoConsentMail(ctx context.Context, requestID string) (store.SubjectMail, error)
	RevokeForSubjectRequest(ctx context.Context, requestID string) (int, error)
	SubjectRevocationMail(ctx context.Context, requestID string) (store.SubjectMail, error)
	MarkSubjectMailSent(ctx context.Context, requestID string) error
	FinishSubjectRequest(ctx context.Context, requestID string) error
}

// SubjectLinkTTL is how long the link in a subject-access mail works by default.
const SubjectLinkTTL = 7 * 24 * time.Hour

// Subject holds the activities of the SubjectAccess workflow: a person asked, by e-mail
// address, which consents are held, or revoked some. Like every activity here they return
// ids, counts and flags, never the address or what the mails say.
type Subject struct {
	Store  SubjectStore
	Mailer Mailer
	// PublicURL is where people reach Kontakt's public pages; links are built on it.
	PublicURL string
	// LinkTTL is how long a subject-access link works; zero means SubjectLinkTTL.
	LinkTTL time.Duration
	Log     *slog.Logger
}

// SubjectPlanResult is what SubjectAccess needs to know about a request (see
// store.SubjectPlan): its kind, whether it is done, the ids of the contacts with its
// address, how many consents they hold, and the form's mail settings.
type SubjectPlanResult struct {
	Kind           string
	Done           bool
	ContactIDs     []string
	Consents       int
	NoConsentMail  bool
	RevocationMail bool
}

// PlanSubjectRequest reads the request and finds the contacts its address belongs to, in
// every book. A missing request is a non-retryable ErrTypeNotFound error.
func (a *Subject) PlanSubjectRequest(ctx context.Context, requestID string) (SubjectPlanResult, error) {
	p, err := a.Store.PlanSubjectRequest(ctx, requestID)
	if err != nil {
		return SubjectPlanResult{}, storeError("plan subject request", requestID, err)
	}
	return SubjectPlanResult{Kind: p.Kind, Done: p.Done, ContactIDs: p.ContactIDs, Consents: p.Consents,
		NoConsentMail: p.NoConsentMail, RevocationMail: p.RevocationMail}, nil
}

// SendSubjectAccessMail mails the request's address the consents of contactIDs (those that
// still have the address) with a link to the page where the person may revoke them. Only
// the link token's SHA-256 is stored. Once the request's mail went out, a retry sends no
// second mail and makes no second link.
//
// Like every mail activity here it reports whether the request's mail has gone out, by
// this call or an earlier attempt (a retry after a lost answer sends none but reports
// true); false when there was nothing to send.
func (a *Subject) SendSubjectAccessMail(ctx context.Context, requestID string, contactIDs []string) (bool, error) {
	ttl := a.LinkTTL
	if ttl <= 0 {
		ttl = SubjectLinkTTL
	}
	token := auth.NewSecret("")
	m, err := a.Store.SubjectAccessMail(ctx, requestID, contactIDs, auth.HashSecret(token), ttl)
	if done, sent, err := a.mailPrepared(requestID, err); done {
		return sent, err
	}
	data := mail.SubjectAccessData{Organisation: m.Organisation, Consents: consentItems(m.Consents),
		LinkURL: strings.TrimRight(a.PublicURL, "/") + "/public/subject/" + token, ExpiresAt: m.ExpiresAt}
	return true, a.send(ctx, requestID, "subject-access", m, data)
}

// SendSubjectNoConsentMail tells the request's address that no consent is held for it; the
// workflow calls it only when the form says so.
func (a *Subject) SendSubjectNoConsentMail(ctx context.Context, requestID string) (bool, error) {
	m, err := a.Store.SubjectNoConsentMail(ctx, requestID)
	if done, sent, err := a.mailPrepared(requestID, err); done {
		return sent, err
	}
	return true, a.send(ctx, requestID, "subject-none", m, mail.SubjectNoConsentData{Organisation: m.Organisation})
}

// RevokeForSubjectRequest revokes, for a revoke request, the active consents for its
// purposes of every contact with its address, and returns how many the request revoked in
// all (the same on a retry).
func (a *Subject) RevokeForSubjectRequest(ctx context.Context, requestID string) (int, error) {
	n, err := a.Store.RevokeForSubjectRequest(ctx, requestID)
	if err != nil {
		return 0, storeError("revoke for subject request", requestID, err)
	}
	return n, nil
}

// SendSubjectRevocationMail confirms the request's revocation by mail: to the address that
// asked, or, for a revocation on a link's page, to the address the link was mailed to.
// False when there is nothing to confirm (or no such address is left).
func (a *Subject) SendSubjectRevocationMail(ctx context.Context, requestID string) (bool, error) {
	m, err := a.Store.SubjectRevocationMail(ctx, requestID)
	if done, sent, err := a.mailPrepared(requestID, err); done {
		return sent, err
	}
	return true, a.send(ctx, requestID, "revocation", m, mail.RevocationData{Organisation: m.Organisation, Consents: consentItems(m.Consents)})
}

// FinishSubjectRequest marks the request done and blanks the address it held.
func (a *Subject) FinishSubjectRequest(ctx context.Context, requestID string) error {
	if err := a.Store.FinishSubjectRequest(ctx, requestID); err != nil {
		return storeError("finish subject request", requestID, err)
	}
	return nil
}

// mailPrepared sorts out the store's answer to a mail's preparation: done is true when no
// mail is to be sent now, with what the activity returns: sent when the mail already went
// out, nil error too when there is nothing to say.
func (a *Subject) mailPrepared(requestID string, err error) (done, sent bool, _ error) {
	switch {
	case err == nil:
		return false, false, nil
	case errors.Is(err, store.ErrMailSent):
		a.log().Info("activities: subject mail already sent", "request_id", requestID)
		return true, true, nil
	case errors.Is(err, store.ErrNotFound):
		return true, false, nil
	}
	return true, false, storeError("subject mail", requestID, err)
}

// send renders and sends one subject-request mail and records that it went out. As for the
// confirmation mail, the error Temporal keeps names the request, never the address.
func (a *Subject) send(ctx context.Context, requestID, template string, m store.SubjectMail, data any) error {
	subject, text, html, err := mail.Render(template, m.Language, data)
	if err != nil {
		a.log().ErrorContext(ctx, "activities: rendering subject mail", "template", template, "request_id", requestID, "err", err)
		return fmt.Errorf("activities: rendering %s mail for request %s failed", template, requestID)
	}
	err = a.Mailer.Send(ctx, mail.Message{To: m.To, Subject: subject, Text: text, HTML: html,
		Headers: map[string]string{"Auto-Submitted": "auto-generated"}})
	if err != nil {
		permanent := mail.IsPermanent(err)
		a.log().WarnContext(ctx, "activities: subject mail not sent", "template", template, "request_id", requestID, "permanent", permanent)
		a.log().DebugContext(ctx, "activities: subject mail error", "request_id", requestID, "err", err)
		if permanent {
			return temporal.NewNonRetryableApplicationError(
				fmt.Sprintf("activities: %s mail for request %s refused permanently", template, requestID), ErrTypePermanentMail, nil)
		}
		return fmt.Errorf("activities: %s mail for request %s not sent", template, requestID)
	}
	if err := a.Store.MarkSubjectMailSent(ctx, requestID); err != nil {
		return storeError("mark subject mail sent", requestID, err)
	}
	a.log().InfoContext(ctx, "activities: subject mail sent", "template", template, "request_id", requestID)
	return nil
}

// consentItems turns the store's consents into what the mails show.
func consentItems(cs []store.SubjectConsent) []mail.ConsentItem {
	out := make([]mail.ConsentItem, len(cs))
	for i, c := range cs {
		out[i] = mail.ConsentItem{Purpose: c.PurposeName, Description: c.PurposeDescription, Status: string(c.Status),
			Source: string(c.Source), GivenAt: c.GivenAt}
		if c.ValidUntil != nil {
			out[i].ValidUntil = *c.ValidUntil
		}
	}
	return out
}

func (a *Subject) log() *slog.Logger {
	if a.Log != nil {
		return a.Log
	}
	return slog.Default()
}
