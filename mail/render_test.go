package mail_test

import (
	"strings"
	"testing"
	"time"

	"github.com/kontakt/kontakt/mail"
)

func confirmData(name string) mail.ConfirmationData {
	return mail.ConfirmationData{
		Name:         name,
		Organisation: "Spolek přátel & lesa",
		Purposes: []mail.Purpose{
			{Name: "Zpravodaj", Description: "Měsíční novinky o naší práci."},
			{Name: "Pozvánky na akce", Description: "Nejvýše čtyřikrát ročně."},
		},
		ConfirmURL: "https://kontakt.example.org/consent/confirm/tok?a=1&b=2",
		ExpiresAt:  time.Date(2027, 1, 2, 14, 5, 0, 0, time.UTC),
	}
}

func TestRenderConfirm(t *testing.T) {
	const htmlURL = "https://kontakt.example.org/consent/confirm/tok?a=1&amp;b=2"
	for _, tc := range []struct {
		lang, wantLang, subject string
		text, html              []string
	}{
		{
			lang: "cs", wantLang: "cs",
			subject: "Potvrďte prosím svůj souhlas – Spolek přátel & lesa",
			text: []string{
				"Dobrý den,",
				"organizace Spolek přátel & lesa vás žádá o potvrzení souhlasu",
				"- Zpravodaj: Měsíční novinky o naší práci.",
				"- Pozvánky na akce: Nejvýše čtyřikrát ročně.",
				"https://kontakt.example.org/consent/confirm/tok?a=1&b=2",
				"Odkaz platí do 2. 1. 2027 14:05.",
				"zprávu prostě ignorujte. Nic se nestane",
			},
			html: []string{
				`<html lang="cs">`,
				"<strong>Spolek přátel &amp; lesa</strong>",
				"<strong>Zpravodaj</strong>: Měsíční novinky o naší práci.",
				`href="` + htmlURL + `"`,
				">Potvrdit souhlas</a>",
				">" + htmlURL + "</a>",
				"<strong>2. 1. 2027 14:05</strong>",
				"(Jan &lt;script&gt;alert(1)&lt;/script&gt;)",
			},
		},
		{
			lang: "en", wantLang: "en",
			subject: "Please confirm your consent – Spolek přátel & lesa",
			text: []string{
				"Hello Jan <script>alert(1)</script>,",
				"Spolek přátel & lesa asks you to confirm your consent",
				"- Zpravodaj: Měsíční novinky o naší práci.",
				"https://kontakt.example.org/consent/confirm/tok?a=1&b=2",
				"The link is valid until 2 January 2027, 14:05.",
				"simply ignore this message. Nothing will happen",
			},
			html: []string{
				`<html lang="en">`,
				"Hello Jan &lt;script&gt;alert(1)&lt;/script&gt;,",
				`href="` + htmlURL + `"`,
				">Confirm consent</a>",
				"<strong>2 January 2027, 14:05</strong>",
			},
		},
		{lang: "de", wantLang: "en", subject: "Please confirm your consent – Spolek přátel & lesa"},
		{lang: "", wantLang: "en", subject: "Please confirm your consent – Spolek přátel & lesa"},
		{lang: "cs-CZ", wantLang: "cs", subject: "Potvrďte prosím svůj souhlas – Spolek přátel & lesa"},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			subject, text, html, err := mail.Render("confirm", tc.lang, confirmData("Jan <script>alert(1)</script>"))
			if err != nil {
				t.Fatal(err)
			}
			if subject != tc.subject {
				t.Errorf("subject = %q, want %q", subject, tc.subject)
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
			if !strings.Contains(html, `<html lang="`+tc.wantLang+`">`) {
				t.Errorf("HTML not in %s", tc.wantLang)
			}
			if strings.Contains(html, "<script>") {
				t.Error("HTML contains an unescaped <script>")
			}
			if strings.Contains(html, "<img") {
				t.Error("HTML contains an image (tracking pixels are not allowed)")
			}
			if strings.Contains(text, "\n\n\n") || strings.HasPrefix(text, "\n") || !strings.HasSuffix(text, ".\n") {
				t.Errorf("text not tidy: %q", text)
			}
		})
	}
}

func TestRenderConfirmWithoutName(t *testing.T) {
	_, text, html, err := mail.Render("confirm", "en", confirmData(""))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(text, "Hello,\n") || !strings.Contains(html, ">Hello,</p>") {
		t.Errorf("greeting without a name:\n%s", text)
	}
	_, text, _, err = mail.Render("confirm", "cs", confirmData(""))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(text, "()") {
		t.Errorf("empty name left brackets:\n%s", text)
	}
}

func TestRenderUnsafeURLNeutralised(t *testing.T) {
	d := confirmData("Jan")
	d.ConfirmURL = "javascript:alert(1)"
	_, _, html, err := mail.Render("confirm", "en", d)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(html, `href="javascript:`) {
		t.Errorf("javascript: URL reached an href")
	}
}

func TestRenderUnknownTemplate(t *testing.T) {
	for _, name := range []string{"nope", "layout", "../mail", "", "Confirm"} {
		if _, _, _, err := mail.Render(name, "cs", confirmData("")); err == nil || !strings.HasPrefix(err.Error(), "mail: ") {
			t.Errorf("Render(%q): err = %v, want a mail: error", name, err)
		}
	}
}

func TestRenderWrongData(t *testing.T) {
	if _, _, _, err := mail.Render("confirm", "en", struct{ X int }{1}); err == nil {
		t.Error("Render with the wrong data type succeeded")
	}
}

func TestLang(t *testing.T) {
	for in, want := range map[string]string{"cs": "cs", "CS": "cs", "cs-CZ": "cs", "cs_CZ": "cs", "en": "en", "en-GB": "en", "sk": "en", "": "en"} {
		if got := mail.Lang(in); got != want {
			t.Errorf("Lang(%q) = %q, want %q", in, got, want)
		}
	}
}

// The expiry reminder asks to renew, says when the consent ends, and links like "confirm".
func TestRenderRenew(t *testing.T) {
	for _, tc := range []struct {
		lang, subject string
		text, html    []string
	}{
		{
			lang:    "cs",
			subject: "Platnost vašeho souhlasu brzy skončí – Spolek přátel & lesa",
			text: []string{"jste dříve udělili souhlas", "- Zpravodaj: Měsíční novinky o naší práci.",
				"Platnost souhlasu skončí 1. 2. 2027 00:00.", "https://kontakt.example.org/consent/confirm/tok?a=1&b=2",
				"Odkaz platí do 2. 1. 2027 14:05.", "souhlas sám skončí"},
			html: []string{">Prodloužit souhlas</a>", "<strong>1. 2. 2027 00:00</strong>"},
		},
		{
			lang:    "en",
			subject: "Your consent is about to expire – Spolek přátel & lesa",
			text: []string{"Hello Jan,", "Your consent ends on 1 February 2027, 00:00.",
				"https://kontakt.example.org/consent/confirm/tok?a=1&b=2", "The link is valid until 2 January 2027, 14:05."},
			html: []string{">Renew consent</a>", "<strong>1 February 2027, 00:00</strong>"},
		},
	} {
		t.Run(tc.lang, func(t *testing.T) {
			d := confirmData("Jan")
			d.ValidUntil = time.Date(2027, 2, 1, 0, 0, 0, 0, time.UTC)
			subject, text, html, err := mail.Render("renew", tc.lang, d)
			if err != nil {
				t.Fatal(err)
			}
			if subject != tc.subject {
				t.Errorf("subject = %q", subject)
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
		})
	}
	// Without the end date it still reads.
	_, text, _, err := mail.Render("renew", "en", confirmData(""))
	if err != nil || !strings.Contains(text, "Your consent ends soon.") || !strings.HasPrefix(text, "Hello,\n") {
		t.Errorf("renew without an end date: %v\n%s", err, text)
	}
}
