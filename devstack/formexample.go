package devstack

import (
	"html/template"
	"net/http"

	"github.com/kontakt/kontakt/store"
)

var formExample = template.Must(template.New("form").Parse(`<!doctype html>
<html lang="cs">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>Příklad formuláře – {{.Organisation}}</title>
<style>body{font-family:system-ui,sans-serif;max-width:34rem;margin:2rem auto;padding:0 1rem;line-height:1.5}
label{display:block;margin:.8rem 0 .2rem}input[type=email],input[type=text]{width:100%;padding:.5rem;font-size:1rem}
.purpose{margin:.6rem 0}.hp{position:absolute;left:-10000px}button{margin-top:1rem;font-size:1rem;padding:.6rem 1.2rem}
.muted{color:#555;font-size:.9rem}</style></head>
<body><main>
<h1>Odběr novinek – {{.Organisation}}</h1>
<p class="muted">Toto je obyčejný HTML formulář, jaký by byl na webu organizace. Odešle se na
<code>{{.Action}}</code>; potvrzovací e-mail pak najdete na <a href="/dev/mail">/dev/mail</a>.</p>
<form method="post" action="{{.Action}}">
<label for="email">E-mail</label><input id="email" name="email" type="email" required autocomplete="email">
<label for="name">Jméno</label><input id="name" name="name" type="text" autocomplete="name">
<fieldset><legend>Souhlasím s</legend>
{{range .Purposes}}<div class="purpose"><label><input type="checkbox" name="purposes" value="{{.Key}}" checked> <strong>{{.Name}}</strong></label>
<span class="muted">{{.Wording}}</span></div>{{end}}
</fieldset>
{{if .Honeypot}}<div class="hp" aria-hidden="true"><label>Nevyplňujte <input name="{{.Honeypot}}" tabindex="-1" autocomplete="off"></label></div>{{end}}
<button type="submit">Odeslat</button>
</form>
</main></body></html>`))

// FormExampleHandler serves /dev/form-example: a plain HTML page with the demo web form, as
// an organisation would put it on its own site, posting to Kontakt's public endpoint.
func FormExampleHandler(f store.PublicForm) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		formExample.Execute(w, map[string]any{ //nolint:errcheck
			"Organisation": f.Organisation, "Action": "/public/forms/" + f.Key + "/consents",
			"Purposes": f.Purposes, "Honeypot": f.HoneypotField,
		})
	})
}
