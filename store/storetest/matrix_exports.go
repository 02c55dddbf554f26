package storetest

import (
	"context"
	"slices"
	"time"

	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
)

// ExportMatrix is what SeedExports adds to the matrix: the purpose "matrix-export", and
// which contacts hold an active consent for it and an e-mail address.
type ExportMatrix struct {
	PurposeID string
	consented []string // contact keys with an active consent and an address
}

// SeedExports gives b1-org and b3-org an address and records consents for the purpose
// matrix-export: active for b1-person, b1-org, b2-person, b2-org and b4-person, and one
// still active but past its valid_until for b3-org; b3-person has none. b2-org stays hidden
// everywhere (its book requires matrix-news, which it lacks), so no export may hold it.
func (m *Matrix) SeedExports(ctx context.Context, st *store.Store) (*ExportMatrix, error) {
	admin := m.Actor("admin")
	p, err := st.CreatePurpose(ctx, admin, model.Purpose{Key: "matrix-export", Name: "Matrix export", Wording: "Newsletter."})
	if err != nil {
		return nil, err
	}
	for _, key := range []string{"b1-org", "b3-org"} {
		emails := []model.Email{{Value: key + "@example.com"}}
		if _, err := st.UpdateContact(ctx, admin, m.Contacts[key].ID, model.ContactPatch{Emails: &emails}, 0); err != nil {
			return nil, err
		}
	}
	now := time.Now()
	past := now.Add(-time.Hour)
	rec := func(key string, until *time.Time, given time.Time) error {
		_, err := st.RecordConsent(ctx, admin, store.ConsentRecord{ContactID: m.Contacts[key].ID, PurposeID: p.ID,
			Source: model.SourceStaff, GivenAt: given, ValidUntil: until})
		return err
	}
	for _, key := range []string{"b1-person", "b1-org", "b2-person", "b2-org", "b4-person"} {
		if err := rec(key, nil, now.Add(-time.Minute)); err != nil {
			return nil, err
		}
	}
	if err := rec("b3-org", &past, now.AddDate(-1, 0, 0)); err != nil {
		return nil, err
	}
	return &ExportMatrix{PurposeID: p.ID, consented: []string{"b1-person", "b1-org", "b2-person", "b4-person"}}, nil
}

// Exportable returns the keys of the contacts an export by login for matrix-export holds:
// those login sees that hold an active consent and an address, sorted.
func (m *Matrix) Exportable(x *ExportMatrix, login string) []string {
	var out []string
	for _, key := range m.VisibleContacts(login) {
		if slices.Contains(x.consented, key) {
			out = append(out, key)
		}
	}
	return out
}
