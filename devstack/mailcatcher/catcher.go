// Package mailcatcher is the SMTP server of `kontakt dev` and the tests: it
// accepts every message (any or no authentication, no TLS), keeps the newest
// ones in memory and shows them on /dev/mail pages, so a newcomer can click
// the link in a confirmation mail without a real mailbox.
//
// It is for development only: it listens where it is told, believes every
// client and stores personal data in memory without limit of purpose.
package mailcatcher

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/mail"
	"slices"
	"strconv"
	"sync"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// MaxMessages is how many messages a Catcher keeps; older ones are dropped.
const MaxMessages = 500

// maxMessageBytes bounds one message, as a real relay would.
const maxMessageBytes = 25 << 20

// Caught is one message as the catcher received it.
type Caught struct {
	// ID numbers messages from 1 in the order they arrived.
	ID int
	// At is when the message was received.
	At time.Time
	// From and To are the SMTP envelope: MAIL FROM and every RCPT TO.
	From string
	To   []string
	// Subject is the decoded Subject header (RFC 2047).
	Subject string
	// MessageID is the Message-ID header without angle brackets.
	MessageID string
	// Header holds the top-level header fields as sent (not decoded).
	Header mail.Header
	// Text and HTML are the first text/plain and text/html parts, decoded
	// from quoted-printable or base64; empty if absent.
	Text, HTML string
	// Raw is the message exactly as received.
	Raw []byte
}

// Catcher is a running SMTP catcher. Its methods are safe for concurrent use.
type Catcher struct {
	log *slog.Logger
	ln  net.Listener
	srv *smtp.Server

	served chan struct{} // closed when Serve has returned
	closed chan struct{} // closed by Close, wakes Wait

	mu      sync.Mutex
	msgs    []Caught      // oldest first
	nextID  int           // ID of the next message
	arrived chan struct{} // closed and replaced on every new message
	once    sync.Once
}

// Start listens on addr (e.g. "127.0.0.1:0" for any free port) and serves
// SMTP until Close.
func Start(addr string, log *slog.Logger) (*Catcher, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("mailcatcher: listen: %w", err)
	}
	c := &Catcher{
		log:     log,
		ln:      ln,
		served:  make(chan struct{}),
		closed:  make(chan struct{}),
		nextID:  1,
		arrived: make(chan struct{}),
	}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		return &session{c: c}, nil
	}))
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true
	srv.MaxMessageBytes = maxMessageBytes
	srv.MaxRecipients = 100
	srv.ReadTimeout = time.Minute
	srv.WriteTimeout = time.Minute
	srv.ErrorLog = errorLog{log}
	c.srv = srv
	go func() {
		defer close(c.served)
		if err := srv.Serve(ln); err != nil {
			log.Error("mailcatcher: serve", "error", err)
		}
	}()
	log.Info("mailcatcher: listening", "addr", c.Addr())
	return c, nil
}

// Addr returns the host:port the catcher listens on.
func (c *Catcher) Addr() string { return c.ln.Addr().String() }

// Host returns the IP address the catcher listens on.
func (c *Catcher) Host() string {
	host, _, _ := net.SplitHostPort(c.Addr())
	return host
}

// Port returns the TCP port the catcher listens on.
func (c *Catcher) Port() int {
	_, port, _ := net.SplitHostPort(c.Addr())
	p, _ := strconv.Atoi(port)
	return p
}

// Messages returns the kept messages, newest first.
func (c *Catcher) Messages() []Caught {
	c.mu.Lock()
	defer c.mu.Unlock()
	out := slices.Clone(c.msgs)
	slices.Reverse(out)
	return out
}

// Message returns the kept message with the given ID.
func (c *Catcher) Message(id int) (Caught, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, m := range c.msgs {
		if m.ID == id {
			return m, true
		}
	}
	return Caught{}, false
}

// Wait returns the newest kept message for which match returns true, or
// blocks until one arrives, ctx ends or the catcher is closed. A nil match
// accepts any message. Messages caught before the call count, so a test may
// send first and wait afterwards.
func (c *Catcher) Wait(ctx context.Context, match func(Caught) bool) (Caught, error) {
	seen := 0 // IDs up to seen have been tried
	for {
		c.mu.Lock()
		arrived := c.arrived
		for i := len(c.msgs) - 1; i >= 0 && c.msgs[i].ID > seen; i-- {
			if match == nil || match(c.msgs[i]) {
				m := c.msgs[i]
				c.mu.Unlock()
				return m, nil
			}
		}
		seen = c.nextID - 1
		c.mu.Unlock()

		select {
		case <-arrived:
		case <-ctx.Done():
			return Caught{}, fmt.Errorf("mailcatcher: wait: %w", ctx.Err())
		case <-c.closed:
			return Caught{}, errors.New("mailcatcher: wait: catcher closed")
		}
	}
}

// Close stops the server, dropping open connections. The kept messages stay
// readable.
func (c *Catcher) Close() error {
	var err error
	c.once.Do(func() {
		close(c.closed)
		if cerr := c.srv.Close(); cerr != nil && !errors.Is(cerr, net.ErrClosed) {
			err = fmt.Errorf("mailcatcher: close: %w", cerr)
		}
		// Serve may not have registered the listener with the server yet;
		// closing it here ends its Accept loop either way.
		_ = c.ln.Close()
		<-c.served
	})
	return err
}

// add keeps a received message and wakes the waiters.
func (c *Catcher) add(from string, to []string, raw []byte) Caught {
	m := Caught{At: time.Now(), From: from, To: to, Raw: raw}
	if err := parse(raw, &m); err != nil {
		// Keep it anyway: the raw view still shows what went wrong.
		c.log.Warn("mailcatcher: cannot parse message", "error", err)
	}
	c.mu.Lock()
	m.ID = c.nextID
	c.nextID++
	c.msgs = append(c.msgs, m)
	if n := len(c.msgs) - MaxMessages; n > 0 {
		c.msgs = slices.Delete(c.msgs, 0, n)
	}
	close(c.arrived)
	c.arrived = make(chan struct{})
	c.mu.Unlock()
	c.log.Info("mailcatcher: caught", "id", m.ID, "bytes", len(raw))
	return m
}

// session is one SMTP transaction; it implements smtp.AuthSession.
type session struct {
	c    *Catcher
	from string
	to   []string
}

// AuthMechanisms offers PLAIN so clients that insist on authenticating can.
func (s *session) AuthMechanisms() []string { return []string{sasl.Plain} }

// Auth accepts any credentials.
func (s *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, _, _ string) error { return nil }), nil
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	s.from = from
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	s.to = append(s.to, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	raw, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.c.add(s.from, slices.Clone(s.to), raw)
	return nil
}

func (s *session) Reset() {
	s.from = ""
	s.to = nil
}

func (s *session) Logout() error { return nil }

// errorLog routes go-smtp's connection errors to slog.
type errorLog struct{ log *slog.Logger }

func (l errorLog) Printf(format string, v ...any) {
	l.log.Warn("mailcatcher: smtp", "error", fmt.Sprintf(format, v...))
}

func (l errorLog) Println(v ...any) {
	l.log.Warn("mailcatcher: smtp", "error", fmt.Sprint(v...))
}
