package api

import (
	"bytes"
	"fmt"
	"html/template"
	"maps"
	"mime"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/workflows"
)

// The access and portability export (GDPR Art. 15/20): GET /api/contacts/{id}/subject-export
// gives everything held about one person as JSON (portable, machine-readable) or as one
// HTML page for people to read and print to PDF (inline CSS, no external resources).

// subjectExport answers with the export in the format asked for (json by default, or
// html). Managers of the contact's book and users holding the gdpr permission may; others
// who see the contact get 403, everyone else 404. The export is audited.
func (h *handler) subjectExport(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id")
	if !ok {
		return
	}
	format := r.URL.Query().Get("format")
	if format == "" {
		format = "json"
	}
	if format != "json" && format != "html" {
		writeError(w, http.StatusBadRequest, "must be json or html", "format")
		return
	}
	x, err := h.store.SubjectExport(r.Context(), actor(r), id, format)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	for i := range x.Consents {
		if x.Consents[i].RequestID != nil {
			x.Consents[i].WorkflowID = workflows.ConsentVerificationID(*x.Consents[i].RequestID)
		}
	}
	for i := range x.ConsentRequests {
		x.ConsentRequests[i].WorkflowID = workflows.ConsentVerificationID(x.ConsentRequests[i].ID)
	}
	if format == "json" {
		w.Header().Set("Content-Disposition", mime.FormatMediaType("attachment",
			map[string]string{"filename": "subject-export-" + id + ".json"}))
		writeJSON(w, http.StatusOK, x)
		return
	}
	h.renderExport(w, r, x)
}

// exportData is what the HTML export shows.
type exportData struct {
	Lang   string
	T      map[string]string
	X      model.SubjectExport
	Custom []customValue
}

// customValue is a custom field's value with its label.
type customValue struct {
	Label string
	Value any
}

var exportTemplate = template.Must(template.New("").Funcs(template.FuncMap{
	"tm": func(t time.Time) string { return t.UTC().Format("2006-01-02 15:04:05 UTC") },
	"tmp": func(t *time.Time) string {
		if t == nil {
			return "–"
		}
		return t.UTC().Format("2006-01-02 15:04:05 UTC")
	},
	"join": func(s []string) string { return strings.Join(s, ", ") },
}).ParseFS(templateFS, "templates/subject_export.html"))

// renderExport writes the export as one printable page in the reader's language.
func (h *handler) renderExport(w http.ResponseWriter, r *http.Request, x model.SubjectExport) {
	lang := currentUser(r).Locale
	if lang != "cs" {
		lang = "en"
	}
	d := exportData{Lang: lang, T: exportTexts[lang], X: x}
	for _, f := range x.CustomFields {
		if v, ok := x.Contact.Custom[f.Key]; ok {
			d.Custom = append(d.Custom, customValue{f.Label, v})
		}
	}
	for _, k := range slices.Sorted(maps.Keys(x.Contact.Custom)) {
		if !slices.ContainsFunc(x.CustomFields, func(f model.FieldDef) bool { return f.Key == k }) {
			d.Custom = append(d.Custom, customValue{k, x.Contact.Custom[k]})
		}
	}
	var buf bytes.Buffer
	if err := exportTemplate.ExecuteTemplate(&buf, "export", d); err != nil {
		h.fail(w, r, fmt.Errorf("api: render export: %w", err))
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'")
	w.Header().Set("Referrer-Policy", "no-referrer")
	w.WriteHeader(http.StatusOK)
	w.Write(buf.Bytes()) //nolint:errcheck
}

// exportTexts are the HTML export's labels in Czech and English.
var exportTexts = map[string]map[string]string{
	"cs": {
		"title": "Výpis osobních údajů", "lead": "Vše, co o této osobě evidujeme (čl. 15 a 20 GDPR): údaje, souhlasy s doklady, kdo k záznamu přistupoval a která zařízení mají jeho kopii.",
		"generated_at": "Vytvořeno", "generated_by": "Vytvořil(a)", "book": "Adresář", "contact_id": "Identifikátor",
		"s_contact": "Údaje", "s_notes": "Poznámky", "s_consents": "Souhlasy", "s_consent_requests": "Žádosti o souhlas (webové formuláře)",
		"s_subject_requests": "Dotazy a odvolání subjektu", "s_access": "Kdo k záznamu přistupoval", "s_devices": "Zařízení s kopií",
		"kind": "Druh", "prefix": "Titul před", "given_name": "Jméno", "additional_name": "Další jméno", "family_name": "Příjmení",
		"suffix": "Titul za", "org_name": "Organizace", "job_title": "Funkce", "birthday": "Datum narození", "email": "E-mail",
		"phone": "Telefon", "address": "Adresa", "website": "Web", "tags": "Štítky", "created_at": "Založeno", "updated_at": "Změněno",
		"relations": "Vztahy", "organisation": "Organizace", "role": "Role", "valid": "Platnost", "none": "Žádné.",
		"when": "Kdy", "author": "Autor", "audience": "Kdo vidí", "text": "Text", "status": "Stav", "source": "Zdroj",
		"given_at": "Udělen", "confirmed_at": "Potvrzen", "valid_until": "Platný do", "evidence": "Doklad", "scan": "Sken podpisu",
		"reason": "Důvod", "channel": "Kanál", "form": "Formulář", "purposes": "Účely", "submitted": "Odesláno", "confirmation": "Potvrzení",
		"done_at": "Vyřízeno", "who": "Kdo", "action": "Akce", "system": "systém", "device": "Zařízení", "user": "Uživatel",
		"served_at": "Předáno", "last_sync": "Poslední synchronizace", "revoked_at": "Zneplatněno",
		"footer": "Naskenované podepsané formuláře výpis neobsahuje; každý určuje jeho otisk SHA-256.",
	},
	"en": {
		"title": "Personal data export", "lead": "Everything we hold about this person (GDPR Art. 15 and 20): their data, consents with evidence, who accessed the record and which devices hold a copy.",
		"generated_at": "Generated", "generated_by": "Generated by", "book": "Address book", "contact_id": "Identifier",
		"s_contact": "Data", "s_notes": "Notes", "s_consents": "Consents", "s_consent_requests": "Consent requests (web forms)",
		"s_subject_requests": "Access and revocation requests", "s_access": "Who accessed the record", "s_devices": "Devices holding a copy",
		"kind": "Kind", "prefix": "Prefix", "given_name": "Given name", "additional_name": "Additional name", "family_name": "Family name",
		"suffix": "Suffix", "org_name": "Organisation", "job_title": "Job title", "birthday": "Birthday", "email": "E-mail",
		"phone": "Phone", "address": "Address", "website": "Web site", "tags": "Tags", "created_at": "Created", "updated_at": "Updated",
		"relations": "Relations", "organisation": "Organisation", "role": "Role", "valid": "Valid", "none": "None.",
		"when": "When", "author": "Author", "audience": "Audience", "text": "Text", "status": "Status", "source": "Source",
		"given_at": "Given", "confirmed_at": "Confirmed", "valid_until": "Valid until", "evidence": "Evidence", "scan": "Signed scan",
		"reason": "Reason", "channel": "Channel", "form": "Form", "purposes": "Purposes", "submitted": "Submitted", "confirmation": "Confirmation",
		"done_at": "Done", "who": "Who", "action": "Action", "system": "system", "device": "Device", "user": "User",
		"served_at": "Served", "last_sync": "Last sync", "revoked_at": "Revoked",
		"footer": "Scans of signed forms are not included; each is identified by its SHA-256.",
	},
}
