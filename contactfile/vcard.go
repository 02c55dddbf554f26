package contactfile

import (
	"bufio"
	"bytes"
	"strings"

	"github.com/emersion/go-vcard"

	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/vcardmap"
)

// ParseVCards reads every card of a vCard file (UTF-8). Cards are split at BEGIN:VCARD
// lines so that one broken card is reported with its line and the others still read.
// Properties Kontakt does not keep (PHOTO, NOTE, X-ABLabel …) are ignored; the mapping is
// CardDAV's (vcardmap) with every field taken.
func ParseVCards(data []byte) []Row {
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	var rows []Row
	var chunk bytes.Buffer
	start, line, in := 0, 0, false
	flush := func() {
		if chunk.Len() > 0 {
			rows = append(rows, parseCard(start, chunk.Bytes()))
			chunk.Reset()
		}
	}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	for sc.Scan() {
		line++
		text := sc.Text()
		trimmed := strings.TrimSpace(text)
		if strings.EqualFold(trimmed, "BEGIN:VCARD") {
			if in {
				rows = append(rows, Row{Line: start, Err: "card has no END:VCARD"})
				chunk.Reset()
			}
			in, start = true, line
		}
		if !in {
			if trimmed != "" {
				rows = append(rows, Row{Line: line, Err: "text outside BEGIN:VCARD … END:VCARD"})
			}
			continue
		}
		chunk.WriteString(text)
		chunk.WriteString("\r\n")
		if strings.EqualFold(trimmed, "END:VCARD") {
			flush()
			in = false
		}
	}
	if in {
		rows = append(rows, Row{Line: start, Err: "card has no END:VCARD"})
	}
	if err := sc.Err(); err != nil {
		rows = append(rows, Row{Line: line + 1, Err: "unreadable: " + err.Error()})
	}
	return rows
}

func parseCard(line int, b []byte) Row {
	card, err := vcard.NewDecoder(bytes.NewReader(b)).Decode()
	if err != nil {
		return Row{Line: line, Err: "malformed vCard: " + err.Error()}
	}
	var c model.Contact
	if err := vcardmap.ApplyCard(&c, card, vcardmap.FullProfile()); err != nil {
		return Row{Line: line, Err: strings.TrimPrefix(err.Error(), "vcardmap: ")}
	}
	n := strings.Trim(card.Value(vcard.FieldName), "; ")
	if fn := strings.TrimSpace(card.Value(vcard.FieldFormattedName)); c.Kind == model.KindPerson && n == "" && fn != "" &&
		strings.EqualFold(fn, c.OrgName) {
		// Thunderbird and Outlook write a company as a card without N whose FN is its ORG.
		c.Kind, c.GivenName, c.FamilyName = model.KindOrganisation, "", ""
	}
	return Row{Line: line, Contact: c}
}
