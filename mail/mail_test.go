package mail_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/kontakt/kontakt/devstack/mailcatcher"
	"github.com/kontakt/kontakt/mail"
)

func testLogger(t *testing.T) *slog.Logger {
	return slog.New(slog.NewTextHandler(t.Output(), &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func startCatcher(t *testing.T) *mailcatcher.Catcher {
	t.Helper()
	c, err := mailcatcher.Start("127.0.0.1:0", testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = c.Close() })
	return c
}

func newSender(t *testing.T, host string, port int, user string) *mail.Sender {
	t.Helper()
	s, err := mail.NewSender(mail.Config{
		Host:     host,
		Port:     port,
		TLS:      "none",
		Username: user,
		Password: "secret",
		From:     "Kontakt Přátel <kontakt@example.org>",
		HeloName: "kontakt.test",
		Timeout:  5 * time.Second,
	}, testLogger(t))
	if err != nil {
		t.Fatal(err)
	}
	return s
}

func waitCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func TestSendConfirmationThroughCatcher(t *testing.T) {
	for _, tc := range []struct {
		name string
		user string
	}{{"no auth", ""}, {"auth plain", "kontakt"}} {
		t.Run(tc.name, func(t *testing.T) {
			c := startCatcher(t)
			s := newSender(t, c.Host(), c.Port(), tc.user)

			const url = "https://kontakt.example.org/consent/confirm/abc123?lang=cs&x=1"
			subject, text, html, err := mail.Render("confirm", "cs", mail.ConfirmationData{
				Name:         "Jiří Šťastný",
				Organisation: "Spolek přátel Žďáru",
				Purposes:     []mail.Purpose{{Name: "Zpravodaj", Description: "Měsíční přehled akcí a novinek."}},
				ConfirmURL:   url,
				ExpiresAt:    time.Date(2027, 1, 2, 14, 5, 0, 0, time.UTC),
			})
			if err != nil {
				t.Fatal(err)
			}
			err = s.Send(waitCtx(t), mail.Message{
				To: "jiri@example.net", ToName: "Jiří Šťastný",
				Subject: subject, Text: text, HTML: html,
				Headers:   map[string]string{"Auto-Submitted": "auto-generated"},
				MessageID: "consent-verify-42",
			})
			if err != nil {
				t.Fatal(err)
			}

			m, err := c.Wait(waitCtx(t), func(m mailcatcher.Caught) bool {
				return len(m.To) == 1 && m.To[0] == "jiri@example.net"
			})
			if err != nil {
				t.Fatal(err)
			}
			if want := "Potvrďte prosím svůj souhlas – Spolek přátel Žďáru"; m.Subject != want {
				t.Errorf("subject = %q, want %q", m.Subject, want)
			}
			if m.From != "kontakt@example.org" {
				t.Errorf("envelope from = %q", m.From)
			}
			if m.MessageID != "consent-verify-42@example.org" {
				t.Errorf("message id = %q", m.MessageID)
			}
			if got := m.Header.Get("Auto-Submitted"); got != "auto-generated" {
				t.Errorf("Auto-Submitted = %q", got)
			}
			if m.Header.Get("Date") == "" {
				t.Error("no Date header")
			}
			if ct := m.Header.Get("Content-Type"); !strings.HasPrefix(ct, "multipart/alternative") {
				t.Errorf("Content-Type = %q, want multipart/alternative", ct)
			}
			for _, want := range []string{"Dobrý den,", "Zpravodaj: Měsíční přehled akcí a novinek.", url, "2. 1. 2027 14:05"} {
				if !strings.Contains(m.Text, want) {
					t.Errorf("text part lacks %q:\n%s", want, m.Text)
				}
			}
			htmlURL := strings.ReplaceAll(url, "&", "&amp;")
			for _, want := range []string{`<html lang="cs">`, "Spolek přátel Žďáru", `href="` + htmlURL + `"`, ">" + htmlURL + "</a>"} {
				if !strings.Contains(m.HTML, want) {
					t.Errorf("HTML part lacks %q:\n%s", want, m.HTML)
				}
			}
			if strings.Contains(string(m.Raw), "Šťastný") {
				t.Error("raw message has unencoded non-ASCII: want RFC 2047 and quoted-printable")
			}
		})
	}
}

func TestSendRandomMessageIDs(t *testing.T) {
	c := startCatcher(t)
	s := newSender(t, c.Host(), c.Port(), "")
	for range 2 {
		if err := s.Send(waitCtx(t), mail.Message{To: "a@example.net", Subject: "x", Text: "y"}); err != nil {
			t.Fatal(err)
		}
	}
	msgs := c.Messages()
	if len(msgs) != 2 {
		t.Fatalf("caught %d messages, want 2", len(msgs))
	}
	if msgs[0].MessageID == msgs[1].MessageID || !strings.HasSuffix(msgs[0].MessageID, "@example.org") {
		t.Errorf("message ids %q, %q: want distinct, @example.org", msgs[0].MessageID, msgs[1].MessageID)
	}
	if msgs[0].HTML != "" || msgs[0].Text != "y\n" && msgs[0].Text != "y" {
		t.Errorf("text-only message: text %q html %q", msgs[0].Text, msgs[0].HTML)
	}
}

// rejecter is an SMTP server that refuses every recipient with err.
type rejecter struct{ err *smtp.SMTPError }

func (r rejecter) NewSession(*smtp.Conn) (smtp.Session, error) { return r, nil }
func (r rejecter) Mail(string, *smtp.MailOptions) error        { return nil }
func (r rejecter) Rcpt(string, *smtp.RcptOptions) error        { return r.err }
func (r rejecter) Data(io.Reader) error                        { return errors.New("unreachable") }
func (r rejecter) Reset()                                      {}
func (r rejecter) Logout() error                               { return nil }

// badLogin is an SMTP server that refuses every login with 535.
type badLogin struct{ rejecter }

func (b badLogin) NewSession(*smtp.Conn) (smtp.Session, error) { return b, nil }
func (badLogin) AuthMechanisms() []string                      { return []string{sasl.Plain} }
func (badLogin) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, _, _ string) error { return smtp.ErrAuthFailed }), nil
}

func startRejecter(t *testing.T, code int, enhanced smtp.EnhancedCode, msg string) (string, int) {
	t.Helper()
	return startServer(t, rejecter{&smtp.SMTPError{Code: code, EnhancedCode: enhanced, Message: msg}})
}

func startServer(t *testing.T, be smtp.Backend) (string, int) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := smtp.NewServer(be)
	srv.ErrorLog = slog.NewLogLogger(testLogger(t).Handler(), slog.LevelWarn)
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	done := make(chan struct{})
	go func() { defer close(done); _ = srv.Serve(ln) }()
	t.Cleanup(func() { _ = srv.Close(); _ = ln.Close(); <-done })
	addr := ln.Addr().(*net.TCPAddr)
	return addr.IP.String(), addr.Port
}

func TestSendRejected(t *testing.T) {
	for _, tc := range []struct {
		name      string
		code      int
		enhanced  smtp.EnhancedCode
		permanent bool
	}{
		{"550 unknown mailbox", 550, smtp.EnhancedCode{5, 1, 1}, true},
		{"451 try later", 451, smtp.EnhancedCode{4, 3, 0}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			host, port := startRejecter(t, tc.code, tc.enhanced, "<Nobody@Example.net> rejected")
			s := newSender(t, host, port, "")
			err := s.Send(waitCtx(t), mail.Message{To: "nobody@example.net", Subject: "Ahoj", Text: "Dobrý den", MessageID: "m1"})
			if err == nil {
				t.Fatal("Send succeeded, want rejection")
			}
			if got := mail.IsPermanent(err); got != tc.permanent {
				t.Errorf("IsPermanent = %v, want %v (err: %v)", got, tc.permanent, err)
			}
			msg := err.Error()
			if !strings.HasPrefix(msg, "mail: ") || !strings.Contains(msg, "m1@example.org") {
				t.Errorf("error %q: want mail: prefix and the message id", msg)
			}
			if strings.Contains(strings.ToLower(msg), "nobody@example.net") {
				t.Errorf("error names the recipient: %q", msg)
			}
		})
	}
}

func TestSendLoginRefusedIsTemporary(t *testing.T) {
	host, port := startServer(t, badLogin{})
	s := newSender(t, host, port, "kontakt")
	err := s.Send(waitCtx(t), mail.Message{To: "a@example.net", Subject: "x", Text: "y"})
	if err == nil || !strings.Contains(err.Error(), "535") {
		t.Fatalf("err = %v, want the relay's 535", err)
	}
	if mail.IsPermanent(err) {
		t.Errorf("IsPermanent(%v) = true; a refused login is the relay's configuration, not the message", err)
	}
}

func TestSendUnreachableIsTemporary(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	_ = ln.Close() // nothing listens there now
	s := newSender(t, "127.0.0.1", port, "")
	err = s.Send(waitCtx(t), mail.Message{To: "a@example.net", Subject: "x", Text: "y"})
	if err == nil || mail.IsPermanent(err) {
		t.Fatalf("err = %v, IsPermanent = %v; want a temporary error", err, mail.IsPermanent(err))
	}
}

func TestSendInvalidMessageIsPermanent(t *testing.T) {
	c := startCatcher(t)
	s := newSender(t, c.Host(), c.Port(), "")
	for name, m := range map[string]mail.Message{
		"bad address":      {To: "not an address", Subject: "x", Text: "y"},
		"header injection": {To: "a@example.net", Subject: "x", Text: "y", Headers: map[string]string{"X-A": "1\r\nBcc: b@example.net"}},
		"reserved header":  {To: "a@example.net", Subject: "x", Text: "y", Headers: map[string]string{"bcc": "b@example.net"}},
		"bad message id":   {To: "a@example.net", Subject: "x", Text: "y", MessageID: "a b"},
		"no text":          {To: "a@example.net", Subject: "x", HTML: "<p>y</p>"},
	} {
		t.Run(name, func(t *testing.T) {
			err := s.Send(waitCtx(t), m)
			if err == nil || !mail.IsPermanent(err) || !strings.HasPrefix(err.Error(), "mail: ") {
				t.Fatalf("err = %v; want a permanent mail: error", err)
			}
		})
	}
	if n := len(c.Messages()); n != 0 {
		t.Errorf("catcher got %d messages, want none", n)
	}
}

func TestSubjectInjectionFolded(t *testing.T) {
	c := startCatcher(t)
	s := newSender(t, c.Host(), c.Port(), "")
	if err := s.Send(waitCtx(t), mail.Message{To: "a@example.net", Subject: "Ahoj\r\nBcc: b@example.net", Text: "y"}); err != nil {
		t.Fatal(err)
	}
	m, err := c.Wait(waitCtx(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	if m.Subject != "Ahoj Bcc: b@example.net" || m.Header.Get("Bcc") != "" || len(m.To) != 1 {
		t.Errorf("subject %q, Bcc %q, to %v: want the line break folded away", m.Subject, m.Header.Get("Bcc"), m.To)
	}
}

func TestNewSenderValidates(t *testing.T) {
	ok := mail.Config{Host: "smtp.example.org", From: "Kontakt <kontakt@example.org>"}
	for name, mod := range map[string]func(*mail.Config){
		"empty host":     func(c *mail.Config) { c.Host = "" },
		"host with port": func(c *mail.Config) { c.Host = "smtp.example.org:587" },
		"bad from":       func(c *mail.Config) { c.From = "Kontakt" },
		"bad tls":        func(c *mail.Config) { c.TLS = "ssl" },
		"bad port":       func(c *mail.Config) { c.Port = 70000 },
	} {
		t.Run(name, func(t *testing.T) {
			cfg := ok
			mod(&cfg)
			if _, err := mail.NewSender(cfg, nil); err == nil || !strings.HasPrefix(err.Error(), "mail: ") {
				t.Errorf("err = %v, want a mail: config error", err)
			}
		})
	}
	for _, tlsMode := range []string{"", "starttls", "TLS", "none"} {
		cfg := ok
		cfg.TLS = tlsMode
		if _, err := mail.NewSender(cfg, nil); err != nil {
			t.Errorf("TLS %q: %v", tlsMode, err)
		}
	}
	cfg := ok
	cfg.Host = "::1"
	if _, err := mail.NewSender(cfg, nil); err != nil {
		t.Errorf("IPv6 host: %v", err)
	}
}
