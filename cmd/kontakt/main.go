// Command kontakt is Kontakt's one binary. Its modes:
//
//	kontakt dev                 everything on embedded defaults: a private PostgreSQL, demo data, the API
//	kontakt serve               the HTTP API against KONTAKT_DATABASE_URL (refuses an outdated schema)
//	kontakt worker              the Temporal worker: workflows, activities, schedules
//	kontakt migrate             apply pending database migrations
//	kontakt admin create-user   create a user, e.g. the first admin
//	kontakt import              import a vCard or CSV file into an address book
//	kontakt backup verify       restore a pg_dump -Fc archive into a scratch database and check it
//	kontakt version             print the version
//
// Configuration comes from environment variables (see config.Load and the README).
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/signal"
	"syscall"

	"github.com/kontakt/kontakt/config"
	"github.com/kontakt/kontakt/httpmw"
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "dev"

const usage = `usage: kontakt <command> [flags]

commands:
  dev                  run everything on embedded defaults (private PostgreSQL, demo data)
  serve                serve the HTTP API (needs KONTAKT_DATABASE_URL; KONTAKT_TEMPORAL_ADDRESS)
  worker               run the Temporal worker (needs KONTAKT_DATABASE_URL, KONTAKT_TEMPORAL_ADDRESS, KONTAKT_SMTP_HOST)
  migrate              apply pending database migrations
  admin create-user    create a user (-login, -name, -email, -admin; password on stdin or generated)
  import               import a vCard or CSV file into a book (-book ID [-dry-run] [-user LOGIN] FILE)
  backup verify        restore a dump (pg_dump -Fc) into a scratch database, migrate and check it ([-server URL] FILE)
  version              print the version
`

func main() {
	if err := run(os.Args[1:], os.Stdin, os.Stdout, os.Stderr); err != nil {
		if !errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(os.Stderr, "kontakt:", err)
		}
		os.Exit(1)
	}
}

func run(args []string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return flag.ErrHelp
	}
	cfg, err := config.Load(os.Getenv)
	if err != nil {
		return err
	}
	log := newLogger(cfg, stderr)
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	switch args[0] {
	case "dev":
		return runDev(ctx, cfg, log, stdout)
	case "serve":
		return runServe(ctx, cfg, log)
	case "worker":
		return runWorker(ctx, cfg, log)
	case "migrate":
		return runMigrate(ctx, cfg, log)
	case "admin":
		return runAdmin(ctx, cfg, log, args[1:], stdin, stdout)
	case "import":
		return runImport(ctx, cfg, log, args[1:], stdout, stderr)
	case "backup":
		return runBackup(ctx, log, args[1:], stdout, stderr)
	case "version":
		fmt.Fprintln(stdout, version)
		return nil
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	}
	fmt.Fprint(stderr, usage)
	return fmt.Errorf("unknown command %q", args[0])
}

func newLogger(cfg config.Config, w io.Writer) *slog.Logger {
	opts := &slog.HandlerOptions{Level: cfg.LogLevel}
	// Records made with a request's context carry its request_id.
	if cfg.LogFormat == "json" {
		return slog.New(httpmw.LogHandler(slog.NewJSONHandler(w, opts)))
	}
	return slog.New(httpmw.LogHandler(slog.NewTextHandler(w, opts)))
}
