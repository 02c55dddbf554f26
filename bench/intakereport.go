package main

import (
	"fmt"
	"io"
	"net/http"
	"runtime"
	"slices"
	"strings"
	"time"

	devtemporal "github.com/kontakt/kontakt/devstack/temporal"
)

// sortedKeys returns m's keys in order.
func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "**no**"
}

// ratioTo formats a/b, in bold when under the target.
func ratioTo(a, b float64) string {
	if b <= 0 {
		return "–"
	}
	s := fmt.Sprintf("%.3f", a/b)
	if a/b < intakeTarget {
		s = "**" + s + "**"
	}
	return s
}

func printIntake(w io.Writer, r *intakeReport) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }
	e, o := r.env, r.o
	tpOK := r.tp.accepted == o.requests && r.tpRows == r.tp.accepted
	e2eOK := r.e2e.accepted == r.e2e.sent && r.e2eRows == r.e2e.accepted
	outboxOK := r.outbox.accepted == o.requests && r.outboxRows == r.outbox.accepted
	cpu := ""
	if e.cpu != "" {
		cpu = " (" + e.cpu + ")"
	}

	p("### Consent intake")
	p("")
	p("- Machine: nproc %d%s, GOMAXPROCS %d, %s/%s, %s.", e.nproc, cpu, e.gomaxprocs, runtime.GOOS, runtime.GOARCH, runtime.Version())
	p("- PostgreSQL %s, a private cluster (devstack, not Fast) on the local disk: fsync %s, synchronous_commit %s, wal_sync_method %s,"+
		" shared_buffers %s. That disk: an 8 kB write + fdatasync takes %.0f µs (%.0f per second, measured for 1 s in the cluster's directory).",
		e.pgVersion, e.fsync, e.syncCommit, e.walSync, e.sharedBf, float64(time.Second)/e.fdatasync/1000, e.fdatasync)
	p("- Kontakt wired as `kontakt dev` wires it, all in the bench's process: the API (`api.NewHandler`) on a loopback listener"+
		" (its pool: %d connections, as `kontakt serve` opens it by default), in-process Temporal %s (SQLite file, WAL) with a lazy"+
		" SDK client, the worker (`worker.Run`), mail over SMTP/TCP to `mailcatcher`; demo organisation and demo form seeded"+
		" (`devstack.SeedDemo`, `devstack.SeedDemoForm`). The load generator runs in the same process.",
		e.poolConns, devtemporal.ServerVersion)
	p("- pgbench %s, same cluster, same settings, same run, just before the intake runs, with the stack idle:"+
		" `pgbench -n -c %d -j %d -T %d -f insert.sql`, one single-row `INSERT INTO bench_insert (email) VALUES (...)` per transaction"+
		" into a scratch table (`id bigserial primary key, email text, at timestamptz default now()`) in a database of its own:"+
		" %d transactions, latency average %s ms.",
		r.pgbench.version, r.pgbench.clients, r.pgbench.threads, int(o.pgbenchTime.Seconds()), r.pgbench.processed, r.pgbench.latency)
	p("- Intake throughput: after %d unmeasured submissions, %d clients POST JSON `{\"email\": <unique>, \"purposes\": [\"newsletter\"]}`"+
		" with the form's Origin to `/public/forms/{key}/consents`, each its next as soon as the last is answered, over keep-alive"+
		" connections, %d submissions in all; committed 202s per second = 202s / wall time from the first POST to the last answer."+
		" Every 202 is then looked up in `consent_requests`. Target: ratio ≥ %.1f.", warmupReq, o.clients, o.requests, intakeTarget)
	p("- End to end: %g submissions per second for %s (open loop, one every %s), on the idle stack after every mail of the throughput"+
		" run was sent; each timed from just before its POST to the moment the SMTP server had received its confirmation mail (the"+
		" workflow's SendConfirmation, after PrepareVerification).",
		o.rate, o.e2eTime, time.Duration(float64(time.Second)/o.rate))
	p("")
	p("| Intake (committed 202/s) | pgbench INSERT TPS | Ratio | POST → mail p50 | POST → mail p99 | Requests | All committed |")
	p("|---:|---:|---:|---:|---:|---|---|")
	p("| %.1f | %.1f | %s | %s ms | %s ms | %d at %d clients; %d at %g/s | %s |",
		r.tp.perSecond(), r.pgbench.tps, ratioTo(r.tp.perSecond(), r.pgbench.tps),
		ms(percentile(r.e2e.mail, 50)), ms(percentile(r.e2e.mail, 99)),
		o.requests, o.clients, r.e2e.sent, o.rate, yesNo(tpOK && e2eOK))
	p("")
	p("| Intake run (%d submissions, %d clients) | Committed 202/s | Ratio to pgbench | POST → 202 p50 | p99 | max | All committed |", o.requests, o.clients)
	p("|---|---:|---:|---:|---:|---:|---|")
	burst := func(label string, b burstResult, ok bool) {
		p("| %s | %.1f | %s | %s ms | %s ms | %s ms | %s |", label, b.perSecond(), ratioTo(b.perSecond(), r.pgbench.tps),
			ms(percentile(b.latency, 50)), ms(percentile(b.latency, 99)), ms(percentile(b.latency, 100)), yesNo(ok))
	}
	burst("API with the Temporal verifier, worker running (the figure above)", r.tp, tpOK)
	burst("API without a verifier (`kontakt serve` without Temporal: requests wait in the outbox), Temporal and worker idle", r.outbox, outboxOK)
	p("")
	p("| At %g submissions/s (%d) | p50 | p99 | max |", o.rate, r.e2e.sent)
	p("|---|---:|---:|---:|")
	p("| POST → 202 | %s ms | %s ms | %s ms |", ms(percentile(r.e2e.latency, 50)), ms(percentile(r.e2e.latency, 99)), ms(percentile(r.e2e.latency, 100)))
	p("| POST → confirmation mail received | %s ms | %s ms | %s ms |", ms(percentile(r.e2e.mail, 50)), ms(percentile(r.e2e.mail, 99)), ms(percentile(r.e2e.mail, 100)))
	p("")
	p("Notes:")
	p("- Committed: throughput run %d of %d answered 202 in %.2f s (other statuses: %s; transport errors %d), %d of them found in"+
		" `consent_requests`; end-to-end run %d of %d answered 202, %d found, %d confirmation mails received (missing after %s: %d);"+
		" run without a verifier %d of %d answered 202, %d found.",
		r.tp.accepted, o.requests, r.tp.wall.Seconds(), otherStatuses(r.tp.statuses), r.tp.errors, r.tpRows,
		r.e2e.accepted, r.e2e.sent, r.e2eRows, len(r.e2e.mail), mailWait, r.e2e.accepted-len(r.e2e.mail),
		r.outbox.accepted, o.requests, r.outboxRows)
	p("- Rate limits: the public endpoint allows %d submissions per client address and %d per email per 10 minutes (`publicPerIP`,"+
		" `publicPerEmail` in api/public_handlers.go), and they stay on. Every email is distinct, and the load generator binds its client"+
		" sockets (`net.Dialer.LocalAddr`) to loopback source addresses 127.1.x.y (all of 127.0.0.0/8 is loopback on Linux), moving to a"+
		" fresh one after %d submissions, so no address reaches the limit: %d source addresses in all.",
		apiPerIP, apiPerEmail, perAddress, r.sources)
	p("- A 202 is answered after two round trips to PostgreSQL (the form and its purposes come from a five-second cache):"+
		" the rate limits counted and recorded in one statement, and the request with its audit entry as one pipelined batch (`store.RecordIntake`); the workflow is started after the answer, in the background. In the throughput run those starts,"+
		" the workflows' activities and their mails compete with the intake for the same %d cores and %d pool connections.",
		e.nproc, e.poolConns)
	p("- The workflows of the throughput run caught up %.1f s after its first POST (%.1f s after its last 202): %d confirmation mails,"+
		" %.1f per second through Temporal, the worker and SMTP; the outbox reconciler had to start %d of them.",
		r.drain.lastMail.Seconds(), r.drain.afterLastReq.Seconds(), len(r.tp.emails),
		float64(len(r.tp.emails))/r.drain.lastMail.Seconds(), r.drain.reconciled)
	if len(r.warns) > 0 {
		var ws []string
		for _, k := range sortedKeys(r.warns) {
			ws = append(ws, fmt.Sprintf("%q ×%d", k, r.warns[k]))
		}
		p("- Logged at warn or above during the run (Kontakt, Temporal server and SDK): %s.", strings.Join(ws, "; "))
	} else {
		p("- Nothing was logged at warn or above during the run.")
	}
}

func otherStatuses(m map[int]int) string {
	var s []string
	for code, n := range m {
		if code != http.StatusAccepted {
			s = append(s, fmt.Sprintf("%d ×%d", code, n))
		}
	}
	if len(s) == 0 {
		return "none"
	}
	slices.Sort(s)
	return strings.Join(s, ", ")
}
