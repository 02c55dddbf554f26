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
	"github.com/kontakt/kontakt/store"
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
	cpu := ""
	if e.cpu != "" {
		cpu = " (" + e.cpu + ")"
	}
	var clients []string
	for _, c := range o.clients {
		clients = append(clients, fmt.Sprint(c))
	}

	p("### Consent intake")
	p("")
	p("- Machine: nproc %d%s, GOMAXPROCS %d, %s/%s, %s.", e.nproc, cpu, e.gomaxprocs, runtime.GOOS, runtime.GOARCH, runtime.Version())
	p("- PostgreSQL %s, a private cluster (devstack, not Fast) on the local disk: fsync %s, synchronous_commit %s, wal_sync_method %s,"+
		" shared_buffers %s. That disk: an 8 kB write + fdatasync takes %.0f µs (%.0f per second, measured for 1 s in the cluster's directory).",
		e.pgVersion, e.fsync, e.syncCommit, e.walSync, e.sharedBf, float64(time.Second)/e.fdatasync/1000, e.fdatasync)
	p("- Kontakt in the bench's process, on loopback listeners, its pool of %d connections as `kontakt serve` opens it by default;"+
		" demo organisation and demo form seeded (`devstack.SeedDemo`, `devstack.SeedDemoForm`):", e.poolConns)
	p("  - *202 path*: the API (`api.NewHandler`) without a verifier. A submission is committed and answered 202; its workflow is" +
		" started afterwards, by the API when Temporal is configured or else from the outbox by a worker's reconciler, so Temporal" +
		" is not on this path (ARCHITECTURE.md, invariant 3). This is the API process as production runs it, with Temporal on" +
		" machines of its own; here no workflow runs.")
	if o.temporal {
		p("  - *With Temporal in the process*: the API with the Temporal verifier, in-process Temporal %s (SQLite file, WAL), the"+
			" worker (`worker.Run`) and mail over SMTP/TCP to `mailcatcher`, all in the bench's process on the same cores, as `kontakt"+
			" dev` wires it. Workflow starts, their activities and mails compete with the intake.", devtemporal.ServerVersion)
	}
	p("- pgbench %s, same cluster, same run, just before the intake runs at the same number of clients, with the stack idle:"+
		" `pgbench -n -c <clients> -j %d -T %d -f insert.sql`, one single-row `INSERT INTO bench_insert (email) VALUES (...)` per"+
		" transaction into a scratch table (`id bigserial primary key, email text, at timestamptz default now()`) in a database of its own.",
		r.runs[0].pgbench.version, r.runs[0].pgbench.threads, int(o.pgbenchTime.Seconds()))
	p("- Throughput runs, at %s clients: after %d unmeasured submissions, each client POSTs JSON `{\"email\": <unique>, \"purposes\":"+
		" [\"newsletter\"]}` with the form's Origin to `/public/forms/{key}/consents`, its next as soon as the last is answered, over"+
		" HTTP/1.1 keep-alive with a lean client (bench/rawclient.go: one write per request, the answer read for its status and"+
		" Content-Length; lean as pgbench is beside PostgreSQL); %d submissions per run on the 202 path, %d with Temporal. Committed"+
		" 202s per second = 202s / wall time from the first POST to the last answer; every 202 is then looked up in"+
		" `consent_requests`. Target: ratio ≥ %.1f.", strings.Join(clients, " and "), warmupReq, o.requests, o.devRequests, intakeTarget)
	if o.temporal {
		p("- End to end: %g submissions per second for %s (open loop, one every %s) with Temporal, on the idle stack after every mail of"+
			" the throughput runs was sent; each timed from just before its POST to the moment the SMTP server had received its"+
			" confirmation mail (the workflow's SendConfirmation, after PrepareVerification).",
			o.rate, o.e2eTime, time.Duration(float64(time.Second)/o.rate))
	}
	p("")
	p("| Clients | pgbench INSERT TPS | 202 path: committed 202/s | Ratio | POST → 202 p50 | p99 | max | All committed |")
	p("|---:|---:|---:|---:|---:|---:|---:|---|")
	for _, run := range r.runs {
		b := run.plain
		p("| %d | %.1f | %.1f | %s | %s ms | %s ms | %s ms | %s |", run.clients, run.pgbench.tps, b.perSecond(), ratioTo(b.perSecond(), run.pgbench.tps),
			ms(percentile(b.latency, 50)), ms(percentile(b.latency, 99)), ms(percentile(b.latency, 100)),
			yesNo(b.accepted == o.requests && run.plainRows == b.accepted))
	}
	if o.temporal {
		p("")
		p("| Clients | With Temporal in the process: committed 202/s | Ratio to pgbench | POST → 202 p50 | p99 | max | Last mail after the first POST | Mails/s | All committed |")
		p("|---:|---:|---:|---:|---:|---:|---:|---:|---|")
		for _, run := range r.runs {
			b := run.dev
			p("| %d | %.1f | %s | %s ms | %s ms | %s ms | %.1f s | %.1f | %s |", run.clients, b.perSecond(), ratioTo(b.perSecond(), run.pgbench.tps),
				ms(percentile(b.latency, 50)), ms(percentile(b.latency, 99)), ms(percentile(b.latency, 100)),
				run.drain.lastMail.Seconds(), float64(len(b.emails))/run.drain.lastMail.Seconds(),
				yesNo(b.accepted == o.devRequests && run.devRows == b.accepted))
		}
		p("")
		p("| At %g submissions/s (%d) | p50 | p99 | max |", o.rate, r.e2e.sent)
		p("|---|---:|---:|---:|")
		p("| POST → 202 | %s ms | %s ms | %s ms |", ms(percentile(r.e2e.latency, 50)), ms(percentile(r.e2e.latency, 99)), ms(percentile(r.e2e.latency, 100)))
		p("| POST → confirmation mail received | %s ms | %s ms | %s ms |", ms(percentile(r.e2e.mail, 50)), ms(percentile(r.e2e.mail, 99)), ms(percentile(r.e2e.mail, 100)))
	}
	p("")
	p("Notes:")
	for _, run := range r.runs {
		line := fmt.Sprintf("- %d clients: pgbench %d transactions, latency average %s ms; 202 path %d of %d answered 202 in %.2f s (other"+
			" statuses: %s; transport errors %d), %d found in `consent_requests`", run.clients, run.pgbench.processed, run.pgbench.latency,
			run.plain.accepted, o.requests, run.plain.wall.Seconds(), otherStatuses(run.plain.statuses), run.plain.errors, run.plainRows)
		if o.temporal {
			line += fmt.Sprintf("; with Temporal %d of %d answered 202 in %.2f s (other statuses: %s; transport errors %d), %d found,"+
				" all mails sent %.1f s after the last 202, the outbox reconciler had to start %d", run.dev.accepted, o.devRequests,
				run.dev.wall.Seconds(), otherStatuses(run.dev.statuses), run.dev.errors, run.devRows, run.drain.afterLastReq.Seconds(), run.drain.reconciled)
		}
		p("%s.", line)
	}
	if o.temporal {
		p("- End to end: %d of %d answered 202, %d found, %d confirmation mails received (missing after %s: %d).",
			r.e2e.accepted, r.e2e.sent, r.e2eRows, len(r.e2e.mail), mailWait, r.e2e.accepted-len(r.e2e.mail))
	}
	p("- Rate limits: the public endpoint allows %d submissions per client address and %d per email per 10 minutes (`publicPerIP`,"+
		" `publicPerEmail` in api/public_handlers.go), and they stay on. Every email is distinct, and the load generator binds its client"+
		" sockets (`net.Dialer.LocalAddr`) to loopback source addresses 127.1.x.y (all of 127.0.0.0/8 is loopback on Linux), moving to a"+
		" fresh one after %d submissions, so no address reaches the limit: %d source addresses in all.",
		apiPerIP, apiPerEmail, perAddress, r.sources)
	p("- A 202 is answered once the submission is committed: concurrent submissions share a transaction (group commit,"+
		" `store.RecordIntake`, at most %d group in flight), which checks and counts the rate limits and writes each request with its"+
		" audit entry; the form and its purposes come from a five-second cache.", store.IntakeFlushers)
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
