package mailcatcher

import (
	"bytes"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"net/textproto"
	"strings"
)

// maxDepth bounds multipart nesting.
const maxDepth = 8

// parse fills m's Header, Subject, MessageID, Text and HTML from raw
// (RFC 5322 with MIME, RFC 2045-2047). What it cannot parse stays empty.
func parse(raw []byte, m *Caught) error {
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return fmt.Errorf("mailcatcher: parse: %w", err)
	}
	m.Header = msg.Header
	dec := mime.WordDecoder{}
	m.Subject = msg.Header.Get("Subject")
	if s, err := dec.DecodeHeader(m.Subject); err == nil {
		m.Subject = s
	}
	m.MessageID = strings.Trim(strings.TrimSpace(msg.Header.Get("Message-ID")), "<>")
	return walk(textproto.MIMEHeader(msg.Header), msg.Body, m, 0)
}

// walk decodes one MIME entity and descends into multiparts, keeping the
// first inline text/plain and text/html bodies.
func walk(h textproto.MIMEHeader, body io.Reader, m *Caught, depth int) error {
	if depth > maxDepth {
		return errors.New("mailcatcher: parse: multipart nested too deep")
	}
	ct := h.Get("Content-Type")
	if ct == "" {
		ct = "text/plain; charset=us-ascii" // RFC 2045 section 5.2
	}
	mediaType, params, err := mime.ParseMediaType(ct)
	if err != nil {
		return fmt.Errorf("mailcatcher: parse: content type %q: %w", ct, err)
	}
	if strings.HasPrefix(mediaType, "multipart/") {
		mr := multipart.NewReader(body, params["boundary"])
		for {
			p, err := mr.NextRawPart() // decode transfer encodings here, not in mime/multipart
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return fmt.Errorf("mailcatcher: parse: multipart: %w", err)
			}
			if err := walk(p.Header, p, m, depth+1); err != nil {
				return err
			}
		}
	}
	if disp, _, _ := mime.ParseMediaType(h.Get("Content-Disposition")); disp == "attachment" {
		return nil
	}
	if mediaType != "text/plain" && mediaType != "text/html" {
		return nil
	}
	if (mediaType == "text/plain" && m.Text != "") || (mediaType == "text/html" && m.HTML != "") {
		return nil
	}
	b, err := io.ReadAll(decodeTransfer(h.Get("Content-Transfer-Encoding"), body))
	if err != nil {
		return fmt.Errorf("mailcatcher: parse: %s body: %w", mediaType, err)
	}
	s := strings.ReplaceAll(toUTF8(b, params["charset"]), "\r\n", "\n")
	if mediaType == "text/plain" {
		m.Text = s
	} else {
		m.HTML = s
	}
	return nil
}

// decodeTransfer undoes a Content-Transfer-Encoding (RFC 2045 section 6).
func decodeTransfer(cte string, r io.Reader) io.Reader {
	switch strings.ToLower(strings.TrimSpace(cte)) {
	case "quoted-printable":
		return quotedprintable.NewReader(r)
	case "base64":
		return base64.NewDecoder(base64.StdEncoding, r) // skips CR and LF
	default: // 7bit, 8bit, binary
		return r
	}
}

// toUTF8 turns b into a string: UTF-8 and US-ASCII as they are, ISO-8859-1
// mapped byte for byte. Other charsets are shown as received: Kontakt itself
// only sends UTF-8.
func toUTF8(b []byte, charset string) string {
	switch strings.ToLower(charset) {
	case "iso-8859-1", "latin1", "latin-1":
		r := make([]rune, len(b))
		for i, c := range b {
			r[i] = rune(c)
		}
		return string(r)
	default:
		return string(b)
	}
}
