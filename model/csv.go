package model

import "strings"

// DefuseCSV defuses formula injection (OWASP "CSV Injection") in a record about to be
// written as CSV: a cell that a spreadsheet would read as a formula (starting with =, +, -,
// @, a tab or a carriage return, also after leading spaces, which some spreadsheets skip)
// gets a leading apostrophe, so it shows as text. Quoting is encoding/csv's.
func DefuseCSV(rec []string) []string {
	for i, s := range rec {
		if t := strings.TrimLeft(s, " "); t != "" && strings.ContainsRune("=+-@\t\r", rune(t[0])) {
			rec[i] = "'" + s
		}
	}
	return rec
}
