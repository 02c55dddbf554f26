package api

import (
	"bytes"
	"html/template"
	"net/http"

	"github.com/kontakt/kontakt/model"
)

// pageText is the wording of one public page in one language.
type pageText struct {
	Title, Lead, Button, Note string
}

// pageTexts holds the public pages in Czech and English.
var pageTexts = map[string]map[string]pageText{
	"confirm": {
		"cs": {Title: "Potvrzení souhlasu", Lead: "Potvrďte prosím, že souhlasíte s tímto:", Button: "Potvrzuji souhlas",
			Note: "Pokud jste o nic nežádali, stránku zavřete; nic se nestane."},
		"en": {Title: "Confirm your consent", Lead: "Please confirm that you agree to the following:", Button: "I confirm",
			Note: "If you did not ask for this, close this page; nothing will happen."},
	},
	"confirmed": {
		"cs": {Title: "Děkujeme, souhlas je potvrzen", Lead: "Váš souhlas jsme zaznamenali:",
			Note: "Souhlas můžete kdykoli odvolat."},
		"en": {Title: "Thank you, your consent is confirmed", Lead: "We have recorded your consent to:",
			Note: "You can withdraw your consent at any time."},
	},
	"expired": {
		"cs": {Title: "Odkaz vypršel", Lead: "Tento potvrzovací odkaz už neplatí. Pokud stále chcete dát souhlas, vyplňte prosím formulář znovu."},
		"en": {Title: "This link has expired", Lead: "This confirmation link is no longer valid. If you still wish to give your consent, please fill in the form again."},
	},
	"invalid": {
		"cs": {Title: "Neplatný odkaz", Lead: "Tento odkaz neznáme. Zkontrolujte, že jste jej zkopírovali celý."},
		"en": {Title: "Unknown link", Lead: "We do not know this link. Please check that you copied all of it."},
	},
	"subject": {
		"cs": {Title: "Vaše souhlasy", Lead: "K vaší e-mailové adrese evidujeme tyto souhlasy se zpracováním osobních údajů. Zaškrtněte ty, které chcete odvolat, a potvrďte tlačítkem.",
			Button: "Odvolat vybrané souhlasy", Note: "Odvolání platí okamžitě a nemá vliv na zpracování před ním. Souhlas můžete později udělit znovu."},
		"en": {Title: "Your consents", Lead: "These are the consents to the processing of personal data held for your e-mail address. Tick those you want to withdraw and confirm with the button.",
			Button: "Withdraw the selected consents", Note: "Withdrawal takes effect at once and does not affect processing before it. You can give your consent again later."},
	},
	"erasure-requested": {
		"cs": {Title: "Žádost o výmaz přijata", Lead: "Vaše osobní údaje vymažeme ze všech evidencí a ze zařízení, na která byly synchronizovány. Zbude jen záznam, že k výmazu došlo, bez vašich údajů.",
			Note: "Odkaz z e-mailu tím přestane platit."},
		"en": {Title: "Erasure requested", Lead: "We are erasing your personal data from every record and from the devices it was synchronised to. What stays is a note that an erasure took place, without your data.",
			Note: "The link from the mail stops working."},
	},
	"subject-invalid": {
		"cs": {Title: "Neplatný odkaz", Lead: "Tento odkaz neznáme nebo už vypršel. O nový přehled svých souhlasů můžete požádat na webu organizace."},
		"en": {Title: "Unknown or expired link", Lead: "We do not know this link, or it has expired. You can ask for a new overview of your consents on the organisation's website."},
	},
	"status-requested": {
		"cs": {Title: "Zkontrolujte svou schránku", Lead: "Pokud k zadané adrese evidujeme nějaké souhlasy, posíláme na ni jejich přehled s odkazem, kde je můžete odvolat."},
		"en": {Title: "Check your mailbox", Lead: "If we hold consents for this address, we are sending it a mail listing them, with a link where you can withdraw them."},
	},
	"revoke-requested": {
		"cs": {Title: "Žádost o odvolání přijata", Lead: "Pokud k zadané adrese evidujeme souhlasy pro zvolené účely, odvoláváme je."},
		"en": {Title: "Withdrawal received", Lead: "If we hold consents for this address for the chosen purposes, they are being withdrawn."},
	},
	"submitted": {
		"cs": {Title: "Zkontrolujte svou schránku", Lead: "Pokud je adresa platná, poslali jsme na ni e-mail s odkazem k potvrzení souhlasu."},
		"en": {Title: "Check your mailbox", Lead: "If the address is valid, we have sent it a mail with a link to confirm your consent."},
	},
}

var pageTemplate = template.Must(template.ParseFS(templateFS, "templates/public.html"))

// pageData is what a public page shows besides its wording.
type pageData struct {
	Lang         string
	T            pageText
	Organisation string
	Purposes     []model.Purpose
	// ConsentForm shows Consents with a checkbox for each active one and T.Button as the
	// form's submit (when CanRevoke), instead of the lone T.Button form; Notice is what
	// the last post did.
	ConsentForm bool
	Consents    []consentRow
	CanRevoke   bool
	Notice      string
	// Erase offers, below the consents, the form that asks for erasure (Art. 17).
	Erase       *eraseText
	EraseAction string
}

// eraseText words the erasure form of the subject page.
type eraseText struct {
	Heading, Lead, Confirm, Button string
}

// eraseTexts holds the erasure form in Czech and English.
var eraseTexts = map[string]*eraseText{
	"cs": {Heading: "Výmaz osobních údajů", Lead: "Můžete požádat o vymazání všech údajů, které o vás evidujeme (právo být zapomenut). Výmaz je nevratný.",
		Confirm: "Rozumím a žádám o výmaz svých údajů", Button: "Vymazat mé údaje"},
	"en": {Heading: "Erase your personal data", Lead: "You can ask us to erase all data we hold about you (the right to be forgotten). Erasure cannot be undone.",
		Confirm: "I understand and ask for my data to be erased", Button: "Erase my data"},
}

// renderPage writes a public HTML page in lang (cs or en).
func (h *handler) renderPage(w http.ResponseWriter, status int, page, lang string, d pageData) {
	if lang != "cs" {
		lang = "en"
	}
	d.Lang, d.T = lang, pageTexts[page][lang]
	var buf bytes.Buffer
	if err := pageTemplate.ExecuteTemplate(&buf, "page", d); err != nil {
		h.log.Error("render page", "page", page, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'")
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes()) //nolint:errcheck
}
