package mailcatcher

import (
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		name, raw                string
		subject, text, html, err string
	}{
		{
			name:    "no content type",
			raw:     "Subject: plain\r\n\r\nhello\r\n",
			subject: "plain", text: "hello\n",
		},
		{
			name:    "latin-1 quoted-printable",
			raw:     "Subject: =?iso-8859-1?q?caf=E9?=\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\ncaf=E9 au lait=\r\n!\r\n",
			subject: "café", text: "café au lait!\n",
		},
		{
			name:    "html only, base64",
			raw:     "Subject: x\r\nContent-Type: text/html; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\nPHA+xb5sdcWlb3XEjWvDvTwvcD4=\r\n",
			subject: "x", html: "<p>žluťoučký</p>",
		},
		{
			name:    "unknown subject encoding kept",
			raw:     "Subject: =?x-unknown?q?abc?=\r\n\r\nb\r\n",
			subject: "=?x-unknown?q?abc?=", text: "b\n",
		},
		{
			name: "bad content type",
			raw:  "Subject: y\r\nContent-Type: ;;;\r\n\r\nb\r\n",
			err:  "content type", subject: "y",
		},
		{
			name: "not a message",
			raw:  "no header here",
			err:  "parse",
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var m Caught
			err := parse([]byte(tc.raw), &m)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || !strings.HasPrefix(err.Error(), "mailcatcher: ") {
					t.Errorf("err = %v, want one about %q", err, tc.err)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if m.Subject != tc.subject || m.Text != tc.text || m.HTML != tc.html {
				t.Errorf("got subject %q text %q html %q", m.Subject, m.Text, m.HTML)
			}
		})
	}
}

func TestParseDepthLimit(t *testing.T) {
	var b strings.Builder
	b.WriteString("Content-Type: multipart/mixed; boundary=b0\r\n\r\n")
	for i := 1; i <= maxDepth+2; i++ {
		b.WriteString("--b" + string(rune('0'+i-1)) + "\r\nContent-Type: multipart/mixed; boundary=b" + string(rune('0'+i)) + "\r\n\r\n")
	}
	var m Caught
	if err := parse([]byte(b.String()), &m); err == nil {
		t.Error("deep nesting accepted")
	}
}

func TestSrcdoc(t *testing.T) {
	for in, want := range map[string]string{
		"":                           "",
		"<p>x</p>":                   `<base target="_top"><p>x</p>`,
		"<HTML><HEAD lang=x><title>": `<HTML><HEAD lang=x><base target="_top"><title>`,
		"<html><header>":             `<base target="_top"><html><header>`,
		"<head/><p>":                 `<head/><base target="_top"><p>`,
	} {
		if got := srcdoc(in); got != want {
			t.Errorf("srcdoc(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzParse feeds parse arbitrary bytes: it must not panic or loop.
func FuzzParse(f *testing.F) {
	f.Add([]byte("Subject: =?UTF-8?B?xb4=?=\r\nContent-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\nContent-Transfer-Encoding: base64\r\n\r\nxb4=\r\n--b--\r\n"))
	f.Add([]byte("Content-Type: text/html\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n=C5=BE=\r\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		var m Caught
		_ = parse(raw, &m)
	})
}
