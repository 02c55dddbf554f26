package devstack

import (
	"context"
	"errors"
	"fmt"
	"net/url"

	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
)

// DemoFormName names the web form SeedDemoForm makes.
const DemoFormName = "Demo: newsletter a pozvánky"

// SeedDemoForm makes, once, the demo organisation's consent purposes and a web form that
// posts into the Zákazníci book from origin (Kontakt's own public URL, where
// /dev/form-example serves a page with the form). It returns the form; without the demo
// admin it does nothing and returns store.ErrNotFound.
func SeedDemoForm(ctx context.Context, st *store.Store, publicURL string) (model.Form, error) {
	admin, _, err := st.UserLogin(ctx, "admin")
	if err != nil {
		return model.Form{}, err
	}
	a := store.Actor{UserID: admin.ID, Channel: "system"}
	forms, err := st.ListForms(ctx, a)
	if err != nil {
		return model.Form{}, fmt.Errorf("devstack: demo form: %w", err)
	}
	for _, f := range forms {
		if f.Name == DemoFormName {
			return f, nil
		}
	}
	books, err := st.ListBooks(ctx, a)
	if err != nil || len(books) == 0 {
		return model.Form{}, errors.Join(store.ErrNotFound, err)
	}
	book := books[0]
	for _, b := range books {
		if b.Name == "Zákazníci" {
			book = b
		}
	}
	purposes, err := ensureDemoPurposes(ctx, st, a)
	if err != nil {
		return model.Form{}, err
	}
	var ids []string
	for _, p := range demoPurposes {
		ids = append(ids, purposes[p.Key].ID)
	}
	f, err := st.CreateForm(ctx, a, model.Form{Name: DemoFormName, BookID: book.ID, PurposeIDs: ids, Language: "cs",
		AllowedOrigins: demoOrigins(publicURL), HoneypotField: "website", Organisation: "Stavebniny Demo s.r.o.",
		// The demo answers every subject-access request by mail, so that a newcomer trying an
		// unknown address sees what happens; the default sends nothing then.
		NoConsentMail: true, RevocationMail: true}, false)
	if err != nil {
		return model.Form{}, fmt.Errorf("devstack: demo form: %w", err)
	}
	return f, nil
}

// demoPurposes are the demo organisation's consent purposes. The newsletter's reminder
// mails a person 30 days before a consent from the web form expires, asking to renew it.
var demoPurposes = []model.Purpose{
	{Key: "newsletter", Name: "Newsletter", Description: "Novinky a nabídky e-mailem, nejvýše jednou měsíčně.",
		Wording: "Souhlasím, aby mi Stavebniny Demo s.r.o. zasílaly e-mailem novinky a obchodní nabídky, nejvýše jednou měsíčně. Souhlas mohu kdykoli odvolat.", ValidityMonths: 24, ReminderDays: 30},
	{Key: "events", Name: "Pozvánky na akce", Description: "Pozvánky na veletrhy, školení a firemní akce.",
		Wording: "Souhlasím se zasíláním pozvánek na veletrhy, školení a akce Stavebniny Demo s.r.o. Souhlas mohu kdykoli odvolat.", ValidityMonths: 12},
}

// ensureDemoPurposes makes the demo purposes that do not exist yet and returns them all by key.
func ensureDemoPurposes(ctx context.Context, st *store.Store, a store.Actor) (map[string]model.Purpose, error) {
	existing, err := st.ListPurposes(ctx)
	if err != nil {
		return nil, fmt.Errorf("devstack: demo purposes: %w", err)
	}
	out := map[string]model.Purpose{}
	for _, p := range existing {
		out[p.Key] = p
	}
	for _, p := range demoPurposes {
		if _, ok := out[p.Key]; ok {
			continue
		}
		created, err := st.CreatePurpose(ctx, a, p)
		if err != nil {
			return nil, fmt.Errorf("devstack: demo purpose %s: %w", p.Key, err)
		}
		out[p.Key] = created
	}
	return out, nil
}

// demoOrigins are the origins the demo form accepts: Kontakt's own, under both loopback
// names when it runs on loopback.
func demoOrigins(publicURL string) []string {
	u, err := url.Parse(publicURL)
	if err != nil || u.Host == "" {
		return []string{publicURL}
	}
	origins := []string{u.Scheme + "://" + u.Host}
	if port := u.Port(); u.Hostname() == "127.0.0.1" || u.Hostname() == "localhost" {
		other := map[string]string{"127.0.0.1": "localhost", "localhost": "127.0.0.1"}[u.Hostname()]
		if port != "" {
			other += ":" + port
		}
		origins = append(origins, u.Scheme+"://"+other)
	}
	return origins
}
