package config

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func TestDefaults(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil {
		t.Fatal(err)
	}
	if c.HTTPAddr != "127.0.0.1:8080" || c.DataDir != "./.kontakt" || c.DatabaseURL != "" ||
		c.DefaultRegion != "CZ" || c.SessionTTL != 12*time.Hour || c.PublicURL != "http://127.0.0.1:8080" {
		t.Fatalf("unexpected defaults %+v", c)
	}
}

func TestSecretFile(t *testing.T) {
	f := filepath.Join(t.TempDir(), "db")
	if err := os.WriteFile(f, []byte("postgres://x@y/z\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err := Load(env(map[string]string{"KONTAKT_DATABASE_URL_FILE": f}))
	if err != nil || c.DatabaseURL != "postgres://x@y/z" {
		t.Fatalf("got %q, %v", c.DatabaseURL, err)
	}
	_, err = Load(env(map[string]string{"KONTAKT_DATABASE_URL_FILE": f, "KONTAKT_DATABASE_URL": "a"}))
	if err == nil {
		t.Fatal("both the variable and its _FILE were accepted")
	}
}

func TestInvalidReportsEveryVariable(t *testing.T) {
	_, err := Load(env(map[string]string{
		"KONTAKT_HTTP_ADDR":   "nope",
		"KONTAKT_SESSION_TTL": "forever",
		"KONTAKT_LOG_LEVEL":   "loud",
	}))
	if err == nil {
		t.Fatal("invalid config accepted")
	}
	for _, name := range []string{"KONTAKT_HTTP_ADDR", "KONTAKT_SESSION_TTL", "KONTAKT_LOG_LEVEL"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("error does not name %s: %v", name, err)
		}
	}
}

func TestScanSettings(t *testing.T) {
	c, err := Load(env(nil))
	if err != nil || c.ScanMaxBytes != 10<<20 || c.ScanHook != "" || c.ScanHookTimeout != time.Minute {
		t.Fatalf("scan defaults: %d %q %v, %v", c.ScanMaxBytes, c.ScanHook, c.ScanHookTimeout, err)
	}
	c, err = Load(env(map[string]string{"KONTAKT_SCAN_MAX_BYTES": "2097152", "KONTAKT_SCAN_HOOK": "clamdscan --no-summary -"}))
	if err != nil || c.ScanMaxBytes != 2<<20 || c.ScanHook != "clamdscan --no-summary -" {
		t.Fatalf("scan settings: %d %q, %v", c.ScanMaxBytes, c.ScanHook, err)
	}
	for _, bad := range []map[string]string{{"KONTAKT_SCAN_MAX_BYTES": "10"}, {"KONTAKT_SCAN_MAX_BYTES": "1000000000"},
		{"KONTAKT_SCAN_HOOK_TIMEOUT": "10ms"}} {
		if _, err := Load(env(bad)); err == nil {
			t.Errorf("accepted %v", bad)
		}
	}
}
