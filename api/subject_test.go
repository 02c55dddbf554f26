package api_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/kontakt/kontakt/auth"
	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
)

// The person's side: subject access and revocation by address, and the link's page.

const (
	knownEmail   = "Marie.Kral@posta.example"
	unknownEmail = "nikdo.jiny@posta.example"
	formOrigin   = "https://www.firma.example"
)

// subjectSeed is a form (seedForm's) and Marie, known by her address, with an active and a
// revoked consent; Josef, another person, has an active one.
type subjectSeed struct {
	admin     store.Actor
	form      model.Form
	purpose   model.Purpose
	events    model.Purpose
	marie     string
	josef     string
	active    string // Marie's newsletter consent
	revoked   string // Marie's events consent
	josefsOne string
}

func seedSubject(t *testing.T, e *env, withSecret bool) subjectSeed {
	t.Helper()
	ctx := context.Background()
	c, f, p := seedForm(t, e, withSecret)
	u, _, err := e.st.UserLogin(ctx, "admin")
	if err != nil {
		t.Fatal(err)
	}
	s := subjectSeed{admin: store.Actor{UserID: u.ID, Channel: "api"}, form: f, purpose: p}
	r := c.do("POST", "/api/purposes", map[string]any{"key": "events", "name": "Pozvánky", "wording": "Souhlasím s pozvánkami."})
	if r.status != http.StatusCreated {
		t.Fatalf("purpose: %d %s", r.status, r.body)
	}
	r.json(t, &s.events)
	person := func(name, email string) string {
		ct, err := e.st.CreateContact(ctx, s.admin, model.Contact{BookID: f.BookID, Kind: model.KindPerson, FamilyName: name,
			Emails: []model.Email{{Value: email}}})
		if err != nil {
			t.Fatal(err)
		}
		return ct.ID
	}
	consent := func(contact, purpose string) string {
		id, err := e.st.RecordConsent(ctx, s.admin, store.ConsentRecord{ContactID: contact, PurposeID: purpose,
			Source: model.SourceStaff, GivenAt: time.Now().Add(-24 * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	s.marie = person("Králová", strings.ToLower(knownEmail))
	s.josef = person("Josef", "josef@posta.example")
	s.active = consent(s.marie, p.ID)
	s.revoked = consent(s.marie, s.events.ID)
	if _, err := e.pool.Exec(ctx, `UPDATE consents SET status = 'revoked' WHERE id = $1`, s.revoked); err != nil {
		t.Fatal(err)
	}
	s.josefsOne = consent(s.josef, p.ID)
	return s
}

// sameAnswer fails unless two answers are byte-identical, headers included, but for Date.
func sameAnswer(t *testing.T, what string, a, b response) {
	t.Helper()
	if a.status != b.status || !bytes.Equal(a.body, b.body) {
		t.Errorf("%s: answers differ:\n%d %s\n%d %s", what, a.status, a.body, b.status, b.body)
	}
	ha, hb := a.header.Clone(), b.header.Clone()
	ha.Del("Date")
	hb.Del("Date")
	if len(ha) != len(hb) {
		t.Errorf("%s: headers differ: %v / %v", what, ha, hb)
	}
	for k, v := range ha {
		if !slices.Equal(v, hb[k]) {
			t.Errorf("%s: header %s differs: %q / %q", what, k, v, hb[k])
		}
	}
}

// Known and unknown addresses get the same bytes from both endpoints, as JSON and as an
// HTML form, and the same rows are committed for each.
func TestSubjectRequestsSameAnswer(t *testing.T) {
	e := newEnv(t)
	s := seedSubject(t, e, false)
	anon := e.anon()
	for _, ep := range []struct{ path, kind string }{
		{"/public/forms/" + s.form.Key + "/consent-status", "access"},
		{"/public/forms/" + s.form.Key + "/revocations", "revoke"},
	} {
		post := func(email string, html bool) response {
			if html {
				return anon.do("POST", ep.path, url.Values{"email": {email}}.Encode(),
					"Content-Type", "application/x-www-form-urlencoded", "Origin", formOrigin)
			}
			return anon.do("POST", ep.path, map[string]any{"email": email}, "Origin", formOrigin)
		}
		known, unknown := post(knownEmail, false), post(unknownEmail, false)
		if known.status != http.StatusAccepted || !strings.Contains(string(known.body), `"status":"accepted"`) {
			t.Fatalf("%s: %d %s", ep.path, known.status, known.body)
		}
		sameAnswer(t, ep.path+" JSON", known, unknown)
		knownHTML, unknownHTML := post(knownEmail, true), post(unknownEmail, true)
		if knownHTML.status != http.StatusAccepted || !strings.Contains(string(knownHTML.body), "<html") ||
			knownHTML.header.Get("Access-Control-Allow-Origin") != formOrigin {
			t.Fatalf("%s HTML: %d %v %s", ep.path, knownHTML.status, knownHTML.header, knownHTML.body)
		}
		sameAnswer(t, ep.path+" HTML", knownHTML, unknownHTML)
		for _, email := range []string{knownEmail, unknownEmail} {
			if n := countRows(t, e, `SELECT count(*) FROM subject_requests WHERE kind = $1 AND email = $2 AND status = 'pending'
				AND ip = '127.0.0.1' AND workflow_started_at IS NULL`, ep.kind, email); n != 2 {
				t.Errorf("%s: %d %s requests for %s, want 2", ep.path, n, ep.kind, email)
			}
		}
	}
	// A revocation names the form's purposes when none are given.
	var purposes []string
	if err := e.pool.QueryRow(context.Background(), `SELECT purpose_ids FROM subject_requests WHERE kind = 'revoke' LIMIT 1`).Scan(&purposes); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(purposes, []string{s.purpose.ID}) {
		t.Errorf("revocation purposes %v", purposes)
	}
	// Each request is audited the same way, without the address.
	if n := countRows(t, e, `SELECT count(*) FROM audit_log WHERE action = 'subject.request' AND channel = 'web' AND contact_ids = '{}'`); n != 8 {
		t.Errorf("%d audit entries, want 8", n)
	}
	if n := countRows(t, e, `SELECT count(*) FROM audit_log WHERE detail::text ILIKE '%posta%'`); n != 0 {
		t.Errorf("the audit log holds an address")
	}
}

// Bad posts are refused with a reason and store nothing.
func TestSubjectRequestsBadInput(t *testing.T) {
	e := newEnv(t)
	s := seedSubject(t, e, true)
	anon := e.anon()
	status := "/public/forms/" + s.form.Key + "/consent-status"
	revocations := "/public/forms/" + s.form.Key + "/revocations"
	sign := func(body string) string {
		m := hmac.New(sha256.New, []byte(s.form.HMACSecret))
		m.Write([]byte(body))
		return "sha256=" + hex.EncodeToString(m.Sum(nil))
	}
	ok := `{"email":"petr@posta.example"}`
	origin := []string{"Origin", formOrigin}
	cases := []struct {
		name    string
		path    string
		body    string
		headers []string
		status  int
		field   string
	}{
		{"no email", status, `{"page_url":"https://www.firma.example/"}`, origin, 400, "email"},
		{"invalid email", status, `{"email":"petr@"}`, origin, 400, "email"},
		{"purposes on consent-status", status, `{"email":"petr@posta.example","purposes":["newsletter"]}`, origin, 400, "purposes"},
		{"unknown field", status, `{"email":"petr@posta.example","age":3}`, origin, 400, "age"},
		{"wrong origin", status, ok, []string{"Origin", "https://evil.example"}, 403, ""},
		{"server post without signature", status, ok, nil, 401, ""},
		{"bad signature", status, ok, []string{"X-Kontakt-Signature", "sha256=00"}, 401, ""},
		{"oversize", status, `{"email":"petr@posta.example","page_url":"` + strings.Repeat("x", 70<<10) + `"}`, origin, 413, ""},
		{"unknown form", "/public/forms/nope/consent-status", ok, nil, 404, ""},
		{"wrong type", status, "text", []string{"Content-Type", "text/plain", "Origin", formOrigin}, 415, ""},
		{"revocation without email", revocations, `{"purposes":["newsletter"]}`, origin, 400, "email"},
		{"revocation, invalid email", revocations, `{"email":"@posta.example"}`, origin, 400, "email"},
		{"revocation, unknown purpose", revocations, `{"email":"petr@posta.example","purposes":["lottery"]}`, origin, 400, "purposes"},
		{"revocation, purpose of another form", revocations, `{"email":"petr@posta.example","purposes":["events"]}`, origin, 400, "purposes"},
		{"revocation, wrong origin", revocations, ok, []string{"Origin", "https://evil.example"}, 403, ""},
		{"revocation, bad signature", revocations, ok, []string{"X-Kontakt-Signature", sign(`{"email":"x@y.example"}`)}, 401, ""},
		{"revocation, oversize", revocations, `{"email":"petr@posta.example","page_url":"` + strings.Repeat("x", 70<<10) + `"}`, origin, 413, ""},
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
	if n := countRows(t, e, `SELECT count(*) FROM subject_requests`); n != 0 {
		t.Fatalf("rejected posts stored %d requests", n)
	}
	// A filled honeypot is answered like a success and stores nothing.
	if r := anon.do("POST", status, `{"email":"bot@spam.example","website":"x"}`, origin...); r.status != http.StatusAccepted {
		t.Fatalf("honeypot: %d %s", r.status, r.body)
	}
	if r := anon.do("POST", revocations, ok, "X-Kontakt-Signature", sign(ok)); r.status != http.StatusAccepted {
		t.Fatalf("signed server post: %d %s", r.status, r.body)
	}
	if n := countRows(t, e, `SELECT count(*) FROM subject_requests`); n != 1 {
		t.Fatalf("%d requests, want the signed one", n)
	}
	// The limit per address: 5 in 10 minutes, shared with the consent intake.
	for i := range 5 {
		if r := anon.do("POST", status, `{"email":"limit@posta.example"}`, origin...); r.status != http.StatusAccepted {
			t.Fatalf("post %d: %d", i+1, r.status)
		}
	}
	if r := anon.do("POST", revocations, `{"email":"limit@posta.example"}`, origin...); r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") == "" {
		t.Fatalf("sixth post: %d", r.status)
	}
}

// Structural proof that the handlers never read contacts: while another transaction holds
// an exclusive lock on the contact tables, which blocks every read of them, both endpoints
// still answer at once, for known and unknown addresses alike.
func TestSubjectRequestsDoNotReadContacts(t *testing.T) {
	e := newEnv(t)
	s := seedSubject(t, e, false)
	ctx := context.Background()
	tx, err := e.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback(ctx) //nolint:errcheck
	if _, err := tx.Exec(ctx, `LOCK TABLE contact_points, contacts IN ACCESS EXCLUSIVE MODE`); err != nil {
		t.Fatal(err)
	}
	anon := e.anon()
	anon.http.Timeout = 5 * time.Second
	for _, path := range []string{"/consent-status", "/revocations"} {
		for _, email := range []string{knownEmail, unknownEmail} {
			start := time.Now()
			req, _ := http.NewRequest("POST", e.srv.URL+"/public/forms/"+s.form.Key+path, strings.NewReader(`{"email":"`+email+`"}`))
			req.Header.Set("Content-Type", "application/json")
			res, err := anon.http.Do(req)
			if err != nil {
				t.Fatalf("%s for %s blocked on the locked contact tables: %v", path, email, err)
			}
			res.Body.Close()
			if res.StatusCode != http.StatusAccepted {
				t.Fatalf("%s for %s: %d", path, email, res.StatusCode)
			}
			t.Logf("%s %s: 202 in %v under the lock", path, email, time.Since(start).Round(time.Microsecond))
		}
	}
	// The lock was real: a read of contacts waits for it.
	lockCtx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	if _, err := e.pool.Exec(lockCtx, `SELECT count(*) FROM contacts`); err == nil {
		t.Fatal("contacts were readable: the lock proves nothing")
	}
}

// Timing: known and unknown addresses, interleaved, cost the same at both endpoints. Only a
// loose bound is asserted (medians within 2× of each other), so that the test cannot
// flake; the figures are logged (go test -v -run TestSubjectRequestTiming ./api).
func TestSubjectRequestTiming(t *testing.T) {
	if testing.Short() {
		t.Skip("timing needs a few hundred requests")
	}
	e := newEnv(t)
	s := seedSubject(t, e, false)
	anon := e.anon()
	ctx := context.Background()
	const rounds = 200
	for _, endpoint := range []string{"consent-status", "revocations"} {
		path := "/public/forms/" + s.form.Key + "/" + endpoint
		var known, unknown []time.Duration
		for i := range rounds + 10 {
			for j, email := range []string{knownEmail, unknownEmail} {
				if i%2 == 1 { // alternate which goes first
					email = []string{unknownEmail, knownEmail}[j]
				}
				// The rate limits would stop this many posts: clear them, outside the timing.
				if _, err := e.pool.Exec(ctx, `DELETE FROM rate_events`); err != nil {
					t.Fatal(err)
				}
				start := time.Now()
				r := anon.do("POST", path, map[string]any{"email": email}, "Origin", formOrigin)
				d := time.Since(start)
				if r.status != http.StatusAccepted {
					t.Fatalf("%d %s", r.status, r.body)
				}
				if i < 10 {
					continue // warm-up
				}
				if email == knownEmail {
					known = append(known, d)
				} else {
					unknown = append(unknown, d)
				}
			}
		}
		kp50, kp99 := percentiles(known)
		up50, up99 := percentiles(unknown)
		t.Logf("%s, %d interleaved requests each: known p50 %v p99 %v; unknown p50 %v p99 %v",
			endpoint, rounds, kp50, kp99, up50, up99)
		if ratio := float64(kp50) / float64(up50); ratio > 2 || ratio < 0.5 {
			t.Errorf("%s: median of known %v and unknown %v differ by more than 2×", endpoint, kp50, up50)
		}
	}
}

func percentiles(ds []time.Duration) (p50, p99 time.Duration) {
	s := slices.Clone(ds)
	sort.Slice(s, func(i, j int) bool { return s[i] < s[j] })
	return s[len(s)/2].Round(time.Microsecond), s[len(s)*99/100].Round(time.Microsecond)
}

var checkbox = regexp.MustCompile(`name="consent" value="([0-9a-f-]+)"`)

// The link's page shows the consents, with a checkbox for the active ones only; its POST
// revokes the ticked ones of the link's contacts and nothing else; unknown and expired links
// get the same page.
func TestSubjectPage(t *testing.T) {
	e := newEnv(t)
	s := seedSubject(t, e, false)
	ctx := context.Background()
	id, err := e.st.RecordSubjectRequest(ctx, store.SubjectPost{FormID: s.form.ID, Kind: store.SubjectKindAccess, Email: knownEmail})
	if err != nil {
		t.Fatal(err)
	}
	plan, err := e.st.PlanSubjectRequest(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	token := auth.NewSecret("")
	if _, err := e.st.SubjectAccessMail(ctx, id, plan.ContactIDs, auth.HashSecret(token), time.Hour); err != nil {
		t.Fatal(err)
	}
	anon := e.anon()
	page := "/public/subject/" + token

	r := anon.do("GET", page, nil)
	body := string(r.body)
	if r.status != http.StatusOK || !strings.Contains(body, `lang="cs"`) || !strings.Contains(body, "Newsletter</strong>: platný") ||
		!strings.Contains(body, "Pozvánky</strong>: odvolaný") || !strings.Contains(body, "Firma s.r.o.") {
		t.Fatalf("page: %d\n%s", r.status, body)
	}
	if boxes := checkbox.FindAllStringSubmatch(body, -1); len(boxes) != 1 || boxes[0][1] != s.active {
		t.Fatalf("checkboxes %v, want only the active consent", boxes)
	}
	if strings.Contains(body, s.josefsOne) || r.header.Get("Referrer-Policy") != "no-referrer" || r.header.Get("Cache-Control") != "no-store" {
		t.Fatalf("page leaks: %v", r.header)
	}
	if n := countRows(t, e, `SELECT count(*) FROM consents WHERE status = 'revoked'`); n != 1 {
		t.Fatal("GET changed something")
	}

	// POST the active consent, the revoked one, another person's, and junk.
	form := url.Values{"consent": {s.active, s.revoked, s.josefsOne, "junk"}}.Encode()
	r = anon.do("POST", page, form, "Content-Type", "application/x-www-form-urlencoded", "User-Agent", "Prohlížeč/1.0")
	body = string(r.body)
	if r.status != http.StatusOK || !strings.Contains(body, "Odvolali jste 1 souhlas.") || checkbox.MatchString(body) ||
		strings.Contains(body, "Odvolat vybrané souhlasy") {
		t.Fatalf("after POST: %d\n%s", r.status, body)
	}
	var status, ua, channel string
	if err := e.pool.QueryRow(ctx, `SELECT c.status, e.evidence->>'user_agent', e.channel FROM consents c
		JOIN consent_events e ON e.consent_id = c.id AND e.status = 'revoked' WHERE c.id = $1`, s.active).Scan(&status, &ua, &channel); err != nil {
		t.Fatal(err)
	}
	if status != "revoked" || ua != "Prohlížeč/1.0" || channel != "web" {
		t.Fatalf("revoked consent: %s %s %s", status, ua, channel)
	}
	var josefs string
	if err := e.pool.QueryRow(ctx, `SELECT status FROM consents WHERE id = $1`, s.josefsOne).Scan(&josefs); err != nil || josefs != "active" {
		t.Fatalf("another person's consent is %s (%v)", josefs, err)
	}
	// The form confirms revocations by mail: a request for that mail waits for its workflow.
	if n := countRows(t, e, `SELECT count(*) FROM subject_requests WHERE kind = 'revoke_link' AND consent_ids = ARRAY[$1::uuid]`, s.active); n != 1 {
		t.Fatalf("%d revoke_link requests", n)
	}

	// Unknown and expired links: one page, 404.
	unknown := anon.do("GET", "/public/subject/"+auth.NewSecret(""), nil, "Accept-Language", "cs")
	if _, err := e.pool.Exec(ctx, `UPDATE subject_tokens SET expires_at = now() - interval '1 minute'`); err != nil {
		t.Fatal(err)
	}
	expired := anon.do("GET", page, nil, "Accept-Language", "cs")
	if unknown.status != http.StatusNotFound || !strings.Contains(string(unknown.body), "Neplatný odkaz") {
		t.Fatalf("unknown link: %d %s", unknown.status, unknown.body)
	}
	sameAnswer(t, "unknown and expired link", unknown, expired)
	r = anon.do("POST", page, url.Values{"consent": {s.active}}.Encode(), "Content-Type", "application/x-www-form-urlencoded", "Accept-Language", "cs")
	sameAnswer(t, "POST to an expired link", unknown, r)
}

// The forms' subject settings default to no "no consent" mail and a revocation mail.
func TestFormSubjectSettings(t *testing.T) {
	e := newEnv(t)
	c, f, p := seedForm(t, e, false)
	if f.NoConsentMail || !f.RevocationMail {
		t.Fatalf("defaults: no_consent_mail %v, revocation_mail %v", f.NoConsentMail, f.RevocationMail)
	}
	r := c.do("PUT", "/api/forms/"+f.ID, map[string]any{"name": "Web", "book_id": f.BookID, "purpose_ids": []string{p.ID},
		"no_consent_mail": true, "revocation_mail": false})
	var g model.Form
	r.json(t, &g)
	if r.status != http.StatusOK || !g.NoConsentMail || g.RevocationMail {
		t.Fatalf("update: %d %s", r.status, r.body)
	}
	r = c.do("GET", "/api/forms", nil)
	if r.status != http.StatusOK || !strings.Contains(string(r.body), `"no_consent_mail":true,"revocation_mail":false`) {
		t.Fatalf("list: %s", r.body)
	}
}

// TestSubjectErasure: the holder of a subject-access link asks to be forgotten. Without
// the confirmation ticked nothing happens; with it, the link's people get erasure requests
// (channel subject, Art. 17) committed before the answer, and the link ends.
func TestSubjectErasure(t *testing.T) {
	e := newEnv(t)
	s := seedSubject(t, e, false)
	ctx := context.Background()
	id, err := e.st.RecordSubjectRequest(ctx, store.SubjectPost{FormID: s.form.ID, Kind: store.SubjectKindAccess, Email: knownEmail})
	if err != nil {
		t.Fatal(err)
	}
	plan, err := e.st.PlanSubjectRequest(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	token := auth.NewSecret("")
	if _, err := e.st.SubjectAccessMail(ctx, id, plan.ContactIDs, auth.HashSecret(token), time.Hour); err != nil {
		t.Fatal(err)
	}
	anon := e.anon()
	page := "/public/subject/" + token
	if body := string(anon.do("GET", page, nil).body); !strings.Contains(body, `action="`+token+`/erasure"`) || !strings.Contains(body, "Vymazat mé údaje") {
		t.Fatalf("no erasure form on the page:\n%s", body)
	}
	form := "Content-Type"
	r := anon.do("POST", page+"/erasure", "", form, "application/x-www-form-urlencoded")
	if r.status != http.StatusBadRequest || countRows(t, e, `SELECT count(*) FROM erasures`) != 0 {
		t.Fatalf("without the confirmation: %d, %d erasures", r.status, countRows(t, e, `SELECT count(*) FROM erasures`))
	}
	r = anon.do("POST", page+"/erasure", url.Values{"confirm": {"yes"}}.Encode(), form, "application/x-www-form-urlencoded")
	if r.status != http.StatusAccepted || !strings.Contains(string(r.body), "Žádost o výmaz přijata") {
		t.Fatalf("erasure: %d %s", r.status, r.body)
	}
	if n := countRows(t, e, `SELECT count(*) FROM erasures WHERE channel = 'subject' AND legal_basis = 'art17_request'
		AND contact_id = ANY($1::uuid[])`, plan.ContactIDs); n == 0 || n != len(plan.ContactIDs) {
		t.Fatalf("%d erasure requests for the link's %d contacts", n, len(plan.ContactIDs))
	}
	if r := anon.do("GET", page, nil); r.status != http.StatusNotFound {
		t.Errorf("the link after the erasure request: %d", r.status)
	}
}
