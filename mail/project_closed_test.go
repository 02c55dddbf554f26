package mail_test

import (
	"strings"
	"testing"
	"time"

	"github.com/kontakt/kontakt/mail"
)

func TestRenderProjectClosed(t *testing.T) {
	d := mail.ProjectClosedData{Name: "Jana <b>", Project: "Most & lávka", ClosedAt: time.Date(2027, 1, 2, 14, 5, 0, 0, time.UTC),
		Contacts: 12, Synced: true, URL: "https://kontakt.example.org"}
	for _, tc := range []struct {
		lang, subject string
		text, html    []string
	}{
		{"cs", "Projekt uzavřen: Most & lávka",
			[]string{"projekt Most & lávka byl uzavřen 2. 1. 2027 14:05.", "(12)", "„Projekt Most & lávka“", "při příští synchronizaci odstraní", "Kontakt: https://kontakt.example.org"},
			[]string{`<html lang="cs">`, "<strong>Most &amp; lávka</strong>", "při příští synchronizaci odstraní", `href="https://kontakt.example.org"`}},
		{"en", "Project closed: Most & lávka",
			[]string{"Hello Jana <b>,", "was closed on 2 January 2027, 14:05.", "The 12 contacts", "remove its contacts at their next sync"},
			[]string{`<html lang="en">`, "Hello Jana &lt;b&gt;,", "remove its contacts at their next sync"}},
	} {
		subject, text, html, err := mail.Render("project-closed", tc.lang, d)
		if err != nil {
			t.Fatal(err)
		}
		if subject != tc.subject {
			t.Errorf("%s: subject %q", tc.lang, subject)
		}
		for _, want := range tc.text {
			if !strings.Contains(text, want) {
				t.Errorf("%s: text lacks %q:\n%s", tc.lang, want, text)
			}
		}
		for _, want := range tc.html {
			if !strings.Contains(html, want) {
				t.Errorf("%s: HTML lacks %q:\n%s", tc.lang, want, html)
			}
		}
	}
	// A member who did not sync hears nothing about devices.
	d.Synced, d.URL = false, ""
	_, text, _, err := mail.Render("project-closed", "en", d)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(text, "devices") || strings.Contains(text, "Kontakt: ") || strings.Contains(text, "\n\n\n") {
		t.Errorf("without sync:\n%s", text)
	}
}
