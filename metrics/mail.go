package metrics

import (
	"context"
	"strconv"

	"github.com/kontakt/kontakt/mail"
)

// Sender is what Mailer wraps: activities.Mailer, as *mail.Sender implements it.
type Sender interface {
	Send(ctx context.Context, m mail.Message) error
}

// Mailer counts what Next sends: kontakt_mail_sent_total, and kontakt_mail_failed_total by
// whether mail.IsPermanent says the failure is for good. It passes every error on unchanged.
type Mailer struct {
	Next    Sender
	Metrics *Metrics
}

// Send sends m through Next and counts the outcome.
func (c Mailer) Send(ctx context.Context, m mail.Message) error {
	err := c.Next.Send(ctx, m)
	if c.Metrics != nil {
		if err == nil {
			c.Metrics.mailSent.Inc()
		} else {
			c.Metrics.mailFailed.WithLabelValues(strconv.FormatBool(mail.IsPermanent(err))).Inc()
		}
	}
	return err
}
