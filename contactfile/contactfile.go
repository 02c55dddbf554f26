// Package contactfile reads the contact files people bring to an import: vCard (RFC 6350
// 4.0, RFC 2426 3.0; files of many cards, as Thunderbird, iOS and Google write them) and CSV
// (comma or semicolon, UTF-8 or Windows-1250 as Czech tools often export). Each record
// becomes a Row: a model.Contact to be normalised by the store like API input, or the reason
// it could not be read, with the line it starts on.
package contactfile

import (
	"bytes"
	"fmt"
	"unicode/utf8"

	"golang.org/x/text/encoding/charmap"

	"github.com/kontakt/kontakt/model"
)

// Row is one record of a file: a contact, or Err saying why the record is unusable.
type Row struct {
	Line    int // 1-based line the record starts on
	Contact model.Contact
	Err     string
}

// Charsets a CSV file may be in.
const (
	CharsetUTF8        = "utf-8"
	CharsetWindows1250 = "windows-1250"
)

// DetectCharset guesses the charset of b: UTF-8 when b is valid UTF-8 (a BOM counts too),
// else Windows-1250, the code page of Czech Excel and accounting exports.
func DetectCharset(b []byte) string {
	if utf8.Valid(b) {
		return CharsetUTF8
	}
	return CharsetWindows1250
}

// ToUTF8 decodes b from charset ("" detects it) and drops a UTF-8 byte order mark.
func ToUTF8(b []byte, charset string) ([]byte, error) {
	if charset == "" {
		charset = DetectCharset(b)
	}
	switch charset {
	case CharsetUTF8, "utf8":
		if !utf8.Valid(b) {
			return nil, fmt.Errorf("contactfile: the file is not valid UTF-8; try charset windows-1250")
		}
		return bytes.TrimPrefix(b, []byte("\ufeff")), nil
	case CharsetWindows1250, "cp1250":
		out, err := charmap.Windows1250.NewDecoder().Bytes(b)
		if err != nil {
			return nil, fmt.Errorf("contactfile: decode windows-1250: %w", err)
		}
		return out, nil
	}
	return nil, fmt.Errorf("contactfile: unknown charset %q (utf-8 or windows-1250)", charset)
}
