package api_test

import (
	"context"
	"net/http"
	"testing"

	"github.com/kontakt/kontakt/store"
	"github.com/kontakt/kontakt/store/storetest"
)

// Who may ask to forget a contact: managers of its book (cyril on B3, admins everywhere)
// and holders of the gdpr permission; an editor or viewer who sees the contact gets 403,
// whoever cannot see it 404, and a refused or bad request stores nothing.
func TestForgetRights(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	m, err := storetest.SeedMatrix(ctx, e.st, "")
	if err != nil {
		t.Fatal(err)
	}
	body := map[string]string{"legal_basis": "art17_request"}
	for _, c := range []struct {
		login, contact string
		want           int
	}{
		{"alena", "b1-person", http.StatusForbidden},  // viewer
		{"bohdan", "b1-person", http.StatusForbidden}, // editor through G1
		{"emil", "b1-person", http.StatusNotFound},    // sees nothing
		{"dana", "b3-person", http.StatusNotFound},
		{"admin", "b2-org", http.StatusAccepted}, // hidden for lack of consent, still forgettable
		{"cyril", "b3-person", http.StatusAccepted},
	} {
		r := e.tokenFor(m.Users[c.login].ID).do("POST", "/api/contacts/"+m.Contacts[c.contact].ID+"/forget", body)
		if r.status != c.want {
			t.Errorf("%s forgets %s: %d %s, want %d", c.login, c.contact, r.status, r.body, c.want)
		}
	}
	admin := e.tokenFor(m.Admin.ID)
	if r := admin.do("POST", "/api/contacts/"+m.Contacts["b1-org"].ID+"/forget", map[string]string{"legal_basis": "whim"}); r.status != http.StatusBadRequest {
		t.Errorf("bad legal basis: %d %s", r.status, r.body)
	}
	var n int
	if err := e.pool.QueryRow(ctx, `SELECT count(*) FROM erasures`).Scan(&n); err != nil || n != 2 {
		t.Fatalf("erasures stored: %d, %v; want the two accepted", n, err)
	}
	var er store.Erasure
	r := e.tokenFor(m.Users["cyril"].ID).do("GET", "/api/erasures/"+m.Contacts["b3-person"].ID, nil)
	r.json(t, &er)
	if r.status != http.StatusOK || er.Status != "requested" || er.WorkflowID != "forget-contact/"+m.Contacts["b3-person"].ID {
		t.Errorf("GET erasure: %d %+v", r.status, er)
	}
	if r := e.tokenFor(m.Users["alena"].ID).do("GET", "/api/erasures/"+m.Contacts["b3-person"].ID, nil); r.status != http.StatusNotFound {
		t.Errorf("alena reads cyril's erasure: %d", r.status)
	}
	var list []store.Erasure
	e.tokenFor(m.Users["cyril"].ID).do("GET", "/api/erasures", nil).json(t, &list)
	if len(list) != 1 {
		t.Errorf("cyril's erasures: %+v", list)
	}
}
