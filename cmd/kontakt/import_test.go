package main

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kontakt/kontakt/devstack/testdb"
	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
)

// kontakt import: a dry run writes nothing, the import shows its progress, and the same
// file twice creates no duplicates.
func TestImportCommand(t *testing.T) {
	url := testdb.New(t)
	t.Setenv("KONTAKT_DATABASE_URL", url)
	var out, errOut bytes.Buffer
	if err := run([]string{"migrate"}, strings.NewReader(""), &out, &errOut); err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	pool, err := pgxpool.New(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	st := store.New(pool, "CZ")
	admin, err := st.CreateUser(ctx, store.Actor{Channel: "system"}, model.User{Login: "admin", Name: "Admin", IsAdmin: true}, "")
	if err != nil {
		t.Fatal(err)
	}
	a := store.Actor{UserID: admin.ID, Channel: "api"}
	book, err := st.CreateBook(ctx, a, "Import", "")
	if err != nil {
		t.Fatal(err)
	}
	count := func() int {
		n, err := st.CountContacts(ctx, a, store.ContactFilter{BookID: book.ID})
		if err != nil {
			t.Fatal(err)
		}
		return n
	}
	file := "../../contactfile/testdata/thunderbird.vcf"
	if err := run([]string{"import", "--book", book.ID, "--dry-run", file}, strings.NewReader(""), &out, &errOut); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "dry run, nothing written: 3 created") || count() != 0 {
		t.Fatalf("dry run: %q, %d contacts", out.String(), count())
	}
	out.Reset()
	errOut.Reset()
	if err := run([]string{"import", "--book", book.ID, "--user", "admin", "--format", "vcard", file}, strings.NewReader(""), &out, &errOut); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "imported: 3 created") || !strings.Contains(errOut.String(), "100% 3/3") || count() != 3 {
		t.Fatalf("import: %q / %q, %d contacts", out.String(), errOut.String(), count())
	}
	out.Reset()
	if err := run([]string{"import", "-book", book.ID, file}, strings.NewReader(""), &out, &errOut); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "0 created, 0 merged, 3 skipped") || count() != 3 {
		t.Fatalf("second import: %q, %d contacts", out.String(), count())
	}
	if err := run([]string{"import", "-book", book.ID}, strings.NewReader(""), &out, &errOut); err == nil {
		t.Error("import without a file succeeded")
	}
}
