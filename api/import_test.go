package api_test

import (
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"testing"

	"github.com/kontakt/kontakt/store"
	"github.com/kontakt/kontakt/store/storetest"
)

func fixtureFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("../contactfile/testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// An import through the API: who may, dry run first (the default), the real run, and the
// same file again creating nothing.
func TestImportAPI(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	m, err := storetest.SeedMatrix(ctx, e.st, "")
	if err != nil {
		t.Fatal(err)
	}
	ios := fixtureFile(t, "ios.vcf")
	path := "/api/books/" + m.Books["B1"].ID + "/imports"
	for login, want := range map[string]int{"alena": http.StatusForbidden, "emil": http.StatusNotFound, "dana": http.StatusNotFound} {
		if r := e.tokenFor(m.Users[login].ID).do("POST", path, ios, "Content-Type", "text/vcard"); r.status != want {
			t.Errorf("%s imports into B1: %d %s, want %d", login, r.status, r.body, want)
		}
	}
	bohdan := e.tokenFor(m.Users["bohdan"].ID)
	count := func() int {
		n, err := e.st.CountContacts(ctx, m.Actor("bohdan"), store.ContactFilter{BookID: m.Books["B1"].ID})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	before := count()
	var rep store.ImportReport
	r := bohdan.do("POST", path, ios, "Content-Type", "text/vcard")
	r.json(t, &rep)
	if r.status != http.StatusOK || !rep.DryRun || rep.Applied || rep.Created != 3 || count() != before {
		t.Fatalf("dry run: %d %s", r.status, r.body)
	}
	r = bohdan.do("POST", path+"?dry_run=false", ios, "Content-Type", "text/vcard")
	r.json(t, &rep)
	if r.status != http.StatusCreated || !rep.Applied || rep.Created != 3 || count() != before+3 {
		t.Fatalf("import: %d %s", r.status, r.body)
	}
	r = bohdan.do("POST", path+"?dry_run=false", ios, "Content-Type", "text/vcard")
	r.json(t, &rep)
	if r.status != http.StatusOK || rep.Created != 0 || rep.Skipped != 3 || count() != before+3 {
		t.Fatalf("second import: %d %s", r.status, r.body)
	}
	if r := bohdan.do("POST", path+"?dry_run=maybe", ios, "Content-Type", "text/vcard"); r.status != http.StatusBadRequest {
		t.Errorf("bad dry_run: %d", r.status)
	}
}

// A Windows-1250 CSV as a multipart upload: all-or-nothing refuses it whole (422, the
// report says why), per row imports the good rows.
func TestImportAPICSVMultipart(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	m, err := storetest.SeedMatrix(ctx, e.st, "")
	if err != nil {
		t.Fatal(err)
	}
	upload := func(fields map[string]string) (io.Reader, string) {
		var buf bytes.Buffer
		mw := multipart.NewWriter(&buf)
		fw, _ := mw.CreateFormFile("file", "kontakty.csv")
		fw.Write(fixtureFile(t, "kontakty-1250.csv")) //nolint:errcheck
		for k, v := range fields {
			mw.WriteField(k, v) //nolint:errcheck
		}
		mw.Close()
		return &buf, mw.FormDataContentType()
	}
	cyril := e.tokenFor(m.Users["cyril"].ID)
	path := "/api/books/" + m.Books["B3"].ID + "/imports"
	body, ct := upload(map[string]string{"dry_run": "false", "all_or_nothing": "true"})
	b, _ := io.ReadAll(body)
	r := cyril.do("POST", path, b, "Content-Type", ct)
	var refused struct {
		Error  string             `json:"error"`
		Report store.ImportReport `json:"report"`
	}
	r.json(t, &refused)
	if r.status != http.StatusUnprocessableEntity || refused.Report.Errors != 3 || refused.Report.Applied {
		t.Fatalf("all or nothing: %d %s", r.status, r.body)
	}
	body, ct = upload(map[string]string{"dry_run": "false"})
	b, _ = io.ReadAll(body)
	r = cyril.do("POST", path, b, "Content-Type", ct)
	var rep store.ImportReport
	r.json(t, &rep)
	if r.status != http.StatusCreated || rep.Created != 4 || rep.Errors != 3 || rep.Rows[0].Name != "Jiří Dvořáček" {
		t.Fatalf("per row: %d %s", r.status, r.body)
	}
}
