package mail

import (
	"bytes"
	"embed"
	"fmt"
	htmltemplate "html/template"
	"io/fs"
	"strings"
	texttemplate "text/template"
	"time"
)

//go:embed templates/*
var templateFS embed.FS

// ConfirmationData fills the "confirm" template, the double opt-in mail
// asking a person to confirm the consents they requested, and the "renew"
// template, the expiry reminder asking them to renew consents they gave.
type ConfirmationData struct {
	// Name is the person's name as they entered it; may be empty.
	Name string
	// Organisation is who asks for the consent.
	Organisation string
	// Purposes are the purposes the consent covers.
	Purposes []Purpose
	// ConfirmURL opens the confirmation page (which confirms on POST).
	ConfirmURL string
	// ExpiresAt is when ConfirmURL stops working, in the organisation's
	// time zone.
	ExpiresAt time.Time
	// ValidUntil is, in the "renew" mail (the expiry reminder), when the
	// consent being renewed ends; zero when unknown.
	ValidUntil time.Time
}

// ProjectClosedData fills the "project-closed" template: the mail telling a member of a
// project that it closed and that its contacts leave their view and their devices.
type ProjectClosedData struct {
	// Name is the member's name.
	Name string
	// Project is the project's name.
	Project string
	// ClosedAt is when the project closed.
	ClosedAt time.Time
	// Contacts is how many contacts the project involved.
	Contacts int
	// Synced is true when the member synced the project's collection to devices.
	Synced bool
	// URL is where the member reaches Kontakt; may be empty.
	URL string
}

// Purpose is one purpose of processing as shown to the person.
type Purpose struct {
	Name, Description string
}

// Lang maps a language tag to a template language: "cs", "cs-CZ" and "CS"
// give "cs"; anything unknown gives "en".
func Lang(tag string) string {
	primary, _, _ := strings.Cut(strings.ToLower(strings.TrimSpace(tag)), "-")
	primary, _, _ = strings.Cut(primary, "_")
	if primary == "cs" {
		return "cs"
	}
	return "en"
}

// layoutData is what the layouts see; content templates get Data as dot.
type layoutData struct {
	Lang    string
	Subject string
	Data    any
}

// button is the argument of the layout's "button" template.
type button struct {
	URL   string
	Label string
}

// Render renders template name (e.g. "confirm") in lang ("cs" or "en";
// see Lang for other values) with data and returns the mail's subject, text
// part and HTML part.
func Render(name, lang string, data any) (subject, text, html string, err error) {
	lang = Lang(lang)
	base := "templates/" + name + "." + lang
	if !validName(name) {
		return "", "", "", fmt.Errorf("mail: unknown template %q", name)
	}
	if _, err := fs.Stat(templateFS, base+".txt"); err != nil {
		return "", "", "", fmt.Errorf("mail: unknown template %q", name)
	}
	funcs := map[string]any{
		"date":   dateFormatter(lang),
		"button": func(url, label string) button { return button{URL: url, Label: label} },
	}

	tt, err := texttemplate.New("layout.txt").Funcs(funcs).
		ParseFS(templateFS, "templates/layout.txt", base+".txt")
	if err != nil {
		return "", "", "", fmt.Errorf("mail: parse %s.%s.txt: %w", name, lang, err)
	}
	var buf bytes.Buffer
	if err := tt.ExecuteTemplate(&buf, "subject", data); err != nil {
		return "", "", "", fmt.Errorf("mail: render %s.%s subject: %w", name, lang, err)
	}
	subject = oneLine(buf.String())
	if subject == "" {
		return "", "", "", fmt.Errorf("mail: render %s.%s: empty subject", name, lang)
	}
	ld := layoutData{Lang: lang, Subject: subject, Data: data}
	buf.Reset()
	if err := tt.Execute(&buf, ld); err != nil {
		return "", "", "", fmt.Errorf("mail: render %s.%s.txt: %w", name, lang, err)
	}
	text = tidyText(buf.String())

	ht, err := htmltemplate.New("layout.html").Funcs(funcs).
		ParseFS(templateFS, "templates/layout.html", base+".html")
	if err != nil {
		return "", "", "", fmt.Errorf("mail: parse %s.%s.html: %w", name, lang, err)
	}
	buf.Reset()
	if err := ht.Execute(&buf, ld); err != nil {
		return "", "", "", fmt.Errorf("mail: render %s.%s.html: %w", name, lang, err)
	}
	return subject, text, strings.TrimSpace(buf.String()) + "\n", nil
}

// validName keeps template names to lower-case letters, digits and dashes,
// so a name cannot reach outside templates/ or pick a layout.
func validName(name string) bool {
	if name == "" || name == "layout" {
		return false
	}
	for _, r := range name {
		if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '-' {
			return false
		}
	}
	return true
}

// dateFormatter returns the "date" template function for lang.
func dateFormatter(lang string) func(time.Time) string {
	if lang == "cs" {
		// ČSN 01 6910: day and month without leading zeros, spaces after the dots.
		return func(t time.Time) string {
			return fmt.Sprintf("%d. %d. %d %02d:%02d", t.Day(), int(t.Month()), t.Year(), t.Hour(), t.Minute())
		}
	}
	return func(t time.Time) string {
		return fmt.Sprintf("%d %s %d, %02d:%02d", t.Day(), t.Month(), t.Year(), t.Hour(), t.Minute())
	}
}

// tidyText strips trailing spaces from every line, collapses runs of blank
// lines into one and ends the text with a single newline.
func tidyText(s string) string {
	lines := strings.Split(strings.ReplaceAll(s, "\r\n", "\n"), "\n")
	out := make([]string, 0, len(lines))
	blank := true // drops leading blank lines too
	for _, l := range lines {
		l = strings.TrimRight(l, " \t")
		if l == "" {
			if blank {
				continue
			}
			blank = true
		} else {
			blank = false
		}
		out = append(out, l)
	}
	return strings.TrimRight(strings.Join(out, "\n"), "\n") + "\n"
}
