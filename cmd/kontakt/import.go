package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/kontakt/kontakt/config"
	"github.com/kontakt/kontakt/contactfile"
	"github.com/kontakt/kontakt/migrations"
	"github.com/kontakt/kontakt/store"
)

const importUsage = "usage: kontakt import -book ID [-format vcard|csv] [-dry-run] [-user LOGIN] [-on-match merge|skip|create] [-all-or-nothing] [-charset utf-8|windows-1250] [-mapping JSON] FILE"

// runImport imports a vCard or CSV file into a book as a user, as the API does, with a
// progress bar on stderr and the report's summary (and its bad rows) on stdout.
func runImport(ctx context.Context, cfg config.Config, log *slog.Logger, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("import", flag.ContinueOnError)
	fs.SetOutput(stderr)
	book := fs.String("book", "", "id of the address book to import into")
	format := fs.String("format", "", "vcard or csv (default: from the file name)")
	dryRun := fs.Bool("dry-run", false, "report what would happen, write nothing")
	login := fs.String("user", "admin", "login of the user the import acts as (must edit the book)")
	onMatch := fs.String("on-match", "merge", "what a row matching a contact does: merge, skip or create")
	allOrNothing := fs.Bool("all-or-nothing", false, "import nothing when any row is bad")
	charset := fs.String("charset", "", "CSV charset: utf-8 or windows-1250 (default: detected)")
	mapping := fs.String("mapping", "", `CSV column mapping as JSON, e.g. {"E-mail":"email"}`)
	// Flags may come after the file name too (kontakt import file.vcf -book ID).
	var files []string
	for rest := args; ; {
		if err := fs.Parse(rest); err != nil {
			return err
		}
		if fs.NArg() == 0 {
			break
		}
		files, rest = append(files, fs.Arg(0)), fs.Args()[1:]
	}
	if *book == "" || len(files) != 1 {
		return errors.New(importUsage)
	}
	data, err := os.ReadFile(files[0])
	if err != nil {
		return err
	}
	if *format == "" {
		*format = "csv"
		if strings.EqualFold(filepath.Ext(files[0]), ".vcf") || strings.HasPrefix(strings.ToUpper(strings.TrimSpace(string(data[:min(len(data), 32)]))), "BEGIN:VCARD") {
			*format = "vcard"
		}
	}
	var rows []contactfile.Row
	switch *format {
	case "vcard":
		rows = contactfile.ParseVCards(data)
	case "csv":
		var m map[string]string
		if *mapping != "" {
			if err := json.Unmarshal([]byte(*mapping), &m); err != nil {
				return fmt.Errorf("-mapping: %w", err)
			}
		}
		if rows, _, err = contactfile.ParseCSV(data, contactfile.CSVOptions{Charset: *charset, Mapping: m}); err != nil {
			return err
		}
	default:
		return errors.New("-format must be vcard or csv")
	}
	pool, err := openPool(ctx, cfg.DatabaseURL, cfg.DBMaxConns)
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := migrations.Check(ctx, pool); err != nil {
		return err
	}
	st := store.New(pool, cfg.DefaultRegion)
	u, _, err := st.UserLogin(ctx, *login)
	if err != nil {
		return fmt.Errorf("user %q: %w", *login, err)
	}
	in := make([]store.ImportRow, len(rows))
	for i, r := range rows {
		in[i] = store.ImportRow{Line: r.Line, Contact: r.Contact, Err: r.Err}
	}
	bar := progressBar{w: stderr}
	rep, err := st.ImportContacts(ctx, store.Actor{UserID: u.ID, Channel: "system"}, *book, in, store.ImportOptions{
		DryRun: *dryRun, AllOrNothing: *allOrNothing, OnMatch: *onMatch, Format: *format, Source: filepath.Base(files[0]),
		Progress: bar.set})
	bar.done()
	if err != nil {
		return err
	}
	log.Info("import", "book", *book, "rows", len(rows), "created", rep.Created, "merged", rep.Merged, "applied", rep.Applied)
	return printImportReport(stdout, rep)
}

// printImportReport writes the summary and the rows that were not plain creates.
func printImportReport(w io.Writer, rep store.ImportReport) error {
	state := "imported"
	switch {
	case rep.DryRun:
		state = "dry run, nothing written"
	case !rep.Applied:
		state = "refused (all or nothing), nothing written"
	}
	fmt.Fprintf(w, "%s: %d created, %d merged, %d skipped, %d errors\n", state, rep.Created, rep.Merged, rep.Skipped, rep.Errors)
	for _, r := range rep.Rows {
		if r.Action == store.ImportCreate {
			continue
		}
		reason := r.Reason
		if r.Field != "" {
			reason = r.Field + ": " + reason
		}
		if r.MatchedBy != "" {
			reason = strings.TrimSpace("matched by " + r.MatchedBy + "; " + reason)
		}
		fmt.Fprintf(w, "line %d\t%s\t%s\t%s\n", r.Line, r.Action, r.Name, strings.TrimSuffix(reason, "; "))
	}
	if !rep.DryRun && !rep.Applied {
		return errors.New("import refused")
	}
	return nil
}

// progressBar draws "[#####.....]  50%  500/1000" on one line of a terminal or log.
type progressBar struct {
	w    io.Writer
	last int
	drew bool
}

func (b *progressBar) set(done, total int) {
	if total == 0 {
		return
	}
	pct := done * 100 / total
	if b.drew && pct == b.last {
		return
	}
	b.last, b.drew = pct, true
	n := pct / 5
	fmt.Fprintf(b.w, "\r[%s%s] %3d%% %d/%d", strings.Repeat("#", n), strings.Repeat(".", 20-n), pct, done, total)
}

func (b *progressBar) done() {
	if b.drew {
		fmt.Fprintln(b.w)
	}
}
