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
			// administration (admin.go)
			"adm.title":                     "Administration",
			"adm.users":                     "Users",
			"adm.users.hint":                "sync grants and devices per user",
			"adm.erasures":                  "Erasures",
			"adm.erasures.hint":             "people being forgotten, with progress",
			"adm.erasure":                   "Erasure",
			"adm.admin":                     "administrator",
			"adm.disabled":                  "disabled",
			"adm.sync":                      "Sync and devices",
			"adm.grants":                    "Books synced to devices",
			"adm.nogrants":                  "No books are synced.",
			"adm.revokeallsync":             "Revoke all sync",
			"adm.revoke":                    "Revoke",
			"adm.mode.read":                 "read only",
			"adm.mode.read_write":           "read and write",
			"adm.devices":                   "Devices",
			"adm.nodevices":                 "No devices.",
			"adm.revokealldevices":          "Revoke all devices",
			"adm.lastsync":                  "last sync",
			"adm.revoked":                   "revoked",
			"adm.never":                     "never",
			"adm.invalid":                   "The form is not valid; nothing was changed.",
			"adm.forget":                    "Forget this person",
			"adm.forget.explain":            "The contact and everything that holds their personal data will be erased for good; a tombstone keeps who asked, when and why. Devices that synced the contact lose it at their next sync.",
			"adm.forget.submit":             "Forget for good",
			"adm.basis":                     "Legal basis",
			"adm.basis.missing":             "Choose the legal basis; nothing was changed.",
			"adm.basis.art17_request":       "the person asked (Art. 17)",
			"adm.basis.consent_withdrawn":   "consent withdrawn",
			"adm.basis.no_longer_necessary": "no longer necessary",
			"adm.basis.objection":           "objection",
			"adm.basis.unlawful":            "unlawfully processed",
			"adm.basis.legal_obligation":    "legal obligation",
			"adm.noerasures":                "No erasures.",
			"adm.status":                    "Status",
			"adm.status.requested":          "requested",
			"adm.status.erased":             "erased, waiting for devices",
			"adm.status.done":               "done",
			"adm.book":                      "Address book",
			"adm.requested":                 "Requested",
			"adm.erased":                    "Erased",
			"adm.devicesheld":               "Devices that held the contact",
			"adm.pending":                   "Devices still to sync",
			"adm.stragglers":                "Devices that did not sync in time",
			"adm.completed":                 "Completed",
			"adm.workflow":                  "Workflow history in Temporal",
			"adm.refresh":                   "Refresh progress",
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
			// administration (admin.go)
			"adm.title":                     "Správa",
			"adm.users":                     "Uživatelé",
			"adm.users.hint":                "synchronizace a zařízení uživatelů",
			"adm.erasures":                  "Výmazy",
			"adm.erasures.hint":             "zapomínané osoby a průběh výmazu",
			"adm.erasure":                   "Výmaz",
			"adm.admin":                     "správce",
			"adm.disabled":                  "zakázaný",
			"adm.sync":                      "Synchronizace a zařízení",
			"adm.grants":                    "Adresáře synchronizované do zařízení",
			"adm.nogrants":                  "Žádné adresáře se nesynchronizují.",
			"adm.revokeallsync":             "Zrušit veškerou synchronizaci",
			"adm.revoke":                    "Zrušit",
			"adm.mode.read":                 "jen čtení",
			"adm.mode.read_write":           "čtení i zápis",
			"adm.devices":                   "Zařízení",
			"adm.nodevices":                 "Žádná zařízení.",
			"adm.revokealldevices":          "Zrušit všechna zařízení",
			"adm.lastsync":                  "poslední synchronizace",
			"adm.revoked":                   "zrušeno",
			"adm.never":                     "nikdy",
			"adm.invalid":                   "Formulář není platný; nic se nezměnilo.",
			"adm.forget":                    "Zapomenout tuto osobu",
			"adm.forget.explain":            "Kontakt a vše, co nese jeho osobní údaje, bude trvale vymazáno; záznam o výmazu uchová, kdo o něj požádal, kdy a proč. Zařízení, která kontakt synchronizovala, ho ztratí při příští synchronizaci.",
			"adm.forget.submit":             "Trvale zapomenout",
			"adm.basis":                     "Právní důvod",
			"adm.basis.missing":             "Zvolte právní důvod; nic se nezměnilo.",
			"adm.basis.art17_request":       "žádost osoby (čl. 17)",
			"adm.basis.consent_withdrawn":   "odvolaný souhlas",
			"adm.basis.no_longer_necessary": "již nejsou potřeba",
			"adm.basis.objection":           "námitka",
			"adm.basis.unlawful":            "protiprávní zpracování",
			"adm.basis.legal_obligation":    "právní povinnost",
			"adm.noerasures":                "Žádné výmazy.",
			"adm.status":                    "Stav",
			"adm.status.requested":          "vyžádán",
			"adm.status.erased":             "vymazáno, čeká se na zařízení",
			"adm.status.done":               "dokončeno",
			"adm.book":                      "Adresář",
			"adm.requested":                 "Vyžádáno",
			"adm.erased":                    "Vymazáno",
			"adm.devicesheld":               "Zařízení, která kontakt měla",
			"adm.pending":                   "Zařízení, která se ještě nesynchronizovala",
			"adm.stragglers":                "Zařízení, která se nesynchronizovala včas",
			"adm.completed":                 "Dokončeno",
			"adm.workflow":                  "Historie workflow v Temporalu",
			"adm.refresh":                   "Obnovit průběh",
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
