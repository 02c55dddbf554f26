package store_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/csv"
	"encoding/hex"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
	"github.com/kontakt/kontakt/store/storetest"
)

// exportKeys downloads an export and maps its addresses back to matrix contact keys.
func exportKeys(t *testing.T, st *store.Store, m *storetest.Matrix, a store.Actor, exp store.Export, token string) ([]string, [][]string) {
	t.Helper()
	_, data, err := st.DownloadExport(context.Background(), a, exp.ID, token)
	if err != nil {
		t.Fatalf("download: %v", err)
	}
	if sum := sha256.Sum256(data); hex.EncodeToString(sum[:]) != exp.SHA256 {
		t.Error("the file does not match its recorded SHA-256")
	}
	recs, err := csv.NewReader(bytes.NewReader(data)).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var keys []string
	for _, r := range recs[1:] {
		for k, c := range m.Contacts {
			if len(c.Emails) > 0 && c.Emails[0].Value == r[0] || r[0] == k+"@example.com" {
				keys = append(keys, k)
			}
		}
	}
	slices.Sort(keys)
	return keys, recs
}

func seedExportMatrix(t *testing.T) (*store.Store, *pgxpool.Pool, *storetest.Matrix, *storetest.ExportMatrix) {
	t.Helper()
	st, pool := newStore(t)
	m, err := storetest.SeedMatrix(context.Background(), st, "")
	if err != nil {
		t.Fatal(err)
	}
	x, err := m.SeedExports(context.Background(), st)
	if err != nil {
		t.Fatal(err)
	}
	return st, pool, m, x
}

// The authorisation matrix for exports: each user's export holds exactly the contacts they
// see that hold an active consent for the purpose, and each is audited.
func TestExportMatrix(t *testing.T) {
	ctx := context.Background()
	st, _, m, x := seedExportMatrix(t)
	for _, login := range m.Logins() {
		a := m.Actor(login)
		exp, token, err := st.CreateExport(ctx, a, store.ExportRequest{PurposeID: x.PurposeID, Format: store.ExportListmonk}, time.Hour)
		if err != nil {
			t.Fatalf("%s: %v", login, err)
		}
		want := m.Exportable(x, login)
		if m.Users[login].Disabled {
			if exp.Count != 0 {
				t.Errorf("%s (disabled) exported %d", login, exp.Count)
			}
			continue
		}
		got, recs := exportKeys(t, st, m, a, exp, token)
		if !slices.Equal(got, want) || exp.Count != len(want) {
			t.Errorf("%s exports %v (count %d), want %v", login, got, exp.Count, want)
		}
		if strings.Join(recs[0], ",") != "email,name,attributes" {
			t.Errorf("listmonk header %v", recs[0])
		}
		entries, err := st.ListAudit(ctx, store.AuditFilter{ActorID: a.UserID, Action: "export.create"})
		if err != nil || len(entries) != 1 || entries[0].Channel != "export" || len(entries[0].ContactIDs) != len(want) ||
			entries[0].Detail["sha256"] != exp.SHA256 || entries[0].Detail["purpose_id"] != x.PurposeID {
			t.Errorf("%s: audit %+v, %v", login, entries, err)
		}
	}
}

func TestExportFilters(t *testing.T) {
	ctx := context.Background()
	st, _, m, x := seedExportMatrix(t)
	admin := m.Actor("admin")
	for _, c := range []struct {
		name   string
		filter store.ExportFilter
		want   []string
	}{
		{"book", store.ExportFilter{BookIDs: []string{m.Books["B1"].ID}}, []string{"b1-org", "b1-person"}},
		{"tag", store.ExportFilter{Tags: []string{"TAG-B4"}}, []string{"b4-person"}},
		{"type", store.ExportFilter{Types: []string{"supplier"}}, []string{"b1-org"}},
		{"organisation", store.ExportFilter{OrganisationIDs: []string{m.Contacts["b4-org"].ID}}, []string{"b1-person"}},
		{"both", store.ExportFilter{BookIDs: []string{m.Books["B1"].ID, m.Books["B2"].ID}, Types: []string{"other"}}, []string{"b1-person", "b2-person"}},
	} {
		exp, token, err := st.CreateExport(ctx, admin, store.ExportRequest{Filter: c.filter, PurposeID: x.PurposeID, Format: store.ExportMailchimp}, time.Hour)
		if err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		got, recs := exportKeys(t, st, m, admin, exp, token)
		if !slices.Equal(got, c.want) {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
		if strings.Join(recs[0], ",") != "Email Address,First Name,Last Name" {
			t.Errorf("mailchimp header %v", recs[0])
		}
	}
	for _, bad := range []store.ExportRequest{
		{PurposeID: x.PurposeID, Format: "excel"},
		{PurposeID: "", Format: store.ExportListmonk},
		{PurposeID: m.Books["B1"].ID, Format: store.ExportListmonk},
		{PurposeID: x.PurposeID, Format: store.ExportListmonk, Filter: store.ExportFilter{Types: []string{"friend"}}},
		{PurposeID: x.PurposeID, Format: store.ExportListmonk, Filter: store.ExportFilter{BookIDs: []string{"B1"}}},
	} {
		var fe *model.FieldError
		if _, _, err := st.CreateExport(ctx, admin, bad, time.Hour); !errors.As(err, &fe) {
			t.Errorf("%+v: %v, want a field error", bad, err)
		}
	}
}

// Downloads: only the creator with the token; 410 after expiry; the retention sweep drops
// the file and keeps the record. A name that is a formula is defused.
func TestExportDownloadAndExpiry(t *testing.T) {
	ctx := context.Background()
	st, pool, m, x := seedExportMatrix(t)
	admin := m.Actor("admin")
	evil, err := st.CreateContact(ctx, admin, model.Contact{BookID: m.Books["B1"].ID, Kind: "person", GivenName: "=HYPERLINK(\"http://x\")",
		FamilyName: "Zlý", Emails: []model.Email{{Value: "zly@example.com"}}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.RecordConsent(ctx, admin, store.ConsentRecord{ContactID: evil.ID, PurposeID: x.PurposeID, Source: model.SourceStaff,
		GivenAt: time.Now().Add(-time.Minute)}); err != nil {
		t.Fatal(err)
	}
	exp, token, err := st.CreateExport(ctx, admin, store.ExportRequest{PurposeID: x.PurposeID, Format: store.ExportMailchimp,
		Filter: store.ExportFilter{BookIDs: []string{m.Books["B1"].ID}}}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.DownloadExport(ctx, m.Actor("bohdan"), exp.ID, token); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("someone else downloads: %v", err)
	}
	if _, _, err := st.DownloadExport(ctx, admin, exp.ID, token+"x"); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("wrong token: %v", err)
	}
	_, data, err := st.DownloadExport(ctx, admin, exp.ID, token)
	if err != nil || !strings.Contains(string(data), `zly@example.com,"'=HYPERLINK(""http://x"")",Zlý`) {
		t.Fatalf("download: %q, %v", data, err)
	}
	list, err := st.ListExports(ctx, admin)
	if err != nil || len(list) != 1 || list[0].DownloadedAt == nil || !list[0].Available {
		t.Fatalf("list: %+v, %v", list, err)
	}
	if l, _ := st.ListExports(ctx, m.Actor("bohdan")); len(l) != 0 {
		t.Errorf("bohdan lists admin's exports: %+v", l)
	}
	if n, err := st.PurgeExportFiles(ctx); err != nil || n != 0 {
		t.Fatalf("purge before expiry: %d, %v", n, err)
	}
	if _, err := pool.Exec(ctx, `UPDATE exports SET expires_at = now() - interval '1 second'`); err != nil {
		t.Fatal(err)
	}
	if _, _, err := st.DownloadExport(ctx, admin, exp.ID, token); !errors.Is(err, store.ErrGone) {
		t.Errorf("expired: %v, want ErrGone", err)
	}
	if n, err := st.PurgeExportFiles(ctx); err != nil || n != 1 {
		t.Fatalf("purge: %d, %v", n, err)
	}
	var left int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM exports WHERE data IS NULL AND sha256 IS NOT NULL`).Scan(&left); err != nil || left != 1 {
		t.Errorf("record kept without its file: %d, %v", left, err)
	}
	downloads, err := st.ListAudit(ctx, store.AuditFilter{Action: "export.download"})
	if err != nil || len(downloads) != 1 {
		t.Errorf("download audit: %+v, %v", downloads, err)
	}
}
