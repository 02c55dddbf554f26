package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kontakt/kontakt/devstack/mailcatcher"
)

// The public endpoint's limits (api/public_handlers.go: publicPerIP, publicPerEmail), per
// 10 minutes.
const (
	apiPerIP    = 30
	apiPerEmail = 5
)

// perAddress is how many submissions the load generator sends from one loopback source
// address before it moves to the next, safely under apiPerIP.
const perAddress = 25

// loadGen posts consent submissions to a form, as browsers on the organisation's site do,
// from many loopback source addresses.
type loadGen struct {
	url, origin string
	next        atomic.Int64 // index of the next source address

	mu         sync.Mutex
	transports []*http.Transport
}

func newLoadGen(url, origin string) *loadGen { return &loadGen{url: url, origin: origin} }

// sources returns how many source addresses were used.
func (g *loadGen) sources() int { return int(g.next.Load()) }

// close drops every kept-alive connection.
func (g *loadGen) close() {
	g.mu.Lock()
	defer g.mu.Unlock()
	for _, t := range g.transports {
		t.CloseIdleConnections()
	}
}

// newClient returns an HTTP client whose connections leave from a loopback address of their
// own: 127.1.0.10, 127.1.0.11, ... (all of 127.0.0.0/8 is loopback on Linux).
func (g *loadGen) newClient() (*http.Client, *http.Transport) {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: g.nextSource()}, Timeout: 10 * time.Second, KeepAlive: 30 * time.Second}
	t := &http.Transport{DialContext: d.DialContext, MaxIdleConnsPerHost: 4, IdleConnTimeout: 90 * time.Second}
	g.mu.Lock()
	g.transports = append(g.transports, t)
	g.mu.Unlock()
	return &http.Client{Transport: t, Timeout: 60 * time.Second}, t
}

// nextSource returns the next unused loopback source address.
func (g *loadGen) nextSource() net.IP {
	a := g.next.Add(1) - 1
	return net.IPv4(127, 1, byte(a/200), byte(10+a%200))
}

// rotator hands out a client for perAddress submissions, then a client on a fresh address.
type rotator struct {
	g    *loadGen
	mu   sync.Mutex
	c    *http.Client
	t    *http.Transport
	used int
}

func (r *rotator) client() *http.Client {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.c == nil || r.used == perAddress {
		if r.t != nil {
			r.t.CloseIdleConnections()
		}
		r.c, r.t = r.g.newClient()
		r.used = 0
	}
	r.used++
	return r.c
}

// submit posts one submission to target and returns the HTTP status.
func (g *loadGen) submit(ctx context.Context, c *http.Client, target, email string) (int, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(consentBody(email)))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Origin", g.origin)
	req.Header.Set("User-Agent", "kontakt-bench/1.0")
	res, err := c.Do(req)
	if err != nil {
		return 0, err
	}
	_, err = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode, err
}

func email(prefix string, i int) string { return fmt.Sprintf("%s-%06d@posta.example", prefix, i) }

// burstResult is one closed-loop run.
type burstResult struct {
	start    time.Time
	wall     time.Duration   // first POST to last answer
	accepted int             // 202s
	emails   []string        // of the accepted submissions
	latency  []time.Duration // POST to answer of the 202s, sorted
	statuses map[int]int
	errors   int
	firstErr error
}

func (b burstResult) perSecond() float64 {
	if b.wall <= 0 {
		return 0
	}
	return float64(b.accepted) / b.wall.Seconds()
}

// burst sends n submissions to target from clients concurrent clients, each sending its
// next as soon as the previous one is answered, over rawConn.
func (g *loadGen) burst(ctx context.Context, target, prefix string, n, clients int) burstResult {
	var (
		next atomic.Int64
		mu   sync.Mutex
		wg   sync.WaitGroup
		b    = burstResult{statuses: map[int]int{}}
	)
	b.start = time.Now()
	for range clients {
		wg.Go(func() {
			c, err := g.newRawClient(target)
			if err != nil {
				mu.Lock()
				b.errors++
				b.firstErr = err
				mu.Unlock()
				return
			}
			defer c.close()
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= n {
					return
				}
				e := email(prefix, i)
				t := time.Now()
				code, err := c.submit(ctx, e)
				d := time.Since(t)
				mu.Lock()
				switch {
				case err != nil:
					b.errors++
					if b.firstErr == nil {
						b.firstErr = err
					}
				default:
					b.statuses[code]++
					if code == http.StatusAccepted {
						b.accepted++
						b.emails = append(b.emails, e)
						b.latency = append(b.latency, d)
					}
				}
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	b.wall = time.Since(b.start)
	slices.Sort(b.latency)
	return b
}

// e2eResult is one open-loop run timed to the confirmation mail.
type e2eResult struct {
	sent, accepted int
	emails         []string        // of the accepted submissions
	latency        []time.Duration // POST to 202, sorted
	mail           []time.Duration // POST to mail received, sorted
}

// mailWait bounds the wait for one confirmation mail after its POST.
const mailWait = 60 * time.Second

// steady sends rate submissions per second for length, each in its own goroutine on a
// fixed schedule, and times each from its POST to its confirmation mail at the catcher.
func (g *loadGen) steady(ctx context.Context, catcher *mailcatcher.Catcher, prefix string, rate float64, length time.Duration) (e2eResult, error) {
	var (
		res e2eResult
		mu  sync.Mutex
		wg  sync.WaitGroup
		r   = &rotator{g: g}
	)
	interval := time.Duration(float64(time.Second) / rate)
	n := int(length.Seconds() * rate)
	tick := time.NewTicker(interval)
	defer tick.Stop()
	var firstErr error
	for i := range n {
		if i > 0 {
			select {
			case <-ctx.Done():
				wg.Wait()
				return res, ctx.Err()
			case <-tick.C:
			}
		}
		res.sent++
		wg.Go(func() {
			e := email(prefix, i)
			t := time.Now()
			code, err := g.submit(ctx, r.client(), g.url, e)
			d := time.Since(t)
			if err != nil || code != http.StatusAccepted {
				mu.Lock()
				if firstErr == nil {
					firstErr = fmt.Errorf("submission %d: status %d, %v", i, code, err)
				}
				mu.Unlock()
				return
			}
			mu.Lock()
			res.accepted++
			res.emails = append(res.emails, e)
			res.latency = append(res.latency, d)
			mu.Unlock()
			wctx, cancel := context.WithDeadline(ctx, t.Add(mailWait))
			defer cancel()
			m, err := catcher.Wait(wctx, func(m mailcatcher.Caught) bool { return len(m.To) == 1 && m.To[0] == e })
			if err != nil {
				return // counted as missing
			}
			mu.Lock()
			res.mail = append(res.mail, m.At.Sub(t))
			mu.Unlock()
		})
	}
	wg.Wait()
	if firstErr != nil {
		logf("end to end: %d of %d not accepted, first: %v", res.sent-res.accepted, res.sent, firstErr)
	}
	slices.Sort(res.latency)
	slices.Sort(res.mail)
	return res, ctx.Err()
}
