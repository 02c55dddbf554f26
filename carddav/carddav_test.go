package carddav_test

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/emersion/go-vcard"
	gocarddav "github.com/emersion/go-webdav/carddav"

	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
)

// TestDiscovery follows the DAVx5/iOS path from the well-known URI to the collections: only
// books the user may see and holds a live sync grant for are offered.
func TestDiscovery(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.client("jana")
	principal, err := c.FindCurrentUserPrincipal(ctx)
	must(t, err)
	if principal != "/dav/principals/jana/" {
		t.Fatalf("principal %q", principal)
	}
	home, err := c.FindAddressBookHomeSet(ctx, principal)
	must(t, err)
	if home != "/dav/addressbooks/jana/" {
		t.Fatalf("home set %q", home)
	}
	books, err := c.FindAddressBooks(ctx, home)
	must(t, err)
	var got []string
	for _, b := range books {
		got = append(got, b.Name)
		if !b.SupportsAddressData(vcard.MIMEType, "4.0") || !b.SupportsAddressData(vcard.MIMEType, "3.0") {
			t.Errorf("%s: supported address data %v", b.Name, b.SupportedAddressData)
		}
		if b.MaxResourceSize <= 0 {
			t.Errorf("%s: no max-resource-size", b.Name)
		}
	}
	// Interní: visible without a sync grant; Tajné: a sync grant on an invisible book.
	if want := []string{"Dodavatelé", "Partneři"}; !slices.Equal(got, want) {
		t.Fatalf("collections %v, want %v", got, want)
	}
	for _, book := range []string{"internal", "secret"} {
		if r := e.do("jana", "PROPFIND", e.collection("jana", book), map[string]string{"Depth": "0"}, ""); r.status != http.StatusNotFound {
			t.Errorf("PROPFIND %s: %d, want 404", book, r.status)
		}
	}
	// Another user's home is not there for jana.
	if r := e.do("jana", "PROPFIND", e.collection("petr", "partners"), map[string]string{"Depth": "0"}, ""); r.status != http.StatusNotFound {
		t.Errorf("PROPFIND petr's collection as jana: %d, want 404", r.status)
	}

	// A revoked sync grant takes the book away at once.
	must(t, e.st.DeleteSyncGrant(ctx, e.admin, e.users["jana"].ID, e.books["suppliers"].ID))
	books, err = c.FindAddressBooks(ctx, home)
	must(t, err)
	if len(books) != 1 || books[0].Name != "Partneři" {
		t.Fatalf("after revoking Dodavatelé: %v", books)
	}
}

// TestAuthentication: only a live device app password with its user's login is accepted.
func TestAuthentication(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	revoked := e.newDevice("petr")
	d, err := e.st.ListDevices(ctx, store.Actor{UserID: e.users["petr"].ID}, e.users["petr"].ID)
	must(t, err)
	must(t, e.st.RevokeDevice(ctx, store.Actor{UserID: e.users["petr"].ID}, d[0].ID)) // newest first
	e.devices["petr-revoked"] = revoked
	path := e.collection("jana", "partners")
	for _, tc := range []struct {
		name, user, password string
		want                 int
	}{
		{"device password", "jana", e.devices["jana"], http.StatusMultiStatus},
		{"login upper case", "JANA", e.devices["jana"], http.StatusMultiStatus},
		{"no credentials", "", "", http.StatusUnauthorized},
		{"login password", "jana", loginPassword, http.StatusUnauthorized},
		{"another user's device", "jana", e.devices["petr"], http.StatusUnauthorized},
		{"revoked device", "petr", revoked, http.StatusUnauthorized},
		{"wrong password", "jana", "nope", http.StatusUnauthorized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequest("PROPFIND", e.srv.URL+path, nil)
			must(t, err)
			req.Header.Set("Depth", "0")
			if tc.user != "" {
				req.SetBasicAuth(tc.user, tc.password)
			}
			res, err := http.DefaultClient.Do(req)
			must(t, err)
			res.Body.Close()
			if res.StatusCode != tc.want {
				t.Fatalf("status %d, want %d", res.StatusCode, tc.want)
			}
			if tc.want == http.StatusUnauthorized && !strings.HasPrefix(res.Header.Get("WWW-Authenticate"), "Basic ") {
				t.Errorf("WWW-Authenticate %q", res.Header.Get("WWW-Authenticate"))
			}
		})
	}
	// The well-known redirect needs no credentials.
	r := e.do("", "PROPFIND", "/.well-known/carddav", nil, "")
	if r.status != http.StatusPermanentRedirect {
		t.Fatalf("well-known: %d", r.status)
	}
}

// TestGetMinimised: a vCard holds only what the book's sync profile lets leave the server,
// in vCard 4.0 unless the client asks for 3.0; a profile change changes the ETag.
func TestGetMinimised(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	c := e.client("jana")
	path := e.object("jana", "partners", e.jana.ID)
	ao, err := c.GetAddressObject(ctx, path)
	must(t, err)
	card := ao.Card
	for _, tc := range []struct{ field, want string }{
		{vcard.FieldVersion, "4.0"},
		{vcard.FieldUID, e.jana.ID},
		{vcard.FieldFormattedName, "Jana Nováková"},
		{vcard.FieldName, "Nováková;Jana;;;"},
		{vcard.FieldTitle, "Nákupčí"},
		{vcard.FieldEmail, "jana@firma.cz"},
		{vcard.FieldTelephone, "+420601111111"},
	} {
		if got := card.Values(tc.field); len(got) != 1 || got[0] != tc.want {
			t.Errorf("%s = %q, want %q", tc.field, got, tc.want)
		}
	}
	if !card.Get(vcard.FieldEmail).Params.HasType("work") {
		t.Errorf("work e-mail without TYPE=work: %v", card.Get(vcard.FieldEmail).Params)
	}
	// Private data stays on the server with the default profile.
	for _, f := range []string{vcard.FieldBirthday, vcard.FieldAddress, vcard.FieldCategories, vcard.FieldURL, vcard.FieldNote} {
		if card.Get(f) != nil {
			t.Errorf("%s leaves the server with the default profile: %v", f, card.Values(f))
		}
	}
	if want := fmt.Sprintf("%d-", e.jana.Version); !strings.HasPrefix(ao.ETag, want) {
		t.Errorf("ETag %q, want %s…", ao.ETag, want)
	}

	// vCard 3.0 on request.
	r := e.do("jana", "GET", path, map[string]string{"Accept": "text/vcard; version=3.0"}, "")
	if r.status != http.StatusOK || !strings.Contains(r.body, "VERSION:3.0") || !strings.Contains(r.body, "TYPE=WORK") {
		t.Fatalf("3.0: %d %s", r.status, r.body)
	}
	if r.header.Get("ETag") != strconv.Quote(ao.ETag) {
		t.Errorf("3.0 ETag %s, want the same as 4.0", r.header.Get("ETag"))
	}

	// A wider profile lets more out, under a new ETag.
	profile := []string{"name", "org", "title", "email.work", "email.home", "tel.work", "tel.mobile", "adr.home", "bday", "categories", "url"}
	_, err = e.st.UpdateBook(ctx, e.admin, e.books["partners"].ID, store.BookPatch{SyncProfile: &profile})
	must(t, err)
	ao2, err := c.GetAddressObject(ctx, path)
	must(t, err)
	if ao2.ETag == ao.ETag {
		t.Errorf("profile change kept ETag %q", ao.ETag)
	}
	for f, n := range map[string]int{vcard.FieldEmail: 2, vcard.FieldTelephone: 2, vcard.FieldAddress: 1, vcard.FieldBirthday: 1, vcard.FieldCategories: 1, vcard.FieldURL: 1} {
		if got := len(ao2.Card[f]); got != n {
			t.Errorf("wide profile: %d %s, want %d", got, f, n)
		}
	}
	if got := ao2.Card.Value(vcard.FieldBirthday); got != "19850412" {
		t.Errorf("BDAY %q", got)
	}

	// Not in the collection, not visible, or not a contact: 404.
	other := e.contact("internal", model.Contact{Kind: model.KindPerson, FamilyName: "Skrytá"})
	for _, p := range []string{
		e.object("jana", "suppliers", e.jana.ID), // a contact of another book under this one
		e.object("jana", "partners", other.ID),   // a contact of a book without sync grant
		e.object("jana", "partners", "00000000-0000-0000-0000-000000000000"),
		e.object("jana", "partners", "nonsense"),
		e.object("petr", "partners", e.jana.ID), // jana asking at petr's URL
	} {
		if r := e.do("jana", "GET", p, nil, ""); r.status != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", p, r.status)
		}
	}
}

// TestMultigetAndQuery: addressbook-multiget and addressbook-query through go-webdav's
// client; a filter never finds what the profile keeps on the server.
func TestMultigetAndQuery(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	petr := e.contact("partners", model.Contact{Kind: model.KindPerson, GivenName: "Petr", FamilyName: "Dvořák",
		Emails: []model.Email{{Value: "petr@dvorak.cz", Label: "work"}}})
	org := e.contact("partners", model.Contact{Kind: model.KindOrganisation, OrgName: "Pekárna Novák s.r.o."})
	c := e.client("jana")
	coll := e.collection("jana", "partners")

	aos, err := c.MultiGetAddressBook(ctx, coll, &gocarddav.AddressBookMultiGet{
		Paths:       []string{e.object("jana", "partners", e.jana.ID), e.object("jana", "partners", org.ID)},
		DataRequest: gocarddav.AddressDataRequest{AllProp: true},
	})
	must(t, err)
	if len(aos) != 2 || aos[0].Card.Value(vcard.FieldUID) != e.jana.ID || aos[1].Card.Value(vcard.FieldKind) != "org" {
		t.Fatalf("multiget: %+v", aos)
	}

	for _, tc := range []struct {
		name  string
		query gocarddav.AddressBookQuery
		want  []string
	}{
		{"FN contains", gocarddav.AddressBookQuery{PropFilters: []gocarddav.PropFilter{{Name: vcard.FieldFormattedName,
			TextMatches: []gocarddav.TextMatch{{Text: "Dvořák"}}}}}, []string{petr.ID}},
		{"work e-mail", gocarddav.AddressBookQuery{PropFilters: []gocarddav.PropFilter{{Name: vcard.FieldEmail,
			TextMatches: []gocarddav.TextMatch{{Text: "firma.cz", MatchType: gocarddav.MatchEndsWith}}}}}, []string{e.jana.ID}},
		{"mobile phone stays private", gocarddav.AddressBookQuery{PropFilters: []gocarddav.PropFilter{{Name: vcard.FieldTelephone,
			TextMatches: []gocarddav.TextMatch{{Text: "777"}}}}}, nil},
		{"ORG defined", gocarddav.AddressBookQuery{PropFilters: []gocarddav.PropFilter{{Name: vcard.FieldOrganization}}}, []string{org.ID}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.query.DataRequest = gocarddav.AddressDataRequest{AllProp: true}
			aos, err := c.QueryAddressBook(ctx, coll, &tc.query)
			must(t, err)
			var got []string
			for _, ao := range aos {
				got = append(got, ao.Card.Value(vcard.FieldUID))
			}
			slices.Sort(got)
			slices.Sort(tc.want)
			if !slices.Equal(got, tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}

	// multiget with address-data version 3.0
	body := `<?xml version="1.0"?><C:addressbook-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav">
		<D:prop><D:getetag/><C:address-data content-type="text/vcard" version="3.0"/></D:prop>
		<D:href>` + e.object("jana", "partners", e.jana.ID) + `</D:href></C:addressbook-multiget>`
	ms := parseMS(t, e.do("jana", "REPORT", coll, map[string]string{"Content-Type": "application/xml", "Depth": "1"}, body))
	if _, data := ms.Responses[0].ok200(); !strings.Contains(data, "VERSION:3.0") {
		t.Fatalf("multiget 3.0: %+v", ms)
	}

	// The ledger knows what jana's phone holds, and the audit log saw it go.
	h, err := e.st.DeviceHoldings(ctx, store.Actor{UserID: e.users["jana"].ID}, e.devIDs["jana"])
	must(t, err)
	if len(h) < 2 {
		t.Fatalf("holdings %v", h)
	}
	entries, err := e.st.ListAudit(ctx, store.AuditFilter{Action: "carddav.sync", ContactID: org.ID})
	must(t, err)
	if len(entries) == 0 || entries[0].Channel != model.ChannelCardDAV {
		t.Fatalf("audit %+v", entries)
	}
}

const vcardNew = "BEGIN:VCARD\r\nVERSION:4.0\r\nUID:%s\r\nFN:Karel Nový\r\nN:Nový;Karel;;;\r\nTITLE:Ředitel\r\n" +
	"EMAIL;TYPE=work:karel@novy.cz\r\nEMAIL;TYPE=home:karel@doma.cz\r\nTEL;TYPE=work:+420 602 000 111\r\n" +
	"BDAY:19700101\r\nEND:VCARD\r\n"

// TestPut: creation, replacement with If-Match (fields outside the profile survive),
// preconditions, read-only grants and bad input.
func TestPut(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	newID := "6b8f3c0e-2b7a-4d39-9d1c-4f2e7a1b9c01"
	path := e.object("jana", "partners", newID)
	vc := map[string]string{"Content-Type": "text/vcard; charset=utf-8"}
	with := func(h map[string]string) map[string]string {
		out := map[string]string{"Content-Type": "text/vcard"}
		for k, v := range h {
			out[k] = v
		}
		return out
	}

	r := e.do("jana", "PUT", path, with(map[string]string{"If-None-Match": "*"}), fmt.Sprintf(vcardNew, newID))
	if r.status != http.StatusCreated {
		t.Fatalf("create: %d %s", r.status, r.body)
	}
	if r.header.Get("ETag") != "" {
		t.Errorf("create answered ETag %s for a representation that differs from the one sent", r.header.Get("ETag"))
	}
	created, err := e.st.GetContact(ctx, e.admin, newID)
	must(t, err)
	// Only the profile's fields were taken: the home e-mail and the birthday stay on the phone.
	if created.DisplayName != "Karel Nový" || created.JobTitle != "Ředitel" || len(created.Emails) != 1 ||
		created.Emails[0].Label != "work" || len(created.Phones) != 1 || created.Phones[0].Value != "+420602000111" || created.Birthday != nil {
		t.Fatalf("created %+v", created)
	}

	// Replace: read the ETag, edit what the profile shows; what it hides survives.
	get := e.do("jana", "GET", e.object("jana", "partners", e.jana.ID), nil, "")
	etag := get.header.Get("ETag")
	edited := strings.Replace(get.body, "TITLE:Nákupčí", "TITLE:Vedoucí nákupu", 1)
	edited = strings.Replace(edited, "jana@firma.cz", "jana.novakova@firma.cz", 1)
	for _, tc := range []struct {
		name   string
		header map[string]string
		body   string
		want   int
	}{
		{"stale If-Match", map[string]string{"If-Match": `"1-00000000"`}, edited, http.StatusPreconditionFailed},
		{"weak If-Match", map[string]string{"If-Match": "W/" + etag}, edited, http.StatusPreconditionFailed},
		{"If-None-Match * on an existing contact", map[string]string{"If-None-Match": "*"}, edited, http.StatusPreconditionFailed},
		{"If-Match", map[string]string{"If-Match": etag}, edited, http.StatusNoContent},
		{"same If-Match again", map[string]string{"If-Match": etag}, edited, http.StatusPreconditionFailed},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if r := e.do("jana", "PUT", e.object("jana", "partners", e.jana.ID), with(tc.header), tc.body); r.status != tc.want {
				t.Fatalf("%d %s, want %d", r.status, r.body, tc.want)
			}
		})
	}
	after, err := e.st.GetContact(ctx, e.admin, e.jana.ID)
	must(t, err)
	if after.JobTitle != "Vedoucí nákupu" || after.Emails[0].Value != "jana@doma.cz" || after.Emails[1].Value != "jana.novakova@firma.cz" {
		t.Errorf("after PUT: title %q, emails %+v", after.JobTitle, after.Emails)
	}
	if after.Birthday == nil || len(after.Phones) != 2 || len(after.Addresses) != 1 || len(after.Websites) != 1 || !slices.Equal(after.Tags, []string{"vip"}) {
		t.Errorf("a device's PUT wiped fields outside the profile: %+v", after)
	}
	if !after.Emails[1].Preferred {
		t.Errorf("PREF lost: %+v", after.Emails)
	}

	// If-Match on a contact that does not exist.
	if r := e.do("jana", "PUT", e.object("jana", "partners", "0b8f3c0e-2b7a-4d39-9d1c-4f2e7a1b9c02"), with(map[string]string{"If-Match": etag}),
		fmt.Sprintf(vcardNew, "x")); r.status != http.StatusPreconditionFailed {
		t.Errorf("If-Match on a missing contact: %d", r.status)
	}

	// Refusals: nothing is stored.
	count := func() int {
		n, err := e.st.CountContacts(ctx, e.admin, store.ContactFilter{})
		must(t, err)
		return n
	}
	before := count()
	big := "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Velký\r\nNOTE:" + strings.Repeat("x", 600<<10) + "\r\nEND:VCARD\r\n"
	for _, tc := range []struct {
		name, login, path, body string
		header                  map[string]string
		want                    int
		reason                  string
	}{
		{"read-only grant", "jana", e.object("jana", "suppliers", "1b8f3c0e-2b7a-4d39-9d1c-4f2e7a1b9c03"), fmt.Sprintf(vcardNew, "a"), vc, http.StatusForbidden, "read-only"},
		{"viewer with read-write grant", "petr", e.object("petr", "partners", "1b8f3c0e-2b7a-4d39-9d1c-4f2e7a1b9c04"), fmt.Sprintf(vcardNew, "a"), vc, http.StatusForbidden, ""},
		{"not a vCard", "jana", e.object("jana", "partners", "new1"), "hello", vc, http.StatusBadRequest, "vCard"},
		{"vCard 2.1", "jana", e.object("jana", "partners", "new2"), "BEGIN:VCARD\r\nVERSION:2.1\r\nFN:Stará\r\nN:Stará;;;;\r\nEND:VCARD\r\n", vc, http.StatusBadRequest, "VERSION"},
		{"no name", "jana", e.object("jana", "partners", "new3"), "BEGIN:VCARD\r\nVERSION:4.0\r\nEMAIL;TYPE=work:a@b.cz\r\nEND:VCARD\r\n", vc, http.StatusBadRequest, "name"},
		{"bad e-mail", "jana", e.object("jana", "partners", "new4"), "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:A B\r\nN:B;A;;;\r\nEMAIL;TYPE=work:nope\r\nEND:VCARD\r\n", vc, http.StatusBadRequest, "email"},
		{"bad phone", "jana", e.object("jana", "partners", "new5"), "BEGIN:VCARD\r\nVERSION:4.0\r\nFN:A B\r\nN:B;A;;;\r\nTEL;TYPE=work:12\r\nEND:VCARD\r\n", vc, http.StatusBadRequest, "phone"},
		{"too large", "jana", e.object("jana", "partners", "new6"), big, vc, http.StatusRequestEntityTooLarge, ""},
		{"not text/vcard", "jana", e.object("jana", "partners", "new7"), fmt.Sprintf(vcardNew, "b"), map[string]string{"Content-Type": "application/json"}, http.StatusBadRequest, ""},
		{"invisible book", "jana", e.object("jana", "secret", "new8"), fmt.Sprintf(vcardNew, "c"), vc, http.StatusNotFound, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.do(tc.login, "PUT", tc.path, tc.header, tc.body)
			if r.status != tc.want || !strings.Contains(r.body, tc.reason) {
				t.Fatalf("%d %q, want %d with %q", r.status, r.body, tc.want, tc.reason)
			}
		})
	}
	if n := count(); n != before {
		t.Fatalf("refused PUTs stored %d contacts", n-before)
	}

	// A non-UUID name gets a server id, told in Location.
	r = e.do("jana", "PUT", e.object("jana", "partners", "karel-2"), vc, fmt.Sprintf(vcardNew, "karel-2"))
	if r.status != http.StatusCreated || !strings.HasSuffix(r.header.Get("Location"), ".vcf") || strings.Contains(r.header.Get("Location"), "karel-2") {
		t.Fatalf("create at a name: %d %v", r.status, r.header)
	}

	// DELETE honours If-Match and the grant.
	objPath := e.object("jana", "partners", newID)
	if r := e.do("jana", "DELETE", objPath, map[string]string{"If-Match": `"9-x"`}, ""); r.status != http.StatusPreconditionFailed {
		t.Fatalf("DELETE stale If-Match: %d", r.status)
	}
	if r := e.do("petr", "DELETE", e.object("petr", "partners", newID), nil, ""); r.status != http.StatusForbidden {
		t.Fatalf("DELETE as viewer: %d", r.status)
	}
	etag = e.do("jana", "GET", objPath, nil, "").header.Get("ETag")
	if r := e.do("jana", "DELETE", objPath, map[string]string{"If-Match": etag}, ""); r.status != http.StatusNoContent {
		t.Fatalf("DELETE: %d %s", r.status, r.body)
	}
	if _, err := e.st.GetContact(ctx, e.admin, newID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("deleted contact: %v", err)
	}
}

// syncReport is a sync-collection REPORT body.
func syncReport(token string, limit int) string {
	l := ""
	if limit > 0 {
		l = fmt.Sprintf("<D:limit><D:nresults>%d</D:nresults></D:limit>", limit)
	}
	return `<?xml version="1.0" encoding="utf-8"?><D:sync-collection xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav">` +
		`<D:sync-token>` + token + `</D:sync-token><D:sync-level>1</D:sync-level>` + l +
		`<D:prop><D:getetag/><C:address-data/></D:prop></D:sync-collection>`
}

// TestSyncCollection: RFC 6578 initial and incremental syncs, removals as 404, truncation,
// invalid tokens, and go-webdav's client on the same reports.
func TestSyncCollection(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	coll := e.collection("jana", "partners")
	xmlH := map[string]string{"Content-Type": "application/xml"}
	others := make([]model.Contact, 4)
	for i := range others {
		others[i] = e.contact("partners", model.Contact{Kind: model.KindPerson, GivenName: "Osoba", FamilyName: strconv.Itoa(i)})
	}
	hrefs := func(ms msDoc) (changed, removed []string) {
		for _, r := range ms.Responses {
			switch {
			case strings.Contains(r.Status, " 404 "):
				removed = append(removed, r.Href)
			case r.Status == "" || strings.Contains(r.Status, " 200 "):
				changed = append(changed, r.Href)
			}
		}
		return
	}

	// initial: everything
	ms := parseMS(t, e.do("jana", "REPORT", coll, xmlH, syncReport("", 0)))
	if changed, removed := hrefs(ms); len(changed) != 5 || len(removed) != 0 || !strings.HasPrefix(ms.SyncToken, "kontakt:") {
		t.Fatalf("initial: %v %v %q", changed, removed, ms.SyncToken)
	}
	if etag, data := ms.Responses[0].ok200(); etag == "" || !strings.Contains(data, "BEGIN:VCARD") {
		t.Fatalf("initial entry without data: %+v", ms.Responses[0])
	}
	token := ms.SyncToken

	// nothing changed: nothing reported, the same token
	ms = parseMS(t, e.do("jana", "REPORT", coll, xmlH, syncReport(token, 0)))
	if len(ms.Responses) != 0 || ms.SyncToken != token {
		t.Fatalf("no change: %+v", ms)
	}

	// a server edit, a delete, a move out, and a new contact
	title := "Ředitelka"
	_, err := e.st.UpdateContact(ctx, e.admin, e.jana.ID, model.ContactPatch{JobTitle: &title}, 0)
	must(t, err)
	must(t, e.st.DeleteContact(ctx, e.admin, others[0].ID))
	to := e.books["internal"].ID
	_, err = e.st.UpdateContact(ctx, e.admin, others[1].ID, model.ContactPatch{BookID: &to}, 0)
	must(t, err)
	added := e.contact("partners", model.Contact{Kind: model.KindPerson, FamilyName: "Nová"})
	ms = parseMS(t, e.do("jana", "REPORT", coll, xmlH, syncReport(token, 0)))
	changed, removed := hrefs(ms)
	slices.Sort(changed)
	slices.Sort(removed)
	wantChanged := []string{e.object("jana", "partners", e.jana.ID), e.object("jana", "partners", added.ID)}
	wantRemoved := []string{e.object("jana", "partners", others[0].ID), e.object("jana", "partners", others[1].ID)}
	slices.Sort(wantChanged)
	slices.Sort(wantRemoved)
	if !slices.Equal(changed, wantChanged) || !slices.Equal(removed, wantRemoved) {
		t.Fatalf("incremental: changed %v removed %v", changed, removed)
	}
	for _, r := range ms.Responses {
		if _, data := r.ok200(); strings.Contains(r.Href, e.jana.ID) && !strings.Contains(data, "Ředitelka") {
			t.Errorf("edited contact's data: %q", data)
		}
	}
	token = ms.SyncToken

	// limit: truncated with 507 for the collection, then continued (§3.6)
	for i := range 3 {
		e.contact("partners", model.Contact{Kind: model.KindPerson, GivenName: "Dávka", FamilyName: strconv.Itoa(i)})
	}
	var got []string
	tok := token
	for round := 0; ; round++ {
		if round > 5 {
			t.Fatal("truncation never ended")
		}
		ms := parseMS(t, e.do("jana", "REPORT", coll, xmlH, syncReport(tok, 2)))
		truncated := false
		for _, r := range ms.Responses {
			if strings.Contains(r.Status, " 507 ") {
				truncated = true
				if r.Href != coll || r.Error == nil || !strings.Contains(r.Error.Inner, "number-of-matches-within-limits") {
					t.Errorf("507 entry %+v", r)
				}
				continue
			}
			got = append(got, r.Href)
		}
		tok = ms.SyncToken
		if !truncated {
			break
		}
		if len(ms.Responses) != 3 {
			t.Fatalf("truncated answer with %d entries, want 2 + the 507", len(ms.Responses))
		}
	}
	if len(got) != 3 {
		t.Fatalf("paged incremental sync gave %v", got)
	}
	// a paged initial sync
	got = nil
	tok = ""
	for round := 0; round < 10; round++ {
		ms := parseMS(t, e.do("jana", "REPORT", coll, xmlH, syncReport(tok, 3)))
		truncated := false
		for _, r := range ms.Responses {
			if strings.Contains(r.Status, " 507 ") {
				truncated = true
			} else {
				got = append(got, r.Href)
			}
		}
		tok = ms.SyncToken
		if !truncated {
			break
		}
	}
	if len(got) != 7 || len(slices.Compact(slices.Sorted(slices.Values(got)))) != 7 {
		t.Fatalf("paged initial sync gave %d entries: %v", len(got), got)
	}
	if ms := parseMS(t, e.do("jana", "REPORT", coll, xmlH, syncReport(tok, 0))); len(ms.Responses) != 0 {
		t.Fatalf("after a paged initial sync: %+v", ms.Responses)
	}

	// invalid tokens: 403 with DAV:valid-sync-token
	for _, bad := range []string{"nonsense", "kontakt:" + e.books["suppliers"].ID + ":1", "kontakt:" + e.books["partners"].ID + ":99999999",
		"kontakt:" + e.books["partners"].ID + ":-1", "kontakt:" + e.books["partners"].ID + ":1:x"} {
		r := e.do("jana", "REPORT", coll, xmlH, syncReport(bad, 0))
		if r.status != http.StatusForbidden || !strings.Contains(r.body, "valid-sync-token") {
			t.Errorf("token %q: %d %s", bad, r.status, r.body)
		}
	}
	// sync-level infinite, bad limits, another user's collection
	if r := e.do("jana", "REPORT", coll, xmlH, strings.Replace(syncReport("", 0), ">1<", ">infinite<", 1)); r.status != http.StatusForbidden {
		t.Errorf("sync-level infinite: %d", r.status)
	}
	if r := e.do("jana", "REPORT", coll, xmlH, strings.Replace(syncReport("", 1), ">1</D:nresults", ">0</D:nresults", 1)); r.status != http.StatusBadRequest {
		t.Errorf("nresults 0: %d", r.status)
	}
	if r := e.do("jana", "REPORT", e.collection("jana", "secret"), xmlH, syncReport("", 0)); r.status != http.StatusNotFound {
		t.Errorf("sync of an invisible book: %d", r.status)
	}

	// go-webdav's client: initial, then a removal as Deleted
	c := e.client("jana")
	res, err := c.SyncCollection(ctx, coll, &gocarddav.SyncQuery{})
	must(t, err)
	if len(res.Updated) != 7 {
		t.Fatalf("client initial sync: %d updated", len(res.Updated))
	}
	must(t, e.st.DeleteContact(ctx, e.admin, added.ID))
	res, err = c.SyncCollection(ctx, coll, &gocarddav.SyncQuery{SyncToken: res.SyncToken})
	must(t, err)
	if len(res.Updated) != 0 || len(res.Deleted) != 1 || res.Deleted[0] != e.object("jana", "partners", added.ID) {
		t.Fatalf("client incremental: %+v", res)
	}

	// losing sight of the book removes the collection: 404, not an empty sync
	grants, err := e.st.ListGrants(ctx, e.admin, e.books["partners"].ID)
	must(t, err)
	for _, g := range grants {
		if g.UserID != nil && *g.UserID == e.users["jana"].ID {
			must(t, e.st.DeleteGrant(ctx, e.admin, g.BookID, g.ID))
		}
	}
	// The device still holds the book's contacts: the next sync removes every one of them
	// (404 entries), and after that the collection is gone.
	held, err := e.st.DeviceHoldings(ctx, store.Actor{UserID: e.users["jana"].ID}, e.devIDs["jana"])
	must(t, err)
	home := parseMS(t, e.do("jana", "PROPFIND", "/dav/addressbooks/jana/", map[string]string{"Depth": "1"}, ""))
	listed := false
	for _, r := range home.Responses {
		listed = listed || r.Href == coll
	}
	if !listed {
		t.Errorf("a book the device still holds contacts of is not listed: %+v", home.Responses)
	}
	ms = parseMS(t, e.do("jana", "REPORT", coll, xmlH, syncReport(token, 0)))
	_, removed = hrefs(ms)
	if len(held) == 0 || len(removed) != len(held) || len(ms.Responses) != len(held) {
		t.Fatalf("sync after the book grant went: %d removed of %d held: %+v", len(removed), len(held), ms.Responses)
	}
	for _, r := range ms.Responses {
		if _, data := r.ok200(); data != "" {
			t.Fatalf("a removed book still gives data: %s", data)
		}
	}
	if r := e.do("jana", "REPORT", coll, xmlH, syncReport(ms.SyncToken, 0)); r.status != http.StatusNotFound {
		t.Fatalf("second sync after the book grant went: %d", r.status)
	}
	if r := e.do("jana", "GET", e.object("jana", "partners", e.jana.ID), nil, ""); r.status != http.StatusNotFound {
		t.Fatalf("GET after the book grant went: %d", r.status)
	}
}

// TestCollectionProperties: getctag, sync-token and current-user-privilege-set, which
// go-webdav lacks, sit beside its own properties in one PROPFIND answer.
func TestCollectionProperties(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	body := `<?xml version="1.0"?><D:propfind xmlns:D="DAV:" xmlns:CS="http://calendarserver.org/ns/" xmlns:C="urn:ietf:params:xml:ns:carddav">
		<D:prop><D:displayname/><D:resourcetype/><CS:getctag/><D:sync-token/><D:current-user-privilege-set/><D:supported-report-set/><D:getetag/></D:prop></D:propfind>`
	props := func(login, book string) msResponse {
		ms := parseMS(t, e.do(login, "PROPFIND", e.collection(login, book), map[string]string{"Depth": "0", "Content-Type": "application/xml"}, body))
		if len(ms.Responses) != 1 {
			t.Fatalf("responses %+v", ms.Responses)
		}
		return ms.Responses[0]
	}
	privileges := func(r msResponse) (out []string) {
		for _, ps := range r.Propstats {
			if ps.Prop.Privileges != nil {
				for _, p := range ps.Prop.Privileges.Privileges {
					out = append(out, p.Inner)
				}
			}
		}
		return out
	}
	first := props("jana", "partners")
	var ctag, token string
	for _, ps := range first.Propstats {
		if strings.Contains(ps.Status, " 200 ") {
			ctag, token = ps.Prop.CTag, ps.Prop.SyncToken
			if !strings.Contains(ps.Prop.Inner, "Partneři") || !strings.Contains(ps.Prop.Inner, "addressbook") || !strings.Contains(ps.Prop.Inner, "sync-collection") {
				t.Errorf("go-webdav's or the layer's properties missing: %s", ps.Prop.Inner)
			}
		} else if !strings.Contains(ps.Status, " 404 ") || !strings.Contains(ps.Prop.Inner, "getetag") {
			t.Errorf("unexpected propstat %+v", ps)
		}
	}
	if ctag == "" || token != "kontakt:"+e.books["partners"].ID+":"+ctag {
		t.Fatalf("ctag %q, sync-token %q", ctag, token)
	}
	if p := strings.Join(privileges(first), ""); !strings.Contains(p, "read") || !strings.Contains(p, "write-content") || !strings.Contains(p, "bind") {
		t.Errorf("read-write privileges %v", privileges(first))
	}
	if p := strings.Join(privileges(props("jana", "suppliers")), ""); !strings.Contains(p, "read") || strings.Contains(p, "write") || strings.Contains(p, "bind") {
		t.Errorf("read-only grant shows %v", p)
	}
	if p := strings.Join(privileges(props("petr", "partners")), ""); strings.Contains(p, "write") {
		t.Errorf("a viewer's read-write grant shows %v", p)
	}

	// an edit moves the ctag
	title := "Nová role"
	_, err := e.st.UpdateContact(ctx, e.admin, e.jana.ID, model.ContactPatch{JobTitle: &title}, 0)
	must(t, err)
	var ctag2 string
	for _, ps := range props("jana", "partners").Propstats {
		if ps.Prop.CTag != "" {
			ctag2 = ps.Prop.CTag
		}
	}
	if ctag2 == ctag || ctag2 == "" {
		t.Fatalf("ctag %q after an edit, was %q", ctag2, ctag)
	}

	// the home set with Depth 1: the layer's properties on each collection, 404 on the home
	ms := parseMS(t, e.do("jana", "PROPFIND", "/dav/addressbooks/jana/", map[string]string{"Depth": "1", "Content-Type": "application/xml"}, body))
	withCTag := 0
	for _, r := range ms.Responses {
		for _, ps := range r.Propstats {
			if ps.Prop.CTag != "" {
				withCTag++
			}
		}
	}
	if len(ms.Responses) != 3 || withCTag != 2 {
		t.Fatalf("home set Depth 1: %d responses, %d with a ctag", len(ms.Responses), withCTag)
	}

	// Depth 1 listing: ETags of every contact, no vCards
	list := `<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop><D:getetag/><D:getcontenttype/><D:resourcetype/></D:prop></D:propfind>`
	ms = parseMS(t, e.do("jana", "PROPFIND", e.collection("jana", "partners"), map[string]string{"Depth": "1", "Content-Type": "application/xml"}, list))
	if len(ms.Responses) != 2 {
		t.Fatalf("Depth 1: %+v", ms.Responses)
	}
	if etag, _ := ms.Responses[1].ok200(); !strings.HasPrefix(etag, `"2-`) {
		t.Errorf("listed ETag %q", etag)
	}
}
