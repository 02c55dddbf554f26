//go:build nodev

package main

import (
	"context"
	"errors"
	"io"
	"log/slog"

	"github.com/kontakt/kontakt/config"
)

// runDev is the stub of a production build (-tags nodev), which leaves out the embedded
// Temporal server and the rest of the dev stack (dev.go) to stay small.
func runDev(context.Context, config.Config, *slog.Logger, io.Writer) error {
	return errors.New("this kontakt was built without the dev stack (-tags nodev): run `kontakt serve` and `kontakt worker` against PostgreSQL and a Temporal cluster, or build without -tags nodev for `kontakt dev`")
}
