package store_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kontakt/kontakt/auth"
	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
)

// The subject of the erasure tests, with values found nowhere else in the fixture.
var subject = struct {
	given, family, email, phone, note, custom, ip, agent, page string
}{
	given: "Zdeňka", family: "Výmazová", email: "zdenka.vymazova@erase.example", phone: "+420 777 123 456",
	note: "Tajemstvíčko o výmazu", custom: "Kódrodu4711", ip: "203.0.113.77", agent: "ErasureAgent/1.0",
	page: "https://erase.example/formular",
}

// needles are what must not survive the erasure, as they were stored and as the store
// normalises and folds them (E.164 phone, lower-case address, folded search text).
func needles() []string {
	return []string{subject.given, subject.family, "vymazova", subject.email, "+420777123456", "777 123 456",
		subject.note, subject.custom, subject.ip, subject.agent, subject.page}
}

// hit is a column of a table that holds a needle.
type hit struct{ table, column, needle string }

func (h hit) String() string { return h.table + "." + h.column + " holds " + h.needle }

// scanAll searches every text-like column (text, varchar, json, jsonb, arrays, and bytea
// as UTF-8) of every table in the public schema for each needle, diacritics and case
// folded. The columns come from the catalogue, so a table added by a later migration is
// searched without changing this test.
func scanAll(t *testing.T, pool *pgxpool.Pool, needles []string) []hit {
	t.Helper()
	ctx := context.Background()
	rows, err := pool.Query(ctx, `SELECT c.table_name, c.column_name, c.data_type
		FROM information_schema.columns c JOIN information_schema.tables t
		  ON t.table_schema = c.table_schema AND t.table_name = c.table_name AND t.table_type = 'BASE TABLE'
		WHERE c.table_schema = 'public'
		  AND c.data_type IN ('text', 'character varying', 'character', 'json', 'jsonb', 'ARRAY', 'bytea')
		ORDER BY 1, 2`)
	if err != nil {
		t.Fatal(err)
	}
	type col struct{ table, column, typ string }
	var cols []col
	for rows.Next() {
		var c col
		if err := rows.Scan(&c.table, &c.column, &c.typ); err != nil {
			t.Fatal(err)
		}
		cols = append(cols, c)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if len(cols) < 30 {
		t.Fatalf("only %d columns found in the catalogue", len(cols))
	}
	var hits []hit
	for _, c := range cols {
		// Text is compared folded; binary data (scans) byte-wise, as written and folded.
		q := fmt.Sprintf(`SELECT EXISTS (SELECT 1 FROM %q WHERE strpos(kontakt_fold(%q::text), kontakt_fold($1)) > 0)`, c.table, c.column)
		if c.typ == "bytea" {
			q = fmt.Sprintf(`SELECT EXISTS (SELECT 1 FROM %q WHERE position(convert_to($1, 'UTF8') IN %q) > 0
				OR position(convert_to(kontakt_fold($1), 'UTF8') IN %q) > 0)`, c.table, c.column, c.column)
		}
		for _, n := range needles {
			var found bool
			if err := pool.QueryRow(ctx, q, n).Scan(&found); err != nil {
				t.Fatalf("%s.%s: %v", c.table, c.column, err)
			}
			if found {
				hits = append(hits, hit{c.table, c.column, n})
			}
		}
	}
	return hits
}

// seedSubject puts the subject's personal data into every table that can hold it: the
// contact with contact points, a custom field, tags, a relation and notes (one restricted),
// a double opt-in request with its token, evidence and history, a consent signed at a
// branch with its scan, a subject-access request and link, a device that synced the
// contact, reads in the audit log, a newsletter export holding them, and an erasure
// request. It returns the contact.
func seedSubject(t *testing.T, e *doi) model.Contact {
	t.Helper()
	ctx := context.Background()
	if err := e.st.PutField(ctx, e.admin, e.book.ID, model.FieldDef{Key: "rodne_cislo", Label: "Kód", Type: "text"}); err != nil {
		t.Fatal(err)
	}
	c, err := e.st.CreateContact(ctx, e.admin, model.Contact{Kind: "person", BookID: e.book.ID,
		GivenName: subject.given, FamilyName: subject.family, Tags: []string{"vip"},
		Emails: []model.Email{{Value: subject.email}}, Phones: []model.Phone{{Value: subject.phone}},
		Addresses: []model.Address{{Street: "Výmazová 12", Locality: "Brno"}},
		Custom:    map[string]any{"rodne_cislo": subject.custom}})
	if err != nil {
		t.Fatal(err)
	}
	org, err := e.st.CreateContact(ctx, e.admin, model.Contact{Kind: "organisation", BookID: e.book.ID, OrgName: "Zůstává a.s."})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.AddRelation(ctx, e.admin, model.Relation{PersonID: c.ID, OrganisationID: org.ID, Role: "jednatelka"}); err != nil {
		t.Fatal(err)
	}
	for _, aud := range []model.AudienceKind{"contact", "restricted"} {
		if _, err := e.st.CreateNote(ctx, e.admin, model.Note{ContactID: c.ID, Body: subject.note + " " + string(aud), Audience: aud}); err != nil {
			t.Fatal(err)
		}
	}
	// An activity and a task about the person that name them, one completed (which records
	// its own activity), and an invitation to an event with an RSVP link.
	if _, err := e.st.CreateActivity(ctx, e.admin, model.Activity{ContactID: c.ID, Type: "visit", OccurredAt: time.Now(),
		Body: subject.note + " návštěva", Outcome: "u " + subject.family + " doma"}); err != nil {
		t.Fatal(err)
	}
	for _, typ := range []model.TaskType{"call", "todo"} {
		task, err := e.st.CreateTask(ctx, e.admin, model.TaskInput{Title: "Zavolat " + subject.given + " " + subject.family,
			Type: typ, ContactID: &c.ID, Description: subject.phone})
		if err != nil {
			t.Fatal(err)
		}
		if typ == "call" {
			if _, err := e.st.CompleteTask(ctx, e.admin, task.ID, model.TaskCompletion{Outcome: subject.email, MinutesSpent: ptr(5)}); err != nil {
				t.Fatal(err)
			}
		}
	}
	ev, err := e.st.CreateEvent(ctx, e.admin, model.EventInput{Name: ptr("Setkání členů"), StartsAt: ptr(time.Now())})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.st.InvitationToken(ctx, ev.ID, c.ID, auth.HashSecret(newSecret(t))); err != nil {
		t.Fatal(err)
	}
	// Double opt-in from the web form, confirmed, with every piece of evidence.
	res, err := e.st.RecordIntake(ctx, store.Intake{FormID: e.form.ID, Email: subject.email, Name: subject.given + " " + subject.family,
		PurposeIDs: e.ids("newsletter"), Language: "cs", IP: subject.ip, UserAgent: subject.agent, PageURL: subject.page})
	if err != nil {
		t.Fatal(err)
	}
	if p := e.prepare(t, res.RequestID); p.ContactID != c.ID {
		t.Fatalf("intake matched %s, want %s", p.ContactID, c.ID)
	}
	secret := e.mail(t, res.RequestID)
	e.mail(t, res.RequestID) // a second token, never used
	if _, _, err := e.st.Confirm(ctx, auth.HashSecret(secret), subject.ip, subject.agent); err != nil {
		t.Fatal(err)
	}
	if n, err := e.st.ActivateConsents(ctx, res.RequestID); err != nil || len(n) != 1 {
		t.Fatalf("ActivateConsents: %v, %v", n, err)
	}
	// Signed at a branch, with a scan that carries the name.
	if _, err := e.st.RecordConsent(ctx, e.admin, store.ConsentRecord{ContactID: c.ID, PurposeID: e.purposes["events"].ID,
		Source: model.SourceBranch, GivenAt: time.Now().Add(-time.Hour), Evidence: map[string]any{"branch": "Brno"},
		Scan: &store.Scan{ContentType: "application/pdf", Data: []byte("%PDF-1.4 podpis " + subject.given + " " + subject.family)}}); err != nil {
		t.Fatal(err)
	}
	// A subject-access request under the address, and its link.
	var reqID string
	if err := e.pool.QueryRow(ctx, `INSERT INTO subject_requests (form_id, kind, email, ip, user_agent) VALUES ($1, 'access', $2, $3, $4)
		RETURNING id`, e.form.ID, subject.email, subject.ip, subject.agent).Scan(&reqID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.pool.Exec(ctx, `INSERT INTO subject_tokens (token_hash, request_id, form_id, contact_ids, expires_at)
		VALUES ($1, $2, $3, ARRAY[$4::uuid, $5::uuid], now() + interval '7 days')`, auth.HashSecret(newSecret(t)), reqID, e.form.ID, c.ID, org.ID); err != nil {
		t.Fatal(err)
	}
	// A project meeting the person took part in, whose minutes name them, and a rating of
	// what they delivered.
	proj, err := e.st.CreateProject(ctx, e.admin, store.ProjectInput{Name: ptr("Dodávka oken")})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.st.PutProjectContact(ctx, e.admin, proj.ID, c.ID, store.ProjectContactInput{Role: "dodavatel"}); err != nil {
		t.Fatal(err)
	}
	at := time.Now().Add(-24 * time.Hour)
	if _, err := e.st.CreateMeeting(ctx, e.admin, proj.ID, model.MeetingInput{At: &at, Title: "Kontrola s " + subject.given + " " + subject.family,
		Agenda: "Termíny", Minutes: "Paní VÝMAZOVÁ slíbila okna do pátku, volat na 777 123 456 nebo " + subject.email + ".",
		ContactIDs: []string{c.ID}}); err != nil {
		t.Fatal(err)
	}
	q := 4
	if _, err := e.st.CreateCollaboration(ctx, e.admin, model.CollaborationRecord{ProjectID: proj.ID, ContactID: c.ID,
		Delivered: "okna", Quality: &q, Comment: subject.family + " dodala včas"}); err != nil {
		t.Fatal(err)
	}
	// A campaign that targets the person (the tag): a task whose title names them, and an
	// invitation with an RSVP token; all go with the contact by cascade.
	camp, err := e.st.CreateCampaign(ctx, e.admin, store.CampaignInput{Name: ptr("Jaro"), TaskTitle: ptr("Zavolat " + subject.family),
		Filter: &model.CampaignFilter{Tags: []string{"vip"}}, RepIDs: &[]string{e.admin.UserID}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.LaunchCampaign(ctx, e.admin, camp.ID); err != nil {
		t.Fatal(err)
	}
	if snap, err := e.st.SnapshotCampaignTargets(ctx, camp.ID); err != nil || snap.Targets != 1 {
		t.Fatalf("campaign snapshot %+v, %v", snap, err)
	}
	if b, err := e.st.CreateCampaignTaskBatch(ctx, camp.ID, 1, 10); err != nil || b.Created != 1 {
		t.Fatalf("campaign tasks %+v, %v", b, err)
	}
	openDay, err := e.st.CreateEvent(ctx, e.admin, model.EventInput{Name: ptr("Den otevřených dveří"), StartsAt: ptr(time.Now().Add(24 * time.Hour))})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.pool.Exec(ctx, `INSERT INTO event_invitations (event_id, contact_id, campaign_id, token_hash, mail_claimed_at, mailed_at)
		VALUES ($1, $2, $3, $4, now(), now())`, openDay.ID, c.ID, camp.ID, auth.HashSecret(newSecret(t))); err != nil {
		t.Fatal(err)
	}
	// A phone that synced the contact, and reads in the audit log.
	dev, err := e.st.CreateDevice(ctx, e.admin, "iPhone", "kd_x", auth.HashSecret(newSecret(t)))
	if err != nil {
		t.Fatal(err)
	}
	got, err := e.st.GetContact(ctx, e.admin, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.st.RecordServed(ctx, dev.ID, e.book.ID, []store.ContactVersion{{ContactID: c.ID, Version: got.Version}}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.ListContacts(ctx, e.admin, store.ContactFilter{Query: subject.family}); err != nil {
		t.Fatal(err)
	}
	// A newsletter export, not yet expired, whose file holds the address and the name.
	if exp, _, err := e.st.CreateExport(ctx, e.admin, store.ExportRequest{PurposeID: e.purposes["newsletter"].ID,
		Format: store.ExportListmonk}, 24*time.Hour); err != nil || exp.Count != 1 {
		t.Fatalf("export: %+v, %v", exp, err)
	}
	return got
}

// TestErasureCompleteness is invariant 6: after forgetting, no column of any table holds
// the person's name, addresses, phone, notes or evidence, while the audit log keeps its
// rows by id and the other contact stays whole.
func TestErasureCompleteness(t *testing.T) {
	ctx := context.Background()
	e := newDOI(t)
	c := seedSubject(t, e)

	before := map[string]bool{}
	for _, h := range scanAll(t, e.pool, needles()) {
		before[h.table] = true
	}
	for _, table := range []string{"contacts", "contact_points", "attached_items", "consent_requests", "consents",
		"consent_events", "consent_scans", "subject_requests", "meetings", "collaboration_records", "tasks", "exports"} {
		if !before[table] {
			t.Errorf("the fixture put nothing of the subject into %s; the test would prove nothing there", table)
		}
	}
	auditRows := e.count(t, `SELECT count(*) FROM audit_log WHERE $1::uuid = ANY(contact_ids)`, c.ID)

	if _, err := e.st.RequestErasure(ctx, e.admin, c.ID, "art17_request"); err != nil {
		t.Fatal(err)
	}
	devices, err := e.st.EraseContact(ctx, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(devices) != 1 {
		t.Errorf("devices holding the contact: %v, want the one that synced it", devices)
	}
	if hits := scanAll(t, e.pool, needles()); len(hits) > 0 {
		t.Errorf("personal data left after erasure:\n%v", hits)
	}
	if n := e.count(t, `SELECT count(*) FROM audit_log WHERE $1::uuid = ANY(contact_ids)`, c.ID); n <= auditRows {
		t.Errorf("audit rows naming the contact: %d, want more than the %d before (kept by id, plus the erasure)", n, auditRows)
	}
	if _, err := e.st.GetContact(ctx, e.admin, c.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("erased contact: %v, want ErrNotFound", err)
	}
	if n := e.count(t, `SELECT count(*) FROM contacts WHERE org_name = 'Zůstává a.s.'`); n != 1 {
		t.Errorf("the related organisation went too")
	}
	var minutes string
	if err := e.pool.QueryRow(ctx, `SELECT minutes FROM meetings`).Scan(&minutes); err != nil ||
		minutes != "Paní [vymazáno] slíbila okna do pátku, volat na [vymazáno] nebo [vymazáno]." {
		t.Errorf("the meeting, kept for its other participants, reads %q (%v)", minutes, err)
	}
	if n := e.count(t, `SELECT count(*) FROM book_changes WHERE contact_id = $1`, c.ID); n < 2 {
		t.Errorf("change feed rows for the erased contact: %d, want its creation and its removal", n)
	}
	er, err := e.st.GetErasure(ctx, e.admin, c.ID)
	if err != nil {
		t.Fatal(err)
	}
	if er.Status != "erased" || er.ErasedAt == nil || !slices.Equal(er.Devices, devices) || !slices.Equal(er.Pending, devices) {
		t.Errorf("tombstone %+v", er)
	}
	// Idempotent: a retried activity finds the tombstone and reports the same devices.
	again, err := e.st.EraseContact(ctx, c.ID)
	if err != nil || !slices.Equal(again, devices) {
		t.Errorf("second EraseContact: %v, %v", again, err)
	}
}

// TestErasureScanCoversNewTables shows the scan is the catalogue's, not a list: a table
// the erasure does not know, holding the subject's name, is reported.
func TestErasureScanCoversNewTables(t *testing.T) {
	_, pool := newStore(t)
	ctx := context.Background()
	if _, err := pool.Exec(ctx, `CREATE TABLE later_feature (id int, remark text, blob bytea, extra jsonb)`); err != nil {
		t.Fatal(err)
	}
	if _, err := pool.Exec(ctx, `INSERT INTO later_feature VALUES (1, 'volala paní Výmazová', NULL, NULL),
		(2, NULL, convert_to('scan of Zdeňka', 'UTF8'), NULL), (3, NULL, NULL, '{"who": "VYMAZOVA"}')`); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, h := range scanAll(t, pool, needles()) {
		got = append(got, h.String())
	}
	for _, want := range []string{"later_feature.remark holds Výmazová", "later_feature.blob holds Zdeňka", "later_feature.extra holds vymazova"} {
		if !slices.Contains(got, want) {
			t.Errorf("scan missed %q; found %v", want, got)
		}
	}
}

// TestErasureRights: managers of the book and holders of the gdpr permission may forget
// a contact; an editor who sees it may not (403), whoever cannot see it gets 404, and a
// bad legal basis changes nothing.
func TestErasureRights(t *testing.T) {
	ctx := context.Background()
	e := newDOI(t)
	c, err := e.st.CreateContact(ctx, e.admin, model.Contact{Kind: "person", BookID: e.book.ID, GivenName: "Eva", FamilyName: "Práva"})
	if err != nil {
		t.Fatal(err)
	}
	user := func(login string, perms ...string) store.Actor {
		u, err := e.st.CreateUser(ctx, e.admin, model.User{Login: login, Name: login}, "")
		if err != nil {
			t.Fatal(err)
		}
		if len(perms) > 0 {
			if _, err := e.pool.Exec(ctx, `UPDATE users SET permissions = $2 WHERE id = $1`, u.ID, perms); err != nil {
				t.Fatal(err)
			}
		}
		return store.Actor{UserID: u.ID, Channel: "api"}
	}
	editor, outsider, dpo := user("editor"), user("outsider"), user("dpo", "gdpr")
	if _, err := e.st.PutGrant(ctx, e.admin, model.Grant{BookID: e.book.ID, UserID: &editor.UserID, Role: "editor"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.st.RequestErasure(ctx, dpo, c.ID, "because"); err == nil || !strings.Contains(err.Error(), "legal_basis") {
		t.Errorf("bad legal basis: %v", err)
	}
	if _, err := e.st.RequestErasure(ctx, editor, c.ID, "art17_request"); !errors.Is(err, store.ErrForbidden) {
		t.Errorf("editor: %v, want ErrForbidden", err)
	}
	if _, err := e.st.RequestErasure(ctx, outsider, c.ID, "art17_request"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("outsider: %v, want ErrNotFound", err)
	}
	if n := e.count(t, `SELECT count(*) FROM erasures`); n != 0 {
		t.Fatalf("refused requests left %d erasures", n)
	}
	er, err := e.st.RequestErasure(ctx, dpo, c.ID, "no_longer_necessary")
	if err != nil || er.Status != "requested" || er.Channel != "staff" {
		t.Fatalf("dpo: %+v, %v", er, err)
	}
	if _, err := e.st.GetErasure(ctx, outsider, c.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("outsider reads the erasure: %v", err)
	}
	if ids, err := e.st.UnstartedErasures(ctx, 10); err != nil || !slices.Equal(ids, []string{c.ID}) {
		t.Errorf("outbox: %v, %v", ids, err)
	}
}

// TestErasureDevices: the erasure waits for the devices that held the contact; one that
// syncs the removal leaves the pending list, one that never does is a straggler.
func TestErasureDevices(t *testing.T) {
	ctx := context.Background()
	e := newDOI(t)
	c, err := e.st.CreateContact(ctx, e.admin, model.Contact{Kind: "person", BookID: e.book.ID, GivenName: "Petr", FamilyName: "Telefonní"})
	if err != nil {
		t.Fatal(err)
	}
	var devs []string
	for _, name := range []string{"syncs", "silent"} {
		d, err := e.st.CreateDevice(ctx, e.admin, name, "kd_"+name, auth.HashSecret(newSecret(t)))
		if err != nil {
			t.Fatal(err)
		}
		if err := e.st.RecordServed(ctx, d.ID, e.book.ID, []store.ContactVersion{{ContactID: c.ID, Version: c.Version}}, nil); err != nil {
			t.Fatal(err)
		}
		devs = append(devs, d.ID)
	}
	if _, err := e.st.RequestErasure(ctx, e.admin, c.ID, "consent_withdrawn"); err != nil {
		t.Fatal(err)
	}
	held, err := e.st.EraseContact(ctx, c.ID)
	if err != nil || len(held) != 2 {
		t.Fatalf("EraseContact: %v, %v", held, err)
	}
	// The first device syncs and is told of the removal.
	if err := e.st.RecordServed(ctx, devs[0], e.book.ID, nil, []string{c.ID}); err != nil {
		t.Fatal(err)
	}
	pending, err := e.st.ErasurePendingDevices(ctx, c.ID)
	if err != nil || !slices.Equal(pending, []string{devs[1]}) {
		t.Fatalf("pending %v, %v; want only %s", pending, err, devs[1])
	}
	if err := e.st.CompleteErasure(ctx, c.ID, pending); err != nil {
		t.Fatal(err)
	}
	er, err := e.st.GetErasure(ctx, e.admin, c.ID)
	if err != nil || er.Status != "done" || !slices.Equal(er.Stragglers, []string{devs[1]}) || er.CompletedAt == nil {
		t.Errorf("done erasure: %+v, %v", er, err)
	}
}
