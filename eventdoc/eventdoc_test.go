package eventdoc_test

import (
	"bytes"
	"errors"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/kontakt/kontakt/eventdoc"
)

func upload(t *testing.T, fields map[string]string, file []byte) *http.Request {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	for k, v := range fields {
		mw.WriteField(k, v) //nolint:errcheck
	}
	if file != nil {
		fw, _ := mw.CreateFormFile("file", "programme.pdf")
		fw.Write(file) //nolint:errcheck
	}
	mw.Close()
	r := httptest.NewRequest("POST", "/x", &body)
	r.Header.Set("Content-Type", mw.FormDataContentType())
	return r
}

func TestRead(t *testing.T) {
	pdf := []byte("%PDF-1.4\n%âãÏÓ\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n")
	up, err := eventdoc.Read(upload(t, map[string]string{"csrf": "tok", "other": "x"}, pdf), "csrf")
	if err != nil || up.Name != "programme.pdf" || up.ContentType != "application/pdf" || !bytes.Equal(up.Data, pdf) || up.Fields["csrf"] != "tok" || up.Fields["other"] != "" {
		t.Fatalf("read: %v %+v", err, up)
	}

	plain := httptest.NewRequest("POST", "/x", strings.NewReader("file=x"))
	plain.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	big := upload(t, nil, bytes.Repeat([]byte("a"), eventdoc.MaxBytes+1))
	capped := upload(t, nil, bytes.Repeat([]byte("a"), 4096))
	capped.Body = http.MaxBytesReader(httptest.NewRecorder(), capped.Body, 1024)
	for name, c := range map[string]struct {
		r    *http.Request
		want *eventdoc.Error
	}{
		"not multipart": {plain, eventdoc.ErrNotMultipart},
		"no file":       {upload(t, map[string]string{"csrf": "tok"}, nil), eventdoc.ErrNoFile},
		"too large":     {big, eventdoc.ErrTooLarge},
		"body capped":   {capped, eventdoc.ErrTooLarge},
	} {
		_, err := eventdoc.Read(c.r)
		var ee *eventdoc.Error
		if !errors.As(err, &ee) || ee != c.want {
			t.Errorf("%s: %v, want %v", name, err, c.want)
		}
	}
}
