package mailcatcher

import (
	"html/template"
	"mime"
	"net/http"
	"strconv"
	"strings"
)

// Handler serves the pages at prefix (e.g. "/dev/mail"):
//
//	PREFIX/          the caught messages, newest first: time, recipients, subject
//	PREFIX/{id}      one message: envelope and headers, the HTML part in a
//	                 sandboxed iframe, the text part
//	PREFIX/{id}/raw  the message as received, as text/plain
//
// Requests must reach it with the prefix still in the path, as chi's Mount
// and http.ServeMux.Handle(prefix+"/", h) do. The pages need no JavaScript.
func (c *Catcher) Handler(prefix string) http.Handler {
	prefix = strings.TrimRight(prefix, "/")
	h := &handler{c: c, prefix: prefix, tmpl: template.Must(template.New("pages").Funcs(template.FuncMap{
		"join":   strings.Join,
		"decode": decodeHeader,
	}).Parse(pagesHTML))}
	mux := http.NewServeMux()
	if prefix != "" {
		mux.Handle("GET "+prefix, http.RedirectHandler(prefix+"/", http.StatusSeeOther))
	}
	mux.HandleFunc("GET "+prefix+"/{$}", h.list)
	mux.HandleFunc("GET "+prefix+"/{id}", h.show)
	mux.HandleFunc("GET "+prefix+"/{id}/raw", h.raw)
	return mux
}

type handler struct {
	c      *Catcher
	prefix string
	tmpl   *template.Template
}

func (h *handler) list(w http.ResponseWriter, r *http.Request) {
	h.render(w, r, "list", struct {
		Prefix   string
		Addr     string
		Max      int
		Messages []Caught
	}{h.prefix, h.c.Addr(), MaxMessages, h.c.Messages()})
}

func (h *handler) show(w http.ResponseWriter, r *http.Request) {
	m, ok := h.message(r)
	if !ok {
		http.NotFound(w, r)
		return
	}
	h.render(w, r, "show", struct {
		Prefix string
		Msg    Caught
		SrcDoc string
	}{h.prefix, m, srcdoc(m.HTML)})
}

func (h *handler) raw(w http.ResponseWriter, r *http.Request) {
	m, ok := h.message(r)
	if !ok {
		http.NotFound(w, r)
		return
	}
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	_, _ = w.Write(m.Raw)
}

func (h *handler) message(r *http.Request) (Caught, bool) {
	id, err := strconv.Atoi(r.PathValue("id"))
	if err != nil {
		return Caught{}, false
	}
	return h.c.Message(id)
}

func (h *handler) render(w http.ResponseWriter, r *http.Request, name string, data any) {
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.Header().Set("Cache-Control", "no-store")
	if err := h.tmpl.ExecuteTemplate(w, name, data); err != nil {
		h.c.log.ErrorContext(r.Context(), "mailcatcher: render page", "page", name, "error", err)
	}
}

// decodeHeader decodes RFC 2047 encoded-words for display, leaving the
// value as it is when it cannot.
func decodeHeader(v string) string {
	dec := mime.WordDecoder{}
	if d, err := dec.DecodeHeader(v); err == nil {
		return d
	}
	return v
}

// srcdoc prepares a mail's HTML for the preview iframe: links open in the
// top window (the sandbox allows that on a click), so the page behind a
// confirmation link runs unsandboxed, as it would from a mail client.
func srcdoc(html string) string {
	if html == "" {
		return ""
	}
	const base = `<base target="_top">`
	lower := strings.ToLower(html)
	for i := 0; ; {
		j := strings.Index(lower[i:], "<head")
		if j < 0 {
			return base + html
		}
		i += j + len("<head")
		if i < len(lower) && strings.IndexByte(" \t\r\n/>", lower[i]) >= 0 {
			if k := strings.IndexByte(lower[i:], '>'); k >= 0 {
				end := i + k + 1
				return html[:end] + base + html[end:]
			}
			return base + html
		}
	}
}

// pagesHTML holds the pages. The iframe's sandbox has no allow-scripts and
// no allow-same-origin: the mail's HTML can neither run code nor reach this
// page. allow-top-navigation-by-user-activation and allow-popups (escaping
// the sandbox) let a click on a link open it like a mail client would.
const pagesHTML = `
{{define "head"}}<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body{font-family:system-ui,sans-serif;margin:0 auto;max-width:1100px;padding:1rem 1.5rem;color:#18181b}
h1{font-size:1.4rem}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:.4rem .6rem;border-bottom:1px solid #e4e4e7;vertical-align:top}
th{background:#f4f4f5}
td.n,td.t{white-space:nowrap;color:#52525b}
dl{display:grid;grid-template-columns:max-content 1fr;gap:.2rem 1rem}
dt{font-weight:600;color:#52525b}dd{margin:0;word-break:break-all}
iframe{width:100%;height:34rem;border:1px solid #d4d4d8;border-radius:6px;background:#fff}
pre{white-space:pre-wrap;word-break:break-word;background:#f4f4f5;padding:1rem;border-radius:6px}
.muted{color:#71717a}
</style>
{{end}}

{{define "list"}}{{template "head"}}<meta http-equiv="refresh" content="5">
<title>Mail ({{len .Messages}}) · kontakt dev</title>
</head>
<body>
<h1>Mail caught by kontakt dev</h1>
<p class="muted">SMTP on {{.Addr}}, any login or none. Newest first; the last {{.Max}} are kept in memory. This page reloads every 5 seconds.</p>
<table>
<thead><tr><th>#</th><th>Time</th><th>To</th><th>Subject</th></tr></thead>
<tbody>
{{- range .Messages}}
<tr><td class="n">{{.ID}}</td><td class="t">{{.At.Format "2006-01-02 15:04:05"}}</td><td>{{join .To ", "}}</td><td><a href="{{$.Prefix}}/{{.ID}}">{{or .Subject "(no subject)"}}</a></td></tr>
{{- else}}
<tr><td colspan="4" class="muted">No mail yet.</td></tr>
{{- end}}
</tbody>
</table>
</body>
</html>
{{end}}

{{define "show"}}{{template "head"}}<title>{{or .Msg.Subject "(no subject)"}} · kontakt dev</title>
</head>
<body>
<p><a href="{{.Prefix}}/">← All mail</a> · <a href="{{.Prefix}}/{{.Msg.ID}}/raw">Raw message</a></p>
<h1>{{or .Msg.Subject "(no subject)"}}</h1>
<dl>
<dt>Received</dt><dd>{{.Msg.At.Format "2006-01-02 15:04:05"}}</dd>
<dt>Envelope from</dt><dd>{{.Msg.From}}</dd>
<dt>Envelope to</dt><dd>{{join .Msg.To ", "}}</dd>
{{- with .Msg.Header}}
<dt>From</dt><dd>{{decode (.Get "From")}}</dd>
<dt>To</dt><dd>{{decode (.Get "To")}}</dd>
<dt>Date</dt><dd>{{decode (.Get "Date")}}</dd>
{{- end}}
<dt>Message-ID</dt><dd>{{.Msg.MessageID}}</dd>
</dl>
{{- if .SrcDoc}}
<h2>HTML part</h2>
<iframe title="HTML part" sandbox="allow-popups allow-popups-to-escape-sandbox allow-top-navigation-by-user-activation" srcdoc="{{.SrcDoc}}"></iframe>
{{- end}}
{{- if .Msg.Text}}
<h2>Text part</h2>
<pre>{{.Msg.Text}}</pre>
{{- end}}
{{- if not (or .SrcDoc .Msg.Text)}}
<p class="muted">No text or HTML part found; see the raw message.</p>
{{- end}}
</body>
</html>
{{end}}
`
