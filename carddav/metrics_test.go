package carddav_test

import (
	"context"
	"maps"
	"sync"
	"testing"

	"github.com/kontakt/kontakt/carddav"
)

// syncCounts is a carddav.SyncCounter that remembers.
type syncCounts struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *syncCounts) CardDAVSync(kind string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.n[kind]++
}

// TestSyncsCounted: each sync-collection answer is counted once by its kind, and nothing
// else is (metrics.Metrics counts them as kontakt_carddav_syncs_total).
func TestSyncsCounted(t *testing.T) {
	e := newEnv(t)
	counts := &syncCounts{n: map[string]int{}}
	e.srv.Config.Handler = carddav.NewHandler(carddav.Deps{Store: e.st, Syncs: counts})
	coll := e.collection("jana", "partners")
	xmlH := map[string]string{"Content-Type": "application/xml"}

	token := parseMS(t, e.do("jana", "REPORT", coll, xmlH, syncReport("", 0))).SyncToken
	parseMS(t, e.do("jana", "REPORT", coll, xmlH, syncReport(token, 0)))
	parseMS(t, e.do("jana", "REPORT", coll, xmlH, syncReport(token, 0)))
	e.do("jana", "PROPFIND", coll, map[string]string{"Depth": "1"}, "")
	// The book is taken away: the next sync removes what the device holds.
	must(t, e.st.DeleteSyncGrant(context.Background(), e.admin, e.users["jana"].ID, e.books["partners"].ID))
	parseMS(t, e.do("jana", "REPORT", coll, xmlH, syncReport(token, 0)))

	want := map[string]int{"initial": 1, "incremental": 2, "revoked": 1}
	if !maps.Equal(counts.n, want) {
		t.Fatalf("counted %v, want %v", counts.n, want)
	}
}
