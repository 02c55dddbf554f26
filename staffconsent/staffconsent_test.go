package staffconsent

import (
	"bytes"
	"context"
	"errors"
	"mime/multipart"
	"net/http"
	"testing"
	"time"

	"github.com/kontakt/kontakt/model"
)

func TestSniff(t *testing.T) {
	for in, want := range map[string]string{"%PDF-1.7\n": "application/pdf", "\xff\xd8\xff\xe0": "image/jpeg",
		"\x89PNG\r\n\x1a\n": "image/png", "<html>": "", "": "", "%PD": ""} {
		if got := Sniff([]byte(in)); got != want {
			t.Errorf("Sniff(%q) = %q, want %q", in, got, want)
		}
	}
}

// body builds a multipart body of fields (name, value pairs) and returns its reader.
func body(t *testing.T, pairs ...string) *multipart.Reader {
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for i := 0; i+1 < len(pairs); i += 2 {
		if pairs[i] == "scan" {
			fw, _ := mw.CreateFormFile("scan", "x.pdf")
			fw.Write([]byte(pairs[i+1])) //nolint:errcheck
			continue
		}
		mw.WriteField(pairs[i], pairs[i+1]) //nolint:errcheck
	}
	mw.Close()
	return multipart.NewReader(&b, mw.Boundary())
}

func TestReadUploadAndRecord(t *testing.T) {
	now := time.Date(2026, 5, 2, 10, 0, 0, 0, time.UTC)
	up, err := ReadUpload(body(t, "csrf", "tok", "purpose_id", "p", "signed_on", "2026-05-01", "valid_until", "2027-04-30",
		"branch", " Brno ", "scan", "%PDF-1.4 x"), 100, "csrf")
	if err != nil || up.Fields["csrf"] != "tok" || up.Fields["branch"] != "Brno" {
		t.Fatalf("read: %v %+v", err, up.Fields)
	}
	rec, err := up.Record("c", now)
	if err != nil || rec.Source != model.SourceBranch || rec.Scan.ContentType != "application/pdf" ||
		!rec.ValidUntil.Equal(time.Date(2027, 5, 1, 0, 0, 0, 0, time.UTC)) || rec.Evidence["branch"] != "Brno" {
		t.Fatalf("record: %v %+v", err, rec)
	}
	for name, tc := range map[string]struct {
		pairs  []string
		status int
	}{
		"extra field without leave": {[]string{"csrf", "tok"}, 400},
		"two scans":                 {[]string{"scan", "%PDF-", "scan", "%PDF-"}, 400},
		"scan over the limit":       {[]string{"scan", "%PDF-" + string(bytes.Repeat([]byte("x"), 200))}, 413},
	} {
		_, err := ReadUpload(body(t, tc.pairs...), 100)
		var se *Error
		if !errors.As(err, &se) || se.Status != tc.status {
			t.Errorf("%s: %v", name, err)
		}
	}
	up.Scan = []byte("GIF89a")
	var se *Error
	if _, err := up.Record("c", now); !errors.As(err, &se) || se.Status != http.StatusUnsupportedMediaType {
		t.Errorf("a GIF: %v", err)
	}
}

func TestHook(t *testing.T) {
	ctx := context.Background()
	if err := (Hook{}).Check(ctx, "c", []byte("x")); err != nil {
		t.Errorf("no hook: %v", err)
	}
	h := Hook{Command: []string{"sh", "-c", "! grep -q EICAR"}}
	if err := h.Check(ctx, "c", []byte("clean")); err != nil {
		t.Errorf("clean: %v", err)
	}
	if err := h.Check(ctx, "c", []byte("EICAR")); err != ErrRejected {
		t.Errorf("virus: %v", err)
	}
	if err := (Hook{Command: []string{"/nonexistent/scanner"}}).Check(ctx, "c", nil); err != ErrUnavailable {
		t.Errorf("missing hook: %v", err)
	}
	if err := (Hook{Command: []string{"sleep", "5"}, Timeout: 50 * time.Millisecond}).Check(ctx, "c", nil); err != ErrUnavailable {
		t.Errorf("slow hook: %v", err)
	}
}
