package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
)

// target is the policy overhead the issue allows.
const target = 1.5

type environment struct {
	nproc     int
	cpu       string
	pgVersion string
	pgNote    string
}

func describe(ctx context.Context, pool *pgxpool.Pool, private bool) (environment, error) {
	e := environment{nproc: runtime.NumCPU(), cpu: cpuModel()}
	var sb, wm, fsync string
	if err := pool.QueryRow(ctx, `SELECT current_setting('server_version'), current_setting('shared_buffers'),
		current_setting('work_mem'), current_setting('fsync')`).Scan(&e.pgVersion, &sb, &wm, &fsync); err != nil {
		return e, err
	}
	where := "existing database"
	if private {
		where = "private cluster (devstack, Fast)"
	}
	e.pgNote = fmt.Sprintf("%s, shared_buffers %s, work_mem %s, fsync %s", where, sb, wm, fsync)
	return e, nil
}

func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if k, v, ok := strings.Cut(sc.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return ""
}

// variant is one way to run a query; pages, when set, collects per-page latencies.
type variant struct {
	run   func(ctx context.Context) error
	pages *[]time.Duration
}

// measure runs every variant warmup times, then iterations times, interleaved (the order
// rotates each round, so drift and caching affect all alike), and returns the sorted
// per-call latencies of each.
func measure(ctx context.Context, warmup, iterations int, vs ...variant) ([][]time.Duration, error) {
	for range warmup {
		for _, v := range vs {
			if err := v.run(ctx); err != nil {
				return nil, err
			}
		}
	}
	for _, v := range vs {
		if v.pages != nil {
			*v.pages = nil
		}
	}
	out := make([][]time.Duration, len(vs))
	for i := range iterations {
		for k := range vs {
			j := (i + k) % len(vs)
			t := time.Now()
			if err := vs[j].run(ctx); err != nil {
				return nil, err
			}
			out[j] = append(out[j], time.Since(t))
		}
	}
	for _, s := range out {
		slices.Sort(s)
	}
	for _, v := range vs {
		if v.pages != nil {
			slices.Sort(*v.pages)
		}
	}
	return out, nil
}

// row is one line of the table: latencies with the policy, without it (the same store
// call, no audit entry on either), and of ListContacts (policy and audit entry).
type row struct {
	label, matches         string
	policy, noPolicy, full []time.Duration
}

// auditRow is one line of the audit table.
type auditRow struct {
	label string
	d     []time.Duration
}

type report struct {
	rows  []row
	audit []auditRow
}

// Who searches.
const (
	asReader = iota // sees 5 of 10 books
	asNarrow        // sees 1 of 10 books
	asAdmin         // sees every book
)

type search struct {
	label, q string
	who      int
}

var searches = []search{
	{`search "novak" (common surname)`, "novak", asReader},
	{`search "jan novák" (two words)`, "jan novák", asReader},
	{`search "zápotocký" (rare name)`, "zápotocký", asReader},
	{`search "dvorek" (typo: exact finds nothing, then fuzzy)`, "dvorek", asReader},
	{`search "novak" as a reader of 1 book`, "novak", asNarrow},
	{`search "novak" as admin (all books)`, "novak", asAdmin},
}

// lister is one way to fetch a page of contacts for an actor.
type lister func(ctx context.Context, actor store.Actor, f store.ContactFilter) (store.ContactPage, error)

func idsOf(p store.ContactPage) []string {
	ids := make([]string, len(p.Contacts))
	for i, c := range p.Contacts {
		ids[i] = c.ID
	}
	return ids
}

func measureAll(ctx context.Context, pool *pgxpool.Pool, d *dataset, o options) (*report, error) {
	s := store.New(pool, "CZ")
	withPolicy := func(ctx context.Context, a store.Actor, f store.ContactFilter) (store.ContactPage, error) {
		return s.ListContactsForBenchmark(ctx, a, f, true)
	}
	noPolicy := func(ctx context.Context, a store.Actor, f store.ContactFilter) (store.ContactPage, error) {
		return s.ListContactsForBenchmark(ctx, a, f, false)
	}
	listers := []lister{withPolicy, noPolicy, s.ListContacts} // the order of row's fields

	reader := store.Actor{UserID: d.readerID, Channel: model.ChannelAPI}
	admin := store.Actor{UserID: d.adminID, Channel: model.ChannelAPI}
	actors := map[int]store.Actor{asReader: reader, asNarrow: {UserID: d.narrowID, Channel: model.ChannelAPI}, asAdmin: admin}
	visible := map[int]map[string]bool{asReader: {}, asNarrow: {d.bookIDs[narrowBook]: true}, asAdmin: {}}
	for _, b := range append(slices.Clone(readerDirect), readerViaGroup...) {
		visible[asReader][d.bookIDs[b]] = true
	}
	for _, id := range d.bookIDs {
		visible[asAdmin][id] = true
	}
	// The typo row is meant to take the fallback path: no contact contains the word itself.
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM contacts WHERE strpos(search_text, 'dvorek') > 0`).Scan(&n); err != nil {
		return nil, err
	}
	if n != 0 {
		return nil, fmt.Errorf(`%d contacts contain "dvorek"; the typo query would not fall back to similarity`, n)
	}

	r := &report{}
	var auditIDs50, auditIDs500 []string
	for _, sq := range searches {
		actor := actors[sq.who]
		f := store.ContactFilter{Query: sq.q, Limit: 50}
		seen, err := s.CountContacts(ctx, actor, f)
		if err != nil {
			return nil, err
		}
		all, err := s.CountContacts(ctx, admin, f)
		if err != nil {
			return nil, err
		}
		// The policy must hold: every contact found is in a book the user sees, and the
		// policy-free variant returns what the admin (who sees everything) gets.
		first, err := s.ListContacts(ctx, actor, f)
		if err != nil {
			return nil, err
		}
		for _, c := range first.Contacts {
			if !visible[sq.who][c.BookID] {
				return nil, fmt.Errorf("%s: the policy let through contact %s of book %s", sq.label, c.ID, c.BookID)
			}
		}
		if len(first.Contacts) != min(seen, 50) {
			return nil, fmt.Errorf("%s: first page has %d contacts, %d match", sq.label, len(first.Contacts), seen)
		}
		pol, err := withPolicy(ctx, actor, f)
		if err != nil {
			return nil, err
		}
		bare, err := noPolicy(ctx, actor, f)
		if err != nil {
			return nil, err
		}
		asAll, err := withPolicy(ctx, admin, f)
		if err != nil {
			return nil, err
		}
		if !slices.Equal(idsOf(pol), idsOf(first)) || !slices.Equal(idsOf(bare), idsOf(asAll)) || len(bare.Contacts) != min(all, 50) {
			return nil, fmt.Errorf("%s: ListContactsForBenchmark disagrees with ListContacts", sq.label)
		}
		if sq.q == "novak" && sq.who == asReader {
			auditIDs50 = idsOf(first)
		}
		logf("%s: %d of %d matches visible; measuring", sq.label, seen, all)
		var vs []variant
		for _, list := range listers {
			vs = append(vs, variant{run: func(ctx context.Context) error { _, err := list(ctx, actor, f); return err }})
		}
		ls, err := measure(ctx, o.warmup, o.iterations, vs...)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", sq.label, err)
		}
		r.rows = append(r.rows, row{sq.label, fmt.Sprintf("%d / %d", seen, all), ls[0], ls[1], ls[2]})
	}

	// List one book (seen through a group) page by page.
	book := d.bookIDs[listBook]
	const pageSize = 500
	label := fmt.Sprintf("list one book (%d contacts, pages of %d)", d.perBook, pageSize)
	// listBook pages through the book and returns its contacts; pages, when set, collects
	// per-page latencies.
	listBook := func(ctx context.Context, list lister, pages *[]time.Duration) ([]model.Contact, error) {
		f := store.ContactFilter{BookID: book, Limit: pageSize}
		var cs []model.Contact
		for {
			t := time.Now()
			p, err := list(ctx, reader, f)
			if err != nil {
				return nil, err
			}
			if pages != nil {
				*pages = append(*pages, time.Since(t))
			}
			cs = append(cs, p.Contacts...)
			if p.NextCursor == "" {
				break
			}
			f.Cursor = p.NextCursor
		}
		if len(cs) != d.perBook {
			return nil, fmt.Errorf("listed %d contacts of %d", len(cs), d.perBook)
		}
		return cs, nil
	}
	cs, err := listBook(ctx, s.ListContacts, nil)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", label, err)
	}
	for _, c := range cs {
		if c.BookID != book {
			return nil, fmt.Errorf("%s: contact %s of book %s listed", label, c.ID, c.BookID)
		}
	}
	for _, c := range cs[:pageSize] {
		auditIDs500 = append(auditIDs500, c.ID)
	}
	logf("%s: measuring", label)
	pages := make([][]time.Duration, len(listers))
	var vs []variant
	for i, list := range listers {
		vs = append(vs, variant{run: func(ctx context.Context) error { _, err := listBook(ctx, list, &pages[i]); return err }, pages: &pages[i]})
	}
	ls, err := measure(ctx, listWarmup(o), o.iterations, vs...)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", label, err)
	}
	r.rows = append(r.rows,
		row{label + ", whole book", fmt.Sprintf("%d pages", (d.perBook+pageSize-1)/pageSize), ls[0], ls[1], ls[2]},
		row{label + ", per page", "", pages[0], pages[1], pages[2]})

	// What ListContacts adds on top of the query: one audit row listing the page (the
	// INSERT of store/audit.go).
	for _, ids := range [][]string{auditIDs50, auditIDs500} {
		insert := func(ctx context.Context) error {
			_, err := pool.Exec(ctx, `INSERT INTO audit_log (actor_id, action, channel, contact_ids, object_id, detail)
				VALUES ($1, $2, $3, $4, $5, $6)`, &d.readerID, "contact.search", model.ChannelAPI, ids, (*string)(nil), map[string]any{})
			return err
		}
		ls, err := measure(ctx, o.warmup, o.iterations, variant{run: insert})
		if err != nil {
			return nil, fmt.Errorf("audit insert: %w", err)
		}
		r.audit = append(r.audit, auditRow{fmt.Sprintf("audit_log INSERT, one row of %d contact ids", len(ids)), ls[0]})
	}
	return r, nil
}

// listWarmup is the number of unmeasured passes over the whole book.
func listWarmup(o options) int { return max(2, o.warmup/5) }

func ms(d time.Duration) string { return fmt.Sprintf("%.2f", float64(d)/float64(time.Millisecond)) }

func ratio(a, b time.Duration) string {
	if b <= 0 {
		return "–"
	}
	x := float64(a) / float64(b)
	s := fmt.Sprintf("%.2f×", x)
	if x > target {
		s = "**" + s + "**"
	}
	return s
}

func printReport(w io.Writer, env environment, d *dataset, o options, r *report) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }
	sec := func(t time.Duration) string { return fmt.Sprintf("%.1f s", t.Seconds()) }
	p("### Visibility policy overhead")
	p("")
	cpu := ""
	if env.cpu != "" {
		cpu = " (" + env.cpu + ")"
	}
	p("- Machine: nproc %d%s, %s/%s, %s", env.nproc, cpu, runtime.GOOS, runtime.GOARCH, runtime.Version())
	p("- PostgreSQL %s, %s", env.pgVersion, env.pgNote)
	p("- Data: %d contacts in %d books of %d, %d contact points (an email and a phone each), %d users, %d book grants;"+
		" the reader sees %d books (%d by a direct viewer grant, %d through a group), reader-one 1 book, the admin all."+
		" Generated in %s"+
		" (COPY %s, search_text %s, VACUUM ANALYZE %s).",
		d.contacts, books, d.perBook, d.points, d.users, d.grants, len(readerDirect)+len(readerViaGroup),
		len(readerDirect), len(readerViaGroup), sec(d.timing.total), sec(d.timing.copy), sec(d.timing.searchText), sec(d.timing.analyze))
	p("- Each query: %d measured calls per variant after %d warm-up calls (the book listing: %d warm-up passes),"+
		" variants interleaved; latency per call in ms. Searches ask for a page of 50. Target: policy overhead ≤ %.1f×.",
		o.iterations, o.warmup, listWarmup(o), target)
	p("")
	p("Each row calls `ListContactsForBenchmark` with the visibility policy and without it: the same query," +
		" the same loading of contact points and relations, no audit entry on either; the ratio of the two is the" +
		" policy's overhead. `ListContacts` (policy and its audit entry) is what an API call costs. Matches counts" +
		" with `CountContacts`, as the searching user (visible) and as the admin (all). A query of 4 or more" +
		" characters that matches no word exactly is run again by trigram similarity, so the typo row runs two" +
		" queries per call.")
	p("")
	p("| Query | Matches (visible / all) | Policy p50 | p99 | No policy p50 | p99 | Ratio p50 | Ratio p99 | ListContacts (policy + audit) p50 | p99 |")
	p("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
	for _, x := range r.rows {
		a50, a99 := percentile(x.policy, 50), percentile(x.policy, 99)
		b50, b99 := percentile(x.noPolicy, 50), percentile(x.noPolicy, 99)
		p("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |", x.label, x.matches, ms(a50), ms(a99), ms(b50), ms(b99),
			ratio(a50, b50), ratio(a99, b99), ms(percentile(x.full, 50)), ms(percentile(x.full, 99)))
	}
	p("")
	p("| Audit entry written by each `ListContacts` call | p50 | p99 |")
	p("|---|---:|---:|")
	for _, a := range r.audit {
		p("| %s | %s | %s |", a.label, ms(percentile(a.d, 50)), ms(percentile(a.d, 99)))
	}
}

// percentile returns the p-th percentile (nearest rank) of sorted durations.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(math.Ceil(p/100*float64(len(sorted)))) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}
