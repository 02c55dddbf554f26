package mail

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/base32"
	"errors"
	"fmt"
	"log/slog"
	"net"
	netmail "net/mail"
	"strings"
	"time"

	gomail "github.com/wneessen/go-mail"
)

// TLS modes accepted in Config.TLS.
const (
	// TLSStartTLS upgrades a plain connection with STARTTLS and refuses to
	// send if the relay does not offer it (RFC 3207). It is the default.
	TLSStartTLS = "starttls"
	// TLSImplicit speaks TLS from the first byte ("SMTPS", RFC 8314 section 3.3).
	TLSImplicit = "tls"
	// TLSNone sends in clear text: only for a relay on the same host or the
	// development mail catcher.
	TLSNone = "none"
)

// DefaultTimeout bounds one connection (dial, every command, the data
// transfer) when Config.Timeout is zero.
const DefaultTimeout = 30 * time.Second

// Config is the SMTP relay Kontakt submits its mail to. main fills it from
// the environment.
type Config struct {
	// Host is the relay's host name or IP address. Required.
	Host string
	// Port is the relay's port; zero picks the usual port for TLS:
	// 587 for "starttls", 465 for "tls", 25 for "none".
	Port int
	// TLS is "starttls" (the default when empty), "tls" (implicit) or "none".
	TLS string
	// Username and Password authenticate to the relay when Username is set.
	// Over TLS the strongest mechanism the relay offers is used; with TLS
	// "none" it is PLAIN in clear text.
	Username, Password string
	// From is the sender, e.g. "Kontakt <kontakt@example.org>". Its domain
	// also completes Message IDs.
	From string
	// HeloName is the name sent with EHLO; empty means the host name.
	HeloName string
	// Timeout bounds one connection; zero means DefaultTimeout.
	Timeout time.Duration
}

// Message is one mail to one recipient.
type Message struct {
	// To is the recipient's address, ToName their display name (optional).
	To     string
	ToName string
	// Subject, Text and HTML are the content, usually from Render. Text is
	// required; HTML, when set, makes the mail multipart/alternative.
	Subject, Text, HTML string
	// Headers are extra header fields such as Auto-Submitted or
	// List-Unsubscribe. They may not replace the fields Send writes itself
	// (From, To, Subject, Date, Message-ID, MIME fields).
	Headers map[string]string
	// MessageID is optional: set it, derived from a business key, to make a
	// resend recognisable as the same mail. Without "@" the From domain is
	// appended ("consent-42" becomes <consent-42@example.org>); angle
	// brackets are optional. Empty means a random ID.
	MessageID string
}

// Sender submits mail to the configured relay, one connection per message.
// It is safe for concurrent use.
type Sender struct {
	cfg    Config
	from   *netmail.Address
	domain string
	opts   []gomail.Option
	log    *slog.Logger
}

// NewSender checks cfg and returns a Sender for it. It does not connect.
func NewSender(cfg Config, log *slog.Logger) (*Sender, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	cfg.Host = strings.TrimSpace(cfg.Host)
	if cfg.Host == "" {
		return nil, errors.New("mail: config: host is empty")
	}
	var tlsConfig *tls.Config
	if ip := net.ParseIP(strings.Trim(cfg.Host, "[]")); ip != nil && ip.To4() == nil {
		// go-mail joins host and port with a plain colon and verifies the
		// certificate against the host as given.
		cfg.Host = "[" + ip.String() + "]"
		tlsConfig = &tls.Config{ServerName: ip.String(), MinVersion: tls.VersionTLS12}
	} else if strings.ContainsAny(cfg.Host, " \t/:[]") {
		// host:port is a common slip; the port has its own field.
		return nil, fmt.Errorf("mail: config: host %q must be a bare host name or IP address (port goes in Port)", cfg.Host)
	}
	from, err := netmail.ParseAddress(cfg.From)
	if err != nil {
		return nil, fmt.Errorf("mail: config: from %q: %w", cfg.From, err)
	}
	at := strings.LastIndexByte(from.Address, '@')
	if at < 0 {
		return nil, fmt.Errorf("mail: config: from %q has no domain", cfg.From)
	}
	if cfg.Timeout < 0 {
		return nil, fmt.Errorf("mail: config: negative timeout %s", cfg.Timeout)
	}
	if cfg.Timeout == 0 {
		cfg.Timeout = DefaultTimeout
	}
	cfg.TLS = strings.ToLower(strings.TrimSpace(cfg.TLS))
	if cfg.TLS == "" {
		cfg.TLS = TLSStartTLS
	}
	opts := []gomail.Option{gomail.WithTimeout(cfg.Timeout)}
	port := cfg.Port
	switch cfg.TLS {
	case TLSStartTLS:
		opts = append(opts, gomail.WithTLSPolicy(gomail.TLSMandatory))
		if port == 0 {
			port = 587
		}
	case TLSImplicit:
		opts = append(opts, gomail.WithSSL())
		if port == 0 {
			port = 465
		}
	case TLSNone:
		opts = append(opts, gomail.WithTLSPolicy(gomail.NoTLS))
		if port == 0 {
			port = 25
		}
	default:
		return nil, fmt.Errorf("mail: config: tls %q is not one of starttls, tls, none", cfg.TLS)
	}
	if port < 1 || port > 65535 {
		return nil, fmt.Errorf("mail: config: port %d out of range", port)
	}
	cfg.Port = port
	opts = append(opts, gomail.WithPort(port))
	if tlsConfig != nil {
		opts = append(opts, gomail.WithTLSConfig(tlsConfig))
	}
	if cfg.HeloName != "" {
		opts = append(opts, gomail.WithHELO(cfg.HeloName))
	}
	if cfg.Username != "" {
		auth := gomail.SMTPAuthAutoDiscover
		if cfg.TLS == TLSNone {
			// go-mail refuses PLAIN and LOGIN without TLS unless told
			// explicitly; "none" is that explicit choice.
			auth = gomail.SMTPAuthPlainNoEnc
		}
		opts = append(opts, gomail.WithSMTPAuth(auth),
			gomail.WithUsername(cfg.Username), gomail.WithPassword(cfg.Password))
	}
	// Build one client now so that option errors surface at start-up.
	if _, err := gomail.NewClient(cfg.Host, opts...); err != nil {
		return nil, fmt.Errorf("mail: config: %w", err)
	}
	return &Sender{cfg: cfg, from: from, domain: from.Address[at+1:], opts: opts, log: log}, nil
}

// Send delivers m to the relay over a new connection and returns once the
// relay has accepted it. A failure is wrapped as "mail: ..."; IsPermanent
// tells a rejection (5xx) from a failure worth retrying. The error text
// names the message ID but never the recipient's address, so it may go to
// logs and workflow histories.
func (s *Sender) Send(ctx context.Context, m Message) error {
	msg, id, err := s.build(m)
	if err != nil {
		s.log.WarnContext(ctx, "mail: not sent, invalid message", "message_id", id, "error", err)
		return err
	}
	client, err := gomail.NewClient(s.cfg.Host, s.opts...)
	if err != nil {
		return fmt.Errorf("mail: client: %w", err)
	}
	start := time.Now()
	err = client.DialAndSendWithContext(ctx, msg)
	if err != nil {
		serr := newSendError(id, m.To, err)
		s.log.WarnContext(ctx, "mail: not sent", "message_id", id,
			"permanent", serr.permanent, "code", serr.code, "error", serr.Error())
		return serr
	}
	s.log.InfoContext(ctx, "mail: sent", "message_id", id,
		"duration", time.Since(start).Round(time.Millisecond))
	return nil
}

// build turns m into a go-mail message and returns it with its Message-ID.
func (s *Sender) build(m Message) (*gomail.Msg, string, error) {
	id, err := s.messageID(m.MessageID)
	if err != nil {
		return nil, m.MessageID, Permanent(err)
	}
	if m.Text == "" {
		return nil, id, Permanent(errors.New("mail: message has no text part"))
	}
	msg := gomail.NewMsg(gomail.WithNoDefaultUserAgent())
	msg.FromMailAddress(s.from)
	to := strings.TrimSpace(m.To)
	if strings.ContainsAny(to, "\r\n<>,;") {
		return nil, id, Permanent(errors.New("mail: invalid recipient address"))
	}
	if err := msg.AddToFormat(oneLine(m.ToName), to); err != nil {
		// go-mail's error quotes the address; keep it out.
		return nil, id, Permanent(errors.New("mail: invalid recipient address"))
	}
	msg.Subject(oneLine(m.Subject))
	msg.SetDate()
	msg.SetMessageIDWithValue(id)
	for name, value := range m.Headers {
		if err := checkHeader(name, value); err != nil {
			return nil, id, Permanent(err)
		}
		msg.SetGenHeader(gomail.Header(name), value)
	}
	msg.SetBodyString(gomail.TypeTextPlain, m.Text)
	if m.HTML != "" {
		msg.AddAlternativeString(gomail.TypeTextHTML, m.HTML)
	}
	return msg, id, nil
}

// messageID returns the Message-ID for a Message (without angle brackets),
// completing or generating it as documented on Message.MessageID.
func (s *Sender) messageID(given string) (string, error) {
	id := strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(given), "<"), ">")
	if id == "" {
		var b [20]byte
		_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
		id = strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b[:]))
	}
	if !strings.Contains(id, "@") {
		id += "@" + s.domain
	}
	left, right, _ := strings.Cut(id, "@")
	if !isDotAtom(left) || !isDotAtom(right) {
		return "", fmt.Errorf("mail: invalid message id %q", given)
	}
	return id, nil
}

// isDotAtom reports whether s is an RFC 5322 dot-atom-text (section 3.2.3),
// the form both halves of a msg-id take (section 3.6.4).
func isDotAtom(s string) bool {
	if s == "" || s[0] == '.' || s[len(s)-1] == '.' || strings.Contains(s, "..") {
		return false
	}
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		case strings.ContainsRune("!#$%&'*+-/=?^_`{|}~.", r):
		default:
			return false
		}
	}
	return true
}

// checkHeader rejects header fields that are malformed (RFC 5322 section
// 2.2: field names are printable ASCII without colon; a value with CR or LF
// could inject fields) or that Send writes itself.
func checkHeader(name, value string) error {
	if name == "" {
		return errors.New("mail: empty header name")
	}
	for i := 0; i < len(name); i++ {
		if c := name[i]; c < 33 || c > 126 || c == ':' {
			return fmt.Errorf("mail: invalid header name %q", name)
		}
	}
	// Send writes these itself.
	for _, r := range []string{"From", "Sender", "To", "Cc", "Bcc", "Reply-To", "Subject", "Date",
		"Message-Id", "Mime-Version", "Content-Type", "Content-Transfer-Encoding"} {
		if strings.EqualFold(name, r) {
			return fmt.Errorf("mail: header %s is set by the sender", name)
		}
	}
	if strings.ContainsAny(value, "\r\n") {
		return fmt.Errorf("mail: header %s: line break in value", name)
	}
	return nil
}

// oneLine folds any line breaks and runs of white space into single spaces,
// so text from templates or users cannot break a header.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
