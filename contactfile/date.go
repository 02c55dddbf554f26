package contactfile

import (
	"errors"
	"strings"
	"time"
)

// parseDate reads a birthday as ISO (1985-04-12), Czech (12. 4. 1985, 12.4.1985) or US
// (4/12/1985) and returns it as YYYY-MM-DD.
func parseDate(v string) (string, error) {
	v = strings.ReplaceAll(strings.TrimSpace(v), " ", "")
	for _, layout := range []string{time.DateOnly, "2.1.2006", "02.01.2006", "1/2/2006", "20060102"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.Format(time.DateOnly), nil
		}
	}
	return "", errors.New("not a date (YYYY-MM-DD or D. M. YYYY)")
}
