package main

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/kontakt/kontakt/auth"
	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
	"github.com/kontakt/kontakt/workflows"
)

// TestForgetThroughTemporal: a staff request through the API starts ForgetContact on a
// real Temporal server; the worker erases the contact, and the workflow, asked through its
// query, waits for the phone that held it until that phone syncs the removal.
func TestForgetThroughTemporal(t *testing.T) {
	ts := startTemporal(t, 0)
	s := newStack(t, ts.Address())
	c := s.runWorker(ts.Address())
	ctx := context.Background()
	admin, _, err := s.st.UserLogin(ctx, "admin")
	if err != nil {
		t.Fatal(err)
	}
	a := store.Actor{UserID: admin.ID, Channel: "api"}
	books, err := s.st.ListBooks(ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	ct, err := s.st.CreateContact(ctx, a, model.Contact{Kind: "person", BookID: books[0].ID, GivenName: "Zdeňka", FamilyName: "Výmazová"})
	if err != nil {
		t.Fatal(err)
	}
	dev, err := s.st.CreateDevice(ctx, a, "iPhone", "kd_int", auth.HashSecret(auth.NewSecret("kd_")))
	if err != nil {
		t.Fatal(err)
	}
	if err := s.st.RecordServed(ctx, dev.ID, books[0].ID, []store.ContactVersion{{ContactID: ct.ID, Version: ct.Version}}, nil); err != nil {
		t.Fatal(err)
	}

	secret := auth.NewSecret("kt_")
	if _, err := s.st.CreateToken(ctx, a, "t", secret[:7], auth.HashSecret(secret), nil); err != nil {
		t.Fatal(err)
	}
	req, _ := http.NewRequest("POST", s.srv.URL+"/api/contacts/"+ct.ID+"/forget", jsonBody(`{"legal_basis":"art17_request"}`))
	req.Header.Set("Authorization", "Bearer "+secret)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusAccepted {
		t.Fatalf("forget: %d", res.StatusCode)
	}

	// The worker erases the contact, and the workflow waits for the phone.
	var p workflows.ForgetProgress
	deadline := time.Now().Add(30 * time.Second)
	for !p.Erased || len(p.Pending) != 1 {
		if time.Now().After(deadline) {
			t.Fatalf("no erasure: %+v", p)
		}
		time.Sleep(100 * time.Millisecond)
		v, err := c.QueryWorkflow(ctx, workflows.ForgetContactID(ct.ID), "", workflows.ForgetProgressQuery)
		if err == nil {
			_ = v.Get(&p)
		}
	}
	if _, err := s.st.GetContact(ctx, a, ct.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("contact after erasure: %v", err)
	}
	er, err := s.st.GetErasure(ctx, a, ct.ID)
	if err != nil || er.Status != "erased" || len(er.Pending) != 1 {
		t.Fatalf("erasure %+v, %v", er, err)
	}
	// The phone syncs and is told of the removal; the ledger lets it go.
	if err := s.st.RecordServed(ctx, dev.ID, books[0].ID, nil, []string{ct.ID}); err != nil {
		t.Fatal(err)
	}
	if er, err = s.st.GetErasure(ctx, a, ct.ID); err != nil || len(er.Pending) != 0 {
		t.Fatalf("erasure after the sync %+v, %v", er, err)
	}
}

func jsonBody(s string) *strings.Reader { return strings.NewReader(s) }
