package web

import (
	"strings"

	"github.com/kontakt/kontakt/model"
)

// The language review of the pages (browser_tour_test.go): texts the store writes in
// English for machines (a consent event's reason, an audit channel) shown in the page's
// language.

// consentReasons are the reasons the store gives consent events it makes itself, by the
// key of their text; a reason a person typed (a revocation's) is shown as typed.
var consentReasons = map[string]string{
	"validity ended":                                              "a11y.reason.ended",
	"submitted on web form":                                       "a11y.reason.submitted",
	"confirmed by double opt-in":                                  "a11y.reason.confirmed",
	"renewed by double opt-in":                                    "a11y.reason.renewed",
	"not confirmed in time":                                       "a11y.reason.unconfirmed",
	"revoked before confirmation":                                 "a11y.reason.cancelled",
	"expiry reminder: renewal requested by mail":                  "a11y.reason.reminded",
	"expiry reminder not sent: the contact has no e-mail address": "a11y.reason.noemail",
	"revoked by the person (revocation form)":                     "a11y.reason.byform",
	"revoked by the person (subject-access link)":                 "a11y.reason.bylink",
}

// Reason is a consent event's reason in the page's language.
func (p page) Reason(reason string) string {
	if key, ok := consentReasons[reason]; ok {
		return p.T(key)
	}
	if src, ok := strings.CutPrefix(reason, "recorded ("); ok && strings.HasSuffix(src, ")") {
		return p.T("a11y.reason.recorded") + " (" + p.Source(model.ConsentSource(strings.TrimSuffix(src, ")"))) + ")"
	}
	return reason
}

// Channel is an audit channel (api, carddav, web ...) in the page's language.
func (p page) Channel(ch string) string {
	if s, ok := p.msgs[p.Lang]["a11y.channel."+ch]; ok {
		return s
	}
	return ch
}

// a11yMessages are the texts of the language review.
func a11yMessages() catalogue {
	return catalogue{
		"en": {
			"a11y.reason.recorded":    "recorded",
			"a11y.reason.ended":       "validity ended",
			"a11y.reason.submitted":   "submitted on a web form",
			"a11y.reason.confirmed":   "confirmed by double opt-in",
			"a11y.reason.renewed":     "renewed by double opt-in",
			"a11y.reason.unconfirmed": "not confirmed in time",
			"a11y.reason.cancelled":   "revoked before confirmation",
			"a11y.reason.reminded":    "expiry reminder: renewal requested by e-mail",
			"a11y.reason.noemail":     "expiry reminder not sent: the contact has no e-mail address",
			"a11y.reason.byform":      "revoked by the person (revocation form)",
			"a11y.reason.bylink":      "revoked by the person (link from an e-mail)",
			"a11y.channel.api":        "API",
			"a11y.channel.carddav":    "CardDAV",
			"a11y.channel.export":     "export",
			"a11y.channel.mail":       "e-mail",
			"a11y.channel.system":     "system",
			"a11y.channel.web":        "web",
		},
		"cs": {
			"a11y.reason.recorded":    "zaznamenán",
			"a11y.reason.ended":       "platnost skončila",
			"a11y.reason.submitted":   "odeslán webovým formulářem",
			"a11y.reason.confirmed":   "potvrzen odkazem z e-mailu (double opt-in)",
			"a11y.reason.renewed":     "obnoven odkazem z e-mailu (double opt-in)",
			"a11y.reason.unconfirmed": "nepotvrzen včas",
			"a11y.reason.cancelled":   "odvolán před potvrzením",
			"a11y.reason.reminded":    "upozornění na konec platnosti: o obnovení požádáno e-mailem",
			"a11y.reason.noemail":     "upozornění na konec platnosti neodesláno: kontakt nemá e-mailovou adresu",
			"a11y.reason.byform":      "odvolán osobou (formulář pro odvolání)",
			"a11y.reason.bylink":      "odvolán osobou (odkaz z e-mailu)",
			"a11y.channel.api":        "API",
			"a11y.channel.carddav":    "CardDAV",
			"a11y.channel.export":     "export",
			"a11y.channel.mail":       "e-mail",
			"a11y.channel.system":     "systém",
			"a11y.channel.web":        "web",
		},
	}
}
