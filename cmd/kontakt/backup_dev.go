//go:build !nodev

package main

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"

	"github.com/kontakt/kontakt/devstack"
)

// postgresBinDir is the directory of the installed PostgreSQL server's binaries, where
// pg_restore of the same version lives; empty when there is none.
func postgresBinDir() string {
	dir, err := devstack.FindPostgresBin()
	if err != nil {
		return ""
	}
	return dir
}

// scratchServer starts a private PostgreSQL cluster in a temporary directory for
// `kontakt backup verify` without -server, and returns its URL and a function that stops it
// and removes the directory.
func scratchServer(ctx context.Context, log *slog.Logger) (string, func(), error) {
	tmp, err := os.MkdirTemp("", "kontakt-verify-")
	if err != nil {
		return "", nil, fmt.Errorf("backup: %w", err)
	}
	// As root, the cluster runs as the postgres account, which must reach its directory.
	if err := os.Chmod(tmp, 0o755); err != nil {
		os.RemoveAll(tmp)
		return "", nil, fmt.Errorf("backup: %w", err)
	}
	pg, err := devstack.StartPostgres(ctx, devstack.PostgresOptions{Dir: filepath.Join(tmp, "pg"), Fast: true, Logger: log})
	if err != nil {
		os.RemoveAll(tmp)
		return "", nil, fmt.Errorf("backup: private cluster: %w", err)
	}
	return pg.URL("postgres"), func() {
		if err := pg.Stop(); err != nil {
			log.Warn("backup: stop private cluster", "err", err)
		}
		os.RemoveAll(tmp)
	}, nil
}
