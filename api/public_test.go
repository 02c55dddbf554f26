package api_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/kontakt/kontakt/model"
)

// seedForm makes a purpose and a form on a fresh book and returns the admin client.
func seedForm(t *testing.T, e *env, withSecret bool) (*client, model.Form, model.Purpose) {
	t.Helper()
	c, b := seedBook(t, e)
	var p model.Purpose
	r := c.do("POST", "/api/purposes", map[string]any{"key": "newsletter", "name": "Newsletter",
		"description": "Novinky jednou měsíčně", "wording": "Souhlasím se zasíláním novinek.", "validity_months": 24})
	if r.status != http.StatusCreated {
		t.Fatalf("purpose: %d %s", r.status, r.body)
	}
	r.json(t, &p)
	var f model.Form
	r = c.do("POST", "/api/forms", map[string]any{"name": "Web", "book_id": b.ID, "purpose_ids": []string{p.ID},
		"allowed_origins": []string{"https://www.firma.example"}, "honeypot_field": "website", "with_hmac_secret": withSecret,
		"organisation": "Firma s.r.o."})
	if r.status != http.StatusCreated {
		t.Fatalf("form: %d %s", r.status, r.body)
	}
	r.json(t, &f)
	return c, f, p
}

func requests(t *testing.T, e *env) int {
	var n int
	if err := e.pool.QueryRow(context.Background(), `SELECT count(*) FROM consent_requests`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func TestConsentIntake(t *testing.T) {
	e := newEnv(t)
	_, f, _ := seedForm(t, e, false)
	anon := e.anon()
	path := "/public/forms/" + f.Key + "/consents"

	// a plain HTML form post
	form := url.Values{"email": {"Jana.Nova@Posta.Example"}, "name": {"Jana Nová"}, "purposes": {"newsletter"}}
	r := anon.do("POST", path, form.Encode(), "Content-Type", "application/x-www-form-urlencoded", "Origin", "https://www.firma.example")
	if r.status != http.StatusAccepted || !strings.Contains(string(r.body), "schránku") {
		t.Fatalf("html form post: %d %s", r.status, r.body)
	}
	if r.header.Get("Access-Control-Allow-Origin") != "https://www.firma.example" {
		t.Errorf("CORS header %q", r.header.Get("Access-Control-Allow-Origin"))
	}
	// the same email again while pending: still one request, marked for a resend
	r = anon.do("POST", path, map[string]any{"email": "jana.nova@posta.example"})
	if r.status != http.StatusAccepted {
		t.Fatalf("json post: %d %s", r.status, r.body)
	}
	if n := requests(t, e); n != 1 {
		t.Fatalf("%d requests after a resubmission, want 1", n)
	}
	var email, ip string
	var resend bool
	if err := e.pool.QueryRow(context.Background(), `SELECT email, ip, resend_requested_at IS NOT NULL FROM consent_requests`).Scan(&email, &ip, &resend); err != nil {
		t.Fatal(err)
	}
	if email != "Jana.Nova@posta.example" || ip != "127.0.0.1" || !resend {
		t.Fatalf("stored %q from %q, resend %v", email, ip, resend)
	}
	// a filled honeypot is answered like a success and stores nothing
	r = anon.do("POST", path, map[string]any{"email": "bot@spam.example", "website": "http://spam.example"})
	if r.status != http.StatusAccepted || requests(t, e) != 1 {
		t.Fatalf("honeypot: %d, %d requests", r.status, requests(t, e))
	}
}

func TestConsentIntakeBadInput(t *testing.T) {
	e := newEnv(t)
	_, f, _ := seedForm(t, e, true)
	anon := e.anon()
	path := "/public/forms/" + f.Key + "/consents"
	sign := func(body string) string {
		m := hmac.New(sha256.New, []byte(f.HMACSecret))
		m.Write([]byte(body))
		return "sha256=" + hex.EncodeToString(m.Sum(nil))
	}
	okBody := `{"email":"petr@posta.example","purposes":["newsletter"]}`
	cases := []struct {
		name    string
		path    string
		body    string
		headers []string
		status  int
		field   string
	}{
		{"no email", path, `{"name":"X"}`, []string{"Origin", "https://www.firma.example"}, 400, "email"},
		{"invalid email", path, `{"email":"petr@"}`, []string{"Origin", "https://www.firma.example"}, 400, "email"},
		{"unknown purpose", path, `{"email":"petr@posta.example","purposes":["lottery"]}`, []string{"Origin", "https://www.firma.example"}, 400, "purposes"},
		{"unknown field", path, `{"email":"petr@posta.example","age":3}`, []string{"Origin", "https://www.firma.example"}, 400, "age"},
		{"malformed", path, `{"email":`, []string{"Origin", "https://www.firma.example"}, 400, ""},
		{"wrong origin", path, okBody, []string{"Origin", "https://evil.example"}, 403, ""},
		{"server post without signature", path, okBody, nil, 401, ""},
		{"bad signature", path, okBody, []string{signatureHeader(), "sha256=00"}, 401, ""},
		{"signature of another body", path, okBody, []string{signatureHeader(), sign(`{"email":"x@y.example"}`)}, 401, ""},
		{"oversize", path, `{"email":"petr@posta.example","name":"` + strings.Repeat("x", 70<<10) + `"}`, []string{"Origin", "https://www.firma.example"}, 413, ""},
		{"unknown form", "/public/forms/nope/consents", okBody, nil, 404, ""},
		{"wrong type", path, `text`, []string{"Content-Type", "text/plain", "Origin", "https://www.firma.example"}, 415, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := anon.do("POST", tc.path, tc.body, tc.headers...)
			if r.status != tc.status {
				t.Fatalf("status %d, want %d: %s", r.status, tc.status, r.body)
			}
			var body struct{ Error, Field string }
			r.json(t, &body)
			if body.Error == "" || (tc.field != "" && body.Field != tc.field) {
				t.Fatalf("body %s, want field %q", r.body, tc.field)
			}
		})
	}
	if n := requests(t, e); n != 0 {
		t.Fatalf("rejected posts stored %d requests", n)
	}
	if r := anon.do("POST", path, okBody, signatureHeader(), sign(okBody)); r.status != http.StatusAccepted {
		t.Fatalf("signed server post: %d %s", r.status, r.body)
	}
}

// The limits of the public endpoint hold for the consent intake: per address (5 in 10
// minutes, resubmissions included, counted with the other form endpoints) and per client
// address (30); a refused post is answered 429 with Retry-After and stores nothing. The
// posts run at the same time, so they share transactions.
func TestConsentIntakeRateLimits(t *testing.T) {
	e := newEnv(t)
	_, f, _ := seedForm(t, e, false)
	anon := e.anon()
	path := "/public/forms/" + f.Key + "/consents"
	origin := []string{"Origin", "https://www.firma.example"}
	codes := func(bodies []string) map[int]int {
		got := map[int]int{}
		var mu sync.Mutex
		var wg sync.WaitGroup
		for _, b := range bodies {
			wg.Go(func() {
				r := anon.do("POST", path, b, origin...)
				if r.status == http.StatusTooManyRequests && r.header.Get("Retry-After") == "" {
					t.Errorf("429 without Retry-After")
				}
				mu.Lock()
				got[r.status]++
				mu.Unlock()
			})
		}
		wg.Wait()
		return got
	}
	var same []string
	for range 8 {
		same = append(same, `{"email":"limit@posta.example","purposes":["newsletter"]}`)
	}
	if got := codes(same); got[http.StatusAccepted] != 5 || got[http.StatusTooManyRequests] != 3 {
		t.Fatalf("8 posts of one address at once: %v, want 5 accepted and 3 refused", got)
	}
	if n := requests(t, e); n != 1 {
		t.Fatalf("%d requests after resubmissions of one address, want 1", n)
	}
	var others []string
	for i := range 40 {
		others = append(others, fmt.Sprintf(`{"email":"host%02d@posta.example","purposes":["newsletter"]}`, i))
	}
	// This client address has 5 posts counted already: 25 more pass.
	if got := codes(others); got[http.StatusAccepted] != 25 || got[http.StatusTooManyRequests] != 15 {
		t.Fatalf("40 posts from one client address at once: %v, want 25 accepted and 15 refused", got)
	}
	if n := requests(t, e); n != 26 {
		t.Fatalf("%d requests, want 26", n)
	}
}

func signatureHeader() string { return "X-Kontakt-Signature" }

// A form's settings are read through a short cache; an admin's change applies at once.
func TestFormChangeAppliesAtOnce(t *testing.T) {
	e := newEnv(t)
	admin, f, p := seedForm(t, e, false)
	anon := e.anon()
	path := "/public/forms/" + f.Key + "/consents"
	post := func(email, origin string) int {
		return anon.do("POST", path, map[string]any{"email": email}, "Origin", origin).status
	}
	if s := post("a@posta.example", "https://www.firma.example"); s != http.StatusAccepted {
		t.Fatalf("before: %d", s)
	}
	r := admin.do("PUT", "/api/forms/"+f.ID, map[string]any{"name": "Web", "book_id": f.BookID, "purpose_ids": []string{p.ID},
		"allowed_origins": []string{"https://nova.firma.example"}, "organisation": "Firma s.r.o."})
	if r.status != http.StatusOK {
		t.Fatalf("update form: %d %s", r.status, r.body)
	}
	if s := post("b@posta.example", "https://www.firma.example"); s != http.StatusForbidden {
		t.Errorf("the old origin right after the change: %d, want 403", s)
	}
	if s := post("c@posta.example", "https://nova.firma.example"); s != http.StatusAccepted {
		t.Errorf("the new origin: %d", s)
	}
}

// Rotating a form's HMAC secret: admins only, the answer holds the new secret, the old one
// stops working at once, the audit names the form but not the secret, and a form without a
// secret gains one while its browser posts keep working.
func TestRotateFormSecret(t *testing.T) {
	e := newEnv(t)
	admin, f, _ := seedForm(t, e, true)
	anon := e.anon()
	path := "/public/forms/" + f.Key + "/consents"
	sign := func(secret, body string) string {
		m := hmac.New(sha256.New, []byte(secret))
		m.Write([]byte(body))
		return "sha256=" + hex.EncodeToString(m.Sum(nil))
	}
	body := `{"email":"petr@posta.example","purposes":["newsletter"]}`
	if r := anon.do("POST", path, body, signatureHeader(), sign(f.HMACSecret, body)); r.status != http.StatusAccepted {
		t.Fatalf("signed with the first secret: %d %s", r.status, r.body)
	}

	staff := e.tokenFor(e.user("eva", false, "heslo-dlouhe-1").ID)
	if r := staff.do("POST", "/api/forms/"+f.ID+"/rotate-secret", nil); r.status != http.StatusForbidden {
		t.Fatalf("rotation by staff: %d %s", r.status, r.body)
	}
	if r := admin.do("POST", "/api/forms/00000000-0000-0000-0000-000000000000/rotate-secret", nil); r.status != http.StatusNotFound {
		t.Fatalf("rotation of an unknown form: %d %s", r.status, r.body)
	}
	r := admin.do("POST", "/api/forms/"+f.ID+"/rotate-secret", nil)
	if r.status != http.StatusOK {
		t.Fatalf("rotation: %d %s", r.status, r.body)
	}
	var rotated model.Form
	r.json(t, &rotated)
	if rotated.HMACSecret == "" || rotated.HMACSecret == f.HMACSecret || rotated.Key != f.Key {
		t.Fatalf("rotated form: key %q secret %q (was %q %q)", rotated.Key, rotated.HMACSecret, f.Key, f.HMACSecret)
	}
	if r := anon.do("POST", path, body, signatureHeader(), sign(f.HMACSecret, body)); r.status != http.StatusUnauthorized {
		t.Fatalf("signed with the old secret after rotation: %d %s", r.status, r.body)
	}
	if r := anon.do("POST", path, body, signatureHeader(), sign(rotated.HMACSecret, body)); r.status != http.StatusAccepted {
		t.Fatalf("signed with the new secret: %d %s", r.status, r.body)
	}
	var n int
	var detail string
	if err := e.pool.QueryRow(context.Background(), `SELECT count(*), coalesce(string_agg(detail::text, ''), '') FROM audit_log
		WHERE action = 'form.rotate_secret' AND object_id = $1`, f.ID).Scan(&n, &detail); err != nil {
		t.Fatal(err)
	}
	if n != 1 || strings.Contains(detail, rotated.HMACSecret) {
		t.Fatalf("audit: %d rotations, detail %s", n, detail)
	}

	var plain model.Form
	r = admin.do("POST", "/api/forms", map[string]any{"name": "Bez podpisu", "book_id": f.BookID, "purpose_ids": f.PurposeIDs,
		"allowed_origins": []string{"https://www.firma.example"}})
	if r.status != http.StatusCreated {
		t.Fatalf("form without a secret: %d %s", r.status, r.body)
	}
	r.json(t, &plain)
	r = admin.do("POST", "/api/forms/"+plain.ID+"/rotate-secret", nil)
	r.json(t, &plain)
	if r.status != http.StatusOK || plain.HMACSecret == "" {
		t.Fatalf("rotation of a form without a secret: %d %s", r.status, r.body)
	}
	browser := `{"email":"jana@posta.example"}`
	if r := anon.do("POST", "/public/forms/"+plain.Key+"/consents", browser, "Origin", "https://www.firma.example"); r.status != http.StatusAccepted {
		t.Fatalf("a browser post after the form gained a secret: %d %s", r.status, r.body)
	}
}
