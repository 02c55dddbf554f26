package mail_test

import (
	"strings"
	"testing"
	"time"

	"github.com/kontakt/kontakt/mail"
)

func TestRenderInvitation(t *testing.T) {
	d := mail.InvitationData{Name: "Jana <b>", Event: "Den otevřených dveří & víno", Venue: "Brno",
		StartsAt: time.Date(2027, 5, 2, 17, 0, 0, 0, time.UTC), RSVPURL: "https://kontakt.example.org/public/rsvp/tok"}
	for _, tc := range []struct {
		lang, subject string
		text, html    []string
	}{
		{"cs", "Pozvánka: Den otevřených dveří & víno", []string{"dne 2. 5. 2027 17:00.", "Místo konání: Brno", "https://kontakt.example.org/public/rsvp/tok"},
			[]string{`<html lang="cs">`, "Den otevřených dveří &amp; víno", `href="https://kontakt.example.org/public/rsvp/tok"`}},
		{"en", "Invitation: Den otevřených dveří & víno", []string{"Hello Jana <b>,", "on 2 May 2027, 17:00.", "Venue: Brno"},
			[]string{`<html lang="en">`, "Hello Jana &lt;b&gt;,", "Reply to the invitation"}},
	} {
		subject, text, html, err := mail.Render("invitation", tc.lang, d)
		if err != nil {
			t.Fatal(err)
		}
		if subject != tc.subject {
			t.Errorf("%s subject %q", tc.lang, subject)
		}
		for _, want := range tc.text {
			if !strings.Contains(text, want) {
				t.Errorf("%s text lacks %q:\n%s", tc.lang, want, text)
			}
		}
		for _, want := range tc.html {
			if !strings.Contains(html, want) {
				t.Errorf("%s html lacks %q:\n%s", tc.lang, want, html)
			}
		}
	}
}
