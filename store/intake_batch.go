package store

import (
	"context"
	"errors"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// Web-form submissions are committed in groups: while one transaction of submissions is
// being written, the submissions arriving meanwhile queue up and go into the next one. A
// burst of visitors then costs PostgreSQL one transaction (one WAL flush, two statements)
// per group instead of two transactions per submission, and every caller still returns only
// after its own submission is committed.
const (
	// IntakeFlushers is how many groups are written at the same time, on as many pooled
	// connections. One gives the largest groups, and a group's fixed cost (about 0.5 ms
	// with the WAL flush, against 20-40 µs per submission) dominates: with 16 clients on 2
	// cores, 2 flushers measured 5-10% fewer submissions per second and 3 flushers 20%
	// fewer; with 64 clients, 2 flushers were no faster.
	IntakeFlushers = 1
	// intakeGroupMax bounds a group.
	intakeGroupMax = 64
	// intakeFlushTimeout bounds the writing of one group, which no single caller's
	// cancellation may cut short.
	intakeFlushTimeout = 30 * time.Second
)

// ErrRateLimited means a rate limit of the submission was reached: nothing was recorded.
var ErrRateLimited = errors.New("store: rate limit reached")

// RateRule is a limit a submission must pass: fewer than Limit events of Key within Window
// (the events RateAllow counts and records).
type RateRule struct {
	Key    string
	Limit  int
	Window time.Duration
}

// intakeQueue holds the submissions waiting for their group.
type intakeQueue struct {
	mu       sync.Mutex
	waiting  []*queuedIntake
	flushers int
}

type queuedIntake struct {
	in    Intake
	locks []string // advisory lock keys: the form and address, and every rule's key
	done  chan intakeOutcome
}

type intakeOutcome struct {
	res IntakeResult
	err error
}

// RecordIntake commits a submission before anything else happens (ARCHITECTURE.md,
// invariant 3): a new pending request, or, when one is already pending for the same form
// and email, a resend request on it (with the purposes merged). When in.Limits are given,
// the submission is recorded only if it passes all of them, and then counted against each;
// otherwise it returns ErrRateLimited and records nothing.
//
// Concurrent calls share transactions (see IntakeFlushers); each returns after its own
// submission is committed, or with its error.
func (s *Store) RecordIntake(ctx context.Context, in Intake) (IntakeResult, error) {
	q := &queuedIntake{in: in, locks: intakeLocks(in), done: make(chan intakeOutcome, 1)}
	s.intakes.mu.Lock()
	s.intakes.waiting = append(s.intakes.waiting, q)
	if s.intakes.flushers < IntakeFlushers {
		s.intakes.flushers++
		go s.flushIntakes(context.WithoutCancel(ctx))
	}
	s.intakes.mu.Unlock()
	select {
	case out := <-q.done:
		return out.res, out.err
	case <-ctx.Done():
		// The group may still commit the submission; the caller answers with an error, so
		// no one is told it was kept.
		return IntakeResult{}, ctx.Err()
	}
}

// intakeLocks are the advisory lock keys of a submission, sorted: its form and address
// (serialising submissions of one email on one form) and its rate keys, named as RateAllow
// names them so that both count the same events one at a time.
func intakeLocks(in Intake) []string {
	locks := []string{"intake/" + in.FormID + "/" + strings.ToLower(in.Email)}
	for _, r := range in.Limits {
		locks = append(locks, "rate/"+r.Key)
	}
	slices.Sort(locks)
	return slices.Compact(locks)
}

// flushIntakes writes groups until the queue is empty.
func (s *Store) flushIntakes(ctx context.Context) {
	for {
		group := s.nextIntakeGroup()
		if group == nil {
			return
		}
		s.writeIntakeGroup(ctx, group)
	}
}

// nextIntakeGroup takes the oldest waiting submissions that share no lock key, up to
// intakeGroupMax; the others wait for a later group, so that within a group no two
// submissions count the same rate key or touch the same request, and one statement
// decides each exactly as it would alone. With nothing waiting it retires the flusher and
// returns nil.
func (s *Store) nextIntakeGroup() []*queuedIntake {
	s.intakes.mu.Lock()
	defer s.intakes.mu.Unlock()
	if len(s.intakes.waiting) == 0 {
		s.intakes.flushers--
		return nil
	}
	var group, rest []*queuedIntake
	taken := map[string]bool{}
	for _, q := range s.intakes.waiting {
		if len(group) == intakeGroupMax || slices.ContainsFunc(q.locks, func(k string) bool { return taken[k] }) {
			rest = append(rest, q)
			continue
		}
		for _, k := range q.locks {
			taken[k] = true
		}
		group = append(group, q)
	}
	s.intakes.waiting = rest
	return group
}

// writeIntakeGroup commits a group and tells each caller its outcome. When the group's
// transaction fails, each submission is retried alone, so that one bad submission cannot
// fail the others.
func (s *Store) writeIntakeGroup(ctx context.Context, group []*queuedIntake) {
	ctx, cancel := context.WithTimeout(ctx, intakeFlushTimeout)
	defer cancel()
	outs, err := s.insertIntakes(ctx, group)
	if err != nil && len(group) > 1 {
		for _, q := range group {
			s.writeIntakeGroup(ctx, []*queuedIntake{q})
		}
		return
	}
	for i, q := range group {
		if err != nil {
			q.done <- intakeOutcome{err: wrap(err)}
			continue
		}
		q.done <- outs[i]
	}
}

// insertIntakes writes a group in one transaction: two statements in one pipelined batch,
// which PostgreSQL runs as one implicit transaction, so the advisory locks of the first
// hold until the second has counted, recorded and committed.
func (s *Store) insertIntakes(ctx context.Context, group []*queuedIntake) ([]intakeOutcome, error) {
	var locks, forms, emails, names, purposes, languages, ips, agents, pages, ruleKeys []string
	var idx, ruleIdx, ruleLimits []int32
	var ruleSecs []float64
	for i, q := range group {
		locks = append(locks, q.locks...)
		in := q.in
		idx = append(idx, int32(i))
		forms, emails, names = append(forms, in.FormID), append(emails, in.Email), append(names, in.Name)
		purposes = append(purposes, "{"+strings.Join(in.PurposeIDs, ",")+"}")
		languages, ips, agents, pages = append(languages, in.Language), append(ips, in.IP), append(agents, in.UserAgent), append(pages, in.PageURL)
		for _, r := range in.Limits {
			ruleIdx, ruleKeys = append(ruleIdx, int32(i)), append(ruleKeys, r.Key)
			ruleLimits, ruleSecs = append(ruleLimits, int32(r.Limit)), append(ruleSecs, r.Window.Seconds())
		}
	}
	slices.Sort(locks) // one global order across groups and RateAllow: no deadlock

	b := &pgx.Batch{}
	// The statement below is prepared once per connection. Left to choose, PostgreSQL plans
	// it afresh for every group (a custom plan, 0.5 ms of a group's 1.3 ms at 7 submissions);
	// its generic plan serves every group size up to intakeGroupMax as well. The setting
	// holds for this transaction only.
	b.Queue(`SELECT set_config('plan_cache_mode', 'force_generic_plan', true),
		count(pg_advisory_xact_lock(hashtextextended(k, 0))) FROM unnest($1::text[]) WITH ORDINALITY AS x(k, n)`, locks)
	// Within the one statement every part sees the database as it was before it: the
	// group's submissions touch distinct requests and rate keys (nextIntakeGroup), so none
	// depends on another's writes. The audit entries name the request each inserted or
	// updated.
	b.Queue(`WITH sub AS (
			SELECT * FROM unnest($1::int[], $2::uuid[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[])
				AS s(i, form_id, email, name, purpose_ids, language, ip, user_agent, page_url)),
		rules AS (SELECT * FROM unnest($10::int[], $11::text[], $12::int[], $13::float8[]) AS r(i, key, lim, secs)),
		denied AS (SELECT DISTINCT r.i FROM rules r
			WHERE (SELECT count(*) FROM rate_events e WHERE e.key = r.key AND e.at > now() - make_interval(secs => r.secs)) >= r.lim),
		allowed AS (SELECT * FROM sub WHERE i NOT IN (SELECT i FROM denied)),
		counted AS (INSERT INTO rate_events (key) SELECT key FROM rules WHERE i NOT IN (SELECT i FROM denied)),
		pending AS (SELECT a.i, c.id FROM allowed a CROSS JOIN LATERAL (SELECT c.id FROM consent_requests c
			WHERE c.form_id = a.form_id AND lower(c.email) = lower(a.email) AND c.status = 'pending' AND c.expires_at > now()
			LIMIT 1) c),
		resent AS (UPDATE consent_requests c
			SET resend_requested_at = now(), updated_at = now(),
			    purpose_ids = ARRAY(SELECT f.p FROM unnest((SELECT purpose_ids FROM forms WHERE id = c.form_id)) WITH ORDINALITY f(p, n)
			                        WHERE f.p = ANY(c.purpose_ids || a.purpose_ids::uuid[]) ORDER BY f.n)
			FROM pending p JOIN allowed a ON a.i = p.i WHERE c.id = p.id
			RETURNING p.i, c.id),
		inserted AS (INSERT INTO consent_requests (form_id, email, name, purpose_ids, language, ip, user_agent, page_url, expires_at)
			SELECT a.form_id, a.email, a.name, a.purpose_ids::uuid[], a.language, a.ip, a.user_agent, a.page_url,
			       now() + make_interval(hours => f.confirm_hours)
			FROM allowed a JOIN forms f ON f.id = a.form_id WHERE a.i NOT IN (SELECT i FROM pending)
			RETURNING id, form_id, email),
		audited AS (INSERT INTO audit_log (action, channel, object_id)
			SELECT 'consent.request', 'web', id FROM inserted
			UNION ALL SELECT 'consent.request.resubmit', 'web', id FROM resent)
		SELECT a.i, coalesce(n.id, r.id), r.id IS NOT NULL
		FROM allowed a LEFT JOIN resent r ON r.i = a.i LEFT JOIN inserted n ON n.form_id = a.form_id AND n.email = a.email`,
		idx, forms, emails, names, purposes, languages, ips, agents, pages, ruleIdx, ruleKeys, ruleLimits, ruleSecs)

	outs := make([]intakeOutcome, len(group))
	for i := range outs {
		outs[i].err = ErrRateLimited // unless the statement answers for it
	}
	br := s.pool.SendBatch(ctx, b)
	err := func() error {
		if _, err := br.Exec(); err != nil {
			return err
		}
		rows, err := br.Query()
		if err != nil {
			return err
		}
		var i int32
		var id *string
		var resend bool
		_, err = pgx.ForEachRow(rows, []any{&i, &id, &resend}, func() error {
			switch {
			case id == nil: // the form is gone
				outs[i] = intakeOutcome{err: ErrNotFound}
			default:
				outs[i] = intakeOutcome{res: IntakeResult{RequestID: *id, Resend: resend}}
			}
			return nil
		})
		return err
	}()
	if cerr := br.Close(); err == nil {
		err = cerr
	}
	return outs, err
}
