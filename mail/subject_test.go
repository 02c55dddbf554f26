package mail_test

import (
	"strings"
	"testing"
	"time"

	"github.com/kontakt/kontakt/mail"
)

func subjectItems() []mail.ConsentItem {
	return []mail.ConsentItem{
		{Purpose: "Zpravodaj", Status: "active", Source: "web_form", GivenAt: time.Date(2025, 3, 3, 9, 5, 0, 0, time.UTC),
			ValidUntil: time.Date(2027, 3, 3, 9, 5, 0, 0, time.UTC)},
		{Purpose: "Pozvánky <b>", Status: "revoked", Source: "branch", GivenAt: time.Date(2024, 1, 2, 14, 0, 0, 0, time.UTC)},
	}
}

// Every subject mail renders in both languages, words each status and source, escapes in
// HTML and stays tidy in text.
func TestRenderSubjectMails(t *testing.T) {
	access := mail.SubjectAccessData{Organisation: "Pekárna & syn", Consents: subjectItems(),
		LinkURL: "https://kontakt.example.org/public/subject/tok", ExpiresAt: time.Date(2025, 3, 10, 9, 5, 0, 0, time.UTC)}
	cases := []struct {
		name, lang string
		data       any
		subject    string
		text, html []string
	}{
		{"subject-access", "cs", access, "Přehled vašich souhlasů – Pekárna & syn", []string{
			"- Zpravodaj: platný\n  uděleno 3. 3. 2025 09:05 (webový formulář), platnost do 3. 3. 2027 09:05",
			"- Pozvánky <b>: odvolaný\n  uděleno 2. 1. 2024 14:00 (podpis na pobočce)\n",
			"https://kontakt.example.org/public/subject/tok", "Odkaz platí do 10. 3. 2025 09:05.",
		}, []string{"<strong>Pozvánky &lt;b&gt;</strong>: odvolaný", `href="https://kontakt.example.org/public/subject/tok"`, "Pekárna &amp; syn"}},
		{"subject-access", "en", access, "Your consents – Pekárna & syn", []string{
			"- Zpravodaj: valid\n  given 3 March 2025, 09:05 (web form), valid until 3 March 2027, 09:05",
			"- Pozvánky <b>: withdrawn\n  given 2 January 2024, 14:00 (signed at a branch)\n",
		}, []string{">See and withdraw consents</a>"}},
		{"subject-none", "cs", mail.SubjectNoConsentData{Organisation: "Pekárna"}, "Žádné souhlasy nevedeme – Pekárna",
			[]string{"neeviduje žádný souhlas"}, []string{"<strong>Pekárna</strong>"}},
		{"subject-none", "en", mail.SubjectNoConsentData{Organisation: "Pekárna"}, "No consent registered – Pekárna",
			[]string{"holds no consent"}, nil},
		{"revocation", "cs", mail.RevocationData{Organisation: "Pekárna", Consents: subjectItems()}, "Souhlas odvolán – Pekárna",
			[]string{"- Zpravodaj (uděleno 3. 3. 2025 09:05)"}, []string{"<strong>Pozvánky &lt;b&gt;</strong>"}},
		{"revocation", "en", mail.RevocationData{Organisation: "Pekárna", Consents: subjectItems()}, "Consent withdrawn – Pekárna",
			[]string{"- Zpravodaj (given 3 March 2025, 09:05)"}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name+"."+tc.lang, func(t *testing.T) {
			subject, text, html, err := mail.Render(tc.name, tc.lang, tc.data)
			if err != nil {
				t.Fatal(err)
			}
			if subject != tc.subject {
				t.Errorf("subject %q, want %q", subject, tc.subject)
			}
			for _, want := range tc.text {
				if !strings.Contains(text, want) {
					t.Errorf("text lacks %q:\n%s", want, text)
				}
			}
			for _, want := range tc.html {
				if !strings.Contains(html, want) {
					t.Errorf("HTML lacks %q:\n%s", want, html)
				}
			}
			if strings.Contains(html, "<b>") || strings.Contains(html, "<img") || !strings.Contains(html, `<html lang="`+tc.lang+`">`) {
				t.Errorf("HTML:\n%s", html)
			}
			if strings.Contains(text, "\n\n\n") || !strings.HasSuffix(text, ".\n") {
				t.Errorf("text not tidy: %q", text)
			}
		})
	}
}
