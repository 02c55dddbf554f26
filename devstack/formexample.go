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
.muted{color:#555;font-size:.9rem}section{margin-top:2.5rem;padding-top:1rem;border-top:1px solid #ddd}</style></head>
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

<section>
<h2>Jaké souhlasy u nás máte?</h2>
<p class="muted">Pošleme přehled vašich souhlasů na zadanou adresu, s odkazem, kde je můžete odvolat
(formulář se odešle na <code>{{.StatusAction}}</code>). Odpověď stránky je stejná, ať adresu známe, nebo ne.</p>
<form method="post" action="{{.StatusAction}}">
<label for="status-email">E-mail</label><input id="status-email" name="email" type="email" required autocomplete="email">
{{if .Honeypot}}<div class="hp" aria-hidden="true"><label>Nevyplňujte <input name="{{.Honeypot}}" tabindex="-1" autocomplete="off"></label></div>{{end}}
<button type="submit">Poslat přehled souhlasů</button>
</form>
</section>

<section>
<h2>Odvolání souhlasu</h2>
<p class="muted">Odvolá souhlasy zadané adresy pro zaškrtnuté účely (formulář se odešle na <code>{{.RevokeAction}}</code>);
potvrzení přijde e-mailem, jen pokud bylo co odvolat.</p>
<form method="post" action="{{.RevokeAction}}">
<label for="revoke-email">E-mail</label><input id="revoke-email" name="email" type="email" required autocomplete="email">
<fieldset><legend>Odvolávám souhlas s</legend>
{{range .Purposes}}<div class="purpose"><label><input type="checkbox" name="purposes" value="{{.Key}}"> <strong>{{.Name}}</strong></label></div>{{end}}
<p class="muted">Nic nezaškrtnuto = všechny účely tohoto formuláře.</p>
</fieldset>
{{if .Honeypot}}<div class="hp" aria-hidden="true"><label>Nevyplňujte <input name="{{.Honeypot}}" tabindex="-1" autocomplete="off"></label></div>{{end}}
<button type="submit">Odvolat souhlas</button>
</form>
</section>
</main></body></html>`))

// FormExampleHandler serves /dev/form-example: a plain HTML page with the demo web forms, as
// an organisation would put them on its own site, posting to Kontakt's public endpoints:
// the consent form, "which consents do you hold" and a revocation.
func FormExampleHandler(f store.PublicForm) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		formExample.Execute(w, map[string]any{ //nolint:errcheck
			"Organisation": f.Organisation, "Action": "/public/forms/" + f.Key + "/consents",
			"StatusAction": "/public/forms/" + f.Key + "/consent-status", "RevokeAction": "/public/forms/" + f.Key + "/revocations",
			"Purposes": f.Purposes, "Honeypot": f.HoneypotField,
		})
	})
}
