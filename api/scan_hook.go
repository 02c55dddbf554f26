package api

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"os/exec"
	"time"
)

// The optional virus-scan hook (KONTAKT_SCAN_HOOK): a command, run without a shell, that
// reads one uploaded scan on its stdin and exits 0 to accept it; any other exit rejects
// the scan (422) and nothing is stored. A hook that cannot run or overruns its timeout
// makes the upload fail with 503, also storing nothing.

// defaultScanHookTimeout bounds one hook run when Options.ScanHookTimeout is not set.
const defaultScanHookTimeout = time.Minute

// errScanRejected: the hook exited non-zero.
var errScanRejected = &decodeError{http.StatusUnprocessableEntity, "rejected by virus scan", "scan"}

// errScanUnavailable: the hook could not run or did not finish in time.
var errScanUnavailable = &decodeError{http.StatusServiceUnavailable, "virus scan unavailable; try again later", ""}

// virusScan runs the hook on data, if one is configured.
func (h *handler) virusScan(r *http.Request, contactID string, data []byte) error {
	if len(h.opt.ScanHook) == 0 {
		return nil
	}
	timeout := h.opt.ScanHookTimeout
	if timeout <= 0 {
		timeout = defaultScanHookTimeout
	}
	ctx, cancel := context.WithTimeout(r.Context(), timeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, h.opt.ScanHook[0], h.opt.ScanHook[1:]...)
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
		h.log.ErrorContext(r.Context(), "virus-scan hook timed out", "timeout", timeout, "contact_id", contactID)
		return errScanUnavailable
	case errors.As(err, &exit):
		// The hook's output names the finding, not the person; the file has no name here.
		h.log.WarnContext(r.Context(), "scan rejected by the virus-scan hook", "contact_id", contactID,
			"exit_code", exit.ExitCode(), "output", out.String())
		return errScanRejected
	default:
		h.log.ErrorContext(r.Context(), "virus-scan hook failed to run", "err", err)
		return errScanUnavailable
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
