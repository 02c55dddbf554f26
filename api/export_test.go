package api_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/kontakt/kontakt/store"
	"github.com/kontakt/kontakt/store/storetest"
)

// Exports over the API: every matrix user's export holds exactly what they see with the
// consent; only the creator downloads, 410 after expiry; bad input is 400 and stores
// nothing.
func TestExportAPI(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	m, err := storetest.SeedMatrix(ctx, e.st, "")
	if err != nil {
		t.Fatal(err)
	}
	x, err := m.SeedExports(ctx, e.st)
	if err != nil {
		t.Fatal(err)
	}
	type created struct {
		store.Export
		DownloadURL string `json:"download_url"`
	}
	for _, login := range m.Logins() {
		if m.Users[login].Disabled {
			continue
		}
		c := e.tokenFor(m.Users[login].ID)
		var exp created
		r := c.do("POST", "/api/exports", map[string]any{"purpose_id": x.PurposeID, "format": "listmonk"})
		r.json(t, &exp)
		if r.status != http.StatusCreated || !strings.HasPrefix(exp.DownloadURL, "/api/exports/"+exp.ID+"/download?token=") {
			t.Fatalf("%s: %d %s", login, r.status, r.body)
		}
		d := c.do("GET", exp.DownloadURL, nil)
		if d.status != http.StatusOK || d.header.Get("Content-Type") != "text/csv; charset=utf-8" || d.header.Get("X-Content-SHA256") != exp.SHA256 {
			t.Fatalf("%s download: %d %v", login, d.status, d.header)
		}
		var got []string
		for _, line := range strings.Split(strings.TrimSpace(string(d.body)), "\n")[1:] {
			addr, _, _ := strings.Cut(line, ",")
			for k, ct := range m.Contacts {
				if addr == k+"@example.com" || len(ct.Emails) > 0 && ct.Emails[0].Value == addr {
					got = append(got, k)
				}
			}
		}
		slices.Sort(got)
		if want := m.Exportable(x, login); !slices.Equal(got, want) {
			t.Errorf("%s exports %v, want %v", login, got, want)
		}
		if login == "alena" {
			if r := e.tokenFor(m.Users["bohdan"].ID).do("GET", exp.DownloadURL, nil); r.status != http.StatusNotFound {
				t.Errorf("bohdan downloads alena's export: %d", r.status)
			}
			var list []store.Export
			c.do("GET", "/api/exports", nil).json(t, &list)
			if len(list) != 1 || list[0].ID != exp.ID {
				t.Errorf("alena's list: %+v", list)
			}
			if _, err := e.pool.Exec(ctx, `UPDATE exports SET expires_at = now() - interval '1 minute' WHERE id = $1`, exp.ID); err != nil {
				t.Fatal(err)
			}
			if r := c.do("GET", exp.DownloadURL, nil); r.status != http.StatusGone {
				t.Errorf("expired: %d %s", r.status, r.body)
			}
		}
	}
	admin := e.tokenFor(m.Admin.ID)
	var before int
	e.pool.QueryRow(ctx, `SELECT count(*) FROM exports`).Scan(&before) //nolint:errcheck
	for _, body := range []any{
		map[string]any{"purpose_id": x.PurposeID, "format": "csv"},
		map[string]any{"format": "listmonk"},
		map[string]any{"purpose_id": x.PurposeID, "format": "listmonk", "filter": map[string]any{"types": []string{"vip"}}},
		map[string]any{"purpose_id": x.PurposeID, "format": "listmonk", "extra": 1},
	} {
		if r := admin.do("POST", "/api/exports", body); r.status != http.StatusBadRequest {
			t.Errorf("%v: %d %s", body, r.status, r.body)
		}
	}
	var after int
	e.pool.QueryRow(ctx, `SELECT count(*) FROM exports`).Scan(&after) //nolint:errcheck
	if after != before {
		t.Errorf("refused exports stored rows: %d → %d", before, after)
	}
}
