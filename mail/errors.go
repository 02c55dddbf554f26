package mail

import (
	"errors"
	"net/textproto"
	"regexp"
	"strings"

	gomail "github.com/wneessen/go-mail"
)

// IsPermanent reports whether err says that sending this message again will
// fail the same way, so it should not be retried:
//
//   - the relay refused the message or its recipient with a 5xx reply
//     (RFC 5321 section 4.2.1) to MAIL, RCPT or DATA, e.g. 550 for an
//     unknown mailbox or 552 for a message too large, or
//   - Send refused the message itself (an invalid address, header or ID).
//
// Everything else is temporary: network errors, timeouts, 4xx replies, and
// also 5xx replies before the mail transaction (greeting, EHLO, STARTTLS,
// AUTH: a 535 for wrong credentials), because those concern the relay or
// Kontakt's configuration, not the message, and succeed once fixed.
func IsPermanent(err error) bool {
	if err == nil {
		return false
	}
	var pe *permanentError
	if errors.As(err, &pe) {
		return true
	}
	return transactionCode(err)/100 == 5
}

// permanentError marks a message Send refused before connecting.
type permanentError struct{ err error }

// Permanent marks err as permanent, so IsPermanent reports true for it: for other Mailer
// implementations that know a message cannot be delivered.
func Permanent(err error) error { return &permanentError{err: err} }

func (e *permanentError) Error() string { return e.err.Error() }
func (e *permanentError) Unwrap() error { return e.err }

// sendError is what Send returns when the relay could not be reached or did
// not accept the message. Its text has the recipient's address redacted.
type sendError struct {
	id        string
	code      int // SMTP reply code, 0 when the relay did not answer
	permanent bool
	text      string
	err       error
}

func newSendError(id, recipient string, err error) *sendError {
	code := replyCode(err)
	perm := transactionCode(err)/100 == 5
	text := err.Error()
	if r := strings.TrimSpace(recipient); r != "" {
		text = regexp.MustCompile(`(?i)`+regexp.QuoteMeta(r)).ReplaceAllString(text, "[recipient]")
	}
	return &sendError{id: id, code: code, permanent: perm, text: text, err: err}
}

func (e *sendError) Error() string {
	return "mail: send <" + e.id + ">: " + e.text
}

// Unwrap gives errors.Is and errors.As the go-mail error; mind that its
// text names the recipient.
func (e *sendError) Unwrap() error { return e.err }

// transactionCode returns the SMTP reply code of a failed mail transaction
// (MAIL, RCPT, DATA), or 0.
func transactionCode(err error) int {
	var se *gomail.SendError
	if errors.As(err, &se) {
		return se.ErrorCode()
	}
	return 0
}

// replyCode returns the SMTP reply code behind err: of the mail transaction,
// or of the session set-up (greeting, EHLO, STARTTLS, AUTH), or 0 when the
// relay did not answer.
func replyCode(err error) int {
	if c := transactionCode(err); c != 0 {
		return c
	}
	var te *textproto.Error
	if errors.As(err, &te) {
		return te.Code
	}
	return 0
}
