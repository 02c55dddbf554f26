package contactfile

import (
	"slices"
	"testing"
)

// TestHeaders: the header line as ParseCSV splits it (semicolons, Windows-1250), which a
// column mapping names.
func TestHeaders(t *testing.T) {
	h, err := Headers([]byte("Jm\xe9no;P\xf8\xedjmen\xed;E-mail\nJana;Nov\xe1kov\xe1;j@example.cz\n"), "")
	if err != nil || !slices.Equal(h, []string{"Jméno", "Příjmení", "E-mail"}) {
		t.Errorf("headers: %q %v", h, err)
	}
	if _, err := Headers([]byte(""), ""); err == nil {
		t.Error("an empty file has headers")
	}
}
