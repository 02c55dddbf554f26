// Package httpmw holds the middleware every Kontakt listener puts in front of its handlers:
// request ids, the client's address behind trusted proxies, the access log and the
// observation of each answer by its route pattern (for metrics). LogHandler puts the request
// id on every log record made with the request's context.
//
// What it logs at info level holds no personal data: the route pattern, never the path or
// query (a search for a person's name is a query), and no client address or user agent.
package httpmw

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"
)

// Options configure Handler.
type Options struct {
	// Logger receives the access log: one record per request, at info (debug for the
	// probes and /metrics). Nil logs nothing.
	Logger *slog.Logger
	// TrustedProxies are the addresses of the reverse proxies (Caddy, an ingress) whose
	// X-Forwarded-For header names the client. A request from anywhere else keeps its peer
	// address, whatever its headers say.
	TrustedProxies []*net.IPNet
	// Observe, when set, is told of every answered request (metrics.Metrics.ObserveHTTP).
	Observe func(method, route string, code int, d time.Duration)
}

// Unmatched is the route of a request no handler's pattern matched.
const Unmatched = "unmatched"

// quietRoutes are logged at debug level: probes and scrapes come every few seconds.
var quietRoutes = map[string]bool{"/healthz": true, "/readyz": true, "/metrics": true}

// Handler wraps next with request ids, client addresses, the access log and Observe.
//
// The request id is the client's X-Request-Id when it is short and plain (a proxy's id
// links both logs), otherwise a new random one. It is stored where chi's middleware.GetReqID
// finds it, set on the request's header so that handlers running chi's RequestID keep it, and
// returned in the answer's X-Request-Id.
//
// The route is the pattern that served the request: chi's route pattern
// ("/api/contacts/{id}") when a chi router answered, which Handler learns by giving the
// request a chi routing context of its own, else the http.ServeMux pattern ("/dav/").
func Handler(next http.Handler, o Options) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		id := r.Header.Get(middleware.RequestIDHeader)
		if !plainID(id) {
			id = newID()
			r.Header.Set(middleware.RequestIDHeader, id)
		}
		w.Header().Set(middleware.RequestIDHeader, id)
		if len(o.TrustedProxies) > 0 {
			r.RemoteAddr = clientAddr(r.RemoteAddr, r.Header.Values("X-Forwarded-For"), o.TrustedProxies)
		}
		rctx := chi.NewRouteContext()
		ctx := context.WithValue(r.Context(), middleware.RequestIDKey, id)
		ctx = context.WithValue(ctx, chi.RouteCtxKey, rctx)
		r = r.WithContext(ctx)
		ww := middleware.NewWrapResponseWriter(w, r.ProtoMajor)

		next.ServeHTTP(ww, r)

		d := time.Since(start)
		code := ww.Status()
		if code == 0 {
			code = http.StatusOK // nothing written: net/http answers 200
		}
		route := rctx.RoutePattern()
		if route == "" || route == "/*" {
			route = r.Pattern // set by http.ServeMux on this request
		}
		if route == "" || (route == "/" && rctx.RoutePattern() == "") {
			route = Unmatched
		}
		if o.Observe != nil {
			o.Observe(r.Method, route, code, d)
		}
		if o.Logger != nil {
			level := slog.LevelInfo
			if quietRoutes[route] {
				level = slog.LevelDebug
			}
			o.Logger.LogAttrs(ctx, level, "http request",
				slog.String("method", r.Method), slog.String("route", route), slog.Int("status", code),
				slog.Int("bytes", ww.BytesWritten()), slog.Duration("duration", d.Round(time.Microsecond)))
			if o.Logger.Enabled(ctx, slog.LevelDebug) {
				// Paths may name a login (CardDAV) and queries a person: debug only.
				o.Logger.LogAttrs(ctx, slog.LevelDebug, "http request detail",
					slog.String("path", r.URL.Path), slog.String("query", r.URL.RawQuery), slog.String("client", r.RemoteAddr))
			}
		}
	})
}

// plainID accepts a client's request id of 1 to 64 letters, digits and -_.:/ only.
func plainID(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	for _, c := range s {
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.ContainsRune("-_.:/", c)
		if !ok {
			return false
		}
	}
	return true
}

func newID() string {
	var b [12]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails
	return hex.EncodeToString(b[:])
}

// clientAddr returns the client's address as host:port for a request from peer. When the
// peer is a trusted proxy, the client is the rightmost address of X-Forwarded-For that is not
// a trusted proxy itself (each proxy appends the address it got the request from, so
// everything left of it may be forged by the client); the port is the peer's.
func clientAddr(peer string, forwarded []string, trusted []*net.IPNet) string {
	host, port, err := net.SplitHostPort(peer)
	if err != nil || !contains(trusted, net.ParseIP(host)) {
		return peer
	}
	var hops []string
	for _, h := range forwarded {
		for _, f := range strings.Split(h, ",") {
			hops = append(hops, strings.TrimSpace(f))
		}
	}
	for i := len(hops) - 1; i >= 0; i-- {
		ip := net.ParseIP(strings.Trim(hops[i], "[]"))
		if ip == nil {
			return peer // malformed: trust nothing further left
		}
		if !contains(trusted, ip) {
			return net.JoinHostPort(ip.String(), port)
		}
	}
	return peer
}

func contains(nets []*net.IPNet, ip net.IP) bool {
	if ip == nil {
		return false
	}
	for _, n := range nets {
		if n.Contains(ip) {
			return true
		}
	}
	return false
}

// LogHandler wraps h so that every record made with a request's context (InfoContext,
// ErrorContext, ...) carries the request's id as request_id.
func LogHandler(h slog.Handler) slog.Handler { return logHandler{h} }

type logHandler struct{ slog.Handler }

func (l logHandler) Handle(ctx context.Context, r slog.Record) error {
	if id := middleware.GetReqID(ctx); id != "" {
		r = r.Clone()
		r.AddAttrs(slog.String("request_id", id))
	}
	return l.Handler.Handle(ctx, r)
}

func (l logHandler) WithAttrs(as []slog.Attr) slog.Handler {
	return logHandler{l.Handler.WithAttrs(as)}
}

func (l logHandler) WithGroup(name string) slog.Handler {
	return logHandler{l.Handler.WithGroup(name)}
}
