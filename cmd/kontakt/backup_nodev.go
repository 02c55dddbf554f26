//go:build nodev

package main

import (
	"context"
	"errors"
	"log/slog"
)

// postgresBinDir is empty in a production build: pg_restore comes from PATH or -pg-bin.
func postgresBinDir() string { return "" }

// scratchServer is the stub of a production build, which has no private cluster.
func scratchServer(context.Context, *slog.Logger) (string, func(), error) {
	return "", nil, errors.New("backup: this kontakt was built without the dev stack (-tags nodev): name a PostgreSQL server to restore on with -server")
}
