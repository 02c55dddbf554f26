package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kontakt/kontakt/contactfile"
	"github.com/kontakt/kontakt/migrations"
	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
)

// The import suite: a file of -import-cards generated vCards (3.0, as genCards makes them
// for the CardDAV suite, with a tenth of them repeating an earlier card's address so the
// file dedups within itself) imported into one book through contactfile and
// store.ImportContacts, as `kontakt import` does: parsing, the dry run, the import into an
// empty book, the same file again (every row matches and is skipped), and a file whose
// cards half match contacts already in the book (merged) on a book of that size. PostgreSQL
// runs with fsync on. Every figure comes from one run.

type importOptions struct {
	cards int
}

// importFigure is one row of the table.
type importFigure struct {
	step    string
	rows    int
	took    time.Duration
	created int
	merged  int
	skipped int
}

// importFile renders n generated cards as one vCard file; every tenth card reuses the
// address of the card before it (another spelling of the same person).
func importFile(n int, seed uint64, title string) []byte {
	cards := genCards(n, seed)
	var b strings.Builder
	for i, c := range cards {
		if i%10 == 9 {
			c.email = cards[i-1].email
		}
		b.WriteString(c.vcard(title))
	}
	return []byte(b.String())
}

func runImportSuite(ctx context.Context, o options) error {
	dir, cleanup, err := workDir(o)
	if err != nil {
		return err
	}
	defer cleanup()
	pg, stop, err := startCluster(ctx, dir, false, dbName)
	if err != nil {
		return err
	}
	defer stop()
	pool, err := pgxpool.New(ctx, pg.URL(dbName))
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	defer pool.Close()
	if _, err := migrations.Up(ctx, pool); err != nil {
		return err
	}
	e, err := describe(ctx, pool, true)
	if err != nil {
		return err
	}
	env := fmt.Sprintf("%d × %s, PostgreSQL %s (private cluster, fsync on).", e.nproc, e.cpu, e.pgVersion)
	st := store.New(pool, "CZ")
	u, err := st.CreateUser(ctx, store.Actor{Channel: "system"}, model.User{Login: "bench", Name: "Bench", IsAdmin: true}, "")
	if err != nil {
		return err
	}
	a := store.Actor{UserID: u.ID, Channel: "system"}
	book, err := st.CreateBook(ctx, a, "Import", "")
	if err != nil {
		return err
	}
	n := o.imports.cards
	file := importFile(n, o.seed, "Obchodník")
	var figs []importFigure
	t0 := time.Now()
	parsed := contactfile.ParseVCards(file)
	figs = append(figs, importFigure{step: "parse the vCard file (contactfile)", rows: len(parsed), took: time.Since(t0)})
	rows := make([]store.ImportRow, len(parsed))
	for i, r := range parsed {
		rows[i] = store.ImportRow{Line: r.Line, Contact: r.Contact, Err: r.Err}
	}
	step := func(name string, bookID string, rows []store.ImportRow, dry bool) error {
		logf("import: %s", name)
		t := time.Now()
		rep, err := st.ImportContacts(ctx, a, bookID, rows, store.ImportOptions{DryRun: dry, Format: "vcard"})
		if err != nil {
			return fmt.Errorf("%s: %w", name, err)
		}
		if rep.Errors > 0 {
			return fmt.Errorf("%s: %d bad rows, e.g. line %d: %s", name, rep.Errors, rep.Rows[0].Line, rep.Rows[0].Reason)
		}
		figs = append(figs, importFigure{step: name, rows: len(rows), took: time.Since(t), created: rep.Created, merged: rep.Merged, skipped: rep.Skipped})
		return nil
	}
	if err := step("dry run into an empty book", book.ID, rows, true); err != nil {
		return err
	}
	if err := step("import into an empty book", book.ID, rows, false); err != nil {
		return err
	}
	if err := step("the same file again (all match, nothing new)", book.ID, rows, false); err != nil {
		return err
	}
	// Half the cards of a second file are the first file's people with a new mobile number:
	// they merge; the other half are new.
	again := contactfile.ParseVCards(importFile(n/2, o.seed, "Ředitel"))
	fresh := contactfile.ParseVCards(importFile(n/2, o.seed+1, "Ředitel"))
	var mixed []store.ImportRow
	for i, r := range append(again, fresh...) {
		c := r.Contact
		if i < len(again) {
			c.Phones = append(c.Phones, model.Phone{Value: fmt.Sprintf("+420 7%08d", i), Label: "mobile"})
		} else {
			// Distinct addresses from the first file's.
			for j := range c.Emails {
				c.Emails[j].Value = "n" + c.Emails[j].Value
			}
		}
		mixed = append(mixed, store.ImportRow{Line: r.Line, Contact: c, Err: r.Err})
	}
	book2, err := st.CreateBook(ctx, a, "Import 2", "")
	if err != nil {
		return err
	}
	if err := step("import into an empty second book", book2.ID, rows, false); err != nil {
		return err
	}
	if err := step("half-matching file on that full book (merge)", book2.ID, mixed, false); err != nil {
		return err
	}
	printImport(os.Stdout, env, n, figs)
	return nil
}

func printImport(w io.Writer, env string, n int, figs []importFigure) {
	fmt.Fprintf(w, "### Import of %d vCards, with dedup\n\n", n)
	fmt.Fprintf(w, "%s One run of `go run ./bench -suite import`; each step is one transaction.\n\n", env)
	fmt.Fprintln(w, "| step | rows | time | contacts/s | created | merged | skipped |")
	fmt.Fprintln(w, "|---|---:|---:|---:|---:|---:|---:|")
	for _, f := range figs {
		fmt.Fprintf(w, "| %s | %d | %.2f s | %.0f | %d | %d | %d |\n", f.step, f.rows, f.took.Seconds(),
			float64(f.rows)/f.took.Seconds(), f.created, f.merged, f.skipped)
	}
	fmt.Fprintln(w)
}
