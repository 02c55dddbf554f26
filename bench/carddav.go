package main

// The carddav suite: Kontakt's CardDAV server (wired as `kontakt serve` wires it, over a
// private PostgreSQL with fsync on) and Radicale (the Debian package, filesystem storage,
// which fsyncs too) on the same generated vCards in the same run. For each server and book
// size: load by HTTP PUT at concurrency 4, vdirsyncer's initial sync, a no-op sync, a sync
// after 1% of the contacts changed on the server, a sync after 1% left the collection, and
// the rate of no-change sync-collection REPORTs at concurrency 4. vdirsyncer runs are timed
// as whole processes, its own start-up included.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kontakt/kontakt/auth"
	"github.com/kontakt/kontakt/carddav"
	"github.com/kontakt/kontakt/migrations"
	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
)

const davClients = 4

type carddavOptions struct {
	sizes       []int
	pollTime    time.Duration
	syncTimeout time.Duration
	putLimit    time.Duration
	startup     time.Duration // vdirsyncer's own start-up, measured in the run
	radicale    bool          // false: Kontakt only, for quick runs while tuning
}

// davCard is one generated contact: its UUID (the UID and the file name) and fields.
type davCard struct {
	id, given, family, org, title, email, phone string
}

func (c davCard) vcard(title string) string {
	esc := func(s string) string {
		return strings.NewReplacer(`\`, `\\`, ",", `\,`, ";", `\;`).Replace(s)
	}
	return "BEGIN:VCARD\r\nVERSION:3.0\r\nUID:" + c.id + "\r\n" +
		"FN:" + esc(c.given+" "+c.family) + "\r\n" +
		"N:" + esc(c.family) + ";" + esc(c.given) + ";;;\r\n" +
		"ORG:" + esc(c.org) + "\r\n" +
		"TITLE:" + esc(title) + "\r\n" +
		"EMAIL;TYPE=WORK:" + c.email + "\r\n" +
		"TEL;TYPE=WORK:" + c.phone + "\r\n" +
		"END:VCARD\r\n"
}

func genCards(n int, seed uint64) []davCard {
	r := rand.New(rand.NewPCG(seed, 0xdac))
	pick := func(s []string) string { return s[r.IntN(len(s))] }
	out := make([]davCard, n)
	for i := range out {
		var b [16]byte
		for j := range b {
			b[j] = byte(r.UintN(256))
		}
		b[6] = b[6]&0x0f | 0x40
		b[8] = b[8]&0x3f | 0x80
		id := fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
		sn := czechSurnames[r.IntN(len(czechSurnames))]
		given, family := pick(czechMale), sn[0]
		if r.IntN(2) == 0 {
			given, family = pick(czechFemale), sn[1]
		}
		out[i] = davCard{
			id: id, given: given, family: family,
			org:   pick(orgWords) + " " + pick(cities) + " " + pick(orgForms),
			title: pick(jobTitles),
			email: fmt.Sprintf("kontakt%06d@firma%d.example", i, r.IntN(500)),
			phone: fmt.Sprintf("+420 6%02d %03d %03d", r.IntN(100), r.IntN(1000), r.IntN(1000)),
		}
	}
	return out
}

// davTarget is one server's collection for one size, and what the bench can do to it
// besides HTTP.
type davTarget struct {
	name       string // "Kontakt" or "Radicale"
	root       string // server root URL, with trailing slash
	login, pw  string
	collection string // absolute URL of the collection, trailing slash
	// change and revoke alter cards on the server side; nil: over HTTP (PUT, DELETE).
	change func(ctx context.Context, cards []davCard) error
	revoke func(ctx context.Context, cards []davCard) error
	// fill, when set, stores cards without HTTP: the rest of a load that PUT could not
	// finish within the time limit, so that the syncs still run on the whole book.
	fill func(cards []davCard) error
}

// davFigures holds one column of the table; zero durations are "not measured".
type davFigures struct {
	putRate                         float64
	putNote                         string // e.g. "(first 2,500 in 120 s)"
	initial, noop, changed, revoked time.Duration
	initialNote                     string // e.g. "> 120 s"
	pollRate                        float64
	floorNoop, floorInitial         time.Duration // vdirsyncer with every answer from memory (davfloor.go)
	listing                         time.Duration // a Depth 1 PROPFIND of every ETag, as vdirsyncer sends, median of 3
	errs                            []string
}

var httpc = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 16}, Timeout: 10 * time.Minute}

func (t *davTarget) do(ctx context.Context, method, url string, header map[string]string, body string) (int, string, error) {
	req, err := http.NewRequestWithContext(ctx, method, url, strings.NewReader(body))
	if err != nil {
		return 0, "", err
	}
	req.SetBasicAuth(t.login, t.pw)
	for k, v := range header {
		req.Header.Set(k, v)
	}
	resp, err := httpc.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b), err
}

// parallel runs f for each index at concurrency davClients and returns the first error.
func parallel(n int, f func(i int) error) error {
	var next atomic.Int64
	var first error
	var mu sync.Mutex
	var wg sync.WaitGroup
	for range davClients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				if err := f(i); err != nil {
					mu.Lock()
					if first == nil {
						first = err
					}
					mu.Unlock()
					return
				}
			}
		}()
	}
	wg.Wait()
	return first
}

func (t *davTarget) put(ctx context.Context, c davCard, title string) error {
	code, body, err := t.do(ctx, http.MethodPut, t.collection+c.id+".vcf", map[string]string{"Content-Type": "text/vcard; charset=utf-8"}, c.vcard(title))
	if err != nil {
		return err
	}
	if code != http.StatusCreated && code != http.StatusNoContent && code != http.StatusOK {
		return fmt.Errorf("%s PUT %s: %d %s", t.name, c.id, code, body)
	}
	return nil
}

var syncTokenRE = regexp.MustCompile(`(?s)<(?:[A-Za-z0-9]+:)?sync-token[^>]*>([^<]+)<`)

func (t *davTarget) syncToken(ctx context.Context) (string, error) {
	code, body, err := t.do(ctx, "PROPFIND", t.collection, map[string]string{"Depth": "0", "Content-Type": "application/xml"},
		`<?xml version="1.0" encoding="utf-8"?><d:propfind xmlns:d="DAV:"><d:prop><d:sync-token/></d:prop></d:propfind>`)
	if err != nil {
		return "", err
	}
	m := syncTokenRE.FindStringSubmatch(body)
	if code != http.StatusMultiStatus || m == nil {
		return "", fmt.Errorf("%s PROPFIND sync-token: %d %s", t.name, code, body)
	}
	return strings.TrimSpace(m[1]), nil
}

// poll sends no-change sync-collection REPORTs with the latest token at concurrency
// davClients for length and returns requests per second.
func (t *davTarget) poll(ctx context.Context, length time.Duration) (float64, error) {
	token, err := t.syncToken(ctx)
	if err != nil {
		return 0, err
	}
	body := `<?xml version="1.0" encoding="utf-8"?><d:sync-collection xmlns:d="DAV:"><d:sync-token>` + token +
		`</d:sync-token><d:sync-level>1</d:sync-level><d:prop><d:getetag/></d:prop></d:sync-collection>`
	hdr := map[string]string{"Depth": "0", "Content-Type": "application/xml"}
	// One checked request first: a no-change answer lists no member.
	code, resp, err := t.do(ctx, "REPORT", t.collection, hdr, body)
	if err != nil {
		return 0, err
	}
	if code != http.StatusMultiStatus || strings.Contains(resp, ".vcf") {
		return 0, fmt.Errorf("%s sync-collection with the latest token: %d %.500s", t.name, code, resp)
	}
	var n atomic.Int64
	var failed atomic.Value
	start := time.Now()
	deadline := start.Add(length)
	var wg sync.WaitGroup
	for range davClients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) && ctx.Err() == nil {
				code, _, err := t.do(ctx, "REPORT", t.collection, hdr, body)
				if err == nil && code != http.StatusMultiStatus {
					err = fmt.Errorf("status %d", code)
				}
				if err != nil {
					failed.Store(err)
					return
				}
				n.Add(1)
			}
		}()
	}
	wg.Wait()
	if err, ok := failed.Load().(error); ok {
		return 0, fmt.Errorf("%s poll: %w", t.name, err)
	}
	return float64(n.Load()) / time.Since(start).Seconds(), nil
}

// listing times the server's side of vdirsyncer's no-op sync: a Depth 1 PROPFIND of every
// member's ETag and content type, the body read to the end; the median of three.
func (t *davTarget) listing(ctx context.Context, n int) (time.Duration, error) {
	const body = `<?xml version="1.0" encoding="utf-8"?><d:propfind xmlns:d="DAV:"><d:prop><d:resourcetype/>` +
		`<d:getcontenttype/><d:getetag/></d:prop></d:propfind>`
	var took []time.Duration
	for range 3 {
		start := time.Now()
		code, resp, err := t.do(ctx, "PROPFIND", t.collection, map[string]string{"Depth": "1", "Content-Type": "application/xml"}, body)
		if err != nil {
			return 0, err
		}
		if code != http.StatusMultiStatus || strings.Count(resp, ".vcf") < n {
			return 0, fmt.Errorf("%s listing: %d, %d members", t.name, code, strings.Count(resp, ".vcf"))
		}
		took = append(took, time.Since(start))
	}
	slices.Sort(took)
	return took[1], nil
}

// vdirsyncerStartup is how long `vdirsyncer --version` takes: the client's own share of
// every sync, whatever the server; the median of three.
func vdirsyncerStartup(ctx context.Context) time.Duration {
	var took []time.Duration
	for range 3 {
		start := time.Now()
		if err := exec.CommandContext(ctx, "vdirsyncer", "--version").Run(); err != nil {
			return 0
		}
		took = append(took, time.Since(start))
	}
	slices.Sort(took)
	return took[1]
}

// vdirsyncer syncs one target into a local filesystem storage.
type vdirsyncer struct {
	dir, config string
}

func newVdirsyncer(dir string, t *davTarget) (*vdirsyncer, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, err
	}
	v := &vdirsyncer{dir: dir, config: filepath.Join(dir, "config")}
	config := fmt.Sprintf(`[general]
status_path = %q

[pair bench]
a = "local"
b = "server"
collections = ["from b"]
conflict_resolution = "b wins"

[storage local]
type = "filesystem"
path = %q
fileext = ".vcf"

[storage server]
type = "carddav"
url = %q
username = %q
password = %q
`, filepath.Join(dir, "status")+"/", filepath.Join(dir, "local")+"/", t.root, t.login, t.pw)
	return v, os.WriteFile(v.config, []byte(config), 0o600)
}

func (v *vdirsyncer) run(ctx context.Context, timeout time.Duration, args ...string) (time.Duration, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, "vdirsyncer", append([]string{"-c", v.config}, args...)...)
	// A fixed hash seed keeps vdirsyncer's request order the same between runs (davfloor.go).
	cmd.Env = append(os.Environ(), "HOME="+v.dir, "PYTHONHASHSEED=0")
	cmd.Stdin = strings.NewReader(strings.Repeat("y\n", 20))
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	start := time.Now()
	err := cmd.Run()
	d := time.Since(start)
	if ctx.Err() == context.DeadlineExceeded {
		return d, errTimeout
	}
	if err != nil {
		return d, fmt.Errorf("vdirsyncer %v: %v\n%s", args, err, out.String())
	}
	return d, nil
}

var errTimeout = errors.New("timed out")

// files returns the local vCards of the single synced collection: file name → content.
func (v *vdirsyncer) files() (map[string]string, error) {
	out := map[string]string{}
	colls, err := os.ReadDir(filepath.Join(v.dir, "local"))
	if err != nil {
		return nil, err
	}
	for _, c := range colls {
		entries, err := os.ReadDir(filepath.Join(v.dir, "local", c.Name()))
		if err != nil {
			return nil, err
		}
		for _, e := range entries {
			b, err := os.ReadFile(filepath.Join(v.dir, "local", c.Name(), e.Name()))
			if err != nil {
				return nil, err
			}
			out[e.Name()] = string(b)
		}
	}
	return out, nil
}

// check verifies the local copy: want files, and each of the changed cards carries marker.
func (v *vdirsyncer) check(want int, changed []davCard, marker string) error {
	f, err := v.files()
	if err != nil {
		return err
	}
	if len(f) != want {
		return fmt.Errorf("%d local vCards, want %d", len(f), want)
	}
	if len(changed) > 0 {
		n := 0
		for _, body := range f {
			if strings.Contains(body, marker) {
				n++
			}
		}
		if n != len(changed) {
			var stale []string
			for _, c := range changed {
				for name, body := range f {
					if strings.Contains(body, c.id) && !strings.Contains(body, marker) {
						stale = append(stale, name)
					}
				}
			}
			return fmt.Errorf("%d local vCards carry the server-side change, want %d (stale: %v)", n, len(changed), stale)
		}
	}
	return nil
}

// measureTarget runs the whole sequence on one target with cards; the target's collection
// exists and is empty.
func measureTarget(ctx context.Context, t *davTarget, cards []davCard, dir string, o carddavOptions) davFigures {
	var f davFigures
	fail := func(step string, err error) davFigures {
		f.errs = append(f.errs, fmt.Sprintf("%s %d, %s: %v", t.name, len(cards), step, err))
		logf("%s", f.errs[len(f.errs)-1])
		return f
	}
	n := len(cards)
	logf("%s %d: PUT at concurrency %d", t.name, n, davClients)
	start := time.Now()
	putCtx, cancel := context.WithTimeout(ctx, o.putLimit)
	done := make([]bool, n)
	var nDone atomic.Int64
	err := parallel(n, func(i int) error {
		if err := t.put(putCtx, cards[i], cards[i].title); err != nil {
			return err
		}
		done[i] = true
		nDone.Add(1)
		return nil
	})
	cancel()
	took := time.Since(start)
	f.putRate = float64(nDone.Load()) / took.Seconds()
	if err != nil && putCtx.Err() != nil && ctx.Err() == nil && t.fill != nil {
		f.putNote = fmt.Sprintf("(first %d in %.0f s)", nDone.Load(), o.putLimit.Seconds())
		logf("%s %d: PUT stopped after %s with %d stored; writing the rest into its storage", t.name, n, o.putLimit, nDone.Load())
		// An interrupted PUT may have been stored or not: PUT those again after filling.
		var rest []davCard
		for i, c := range cards {
			if !done[i] {
				rest = append(rest, c)
			}
		}
		if err = t.fill(rest); err != nil {
			return fail("fill", err)
		}
	} else if err != nil {
		return fail("PUT", err)
	}

	v, err := newVdirsyncer(dir, t)
	if err != nil {
		return fail("vdirsyncer config", err)
	}
	if _, err := v.run(ctx, 2*time.Minute, "discover"); err != nil {
		return fail("discover", err)
	}
	logf("%s %d: initial sync", t.name, n)
	f.initial, err = v.run(ctx, o.syncTimeout, "sync")
	if errors.Is(err, errTimeout) {
		f.initial, f.initialNote = 0, fmt.Sprintf("> %.0f s", o.syncTimeout.Seconds())
		logf("%s %d: initial sync stopped after %s", t.name, n, o.syncTimeout)
		return f
	}
	if err == nil {
		err = v.check(n, nil, "")
	}
	if err != nil {
		return fail("initial sync", err)
	}
	logf("%s %d: no-op sync", t.name, n)
	f.noop, err = v.run(ctx, o.syncTimeout, "sync")
	if err == nil {
		err = v.check(n, nil, "")
	}
	if err != nil {
		f.noop = 0
		return fail("no-op sync", err)
	}
	if f.listing, err = t.listing(ctx, n); err != nil {
		return fail("listing", err)
	}
	logf("%s %d: vdirsyncer's floor (answers replayed from memory)", t.name, n)
	if f.floorNoop, f.floorInitial, err = clientFloor(ctx, t, v, n, o); err != nil {
		fail("client floor", err) // the other figures still count
		f.floorNoop, f.floorInitial = 0, 0
	}

	pct := max(1, n/100)
	changed, revoked := cards[:pct], cards[pct:2*pct]
	const marker = "Změněno v benchmarku"
	if t.change != nil {
		err = t.change(ctx, changed)
	} else {
		err = parallel(len(changed), func(i int) error { return t.put(ctx, changed[i], marker) })
	}
	if err != nil {
		return fail("change 1%", err)
	}
	logf("%s %d: sync after 1%% changed", t.name, n)
	f.changed, err = v.run(ctx, o.syncTimeout, "sync")
	if err == nil {
		err = v.check(n, changed, marker)
	}
	if err != nil {
		f.changed = 0
		return fail("sync after 1% changed", err)
	}

	if t.revoke != nil {
		err = t.revoke(ctx, revoked)
	} else {
		err = parallel(len(revoked), func(i int) error {
			code, body, err := t.do(ctx, http.MethodDelete, t.collection+revoked[i].id+".vcf", nil, "")
			if err == nil && code != http.StatusNoContent && code != http.StatusOK {
				err = fmt.Errorf("DELETE: %d %s", code, body)
			}
			return err
		})
	}
	if err != nil {
		return fail("revoke 1%", err)
	}
	logf("%s %d: sync after 1%% revoked", t.name, n)
	f.revoked, err = v.run(ctx, o.syncTimeout, "sync")
	if err == nil {
		err = v.check(n-len(revoked), changed, marker)
	}
	if err != nil {
		f.revoked = 0
		return fail("sync after 1% revoked", err)
	}

	logf("%s %d: no-change sync-collection polls for %s", t.name, n, o.pollTime)
	if f.pollRate, err = t.poll(ctx, o.pollTime); err != nil {
		return fail("poll", err)
	}
	return f
}

// kontaktSetup starts Kontakt's CardDAV handler on a loopback listener over a fresh
// private cluster and returns a function making one target (user, book, grants, device) per
// size.
func kontaktSetup(ctx context.Context, dir string) (mk func(n int) (*davTarget, error), stop func(), err error) {
	var stops []func()
	stop = func() {
		for i := len(stops) - 1; i >= 0; i-- {
			stops[i]()
		}
	}
	pg, stopPG, err := startCluster(ctx, dir, false, dbName)
	if err != nil {
		return nil, nil, err
	}
	stops = append(stops, stopPG)
	pool, err := pgxpool.New(ctx, pg.URL(dbName))
	if err != nil {
		stop()
		return nil, nil, err
	}
	stops = append(stops, pool.Close)
	if _, err := migrations.Up(ctx, pool); err != nil {
		stop()
		return nil, nil, err
	}
	st := store.New(pool, "CZ")
	log := slog.New(slog.NewTextHandler(io.Discard, nil))
	mux := http.NewServeMux()
	h := carddav.NewHandler(carddav.Deps{Store: st, Logger: log})
	mux.Handle("/dav/", h)
	mux.Handle("/.well-known/carddav", h)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		stop()
		return nil, nil, err
	}
	stops = append(stops, serve(ln, mux, log))
	root := "http://" + ln.Addr().String() + "/"

	hash, err := auth.HashPassword(auth.RandomPassword(24), auth.Params{Memory: 1024, Time: 1, Threads: 1})
	if err != nil {
		stop()
		return nil, nil, err
	}
	system := store.Actor{Channel: model.ChannelSystem}
	adminUser, err := st.CreateUser(ctx, system, model.User{Login: "admin", Name: "Admin", IsAdmin: true}, hash)
	if err != nil {
		stop()
		return nil, nil, err
	}
	admin := store.Actor{UserID: adminUser.ID, Channel: model.ChannelAPI}
	mk = func(n int) (*davTarget, error) {
		login := fmt.Sprintf("sync%d", n)
		u, err := st.CreateUser(ctx, system, model.User{Login: login, Name: "Bench " + login}, hash)
		if err != nil {
			return nil, err
		}
		b, err := st.CreateBook(ctx, admin, fmt.Sprintf("Kontakty %d", n), "")
		if err != nil {
			return nil, err
		}
		if _, err := st.PutGrant(ctx, admin, model.Grant{BookID: b.ID, UserID: &u.ID, Role: model.RoleEditor}); err != nil {
			return nil, err
		}
		if _, err := st.PutSyncGrant(ctx, admin, model.SyncGrant{UserID: u.ID, BookID: b.ID, Mode: model.SyncReadWrite}); err != nil {
			return nil, err
		}
		pw := auth.RandomPassword(24)
		if _, err := st.CreateDevice(ctx, store.Actor{UserID: u.ID, Channel: model.ChannelAPI}, "bench "+login, pw[:5], auth.HashSecret(pw)); err != nil {
			return nil, err
		}
		return &davTarget{
			name: "Kontakt", root: root, login: login, pw: pw,
			collection: root + "dav/addressbooks/" + login + "/" + b.ID + "/",
			change: func(ctx context.Context, cards []davCard) error {
				title := "Změněno v benchmarku"
				for _, c := range cards {
					if _, err := st.UpdateContact(ctx, admin, c.id, model.ContactPatch{JobTitle: &title}, 0); err != nil {
						return fmt.Errorf("update %s: %w", c.id, err)
					}
				}
				return nil
			},
			revoke: func(ctx context.Context, cards []davCard) error {
				for _, c := range cards {
					if err := st.DeleteContact(ctx, admin, c.id); err != nil {
						return fmt.Errorf("delete %s: %w", c.id, err)
					}
				}
				return nil
			},
		}, nil
	}
	return mk, stop, nil
}

// radicaleSetup starts Radicale on a free loopback port with filesystem storage in dir,
// auth none and owner_only rights, with one address book per size created up front
// (collection-root/<user>/<book>/.Radicale.props).
func radicaleSetup(ctx context.Context, dir string, sizes []int) (mk func(n int) (*davTarget, error), stop func(), err error) {
	bin, err := exec.LookPath("radicale")
	if err != nil {
		return nil, nil, errors.New("radicale is not installed: apt-get install -y radicale (Kontakt's columns are measured without it)")
	}
	storage := filepath.Join(dir, "collections")
	for _, n := range sizes {
		coll := filepath.Join(storage, "collection-root", fmt.Sprintf("sync%d", n), "kontakty")
		if err := os.MkdirAll(coll, 0o700); err != nil {
			return nil, nil, err
		}
		if err := os.WriteFile(filepath.Join(coll, ".Radicale.props"), []byte(`{"D:displayname": "Kontakty", "tag": "VADDRESSBOOK"}`), 0o600); err != nil {
			return nil, nil, err
		}
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	config := filepath.Join(dir, "radicale.conf")
	if err := os.WriteFile(config, []byte(fmt.Sprintf(`[server]
hosts = %s

[auth]
type = none

[rights]
type = owner_only

[storage]
filesystem_folder = %s

[web]
type = none

[logging]
level = warning
`, addr, storage)), 0o600); err != nil {
		return nil, nil, err
	}
	logFile, err := os.Create(filepath.Join(dir, "radicale.log"))
	if err != nil {
		return nil, nil, err
	}
	cmd := exec.Command(bin, "-C", config)
	cmd.Stdout, cmd.Stderr = logFile, logFile
	if err := cmd.Start(); err != nil {
		logFile.Close()
		return nil, nil, err
	}
	logf("radicale (pid %d) on %s", cmd.Process.Pid, addr)
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()
	stop = func() {
		logf("stopping radicale (pid %d)", cmd.Process.Pid)
		cmd.Process.Signal(os.Interrupt)
		select {
		case <-exited:
		case <-time.After(10 * time.Second):
			cmd.Process.Kill()
			<-exited
		}
		logFile.Close()
	}
	root := "http://" + addr + "/"
	for start := time.Now(); ; time.Sleep(100 * time.Millisecond) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			break
		}
		select {
		case <-exited:
			b, _ := os.ReadFile(filepath.Join(dir, "radicale.log"))
			stop()
			return nil, nil, fmt.Errorf("radicale exited:\n%s", b)
		default:
		}
		if time.Since(start) > 30*time.Second {
			stop()
			return nil, nil, errors.New("radicale did not listen within 30 s")
		}
	}
	out, _ := exec.Command(bin, "--version").Output()
	radicaleVersion = strings.TrimSpace(string(out))
	mk = func(n int) (*davTarget, error) {
		login := fmt.Sprintf("sync%d", n)
		coll := filepath.Join(storage, "collection-root", login, "kontakty")
		return &davTarget{name: "Radicale", root: root, login: login, pw: "unused",
			collection: root + login + "/kontakty/",
			fill: func(cards []davCard) error {
				for _, c := range cards {
					if err := os.WriteFile(filepath.Join(coll, c.id+".vcf"), []byte(c.vcard(c.title)), 0o600); err != nil {
						return err
					}
				}
				return nil
			}}, nil
	}
	return mk, stop, nil
}

var radicaleVersion string

func vdirsyncerVersion() string {
	out, err := exec.Command("vdirsyncer", "--version").Output()
	if err != nil {
		return "?"
	}
	return strings.TrimSpace(string(out))
}

func runCardDAV(ctx context.Context, o options) error {
	if _, err := exec.LookPath("vdirsyncer"); err != nil {
		return errors.New("vdirsyncer is not installed: apt-get install -y vdirsyncer")
	}
	began := time.Now()
	dir, cleanup, err := workDir(o)
	if err != nil {
		return err
	}
	defer cleanup()
	// The cluster lives in dir/pg: the postgres user (when we run as root) must be able to
	// pass through dir.
	if err := os.Chmod(dir, 0o711); err != nil {
		return err
	}
	cards := map[int][]davCard{}
	for _, n := range o.carddav.sizes {
		cards[n] = genCards(n, o.seed*1000003+uint64(n)) // distinct UUIDs per book: Kontakt's contact ids are global
	}
	res := map[string]map[int]davFigures{"Kontakt": {}, "Radicale": {}}

	mkK, stopK, err := kontaktSetup(ctx, filepath.Join(dir, "pg"))
	if err != nil {
		return err
	}
	for _, n := range o.carddav.sizes {
		t, err := mkK(n)
		if err != nil {
			stopK()
			return err
		}
		res["Kontakt"][n] = measureTarget(ctx, t, cards[n], filepath.Join(dir, fmt.Sprintf("vdir-kontakt-%d", n)), o.carddav)
	}
	stopK()
	if ctx.Err() != nil {
		return ctx.Err()
	}

	radDir := filepath.Join(dir, "radicale")
	var radErr error
	var mkR func(n int) (*davTarget, error)
	var stopR func()
	if o.carddav.radicale {
		mkR, stopR, err = radicaleSetup(ctx, radDir, o.carddav.sizes)
	} else {
		err = errors.New("not run: -carddav-radicale=false")
	}
	if err != nil {
		radErr = err
		logf("%v", err)
	} else {
		for _, n := range o.carddav.sizes {
			t, _ := mkR(n)
			res["Radicale"][n] = measureTarget(ctx, t, cards[n], filepath.Join(dir, fmt.Sprintf("vdir-radicale-%d", n)), o.carddav)
		}
		stopR()
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	o.carddav.startup = vdirsyncerStartup(ctx)
	printCardDAV(os.Stdout, o.carddav, res, radErr, time.Since(began))
	return nil
}

func printCardDAV(w io.Writer, o carddavOptions, res map[string]map[int]davFigures, radErr error, took time.Duration) {
	p := func(format string, args ...any) { fmt.Fprintf(w, format+"\n", args...) }
	sizes := o.sizes
	big := sizes[len(sizes)-1]
	small := sizes[0]
	label := func(n int) string {
		if n%1000 == 0 {
			return fmt.Sprintf("%dk", n/1000)
		}
		return fmt.Sprint(n)
	}
	p("### CardDAV sync")
	p("")
	rv := radicaleVersion
	if rv == "" {
		rv = "not run"
	}
	p("Kontakt's CardDAV handler (as `kontakt serve` mounts it, a private PostgreSQL cluster with fsync on) and Radicale %s (Debian package, filesystem storage, auth none, owner_only) on the same generated vCards (vCard 3.0, name, organisation, title, work email and phone), in one run on %s, %d CPUs. Client: %s, filesystem storage; sync times are whole `vdirsyncer sync` processes, start-up included. \"Revoked\" is 1%% of the contacts leaving the collection (Kontakt: deleted through the store; Radicale: DELETE); \"changed\" is 1%% edited on the server (Kontakt: store.UpdateContact; Radicale: PUT). PUT and polls at concurrency %d; polls are sync-collection REPORTs with the latest token for %s. Ratio = Kontakt ÷ Radicale at %s. A load by PUT still running after %.0f s is stopped, its rate is over the PUTs done, and the rest of the vCards are written into the server's storage directly (Radicale), so that the syncs run on the whole book. Whole run: %s.",
		rv, cpuModel(), runtime.NumCPU(), vdirsyncerVersion(), davClients, o.pollTime, label(big), o.putLimit.Seconds(), took.Round(time.Second))
	p("")
	hdr := "| |"
	sep := "|---|"
	for _, s := range []string{"Kontakt", "Radicale"} {
		for _, n := range sizes {
			hdr += fmt.Sprintf(" %s %s |", s, label(n))
			sep += "---:|"
		}
	}
	p("%s ratio at %s |", hdr, label(big))
	p("%s---:|", sep)
	secs := func(d time.Duration) string {
		if d == 0 {
			return "–"
		}
		return fmt.Sprintf("%.2f s", d.Seconds())
	}
	rate := func(r float64) string {
		if r == 0 {
			return "–"
		}
		if r < 10 {
			return fmt.Sprintf("%.1f/s", r)
		}
		return fmt.Sprintf("%.0f/s", r)
	}
	ratioF := func(a, b float64) string {
		if a == 0 || b == 0 {
			return "–"
		}
		if r := a / b; r >= 100 {
			return fmt.Sprintf("%.0f×", r)
		}
		return fmt.Sprintf("%.3g×", a/b)
	}
	type row struct {
		name string
		cell func(f davFigures) string
		val  func(f davFigures) float64
	}
	rows := []row{
		{"load by PUT (contacts/s)", func(f davFigures) string { return strings.TrimSpace(rate(f.putRate) + " " + f.putNote) }, func(f davFigures) float64 { return f.putRate }},
		{"vdirsyncer initial sync", func(f davFigures) string {
			if f.initialNote != "" {
				return f.initialNote
			}
			return secs(f.initial)
		}, func(f davFigures) float64 { return f.initial.Seconds() }},
		{"no-op sync", func(f davFigures) string { return secs(f.noop) }, func(f davFigures) float64 { return f.noop.Seconds() }},
		{"sync after 1% changed", func(f davFigures) string { return secs(f.changed) }, func(f davFigures) float64 { return f.changed.Seconds() }},
		{"sync after 1% revoked", func(f davFigures) string { return secs(f.revoked) }, func(f davFigures) float64 { return f.revoked.Seconds() }},
		{"no-change sync-collection polls (requests/s)", func(f davFigures) string { return rate(f.pollRate) }, func(f davFigures) float64 { return f.pollRate }},
		{"vdirsyncer's floor: initial sync, every answer from memory", func(f davFigures) string { return secs(f.floorInitial) }, func(f davFigures) float64 { return f.floorInitial.Seconds() }},
		{"vdirsyncer's floor: no-op sync, every answer from memory", func(f davFigures) string { return secs(f.floorNoop) }, func(f davFigures) float64 { return f.floorNoop.Seconds() }},
		{"server's share of a no-op sync (Depth 1 PROPFIND of the ETags)", func(f davFigures) string { return secs(f.listing) }, func(f davFigures) float64 { return f.listing.Seconds() }},
	}
	for _, r := range rows {
		line := "| " + r.name + " |"
		for _, s := range []string{"Kontakt", "Radicale"} {
			for _, n := range sizes {
				f, ok := res[s][n]
				if !ok {
					line += " – |"
					continue
				}
				line += " " + r.cell(f) + " |"
			}
		}
		k, kok := res["Kontakt"][big]
		rd, rok := res["Radicale"][big]
		ratio := "–"
		if kok && rok {
			ratio = ratioF(r.val(k), r.val(rd))
			if r.name == "vdirsyncer initial sync" && rd.initialNote != "" && k.initial > 0 {
				ratio = fmt.Sprintf("< %.3g×", k.initial.Seconds()/o.syncTimeout.Seconds())
			}
		}
		p("%s %s |", line, ratio)
	}
	p("")
	p("vdirsyncer's own start-up (`vdirsyncer --version`) took %s in this run; it is part of every sync time above.", secs(o.startup))
	p("")
	// Targets of issue #4.
	k, kb := res["Kontakt"][big], res["Kontakt"][small]
	rd := res["Radicale"][big]
	var initialOK string
	switch {
	case k.initial == 0:
		initialOK = "not measured"
	case rd.initialNote != "":
		initialOK = yesNo(k.initial.Seconds() <= 0.2*o.syncTimeout.Seconds()) + fmt.Sprintf(" (Radicale stopped at %s)", rd.initialNote)
	case rd.initial == 0:
		initialOK = "Radicale not measured"
	default:
		initialOK = yesNo(k.initial.Seconds() <= 0.2*rd.initial.Seconds())
	}
	p("Targets at %s: initial sync ≤ 0.2× Radicale's: %s; no-op sync within 1.2× of %s (%.2f×) and under 1 s: %s; ≥ 500 no-change polls/s: %s; ≥ 500 PUT/s: %s.",
		label(big), initialOK, label(small), k.noop.Seconds()/max(kb.noop.Seconds(), 1e-9),
		yesNo(k.noop > 0 && kb.noop > 0 && k.noop.Seconds() <= 1.2*kb.noop.Seconds() && k.noop < time.Second),
		yesNo(k.pollRate >= 500), yesNo(minPut(res["Kontakt"]) >= 500))
	var errs []string
	if radErr != nil {
		errs = append(errs, radErr.Error())
	}
	for _, s := range []string{"Kontakt", "Radicale"} {
		for _, n := range sizes {
			errs = append(errs, res[s][n].errs...)
		}
	}
	if len(errs) > 0 {
		p("")
		p("Not measured (–):")
		for _, e := range errs {
			p("- %s", strings.SplitN(e, "\n", 2)[0])
		}
	}
}

func minPut(m map[int]davFigures) float64 {
	lo := 0.0
	for _, f := range m {
		if lo == 0 || f.putRate < lo {
			lo = f.putRate
		}
	}
	return lo
}
