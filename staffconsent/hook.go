package staffconsent

import (
	"bytes"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"os/exec"
	"time"
)

// The optional virus-scan hook (KONTAKT_SCAN_HOOK): a command, run without a shell, that
// reads one uploaded scan on its stdin and exits 0 to accept it; any other exit rejects
// the scan (422) and nothing is stored. A hook that cannot run or overruns its timeout
// makes the upload fail with 503, also storing nothing.

// DefaultHookTimeout bounds one hook run when Hook.Timeout is not set.
const DefaultHookTimeout = time.Minute

// ErrRejected: the hook exited non-zero.
var ErrRejected = &Error{http.StatusUnprocessableEntity, "rejected by virus scan", "scan"}

// ErrUnavailable: the hook could not run or did not finish in time.
var ErrUnavailable = &Error{http.StatusServiceUnavailable, "virus scan unavailable; try again later", ""}

// Hook is the virus-scan command and its arguments (none: every scan passes).
type Hook struct {
	Command []string
	Timeout time.Duration
	Log     *slog.Logger
}

// Check runs the hook on data, if one is configured: nil when it accepts the scan,
// ErrRejected or ErrUnavailable otherwise. The log names the contact, never the person.
func (h Hook) Check(ctx context.Context, contactID string, data []byte) error {
	if len(h.Command) == 0 {
		return nil
	}
	log := h.Log
	if log == nil {
		log = slog.Default()
	}
	timeout := h.Timeout
	if timeout <= 0 {
		timeout = DefaultHookTimeout
	}
	rctx := ctx
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, h.Command[0], h.Command[1:]...)
	cmd.Stdin = bytes.NewReader(data)
	var out limitedBuffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.WaitDelay = time.Second
	err := cmd.Run()
	var exit *exec.ExitError
	switch {
	case err == nil:
		return nil
	case ctx.Err() != nil:
		log.ErrorContext(rctx, "virus-scan hook timed out", "timeout", timeout, "contact_id", contactID)
		return ErrUnavailable
	case errors.As(err, &exit):
		// The hook's output names the finding, not the person; the file has no name here.
		log.WarnContext(rctx, "scan rejected by the virus-scan hook", "contact_id", contactID,
			"exit_code", exit.ExitCode(), "output", out.String())
		return ErrRejected
	default:
		log.ErrorContext(rctx, "virus-scan hook failed to run", "err", err)
		return ErrUnavailable
	}
}

// limitedBuffer keeps the first 1 KiB written to it and discards the rest.
type limitedBuffer struct{ bytes.Buffer }

func (b *limitedBuffer) Write(p []byte) (int, error) {
	if room := 1024 - b.Len(); room > 0 {
		b.Buffer.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}
