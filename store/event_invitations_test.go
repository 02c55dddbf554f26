package store_test

import (
	"context"
	"crypto/sha256"
	"errors"
	"testing"

	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
)

func TestInvitationTokenIdempotent(t *testing.T) {
	ctx := context.Background()
	st, pool := newStore(t)
	a, b := fixture(t, st)
	c, err := st.CreateContact(ctx, a, model.Contact{BookID: b.ID, Kind: "person", GivenName: "Iva", FamilyName: "Pozvaná"})
	if err != nil {
		t.Fatal(err)
	}
	var eventID string
	if err := pool.QueryRow(ctx, `INSERT INTO events (name, starts_at) VALUES ('Veletrh', now()) RETURNING id`).Scan(&eventID); err != nil {
		t.Fatal(err)
	}
	h1, h2 := sha256.Sum256([]byte("one")), sha256.Sum256([]byte("two"))
	for _, h := range [][32]byte{h1, h1, h2, h2} {
		if err := st.InvitationToken(ctx, eventID, c.ID, h[:]); err != nil {
			t.Fatal(err)
		}
	}
	var n int
	var got []byte
	var status string
	if err := pool.QueryRow(ctx, `SELECT count(*) OVER (), token_hash, status FROM event_invitations WHERE event_id = $1`, eventID).Scan(&n, &got, &status); err != nil {
		t.Fatal(err)
	}
	if n != 1 || string(got) != string(h2[:]) || status != "invited" {
		t.Errorf("got %d rows, hash %x, status %s; want 1 row with the latest hash, invited", n, got, status)
	}
	if err := st.InvitationToken(ctx, eventID, "00000000-0000-0000-0000-000000000000", h1[:]); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown contact: %v, want ErrNotFound", err)
	}
	if err := st.InvitationToken(ctx, "00000000-0000-0000-0000-000000000000", c.ID, h1[:]); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("unknown event: %v, want ErrNotFound", err)
	}
	if err := st.InvitationToken(ctx, eventID, c.ID, []byte("short")); err == nil {
		t.Error("a hash that is not 32 bytes was accepted")
	}
}
