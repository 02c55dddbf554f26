package contactfile

import (
	"bytes"
	"encoding/csv"
	"strings"

	"github.com/kontakt/kontakt/model"
)

// csvReader reads UTF-8 CSV data separated by comma, semicolon or tab, whichever its first
// line holds most of.
func csvReader(data []byte) *csv.Reader {
	first, _, _ := bytes.Cut(data, []byte("\n"))
	comma := ','
	best := bytes.Count(first, []byte(","))
	for _, c := range []rune{';', '\t'} {
		if n := bytes.Count(first, []byte(string(c))); n > best {
			comma, best = c, n
		}
	}
	r := csv.NewReader(bytes.NewReader(data))
	r.Comma = comma
	r.FieldsPerRecord = -1
	return r
}

// Headers returns the header line of a CSV file in charset ("" detects it), as ParseCSV
// reads it: what a column mapping names.
func Headers(data []byte, charset string) ([]string, error) {
	data, err := ToUTF8(data, charset)
	if err != nil {
		return nil, &model.FieldError{Field: "charset", Msg: strings.TrimPrefix(err.Error(), "contactfile: ")}
	}
	headers, err := csvReader(data).Read()
	if err != nil {
		return nil, &model.FieldError{Field: "file", Msg: "no header line"}
	}
	return headers, nil
}
