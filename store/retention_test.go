package store_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/kontakt/kontakt/auth"
	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
)

// The retention sweep's steps: for each, rows past their age go and younger ones stay.

const day = 24 * time.Hour

// exec runs a statement the test needs to put rows in the past.
func (e *doi) exec(t *testing.T, sql string, args ...any) {
	t.Helper()
	if _, err := e.pool.Exec(context.Background(), sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// retained reports whether a row of table with id still exists.
func (e *doi) retained(t *testing.T, table, idColumn string, id any) bool {
	t.Helper()
	return e.count(t, `SELECT count(*) FROM `+table+` WHERE `+idColumn+` = $1`, id) == 1
}

func (e *doi) auditedCount(t *testing.T, action string) int {
	t.Helper()
	var n int
	if err := e.pool.QueryRow(context.Background(), `SELECT coalesce(sum((detail->>'count')::int), 0) FROM audit_log
		WHERE action = $1`, action).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func wantCount(t *testing.T, step string, n int, err error, want int) {
	t.Helper()
	if err != nil || n != want {
		t.Fatalf("%s: %d, %v; want %d", step, n, err, want)
	}
}

func TestRetentionAbandonedVerifications(t *testing.T) {
	ctx := context.Background()
	e := newDOI(t)
	old := e.intake(t, e.form, "stara@example.cz", "Stará Žádost").RequestID
	plan := e.prepare(t, old)
	recent := e.intake(t, e.form, "nedavna@example.cz", "").RequestID
	live := e.intake(t, e.form, "ziva@example.cz", "").RequestID
	confirmed := e.intake(t, e.form, "potvrzena@example.cz", "").RequestID
	e.prepare(t, confirmed)
	e.confirm(t, e.mail(t, confirmed))
	e.exec(t, `UPDATE consent_requests SET expires_at = now() - interval '2 hours' WHERE id = ANY($1::uuid[])`, []string{old, confirmed})
	e.exec(t, `UPDATE consent_requests SET expires_at = now() - interval '30 minutes' WHERE id = $1`, recent)

	ids, err := e.st.AbandonedVerifications(ctx, time.Hour, "", 10)
	if err != nil || !slices.Equal(ids, []string{old}) {
		t.Fatalf("abandoned: %v, %v; want only the request 2 h past its expiry", ids, err)
	}
	if ids, _ := e.st.AbandonedVerifications(ctx, time.Hour, old, 10); len(ids) != 0 {
		t.Fatalf("after the last id: %v", ids)
	}
	if ids, _ := e.st.AbandonedVerifications(ctx, 0, "", 10); !slices.Equal(sorted(ids), sorted([]string{old, recent})) {
		t.Fatalf("without grace: %v", ids)
	}
	// The sweep expires it as the workflow would have: the contact it created goes.
	res, err := e.st.ExpireVerification(ctx, old)
	if err != nil || !res.Erased {
		t.Fatalf("expire: %+v, %v", res, err)
	}
	if e.retained(t, "contacts", "id", plan.ContactID) || e.request(t, old).Status != "expired" {
		t.Fatal("the abandoned request's contact was not erased")
	}
	if e.request(t, live).Status != "pending" || e.request(t, recent).Status != "pending" {
		t.Fatal("younger requests changed")
	}
}

func TestRetentionConfirmationTokens(t *testing.T) {
	ctx := context.Background()
	e := newDOI(t)
	ended := e.intake(t, e.form, "ukoncena@example.cz", "").RequestID
	e.prepare(t, ended)
	oldEnded, youngEnded := e.mail(t, ended), e.mail(t, ended)
	pending := e.intake(t, e.form, "ceka@example.cz", "").RequestID
	e.prepare(t, pending)
	oldPending := e.mail(t, pending)
	if _, err := e.st.ExpireVerification(ctx, ended); err != nil {
		t.Fatal(err)
	}
	e.exec(t, `UPDATE confirmation_tokens SET created_at = now() - interval '8 days' WHERE token_hash = ANY($1::bytea[])`,
		[][]byte{auth.HashSecret(oldEnded), auth.HashSecret(oldPending)})
	n, err := e.st.PurgeConfirmationTokens(ctx, 7*day)
	wantCount(t, "confirmation tokens", n, err, 1)
	for secret, want := range map[string]bool{oldEnded: false, youngEnded: true, oldPending: true} {
		if got := e.retained(t, "confirmation_tokens", "token_hash", auth.HashSecret(secret)); got != want {
			t.Errorf("token kept=%v, want %v", got, want)
		}
	}
	if e.auditedCount(t, "retention.confirmation_tokens") != 1 {
		t.Error("not audited")
	}
}

func TestRetentionTokensSessionsAndRates(t *testing.T) {
	ctx := context.Background()
	e := newDOI(t)

	// subject tokens: expired go
	sr := ""
	if err := e.pool.QueryRow(ctx, `INSERT INTO subject_requests (form_id, kind, email) VALUES ($1, 'access', 'x@example.cz') RETURNING id`,
		e.form.ID).Scan(&sr); err != nil {
		t.Fatal(err)
	}
	for hash, expires := range map[string]string{"expired": "-1 minute", "valid": "1 day"} {
		e.exec(t, `INSERT INTO subject_tokens (token_hash, request_id, form_id, contact_ids, expires_at)
			VALUES ($1, $2, $3, '{}', now() + $4::interval)`, []byte(hash), sr, e.form.ID, expires)
	}
	n, err := e.st.PurgeSubjectTokens(ctx)
	wantCount(t, "subject tokens", n, err, 1)
	if e.retained(t, "subject_tokens", "token_hash", []byte("expired")) || !e.retained(t, "subject_tokens", "token_hash", []byte("valid")) {
		t.Error("subject tokens")
	}

	// sessions: expired go
	for _, h := range []string{"expired", "live"} {
		if err := e.st.CreateSession(ctx, e.admin.UserID, []byte(h), time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	e.exec(t, `UPDATE sessions SET expires_at = now() - interval '1 second' WHERE token_hash = $1`, []byte("expired"))
	n, err = e.st.PurgeSessions(ctx)
	wantCount(t, "sessions", n, err, 1)
	if e.retained(t, "sessions", "token_hash", []byte("expired")) || !e.retained(t, "sessions", "token_hash", []byte("live")) {
		t.Error("sessions")
	}

	// API tokens: revoked or expired more than 30 days ago go
	tokens := map[string]string{}
	for _, name := range []string{"revoked-long-ago", "revoked-lately", "expired-long-ago", "expired-lately", "live"} {
		tk, err := e.st.CreateToken(ctx, e.admin, name, "kt_x", []byte(name), nil)
		if err != nil {
			t.Fatal(err)
		}
		tokens[name] = tk.ID
	}
	e.exec(t, `UPDATE api_tokens SET revoked_at = now() - interval '31 days' WHERE name = 'revoked-long-ago'`)
	e.exec(t, `UPDATE api_tokens SET revoked_at = now() - interval '29 days' WHERE name = 'revoked-lately'`)
	e.exec(t, `UPDATE api_tokens SET expires_at = now() - interval '31 days' WHERE name = 'expired-long-ago'`)
	e.exec(t, `UPDATE api_tokens SET expires_at = now() - interval '1 day' WHERE name = 'expired-lately'`)
	n, err = e.st.PurgeAPITokens(ctx, 30*day)
	wantCount(t, "api tokens", n, err, 2)
	for name, id := range tokens {
		if want := name != "revoked-long-ago" && name != "expired-long-ago"; e.retained(t, "api_tokens", "id", id) != want {
			t.Errorf("api token %s kept=%v", name, !want)
		}
	}

	// rate events: older than a day go
	e.exec(t, `INSERT INTO rate_events (key, at) VALUES ('old', now() - interval '25 hours'), ('new', now() - interval '23 hours')`)
	n, err = e.st.PurgeRateEvents(ctx, day)
	wantCount(t, "rate events", n, err, 1)
	if e.retained(t, "rate_events", "key", "old") || !e.retained(t, "rate_events", "key", "new") {
		t.Error("rate events")
	}
	for _, a := range []string{"retention.subject_tokens", "retention.sessions", "retention.api_tokens", "retention.rate_events"} {
		if e.auditedCount(t, a) == 0 {
			t.Errorf("%s not audited", a)
		}
	}
}

func TestRetentionRevokedDevices(t *testing.T) {
	ctx := context.Background()
	e := newDOI(t)
	c := e.prepare(t, e.intake(t, e.form, "drzena@example.cz", "").RequestID).ContactID
	devices := map[string]string{}
	for _, name := range []string{"revoked-long-ago", "revoked-lately", "live"} {
		d, err := e.st.CreateDevice(ctx, e.admin, name, "kt_d", []byte(name))
		if err != nil {
			t.Fatal(err)
		}
		devices[name] = d.ID
		if err := e.st.RecordServed(ctx, d.ID, e.book.ID, []store.ContactVersion{{ContactID: c, Version: 1}}, nil); err != nil {
			t.Fatal(err)
		}
	}
	e.exec(t, `UPDATE devices SET revoked_at = now() - interval '91 days' WHERE name = 'revoked-long-ago'`)
	e.exec(t, `UPDATE devices SET revoked_at = now() - interval '89 days' WHERE name = 'revoked-lately'`)
	n, err := e.st.PurgeRevokedDevices(ctx, 90*day)
	wantCount(t, "devices", n, err, 1)
	for name, id := range devices {
		want := name != "revoked-long-ago"
		if e.retained(t, "devices", "id", id) != want || (e.count(t, `SELECT count(*) FROM device_contacts WHERE device_id = $1`, id) == 1) != want {
			t.Errorf("device %s and its ledger kept=%v", name, !want)
		}
	}
}

func TestRetentionSubjectRequests(t *testing.T) {
	ctx := context.Background()
	e := newDOI(t)
	ids := map[string]string{}
	for name, row := range map[string]struct{ status, doneAgo, createdAgo string }{
		"done-long-ago": {"done", "31 days", "32 days"},
		"done-lately":   {"done", "29 days", "40 days"},
		"pending-old":   {"pending", "", "60 days"},
	} {
		var id string
		if err := e.pool.QueryRow(ctx, `INSERT INTO subject_requests (form_id, kind, email, status, done_at, created_at)
			VALUES ($1, 'access', '', $2, now() - nullif($3, '')::interval, now() - $4::interval) RETURNING id`,
			e.form.ID, row.status, row.doneAgo, row.createdAgo).Scan(&id); err != nil {
			t.Fatal(err)
		}
		ids[name] = id
	}
	n, err := e.st.PurgeSubjectRequests(ctx, 30*day)
	wantCount(t, "subject requests", n, err, 1)
	for name, id := range ids {
		if want := name != "done-long-ago"; e.retained(t, "subject_requests", "id", id) != want {
			t.Errorf("subject request %s kept=%v", name, !want)
		}
	}
}

func TestRetentionBlankEndedRequests(t *testing.T) {
	ctx := context.Background()
	e := newDOI(t)
	mk := func(email string) string {
		id := e.intake(t, e.form, email, "Jméno Příjmení").RequestID
		e.prepare(t, id)
		return id
	}
	// The expired request matched a contact already in the book, so expiring it erased
	// nothing (an erasure blanks the request at once).
	if _, err := e.st.CreateContact(ctx, e.admin, model.Contact{BookID: e.book.ID, Kind: "person", FamilyName: "Vypršelá",
		Emails: []model.Email{{Value: "vyprsela@example.cz"}}}); err != nil {
		t.Fatal(err)
	}
	confirmedOld, confirmedLately, unactivated := mk("potvrdila@example.cz"), mk("nedavno@example.cz"), mk("neaktivni@example.cz")
	expiredOld, pending := mk("vyprsela@example.cz"), mk("ceka@example.cz")
	for _, id := range []string{confirmedOld, confirmedLately, unactivated} {
		e.confirm(t, e.mail(t, id))
	}
	for _, id := range []string{confirmedOld, confirmedLately} {
		if _, err := e.st.ActivateConsents(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.st.ExpireVerification(ctx, expiredOld); err != nil {
		t.Fatal(err)
	}
	e.exec(t, `UPDATE consent_requests SET updated_at = now() - interval '31 days' WHERE id = ANY($1::uuid[])`,
		[]string{confirmedOld, unactivated, expiredOld, pending})
	e.exec(t, `UPDATE consent_requests SET updated_at = now() - interval '29 days' WHERE id = $1`, confirmedLately)

	n, err := e.st.BlankEndedRequests(ctx, 30*day)
	wantCount(t, "blank", n, err, 2)
	blank := func(id string) bool {
		r := e.request(t, id)
		return r.Email == "" && r.Name == "" && r.IP == "" && r.UserAgent == "" && r.PageURL == "" && r.ConfirmIP == "" && r.ConfirmUserAgent == ""
	}
	for id, want := range map[string]bool{confirmedOld: true, expiredOld: true, confirmedLately: false, unactivated: false, pending: false} {
		if blank(id) != want {
			t.Errorf("request %s blank=%v, want %v: %+v", id, !want, want, e.request(t, id))
		}
	}
	// The evidence lives on in the consents.
	r := e.request(t, confirmedOld)
	cs := e.consents(t, *r.ContactID)
	if ev := cs["newsletter"].Evidence; ev["ip"] != "198.51.100.7" || ev["confirm_ip"] != "203.0.113.9" {
		t.Errorf("evidence after blanking: %v", ev)
	}
	wantCount(t, "blank again", must(e.st.BlankEndedRequests(ctx, 30*day)), nil, 0)
}

func must(n int, err error) int {
	if err != nil {
		panic(err)
	}
	return n
}
