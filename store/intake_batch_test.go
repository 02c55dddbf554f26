package store_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/kontakt/kontakt/store"
)

// Concurrent submissions share transactions (store/intake_batch.go); each must still be
// decided exactly as if it had been written alone.

// submitAll runs the submissions at once and returns each one's result and error.
func submitAll(st *store.Store, ins []store.Intake) ([]store.IntakeResult, []error) {
	res, errs := make([]store.IntakeResult, len(ins)), make([]error, len(ins))
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i, in := range ins {
		wg.Go(func() {
			<-start
			res[i], errs[i] = st.RecordIntake(context.Background(), in)
		})
	}
	close(start)
	wg.Wait()
	return res, errs
}

func publicRules(ip, email string) []store.RateRule {
	return []store.RateRule{{Key: "public-ip:" + ip, Limit: 30, Window: 10 * time.Minute},
		{Key: "public-email:" + email, Limit: 5, Window: 10 * time.Minute}}
}

// Of 50 submissions from one address at once, exactly the 30 its limit allows are recorded,
// each counted once, and the others record nothing; 50 others from addresses of their own,
// sent at the same time and so written in shared groups, are all recorded.
func TestRecordIntakeGroupedRateLimit(t *testing.T) {
	e := newDOI(t)
	var ins []store.Intake
	for i := range 50 {
		email := fmt.Sprintf("navstevnik%02d@example.cz", i)
		ins = append(ins, store.Intake{FormID: e.form.ID, Email: email, PurposeIDs: e.ids("newsletter"), Language: "cs",
			IP: "198.51.100.9", Limits: publicRules("198.51.100.9", email)})
		email, ip := fmt.Sprintf("jiny%02d@example.cz", i), fmt.Sprintf("203.0.113.%d", i)
		ins = append(ins, store.Intake{FormID: e.form.ID, Email: email, PurposeIDs: e.ids("newsletter"), Language: "cs",
			IP: ip, Limits: publicRules(ip, email)})
	}
	res, errs := submitAll(e.st, ins)
	recorded := map[string]bool{}
	for i, err := range errs {
		switch {
		case err == nil:
			recorded[res[i].RequestID] = true
		case !errors.Is(err, store.ErrRateLimited):
			t.Fatalf("submission %d: %v", i, err)
		}
	}
	if len(recorded) != 80 {
		t.Errorf("%d distinct requests recorded, want the limit's 30 and the other 50", len(recorded))
	}
	if n := e.count(t, `SELECT count(*) FROM consent_requests WHERE ip = '198.51.100.9'`); n != 30 {
		t.Errorf("%d requests from the one address, want 30", n)
	}
	if n := e.count(t, `SELECT count(*) FROM rate_events WHERE key = 'public-ip:198.51.100.9'`); n != 30 {
		t.Errorf("%d events counted for the address, want 30", n)
	}
	if n := e.count(t, `SELECT count(*) FROM rate_events WHERE key LIKE 'public-email:%'`); n != 80 {
		t.Errorf("%d events counted for e-mail addresses, want 80 (none for a refused submission)", n)
	}
	if n := e.count(t, `SELECT count(*) FROM audit_log WHERE action = 'consent.request'`); n != 80 {
		t.Errorf("%d audit entries, want 80", n)
	}
}

// Ten submissions of one address at once make one request: the first creates it, the next
// four (the address's limit is 5) ask for a resend, each audited, and the rest are refused.
func TestRecordIntakeGroupedResubmissions(t *testing.T) {
	e := newDOI(t)
	var ins []store.Intake
	for i := range 10 {
		ip := fmt.Sprintf("198.51.100.%d", 10+i)
		ins = append(ins, store.Intake{FormID: e.form.ID, Email: "karel.novy@example.cz", PurposeIDs: e.ids(formKeys[i%3]),
			Language: "cs", IP: ip, Limits: publicRules(ip, "karel.novy@example.cz")})
	}
	res, errs := submitAll(e.st, ins)
	ids, fresh, resends, limited := map[string]bool{}, 0, 0, 0
	for i, err := range errs {
		switch {
		case errors.Is(err, store.ErrRateLimited):
			limited++
		case err != nil:
			t.Fatalf("submission %d: %v", i, err)
		case res[i].Resend:
			resends++
			ids[res[i].RequestID] = true
		default:
			fresh++
			ids[res[i].RequestID] = true
		}
	}
	if len(ids) != 1 || fresh != 1 || resends != 4 || limited != 5 {
		t.Errorf("requests %v, %d new, %d resends, %d refused; want one request, 1 new, 4 resends, 5 refused", ids, fresh, resends, limited)
	}
	if n := e.count(t, `SELECT count(*) FROM consent_requests`); n != 1 {
		t.Errorf("%d requests, want 1", n)
	}
	if n := e.count(t, `SELECT count(*) FROM audit_log WHERE action = 'consent.request.resubmit'`); n != 4 {
		t.Errorf("%d resubmit audit entries, want 4", n)
	}
}

// A submission the database refuses fails alone; the others of its group are recorded.
func TestRecordIntakeGroupedFailureIsolated(t *testing.T) {
	e := newDOI(t)
	var ins []store.Intake
	for i := range 20 {
		in := store.Intake{FormID: e.form.ID, Email: fmt.Sprintf("odberatel%02d@example.cz", i), PurposeIDs: e.ids("events"), Language: "cs"}
		if i%7 == 3 {
			in.FormID = "not-a-form" // not even a uuid: the group's statement fails on it
		}
		ins = append(ins, in)
	}
	_, errs := submitAll(e.st, ins)
	for i, err := range errs {
		if bad := i%7 == 3; bad != (err != nil) || bad && !errors.Is(err, store.ErrNotFound) {
			t.Errorf("submission %d (bad %v): %v", i, bad, err)
		}
	}
	if n := e.count(t, `SELECT count(*) FROM consent_requests`); n != 17 {
		t.Errorf("%d requests, want the 17 good ones", n)
	}
}
