package main

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/kontakt/kontakt/devstack/mailcatcher"
	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
	"github.com/kontakt/kontakt/workflows"
)

// The person's side of the GDPR lifecycle with real parts: PostgreSQL, the in-process
// Temporal server and worker, SMTP to the catcher, HTTP to the API.

// post sends a public form post as a browser on the organisation's site would.
func (s *stack) post(path string, vals url.Values) {
	s.t.Helper()
	req, _ := http.NewRequest("POST", s.srv.URL+"/public/forms/"+s.form.Key+path, strings.NewReader(vals.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", s.srv.URL)
	req.Header.Set("User-Agent", "Integration/1.0")
	req.Header.Set("Referer", "https://www.stavebniny.example/souhlasy")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusAccepted {
		s.t.Fatalf("POST %s: %d", path, res.StatusCode)
	}
}

// mailTo waits for a mail to email whose subject contains subject.
func (s *stack) mailTo(email, subject string) mailcatcher.Caught {
	s.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	m, err := s.catcher.Wait(ctx, func(m mailcatcher.Caught) bool {
		return len(m.To) == 1 && strings.EqualFold(m.To[0], email) && strings.Contains(m.Subject, subject)
	})
	if err != nil {
		s.t.Fatalf("no mail %q to %s: %v", subject, email, err)
	}
	return m
}

// mailsTo counts the caught mails to email.
func (s *stack) mailsTo(email string) int {
	n := 0
	for _, m := range s.catcher.Messages() {
		if len(m.To) == 1 && strings.EqualFold(m.To[0], email) {
			n++
		}
	}
	return n
}

// lastSubjectRequest is the id of the newest subject request.
func (s *stack) lastSubjectRequest() string {
	s.t.Helper()
	var id string
	if err := s.pool.QueryRow(context.Background(), `SELECT id FROM subject_requests ORDER BY created_at DESC LIMIT 1`).Scan(&id); err != nil {
		s.t.Fatal(err)
	}
	return id
}

// subjectResult waits for the request's SubjectAccess workflow and returns its result.
func (s *stack) subjectResult(c client.Client, requestID string) workflows.SubjectAccessResult {
	s.t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		var res workflows.SubjectAccessResult
		err := c.GetWorkflow(context.Background(), workflows.SubjectAccessID(requestID), "").Get(context.Background(), &res)
		if err == nil {
			return res
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("workflow of %s: %v", requestID, err)
		}
		time.Sleep(100 * time.Millisecond) // not started yet: the start follows the answer
	}
}

var subjectLink = regexp.MustCompile(`https?://[^\s"<>]+/public/subject/[A-Za-z0-9_-]+`)

// TestSubjectAccessAndRevocation: consent-status for a known address → mail listing the
// consents → the link's page → revoking one there → consent revoked with history, contact
// hidden where its book requires the purpose, confirmation mail; a revocation by form post;
// an unknown address gets nothing (form default) or a "no consent" mail (setting on).
func TestSubjectAccessAndRevocation(t *testing.T) {
	ts := startTemporal(t, 0)
	s := newStack(t, ts.Address())
	c := s.runWorker(ts.Address())
	ctx := context.Background()
	admin, _, err := s.st.UserLogin(ctx, "admin")
	if err != nil {
		t.Fatal(err)
	}
	a := store.Actor{UserID: admin.ID, Channel: "api"}
	purposes := map[string]string{}
	ps, err := s.st.ListPurposes(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range ps {
		purposes[p.Key] = p.ID
	}
	// Věra is in the form's book, which requires the newsletter consent, and, by the same
	// address, in another book.
	books, err := s.st.ListBooks(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	var other string
	for _, b := range books {
		if b.ID != s.form.BookID {
			other = b.ID
		}
	}
	newsletter := purposes["newsletter"]
	if _, err := s.st.UpdateBook(ctx, a, s.form.BookID, store.BookPatch{RequiredPurposeID: &newsletter}); err != nil {
		t.Fatal(err)
	}
	const vera = "Vera.Mala@posta.example"
	person := func(book string) string {
		ct, err := s.st.CreateContact(ctx, a, model.Contact{BookID: book, Kind: model.KindPerson, GivenName: "Věra", FamilyName: "Malá",
			Emails: []model.Email{{Value: strings.ToLower(vera)}}})
		if err != nil {
			t.Fatal(err)
		}
		return ct.ID
	}
	veraCustomer, veraPartner := person(s.form.BookID), person(other)
	consent := func(contact, purpose string, src model.ConsentSource) string {
		id, err := s.st.RecordConsent(ctx, a, store.ConsentRecord{ContactID: contact, PurposeID: purposes[purpose], Source: src,
			GivenAt: time.Now().Add(-48 * time.Hour), Evidence: map[string]any{"branch": "Brno"}})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	newsletterConsent := consent(veraCustomer, "newsletter", model.SourceBranch)
	eventsConsent := consent(veraPartner, "events", model.SourceStaff)
	if _, err := s.st.GetContact(ctx, a, veraCustomer); err != nil {
		t.Fatalf("Věra hidden before any revocation: %v", err)
	}

	// 1. Which consents do you hold for my address? The answer comes by mail.
	s.post("/consent-status", url.Values{"email": {vera}})
	m := s.mailTo(vera, "Přehled vašich souhlasů")
	for _, want := range []string{"- Newsletter: platný", "(podpis na pobočce)", "- Pozvánky na akce: platný", "(zaznamenal pracovník)", "platnost do"} {
		if !strings.Contains(m.Text, want) {
			t.Errorf("access mail lacks %q:\n%s", want, m.Text)
		}
	}
	link := subjectLink.FindString(m.Text)
	if link == "" || !strings.Contains(m.HTML, link) {
		t.Fatalf("no link in the mail:\n%s", m.Text)
	}
	if res := s.subjectResult(c, s.lastSubjectRequest()); res.Outcome != workflows.OutcomeListed || !res.Mailed {
		t.Fatalf("access workflow: %+v", res)
	}

	// 2. The link's page shows both; revoke the newsletter there.
	res, err := http.Get(link)
	if err != nil {
		t.Fatal(err)
	}
	page, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(page), `value="`+newsletterConsent+`"`) || !strings.Contains(string(page), `value="`+eventsConsent+`"`) {
		t.Fatalf("GET %s: %d\n%s", link, res.StatusCode, page)
	}
	req, _ := http.NewRequest("POST", link, strings.NewReader(url.Values{"consent": {newsletterConsent}}.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("User-Agent", "Integration/1.0")
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	page, _ = io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(page), "Odvolali jste 1 souhlas.") {
		t.Fatalf("POST %s: %d\n%s", link, res.StatusCode, page)
	}
	var status string
	var history int
	var evidence map[string]any
	if err := s.pool.QueryRow(ctx, `SELECT c.status, (SELECT count(*) FROM consent_events WHERE consent_id = c.id),
			(SELECT evidence FROM consent_events WHERE consent_id = c.id AND status = 'revoked')
		FROM consents c WHERE c.id = $1`, newsletterConsent).Scan(&status, &history, &evidence); err != nil {
		t.Fatal(err)
	}
	if status != "revoked" || history != 2 || evidence["user_agent"] != "Integration/1.0" || evidence["subject_request_id"] == nil {
		t.Fatalf("revoked consent: %s, %d events, evidence %v", status, history, evidence)
	}
	if _, err := s.st.GetContact(ctx, a, veraCustomer); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Věra still visible in the book that requires the newsletter: %v", err)
	}
	if _, err := s.st.GetContact(ctx, a, veraPartner); err != nil {
		t.Fatalf("Věra's other contact hidden: %v", err)
	}
	m = s.mailTo(vera, "Souhlas odvolán")
	if !strings.Contains(m.Text, "- Newsletter (uděleno") || strings.Contains(m.Text, "Pozvánky") {
		t.Errorf("revocation mail:\n%s", m.Text)
	}

	// 3. Revoking the events consent by form post: revoked, confirmed by mail.
	s.post("/revocations", url.Values{"email": {strings.ToUpper(vera)}, "purposes": {"events"}})
	if res := s.subjectResult(c, s.lastSubjectRequest()); res.Outcome != workflows.OutcomeRevoked || res.Revoked != 1 || !res.Mailed {
		t.Fatalf("revocation workflow: %+v", res)
	}
	var page2 string
	if err := s.pool.QueryRow(ctx, `SELECT c.status || ' ' || (e.evidence->>'page_url') FROM consents c
		JOIN consent_events e ON e.consent_id = c.id AND e.status = 'revoked' WHERE c.id = $1`, eventsConsent).Scan(&page2); err != nil {
		t.Fatal(err)
	}
	if page2 != "revoked https://www.stavebniny.example/souhlasy" {
		t.Fatalf("events consent: %s", page2)
	}
	if n := s.mailsTo(vera); n != 3 {
		t.Fatalf("%d mails to Věra, want 3 (list, two confirmations)", n)
	}
	// Every request is done, and no address is left in them.
	var left int
	if err := s.pool.QueryRow(ctx, `SELECT count(*) FROM subject_requests WHERE email <> '' OR status <> 'done'`).Scan(&left); err != nil || left != 0 {
		t.Fatalf("%d requests still hold an address or are not done (%v)", left, err)
	}

	// 4. An unknown address: nothing by default, a "no consent" mail when the form says so.
	const nobody = "nikdo@posta.example"
	form := s.form
	form.NoConsentMail = false
	if _, err := s.st.UpdateForm(ctx, a, form.ID, form); err != nil {
		t.Fatal(err)
	}
	s.post("/consent-status", url.Values{"email": {nobody}})
	if res := s.subjectResult(c, s.lastSubjectRequest()); res.Outcome != workflows.OutcomeNoConsent || res.Mailed {
		t.Fatalf("unknown address, default: %+v", res)
	}
	if n := s.mailsTo(nobody); n != 0 {
		t.Fatalf("%d mails to an unknown address", n)
	}
	form.NoConsentMail = true
	if _, err := s.st.UpdateForm(ctx, a, form.ID, form); err != nil {
		t.Fatal(err)
	}
	s.post("/consent-status", url.Values{"email": {nobody}})
	m = s.mailTo(nobody, "Žádné souhlasy nevedeme")
	if !strings.Contains(m.Text, "neeviduje žádný souhlas") {
		t.Errorf("no-consent mail:\n%s", m.Text)
	}
}

// TestSubjectRequestOutbox: a request committed whose workflow start was lost (as when the
// API process dies right after its answer, or Temporal is down) is started by the
// reconciler's subject lane, and its mail goes out.
func TestSubjectRequestOutbox(t *testing.T) {
	ts := startTemporal(t, 0)
	s := newStack(t, ts.Address())
	id, err := s.st.RecordSubjectRequest(context.Background(), store.SubjectPost{FormID: s.form.ID,
		Kind: store.SubjectKindAccess, Email: "nikdo@posta.example"})
	if err != nil {
		t.Fatal(err)
	}
	c := s.runWorker(ts.Address()) // reconciles at start
	// The demo form sends the "no consent registered" mail.
	s.mailTo("nikdo@posta.example", "Žádné souhlasy nevedeme")
	if res := s.subjectResult(c, id); res.Outcome != workflows.OutcomeNoConsent || !res.Mailed {
		t.Fatalf("workflow: %+v", res)
	}
	var started bool
	if err := s.pool.QueryRow(context.Background(), `SELECT workflow_started_at IS NOT NULL FROM subject_requests WHERE id = $1`, id).Scan(&started); err != nil || !started {
		t.Fatalf("start not recorded (%v)", err)
	}
}
