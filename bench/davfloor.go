package main

// vdirsyncer's floor: how long its syncs take when every answer is already in memory, so
// that the table can say how much of a sync time is the client's own work and how much the
// server's. A replaying proxy forwards each distinct request (method, path, Depth, body) to
// the server once and answers every repeat from what it recorded.

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

type recorded struct {
	code   int
	header http.Header
	body   []byte
}

// replayProxy records the first answer to each distinct request and replays it after.
type replayProxy struct {
	target string // the server's root URL, trailing slash
	mu     sync.Mutex
	seen   map[[32]byte]recorded
	misses int // requests forwarded to the server
}

func (p *replayProxy) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	key := sha256.Sum256([]byte(r.Method + "\x00" + r.URL.RequestURI() + "\x00" + r.Header.Get("Depth") + "\x00" + string(body)))
	p.mu.Lock()
	rec, ok := p.seen[key]
	p.mu.Unlock()
	if !ok {
		req, err := http.NewRequestWithContext(r.Context(), r.Method, strings.TrimSuffix(p.target, "/")+r.URL.RequestURI(), bytes.NewReader(body))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		req.Header = r.Header.Clone()
		resp, err := httpc.Do(req)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		b, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		rec = recorded{code: resp.StatusCode, header: resp.Header.Clone(), body: b}
		rec.header.Del("Content-Length")
		p.mu.Lock()
		p.seen[key] = rec
		p.misses++
		p.mu.Unlock()
	}
	for k, v := range rec.header {
		w.Header()[k] = v
	}
	w.WriteHeader(rec.code)
	w.Write(rec.body) //nolint:errcheck
}

// clientFloor measures vdirsyncer against answers from memory: a no-op sync of the folder
// v already holds, and an initial sync into an empty folder. Call it right after the no-op
// sync against the server, before anything changes there.
func clientFloor(ctx context.Context, t *davTarget, v *vdirsyncer, n int, o carddavOptions) (noop, initial time.Duration, err error) {
	p := &replayProxy{target: t.root, seen: map[[32]byte]recorded{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, 0, err
	}
	stop := serve(ln, p, slog.New(slog.NewTextHandler(io.Discard, nil)))
	defer stop()
	via := *t
	via.root = "http://" + ln.Addr().String() + "/"

	// A copy of the folder and status, through the proxy: the first run records, the second
	// is timed.
	pv, err := newVdirsyncer(v.dir+"-noop-replay", &via)
	if err != nil {
		return 0, 0, err
	}
	defer os.RemoveAll(pv.dir)
	for _, d := range []string{"local", "status"} {
		if err := os.CopyFS(filepath.Join(pv.dir, d), os.DirFS(filepath.Join(v.dir, d))); err != nil {
			return 0, 0, err
		}
	}
	if _, err := pv.run(ctx, 2*time.Minute, "discover"); err != nil {
		return 0, 0, err
	}
	for range 2 {
		if noop, err = pv.run(ctx, o.syncTimeout, "sync"); err != nil {
			return 0, 0, err
		}
	}
	if files, err := pv.files(); err != nil || len(files) != n {
		return 0, 0, fmt.Errorf("the replayed no-op sync left %d files (%v), not %d", len(files), err, n)
	}

	// An initial sync into a fresh folder: recorded once, then the folder and status are
	// emptied and the sync is timed with every answer from memory.
	fresh, err := newVdirsyncer(v.dir+"-replay", &via)
	if err != nil {
		return 0, 0, err
	}
	defer os.RemoveAll(fresh.dir)
	for i := range 2 {
		for _, d := range []string{"local", "status"} {
			if err := os.RemoveAll(filepath.Join(fresh.dir, d)); err != nil {
				return 0, 0, err
			}
		}
		if _, err := fresh.run(ctx, 2*time.Minute, "discover"); err != nil {
			return 0, 0, err
		}
		if initial, err = fresh.run(ctx, o.syncTimeout, "sync"); err != nil {
			return 0, 0, err
		}
		if i == 0 {
			p.mu.Lock()
			p.misses = 0
			p.mu.Unlock()
		}
	}
	if files, err := fresh.files(); err != nil || len(files) != n {
		return 0, 0, fmt.Errorf("the replayed initial sync left %d files (%v), not %d", len(files), err, n)
	}
	if p.misses > 0 {
		logf("%s: %d requests of the timed replay sync were not recorded before (forwarded)", t.name, p.misses)
	}
	return noop, initial, nil
}
