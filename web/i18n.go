package web

import (
	"net/http"
	"strings"

	"golang.org/x/text/language"
)

// catalogue holds every page string by key, per locale (cs, en).
type catalogue map[string]map[string]string

// newCatalogue returns the messages of the web pages.
func newCatalogue() catalogue {
	return catalogue{
		"en": {
			"app":             "Kontakt",
			"login.title":     "Log in",
			"login.login":     "Login",
			"login.password":  "Password",
			"login.submit":    "Log in",
			"login.bad":       "Wrong login or password.",
			"login.limited":   "Too many failed logins. Try again later.",
			"login.missing":   "Enter your login and password.",
			"logout":          "Log out",
			"dir.title":       "Directory",
			"dir.search":      "Search contacts",
			"dir.hint":        "Name, company, e-mail or phone; accents do not matter.",
			"dir.submit":      "Search",
			"dir.none":        "No contacts found.",
			"dir.more":        "More results",
			"card.back":       "Back to the directory",
			"card.call":       "Call",
			"card.mail":       "E-mail",
			"card.map":        "Show on map",
			"card.phones":     "Phones",
			"card.emails":     "E-mails",
			"card.addresses":  "Addresses",
			"card.web":        "Web and social",
			"card.relations":  "Organisations and people",
			"card.notes":      "Notes",
			"card.consents":   "Consents",
			"card.noconsents": "No consents recorded.",
			"card.restricted": "restricted",
			"consent.active":  "active",
			"consent.pending": "pending",
			"consent.revoked": "revoked",
			"consent.expired": "expired",
			"until":           "until",
			"label.mobile":    "mobile",
			"label.work":      "work",
			"label.home":      "home",
			"label.fax":       "fax",
			"label.main":      "main",
			"label.other":     "other",
			"err.forbidden":   "This request was refused: it did not come from a Kontakt page. Reload the page and try again.",
			"err.notfound":    "Not found.",
			"err.server":      "Something went wrong. Please try again.",
		},
		"cs": {
			"app":             "Kontakt",
			"login.title":     "Přihlášení",
			"login.login":     "Přihlašovací jméno",
			"login.password":  "Heslo",
			"login.submit":    "Přihlásit",
			"login.bad":       "Nesprávné jméno nebo heslo.",
			"login.limited":   "Příliš mnoho neúspěšných pokusů. Zkuste to později.",
			"login.missing":   "Zadejte přihlašovací jméno a heslo.",
			"logout":          "Odhlásit",
			"dir.title":       "Adresář",
			"dir.search":      "Hledat kontakty",
			"dir.hint":        "Jméno, firma, e-mail nebo telefon; na diakritice nezáleží.",
			"dir.submit":      "Hledat",
			"dir.none":        "Žádné kontakty nenalezeny.",
			"dir.more":        "Další výsledky",
			"card.back":       "Zpět do adresáře",
			"card.call":       "Volat",
			"card.mail":       "E-mail",
			"card.map":        "Zobrazit na mapě",
			"card.phones":     "Telefony",
			"card.emails":     "E-maily",
			"card.addresses":  "Adresy",
			"card.web":        "Web a sociální sítě",
			"card.relations":  "Organizace a lidé",
			"card.notes":      "Poznámky",
			"card.consents":   "Souhlasy",
			"card.noconsents": "Žádné souhlasy.",
			"card.restricted": "omezený přístup",
			"consent.active":  "platný",
			"consent.pending": "čeká na potvrzení",
			"consent.revoked": "odvolaný",
			"consent.expired": "vypršel",
			"until":           "do",
			"label.mobile":    "mobil",
			"label.work":      "práce",
			"label.home":      "domů",
			"label.fax":       "fax",
			"label.main":      "hlavní",
			"label.other":     "jiné",
			"err.forbidden":   "Požadavek byl odmítnut: nepřišel ze stránky Kontaktu. Načtěte stránku znovu a zkuste to znovu.",
			"err.notfound":    "Nenalezeno.",
			"err.server":      "Něco se pokazilo. Zkuste to prosím znovu.",
		},
	}
}

// text returns the message key in locale, falling back to English and then to the key.
func (c catalogue) text(locale, key string) string {
	if s, ok := c[locale][key]; ok {
		return s
	}
	if s, ok := c["en"][key]; ok {
		return s
	}
	return key
}

// requestLocale is the user's locale, or before login the first of Accept-Language (by
// weight) that the pages speak, else English.
func requestLocale(r *http.Request, userLocale string) string {
	if userLocale == "cs" || userLocale == "en" {
		return userLocale
	}
	tags, _, _ := language.ParseAcceptLanguage(r.Header.Get("Accept-Language"))
	for _, t := range tags {
		switch base, _ := t.Base(); strings.ToLower(base.String()) {
		case "cs", "sk":
			return "cs"
		case "en":
			return "en"
		}
	}
	return "en"
}
