package store_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
)

func TestActivitiesBesideNotes(t *testing.T) {
	ctx := context.Background()
	st, _ := newStore(t)
	a, b := fixture(t, st)
	c, err := st.CreateContact(ctx, a, model.Contact{BookID: b.ID, Kind: "person", GivenName: "Věra", FamilyName: "Volaná"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.CreateNote(ctx, a, model.Note{ContactID: c.ID, Body: "poznámka"}); err != nil {
		t.Fatal(err)
	}
	mins := 15
	act, err := st.CreateActivity(ctx, a, model.Activity{ContactID: c.ID, Type: "call", OccurredAt: time.Now(),
		DurationMinutes: &mins, Outcome: " zájem ", Body: "Volala kvůli nabídce", Participants: []string{a.UserID}})
	if err != nil {
		t.Fatal(err)
	}
	if act.Audience != "contact" || act.Outcome != "zájem" || len(act.Participants) != 1 || *act.DurationMinutes != 15 {
		t.Errorf("created %+v", act)
	}
	notes, err := st.ListNotes(ctx, a, c.ID)
	if err != nil || len(notes) != 1 {
		t.Errorf("notes: %v %v, want only the note", notes, err)
	}
	if _, err := st.GetNote(ctx, a, act.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("an activity read as a note: %v", err)
	}
	list, err := st.ListActivities(ctx, a, c.ID)
	if err != nil || len(list) != 1 || list[0].ID != act.ID {
		t.Errorf("activities: %v %v", list, err)
	}
	typ := model.ActivityVisit
	upd, err := st.UpdateActivity(ctx, a, act.ID, model.ActivityPatch{Type: &typ, Participants: &[]string{}})
	if err != nil || upd.Type != "visit" || len(upd.Participants) != 0 {
		t.Errorf("update: %+v %v", upd, err)
	}
	var fe *model.FieldError
	bad := "00000000-0000-0000-0000-000000000001"
	if _, err := st.UpdateActivity(ctx, a, act.ID, model.ActivityPatch{Participants: &[]string{bad}}); !errors.As(err, &fe) || fe.Field != "participants" {
		t.Errorf("unknown participant: %v", err)
	}
	if _, err := st.CreateActivity(ctx, a, model.Activity{ContactID: c.ID, Type: "fax", OccurredAt: time.Now(), Body: "x"}); !errors.As(err, &fe) || fe.Field != "type" {
		t.Errorf("bad type: %v", err)
	}
	if err := st.DeleteActivity(ctx, a, act.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := st.GetActivity(ctx, a, act.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deleted activity: %v", err)
	}
}
