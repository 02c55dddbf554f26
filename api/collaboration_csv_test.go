package api

import (
	"slices"
	"testing"
)

// TestCSVSafe: every cell a spreadsheet would take for a formula gets an apostrophe; the
// rest stays as it is.
func TestCSVSafe(t *testing.T) {
	in := []string{"=1+1", "+420 601", "-2", "@SUM(A1)", "\tx", "\rx", "Stavby, a.s.", "", "4.50", "'quoted", " =x"}
	want := []string{"'=1+1", "'+420 601", "'-2", "'@SUM(A1)", "'\tx", "'\rx", "Stavby, a.s.", "", "4.50", "'quoted", "' =x"}
	if got := csvSafe(slices.Clone(in)); !slices.Equal(got, want) {
		t.Errorf("csvSafe(%q) = %q, want %q", in, got, want)
	}
}
