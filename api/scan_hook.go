package api

import "github.com/kontakt/kontakt/staffconsent"

// scanHook is the optional virus-scan hook (KONTAKT_SCAN_HOOK) of Options: a command, run
// without a shell, that reads one uploaded scan on its stdin and exits 0 to accept it; any
// other exit rejects the scan (422), and a hook that cannot run or overruns its timeout
// fails the upload with 503; either way nothing is stored (staffconsent.Hook).
func (h *handler) scanHook() staffconsent.Hook {
	return staffconsent.Hook{Command: h.opt.ScanHook, Timeout: h.opt.ScanHookTimeout, Log: h.log}
}
