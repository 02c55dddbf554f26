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

func TestOperations(t *testing.T) {
	c, err := Load(env(map[string]string{
		"KONTAKT_METRICS_ADDR":     ":9090",
		"KONTAKT_TRUSTED_PROXIES":  "10.0.0.0/8, 192.0.2.7 2001:db8::1",
		"KONTAKT_SHUTDOWN_DELAY":   "5s",
		"KONTAKT_SHUTDOWN_TIMEOUT": "30s",
	}))
	if err != nil {
		t.Fatal(err)
	}
	if c.MetricsAddr != ":9090" || c.ShutdownDelay != 5*time.Second || c.ShutdownTimeout != 30*time.Second || len(c.TrustedProxies) != 3 {
		t.Fatalf("got %+v", c)
	}
	if got := c.TrustedProxies[1].String(); got != "192.0.2.7/32" {
		t.Errorf("single address became %s", got)
	}
	if got := c.TrustedProxies[2].String(); got != "2001:db8::1/128" {
		t.Errorf("single IPv6 address became %s", got)
	}
	d, err := Load(env(nil))
	if err != nil || d.MetricsAddr != "" || d.TrustedProxies != nil || d.ShutdownTimeout != 20*time.Second {
		t.Fatalf("defaults %+v %v", d, err)
	}
	_, err = Load(env(map[string]string{"KONTAKT_TRUSTED_PROXIES": "caddy", "KONTAKT_METRICS_ADDR": "127.0.0.1:8080"}))
	for _, name := range []string{"KONTAKT_TRUSTED_PROXIES", "KONTAKT_METRICS_ADDR"} {
		if err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("error does not name %s: %v", name, err)
		}
	}
}
