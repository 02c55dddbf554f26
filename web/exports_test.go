package web_test

import (
	"context"
	"encoding/csv"
	"net/http"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/kontakt/kontakt/store"
	"github.com/kontakt/kontakt/store/storetest"
)

var downloadRe = regexp.MustCompile(`href="(/exports/[0-9a-f-]{36}/download)"`)

// matrixEmailKey maps the matrix's addresses (SeedExports gives the b1 and b3
// organisations one) to contact keys.
func matrixEmailKey(m *storetest.Matrix) map[string]string {
	out := map[string]string{}
	for key := range m.Contacts {
		if strings.HasSuffix(key, "-person") {
			out["person-"+key[:2]+"@example.com"] = key
		} else {
			out[key+"@example.com"] = key
		}
	}
	return out
}

// exportKeys creates an export through the pages as b and returns the contact keys of
// the downloaded file, sorted, and the export's download path.
func exportKeys(t *testing.T, m *storetest.Matrix, b *browser, form url.Values) ([]string, string) {
	t.Helper()
	p := b.get("/exports")
	form.Set("csrf", token(t, p))
	p = b.do("POST", "/exports", form)
	if p.status != http.StatusSeeOther || !strings.HasPrefix(p.header.Get("Location"), "/exports?created=") {
		t.Fatalf("create export: %d %s", p.status, p.body)
	}
	p = b.get(p.header.Get("Location"))
	links := matches(downloadRe, p.body)
	if p.status != http.StatusOK || len(links) == 0 {
		t.Fatalf("exports list: %d %s", p.status, p.body)
	}
	dl := b.get(links[0])
	if dl.status != http.StatusOK || !strings.HasPrefix(dl.header.Get("Content-Type"), "text/csv") ||
		!strings.Contains(dl.header.Get("Content-Disposition"), "attachment") {
		t.Fatalf("download: %d %v", dl.status, dl.header)
	}
	recs, err := csv.NewReader(strings.NewReader(dl.body)).ReadAll()
	if err != nil || len(recs) == 0 {
		t.Fatalf("csv: %v %q", err, dl.body)
	}
	emails := matrixEmailKey(m)
	var keys []string
	for _, r := range recs[1:] {
		k, ok := emails[strings.ToLower(r[0])]
		if !ok {
			t.Errorf("exported an unknown address %q", r[0])
		}
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys, links[0]
}

// TestExports: a user exports books for a purpose: only the contacts they see that hold an
// active consent are in the file (one consenting, one not, one they may not see); the
// creation and download are audited; bad input, a missing CSRF token and anyone else's
// download change and reveal nothing.
func TestExports(t *testing.T) {
	e, _ := newFilesEnv(t, 0)
	ctx := context.Background()
	m, err := storetest.SeedMatrix(ctx, e.st, "")
	if err != nil {
		t.Fatal(err)
	}
	x, err := m.SeedExports(ctx, e.st)
	if err != nil {
		t.Fatal(err)
	}
	cyril := e.sessionFor(m.Users["cyril"].ID)
	p := cyril.get("/exports")
	if p.status != http.StatusOK || !strings.Contains(p.body, `value="`+x.PurposeID+`"`) {
		t.Fatalf("exports page: %d %s", p.status, p.body)
	}
	tok := token(t, p)

	// B3: b3-person (cyril sees it, no consent) is left out, b3-org's consent has lapsed;
	// B2: b2-person consents, b2-org consents but is hidden by its book's requirement.
	keys, dl := exportKeys(t, m, cyril, url.Values{"purpose_id": {x.PurposeID}, "format": {"mailchimp"},
		"book_ids": {m.Books["B2"].ID, m.Books["B3"].ID}})
	if !slices.Equal(keys, []string{"b2-person"}) {
		t.Errorf("exported %v, want [b2-person]", keys)
	}
	all, _ := exportKeys(t, m, cyril, url.Values{"purpose_id": {x.PurposeID}, "format": {"listmonk"}})
	if want := m.Exportable(x, "cyril"); !slices.Equal(all, want) {
		t.Errorf("exported %v, want %v", all, want)
	}
	entries, err := e.st.ListAudit(ctx, store.AuditFilter{ActorID: m.Users["cyril"].ID})
	if err != nil {
		t.Fatal(err)
	}
	var actions []string
	for _, a := range entries {
		actions = append(actions, a.Action)
	}
	if !slices.Contains(actions, "export.create") || !slices.Contains(actions, "export.download") {
		t.Errorf("audit: %v", actions)
	}

	// Anyone else: not listed, 404 on download, even holding the token's cookie name.
	dana := e.sessionFor(m.Users["dana"].ID)
	if p := dana.get("/exports"); strings.Contains(p.body, dl) {
		t.Errorf("dana's list shows cyril's export")
	}
	if p := dana.get(dl); p.status != http.StatusNotFound {
		t.Errorf("dana downloads cyril's export: %d", p.status)
	}
	// Without the browser's token (another device of cyril's): 404, no file.
	if p := e.sessionFor(m.Users["cyril"].ID).get(dl); p.status != http.StatusNotFound || strings.Contains(p.body, "@example.com") {
		t.Errorf("download without the token: %d", p.status)
	}

	// Refusals: nothing stored.
	before, _ := e.st.ListExports(ctx, m.Actor("cyril"))
	for _, tc := range []struct {
		form   url.Values
		status int
	}{
		{url.Values{"csrf": {tok}, "format": {"listmonk"}}, http.StatusBadRequest},
		{url.Values{"csrf": {tok}, "purpose_id": {x.PurposeID}, "format": {"excel"}}, http.StatusBadRequest},
		{url.Values{"csrf": {tok}, "purpose_id": {x.PurposeID}, "format": {"listmonk"}, "types": {"alien"}}, http.StatusBadRequest},
		{url.Values{"purpose_id": {x.PurposeID}, "format": {"listmonk"}}, http.StatusForbidden},
	} {
		p := cyril.do("POST", "/exports", tc.form)
		if p.status != tc.status || (tc.status == http.StatusBadRequest && !strings.Contains(p.body, `role="alert"`)) {
			t.Errorf("%v: %d, want %d", tc.form, p.status, tc.status)
		}
	}
	if after, _ := e.st.ListExports(ctx, m.Actor("cyril")); len(after) != len(before) {
		t.Errorf("refused exports stored: %d, was %d", len(after), len(before))
	}
}
