package mailcatcher_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/kontakt/kontakt/devstack/mailcatcher"
)

func start(t *testing.T) *mailcatcher.Catcher {
	t.Helper()
	c, err := mailcatcher.Start("127.0.0.1:0", slog.New(slog.NewTextHandler(t.Output(), nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := c.Close(); err != nil {
			t.Error(err)
		}
	})
	return c
}

func timeout(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

// sendRaw submits msg over plain SMTP, authenticating with auth if not nil.
func sendRaw(t *testing.T, addr string, auth sasl.Client, from string, to []string, msg string) {
	t.Helper()
	cl, err := smtp.Dial(addr)
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	if auth != nil {
		if err := cl.Auth(auth); err != nil {
			t.Fatal(err)
		}
	}
	if err := cl.SendMail(from, to, strings.NewReader(msg)); err != nil {
		t.Fatal(err)
	}
	if err := cl.Quit(); err != nil {
		t.Fatal(err)
	}
}

// crlf turns a readable test message into wire format.
func crlf(s string) string {
	return strings.ReplaceAll(strings.TrimLeft(s, "\n"), "\n", "\r\n")
}

// confirmMail is a message the way a mail client might build it: RFC 2047
// subject, a text part in base64, an HTML part in quoted-printable inside
// multipart/alternative, and an attachment around them.
var confirmMail = crlf(`
From: Kontakt <kontakt@example.org>
To: =?utf-8?q?Ji=C5=99=C3=AD?= <jiri@example.net>
Subject: =?UTF-8?q?Potvr=C4=8Fte_pros=C3=ADm_?= =?UTF-8?B?c3bFr2ogc291aGxhcw==?=
Message-ID: <abc-1@example.org>
Date: Sat, 02 Jan 2027 14:05:00 +0100
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="outer"

--outer
Content-Type: multipart/alternative; boundary="inner"

--inner
Content-Type: text/plain; charset=UTF-8
Content-Transfer-Encoding: base64

RG9icsO9IGRlbiwKcG90dnLEj3RlIGh0dHBzOi8va29udGFrdC5leGFtcGxlLm9yZy9jP3Q9MSZ1
PTIK
--inner
Content-Type: text/html; charset=UTF-8
Content-Transfer-Encoding: quoted-printable

<p>Dobr=C3=BD den,</p><p><a href=3D"https://kontakt.example.org/c?t=3D1&amp;u=
=3D2">Potvrdit</a></p>
--inner--
--outer
Content-Type: text/plain; name="note.txt"
Content-Disposition: attachment; filename="note.txt"

not the body
--outer--
`)

func TestCatchParsesMIME(t *testing.T) {
	c := start(t)
	auth := sasl.NewPlainClient("", "anyone", "anything")
	sendRaw(t, c.Addr(), auth, "kontakt@example.org", []string{"jiri@example.net", "copy@example.net"}, confirmMail)
	m, err := c.Wait(timeout(t), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, check := range []struct{ name, got, want string }{
		{"subject", m.Subject, "Potvrďte prosím svůj souhlas"},
		{"from", m.From, "kontakt@example.org"},
		{"to", strings.Join(m.To, ","), "jiri@example.net,copy@example.net"},
		{"message id", m.MessageID, "abc-1@example.org"},
		{"text", m.Text, "Dobrý den,\npotvrďte https://kontakt.example.org/c?t=1&u=2\n"},
		{"html", m.HTML, `<p>Dobrý den,</p><p><a href="https://kontakt.example.org/c?t=1&amp;u=2">Potvrdit</a></p>`},
		{"raw", string(m.Raw), confirmMail},
	} {
		if check.got != check.want {
			t.Errorf("%s = %q, want %q", check.name, check.got, check.want)
		}
	}
	if m.ID != 1 || m.At.IsZero() {
		t.Errorf("id %d at %v", m.ID, m.At)
	}
}

func TestWait(t *testing.T) {
	c := start(t)
	send := func(subject string) {
		t.Helper()
		msg := crlf("Subject: " + subject + "\n\nbody\n")
		sendRaw(t, c.Addr(), nil, "a@example.org", []string{"b@example.net"}, msg)
	}
	bySubject := func(s string) func(mailcatcher.Caught) bool {
		return func(m mailcatcher.Caught) bool { return m.Subject == s }
	}

	send("first")
	if m, err := c.Wait(timeout(t), bySubject("first")); err != nil || m.ID != 1 {
		t.Fatalf("Wait for an earlier message: %v, %v", m.ID, err)
	}

	got := make(chan mailcatcher.Caught)
	go func() {
		m, err := c.Wait(timeout(t), bySubject("third"))
		if err != nil {
			t.Error(err)
		}
		got <- m
	}()
	send("second")
	send("third")
	if m := <-got; m.Subject != "third" || m.ID != 3 {
		t.Errorf("Wait returned #%d %q, want #3 third", m.ID, m.Subject)
	}

	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	if _, err := c.Wait(ctx, bySubject("never")); err == nil || !strings.HasPrefix(err.Error(), "mailcatcher: ") {
		t.Errorf("Wait without a match: err = %v", err)
	}

	msgs := c.Messages()
	if len(msgs) != 3 || msgs[0].Subject != "third" || msgs[2].Subject != "first" {
		t.Errorf("Messages not newest first: %v", msgs)
	}
}

func TestWaitEndsOnClose(t *testing.T) {
	c, err := mailcatcher.Start("127.0.0.1:0", nil)
	if err != nil {
		t.Fatal(err)
	}
	errc := make(chan error)
	go func() {
		_, err := c.Wait(t.Context(), nil)
		errc <- err
	}()
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if err := <-errc; err == nil {
		t.Error("Wait returned no error after Close")
	}
	if err := c.Close(); err != nil {
		t.Errorf("second Close: %v", err)
	}
}

func TestKeepsNewest(t *testing.T) {
	c := start(t)
	cl, err := smtp.Dial(c.Addr())
	if err != nil {
		t.Fatal(err)
	}
	defer cl.Close()
	total := mailcatcher.MaxMessages + 3
	for i := 1; i <= total; i++ {
		msg := crlf(fmt.Sprintf("Subject: n%d\n\nbody\n", i))
		if err := cl.SendMail("a@example.org", []string{"b@example.net"}, strings.NewReader(msg)); err != nil {
			t.Fatal(err)
		}
	}
	if err := cl.Quit(); err != nil {
		t.Fatal(err)
	}
	msgs := c.Messages()
	if len(msgs) != mailcatcher.MaxMessages {
		t.Fatalf("kept %d, want %d", len(msgs), mailcatcher.MaxMessages)
	}
	if first, last := msgs[0], msgs[len(msgs)-1]; first.ID != total || last.ID != 4 || last.Subject != "n4" {
		t.Errorf("kept #%d..#%d (%s), want #%d..#4", first.ID, last.ID, last.Subject, total)
	}
}

func TestHandler(t *testing.T) {
	c := start(t)
	mux := http.NewServeMux()
	mux.Handle("/dev/mail/", c.Handler("/dev/mail"))
	srv := httptest.NewServer(mux)
	defer srv.Close()
	client := srv.Client()
	client.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

	get := func(path string) (int, string, http.Header) {
		t.Helper()
		resp, err := client.Get(srv.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, err := io.ReadAll(resp.Body)
		if err != nil {
			t.Fatal(err)
		}
		return resp.StatusCode, string(b), resp.Header
	}

	if code, body, _ := get("/dev/mail/"); code != http.StatusOK || !strings.Contains(body, "No mail yet.") {
		t.Errorf("empty list: %d\n%s", code, body)
	}

	html := `<!DOCTYPE html><html><head><title>x</title></head><body><p>Dobrý den &amp; vítejte</p>` +
		`<a href="https://kontakt.example.org/c?t=1&amp;u=2">Potvrdit souhlas</a><script>alert(1)</script></body></html>`
	msg := crlf("From: =?utf-8?q?Kontakt?= <kontakt@example.org>\nTo: <jiri@example.net>\n" +
		"Subject: =?UTF-8?q?Potvr=C4=8Fte_pros=C3=ADm_sv=C5=AFj_souhlas?=\n" +
		"MIME-Version: 1.0\nContent-Type: multipart/alternative; boundary=b\n\n" +
		"--b\nContent-Type: text/plain; charset=utf-8\n\nText <part> pro https://kontakt.example.org/c?t=1&u=2\n" +
		"--b\nContent-Type: text/html; charset=utf-8\n\n" + html + "\n--b--\n")
	sendRaw(t, c.Addr(), nil, "kontakt@example.org", []string{"jiri@example.net"}, msg)
	m, err := c.Wait(timeout(t), nil)
	if err != nil {
		t.Fatal(err)
	}

	code, body, hdr := get("/dev/mail/")
	if code != http.StatusOK || !strings.HasPrefix(hdr.Get("Content-Type"), "text/html") {
		t.Fatalf("list: %d %s", code, hdr.Get("Content-Type"))
	}
	for _, want := range []string{
		"jiri@example.net",
		fmt.Sprintf(`<a href="/dev/mail/%d">Potvrďte prosím svůj souhlas</a>`, m.ID),
		m.At.Format("2006-01-02 15:04:05"),
	} {
		if !strings.Contains(body, want) {
			t.Errorf("list lacks %q:\n%s", want, body)
		}
	}

	code, body, _ = get(fmt.Sprintf("/dev/mail/%d", m.ID))
	if code != http.StatusOK {
		t.Fatalf("show: %d", code)
	}
	for _, want := range []string{
		"<h1>Potvrďte prosím svůj souhlas</h1>",
		`sandbox="allow-popups allow-popups-to-escape-sandbox allow-top-navigation-by-user-activation"`,
		// The HTML part goes into srcdoc escaped, with links aimed at the top window.
		`srcdoc="&lt;!DOCTYPE html&gt;&lt;html&gt;&lt;head&gt;&lt;base target=&#34;_top&#34;&gt;&lt;title&gt;`,
		`&lt;a href=&#34;https://kontakt.example.org/c?t=1&amp;amp;u=2&#34;&gt;Potvrdit souhlas&lt;/a&gt;`,
		"<pre>Text &lt;part&gt; pro https://kontakt.example.org/c?t=1&amp;u=2</pre>",
		"<dt>Message-ID</dt>",
		"<dd>Kontakt &lt;kontakt@example.org&gt;</dd>",
	} {
		if !strings.Contains(body, want) {
			t.Errorf("message page lacks %q:\n%s", want, body)
		}
	}
	if strings.Contains(body, "allow-scripts") || strings.Contains(body, "allow-same-origin") || strings.Contains(body, "<script>") {
		t.Errorf("message page lets the mail run code:\n%s", body)
	}

	code, body, hdr = get(fmt.Sprintf("/dev/mail/%d/raw", m.ID))
	if code != http.StatusOK || body != msg || !strings.HasPrefix(hdr.Get("Content-Type"), "text/plain") {
		t.Errorf("raw: %d %s", code, hdr.Get("Content-Type"))
	}

	for _, path := range []string{"/dev/mail/999", "/dev/mail/x", "/dev/mail/999/raw"} {
		if code, _, _ := get(path); code != http.StatusNotFound {
			t.Errorf("GET %s = %d, want 404", path, code)
		}
	}
}

func TestHandlerRedirectsBarePrefix(t *testing.T) {
	c := start(t)
	rec := httptest.NewRecorder()
	c.Handler("/dev/mail/").ServeHTTP(rec, httptest.NewRequest(http.MethodGet, "/dev/mail", nil))
	if rec.Code != http.StatusSeeOther || rec.Header().Get("Location") != "/dev/mail/" {
		t.Errorf("GET /dev/mail = %d → %q", rec.Code, rec.Header().Get("Location"))
	}
}
