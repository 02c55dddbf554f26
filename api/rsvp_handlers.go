package api

import (
	"bytes"
	"errors"
	"html/template"
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/kontakt/kontakt/auth"
	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
)

// rsvpText is the wording of the RSVP page in one language.
type rsvpText struct {
	Title, Lead, Accept, Decline, Accepted, Declined, Unknown string
}

var rsvpTexts = map[string]rsvpText{
	"cs": {Title: "Pozvánka", Lead: "Dejte nám prosím vědět, zda přijdete.", Accept: "Přijdu", Decline: "Nepřijdu",
		Accepted: "Děkujeme, těšíme se na vás.", Declined: "Děkujeme za odpověď; mrzí nás, že nepřijdete.",
		Unknown: "Tento odkaz neznáme nebo pozvánka už neplatí."},
	"en": {Title: "Invitation", Lead: "Please let us know whether you will come.", Accept: "I will come", Decline: "I cannot come",
		Accepted: "Thank you, we look forward to seeing you.", Declined: "Thank you for letting us know; we are sorry you cannot come.",
		Unknown: "We do not know this link, or the invitation has been withdrawn."},
}

var rsvpTemplate = template.Must(template.ParseFS(templateFS, "templates/rsvp.html"))

// rsvpData is what the RSVP page shows: the event only, nothing about the invited person.
type rsvpData struct {
	Lang   string
	T      rsvpText
	Event  *model.RSVP
	When   string
	Notice string
}

// rsvpPage shows the event and the accept and decline buttons. Only the POST answers:
// mail scanners follow links with GET. An unknown link answers a 404 page.
func (h *handler) rsvpPage(w http.ResponseWriter, r *http.Request) {
	v, err := h.store.RSVPByToken(r.Context(), auth.HashSecret(chi.URLParam(r, "token")))
	h.renderRSVP(w, r, v, err, "")
}

// rsvp records the answer given on the RSVP page: answer=accept or answer=decline.
func (h *handler) rsvp(w http.ResponseWriter, r *http.Request) {
	lang := preferredLang(r)
	var accept bool
	switch r.PostFormValue("answer") {
	case "accept":
		accept = true
	case "decline":
	default:
		writeError(w, http.StatusBadRequest, "answer must be accept or decline", "answer")
		return
	}
	v, err := h.store.RespondByToken(r.Context(), auth.HashSecret(chi.URLParam(r, "token")), accept)
	notice := rsvpTexts[lang].Declined
	if accept {
		notice = rsvpTexts[lang].Accepted
	}
	h.renderRSVP(w, r, v, err, notice)
}

func (h *handler) renderRSVP(w http.ResponseWriter, r *http.Request, v model.RSVP, err error, notice string) {
	lang := preferredLang(r)
	d := rsvpData{Lang: lang, T: rsvpTexts[lang], Notice: notice}
	status := http.StatusOK
	switch {
	case errors.Is(err, store.ErrNotFound):
		status, d.Notice = http.StatusNotFound, ""
		d.T.Lead = d.T.Unknown
	case err != nil:
		h.fail(w, r, err)
		return
	default:
		d.Event = &v
		d.When = v.StartsAt.Format("2006-01-02 15:04 MST")
		if v.EndsAt != nil {
			d.When += " – " + v.EndsAt.Format("2006-01-02 15:04 MST")
		}
	}
	var buf bytes.Buffer
	if err := rsvpTemplate.ExecuteTemplate(&buf, "rsvp", d); err != nil {
		h.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; form-action 'self'; frame-ancestors 'none'")
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(buf.Bytes()) //nolint:errcheck
}
