// Package config reads Kontakt's configuration from environment variables with typed
// defaults. Every secret may instead be read from a file named by the variable with a
// _FILE suffix (KONTAKT_DATABASE_URL_FILE), as container secrets are mounted.
package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"strconv"
	"strings"
	"time"
)

// Config is the whole configuration.
type Config struct {
	HTTPAddr         string        // KONTAKT_HTTP_ADDR
	DataDir          string        // KONTAKT_DATA_DIR
	DatabaseURL      string        // KONTAKT_DATABASE_URL (secret); empty: `kontakt dev` runs its own PostgreSQL
	DBMaxConns       int           // KONTAKT_DB_MAX_CONNS: connections in the pool
	DefaultRegion    string        // KONTAKT_DEFAULT_REGION, country of phone numbers without prefix
	LogLevel         slog.Level    // KONTAKT_LOG_LEVEL: debug, info, warn, error
	LogFormat        string        // KONTAKT_LOG_FORMAT: text or json
	SessionTTL       time.Duration // KONTAKT_SESSION_TTL
	CookieSecure     bool          // KONTAKT_COOKIE_SECURE: set Secure on cookies (behind TLS)
	MaxBodyBytes     int64         // KONTAKT_MAX_BODY_BYTES
	LoginMaxFailures int           // KONTAKT_LOGIN_MAX_FAILURES within LoginWindow per login and per address
	LoginWindow      time.Duration // KONTAKT_LOGIN_WINDOW
	DemoPassword     string        // KONTAKT_DEMO_PASSWORD (secret): password of the demo users `kontakt dev` seeds
	PublicURL        string        // KONTAKT_PUBLIC_URL: how users reach Kontakt, for links; default from HTTPAddr

	ScanMaxBytes    int64         // KONTAKT_SCAN_MAX_BYTES: largest scanned consent form accepted
	ScanHook        string        // KONTAKT_SCAN_HOOK: virus-scan command run with each scan on stdin; empty: none
	ScanHookTimeout time.Duration // KONTAKT_SCAN_HOOK_TIMEOUT: how long the hook may run
	MetricsAddr     string        // KONTAKT_METRICS_ADDR: the operations listener (/metrics, /healthz, /readyz); empty: none
	TrustedProxies  []*net.IPNet  // KONTAKT_TRUSTED_PROXIES: proxies whose X-Forwarded-For names the client
	ShutdownDelay   time.Duration // KONTAKT_SHUTDOWN_DELAY: how long /readyz fails before the listener closes
	ShutdownTimeout time.Duration // KONTAKT_SHUTDOWN_TIMEOUT: how long in-flight requests may take to finish

	ExportTTL      time.Duration // KONTAKT_EXPORT_TTL: how long a newsletter export's download link (and file) lives
	ImportMaxBytes int64         // KONTAKT_IMPORT_MAX_BYTES: largest vCard or CSV file an import accepts

	TemporalAddress   string // KONTAKT_TEMPORAL_ADDRESS host:port; empty: `kontakt dev` runs its own
	TemporalNamespace string // KONTAKT_TEMPORAL_NAMESPACE
	TemporalTLS       bool   // KONTAKT_TEMPORAL_TLS: connect with TLS (system roots or TemporalCAFile)
	TemporalCAFile    string // KONTAKT_TEMPORAL_TLS_CA_FILE
	TemporalCertFile  string // KONTAKT_TEMPORAL_TLS_CERT_FILE: client certificate for mTLS
	TemporalKeyFile   string // KONTAKT_TEMPORAL_TLS_KEY_FILE
	TemporalUIURL     string // KONTAKT_TEMPORAL_UI_URL: where staff open workflow histories

	SMTPHost     string // KONTAKT_SMTP_HOST; empty in `dev` means the built-in catcher
	SMTPPort     int    // KONTAKT_SMTP_PORT
	SMTPTLS      string // KONTAKT_SMTP_TLS: starttls, tls or none
	SMTPUser     string // KONTAKT_SMTP_USER
	SMTPPassword string // KONTAKT_SMTP_PASSWORD (secret)
	SMTPFrom     string // KONTAKT_SMTP_FROM, e.g. "Firma <kontakt@firma.cz>"
}

// Load reads the configuration from the environment through getenv (os.Getenv in main)
// and validates it.
func Load(getenv func(string) string) (Config, error) {
	r := reader{getenv: getenv}
	c := Config{
		HTTPAddr:         r.str("KONTAKT_HTTP_ADDR", "127.0.0.1:8080"),
		DataDir:          r.str("KONTAKT_DATA_DIR", "./.kontakt"),
		DatabaseURL:      r.secret("KONTAKT_DATABASE_URL"),
		DBMaxConns:       r.integer("KONTAKT_DB_MAX_CONNS", 16),
		DefaultRegion:    strings.ToUpper(r.str("KONTAKT_DEFAULT_REGION", "CZ")),
		LogFormat:        r.str("KONTAKT_LOG_FORMAT", "text"),
		SessionTTL:       r.duration("KONTAKT_SESSION_TTL", 12*time.Hour),
		CookieSecure:     r.boolean("KONTAKT_COOKIE_SECURE", false),
		MaxBodyBytes:     int64(r.integer("KONTAKT_MAX_BODY_BYTES", 1<<20)),
		LoginMaxFailures: r.integer("KONTAKT_LOGIN_MAX_FAILURES", 5),
		LoginWindow:      r.duration("KONTAKT_LOGIN_WINDOW", 15*time.Minute),
		DemoPassword:     r.secret("KONTAKT_DEMO_PASSWORD"),
		PublicURL:        r.str("KONTAKT_PUBLIC_URL", ""),

		ScanMaxBytes:    int64(r.integer("KONTAKT_SCAN_MAX_BYTES", 10<<20)),
		ScanHook:        r.str("KONTAKT_SCAN_HOOK", ""),
		ScanHookTimeout: r.duration("KONTAKT_SCAN_HOOK_TIMEOUT", time.Minute),
		MetricsAddr:     r.str("KONTAKT_METRICS_ADDR", ""),
		TrustedProxies:  r.cidrs("KONTAKT_TRUSTED_PROXIES"),
		ShutdownDelay:   r.duration("KONTAKT_SHUTDOWN_DELAY", 0),
		ShutdownTimeout: r.duration("KONTAKT_SHUTDOWN_TIMEOUT", 20*time.Second),

		ExportTTL:      r.duration("KONTAKT_EXPORT_TTL", 24*time.Hour),
		ImportMaxBytes: int64(r.integer("KONTAKT_IMPORT_MAX_BYTES", 32<<20)),

		TemporalAddress:   r.str("KONTAKT_TEMPORAL_ADDRESS", ""),
		TemporalNamespace: r.str("KONTAKT_TEMPORAL_NAMESPACE", "default"),
		TemporalTLS:       r.boolean("KONTAKT_TEMPORAL_TLS", false),
		TemporalCAFile:    r.str("KONTAKT_TEMPORAL_TLS_CA_FILE", ""),
		TemporalCertFile:  r.str("KONTAKT_TEMPORAL_TLS_CERT_FILE", ""),
		TemporalKeyFile:   r.str("KONTAKT_TEMPORAL_TLS_KEY_FILE", ""),
		TemporalUIURL:     r.str("KONTAKT_TEMPORAL_UI_URL", ""),

		SMTPHost:     r.str("KONTAKT_SMTP_HOST", ""),
		SMTPPort:     r.integer("KONTAKT_SMTP_PORT", 587),
		SMTPTLS:      r.str("KONTAKT_SMTP_TLS", "starttls"),
		SMTPUser:     r.str("KONTAKT_SMTP_USER", ""),
		SMTPPassword: r.secret("KONTAKT_SMTP_PASSWORD"),
		SMTPFrom:     r.str("KONTAKT_SMTP_FROM", "Kontakt <kontakt@localhost>"),
	}
	if err := c.LogLevel.UnmarshalText([]byte(r.str("KONTAKT_LOG_LEVEL", "info"))); err != nil {
		r.errs = append(r.errs, fmt.Errorf("KONTAKT_LOG_LEVEL: %w", err))
	}
	if c.PublicURL == "" {
		c.PublicURL = "http://" + c.HTTPAddr
	}
	r.errs = append(r.errs, c.validate()...)
	if len(r.errs) > 0 {
		return c, fmt.Errorf("config: %w", errors.Join(r.errs...))
	}
	return c, nil
}

func (c Config) validate() []error {
	var errs []error
	if _, _, err := net.SplitHostPort(c.HTTPAddr); err != nil {
		errs = append(errs, fmt.Errorf("KONTAKT_HTTP_ADDR %q is not host:port", c.HTTPAddr))
	}
	if c.MetricsAddr != "" {
		if _, _, err := net.SplitHostPort(c.MetricsAddr); err != nil {
			errs = append(errs, fmt.Errorf("KONTAKT_METRICS_ADDR %q is not host:port", c.MetricsAddr))
		} else if c.MetricsAddr == c.HTTPAddr {
			errs = append(errs, errors.New("KONTAKT_METRICS_ADDR must differ from KONTAKT_HTTP_ADDR"))
		}
	}
	if c.ShutdownDelay < 0 || c.ShutdownTimeout < time.Second {
		errs = append(errs, errors.New("KONTAKT_SHUTDOWN_DELAY must not be negative and KONTAKT_SHUTDOWN_TIMEOUT must be at least 1s"))
	}
	if c.DataDir == "" {
		errs = append(errs, errors.New("KONTAKT_DATA_DIR must not be empty"))
	}
	if len(c.DefaultRegion) != 2 {
		errs = append(errs, fmt.Errorf("KONTAKT_DEFAULT_REGION %q is not a two-letter country code", c.DefaultRegion))
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		errs = append(errs, fmt.Errorf("KONTAKT_LOG_FORMAT %q must be text or json", c.LogFormat))
	}
	if c.SessionTTL < time.Minute {
		errs = append(errs, errors.New("KONTAKT_SESSION_TTL must be at least 1m"))
	}
	if c.MaxBodyBytes < 1024 {
		errs = append(errs, errors.New("KONTAKT_MAX_BODY_BYTES must be at least 1024"))
	}
	if c.ScanMaxBytes < 1024 || c.ScanMaxBytes > 64<<20 {
		errs = append(errs, errors.New("KONTAKT_SCAN_MAX_BYTES must be 1024 to 67108864 (64 MiB)"))
	}
	if c.ExportTTL < time.Minute || c.ExportTTL > 30*24*time.Hour {
		errs = append(errs, errors.New("KONTAKT_EXPORT_TTL must be 1m to 720h (30 days)"))
	}
	if c.ImportMaxBytes < 1024 || c.ImportMaxBytes > 1<<30 {
		errs = append(errs, errors.New("KONTAKT_IMPORT_MAX_BYTES must be 1024 to 1073741824 (1 GiB)"))
	}
	if c.ScanHookTimeout < time.Second {
		errs = append(errs, errors.New("KONTAKT_SCAN_HOOK_TIMEOUT must be at least 1s"))
	}
	if c.DBMaxConns < 2 || c.DBMaxConns > 1000 {
		errs = append(errs, errors.New("KONTAKT_DB_MAX_CONNS must be 2 to 1000"))
	}
	if c.LoginMaxFailures < 1 {
		errs = append(errs, errors.New("KONTAKT_LOGIN_MAX_FAILURES must be at least 1"))
	}
	if c.SMTPTLS != "starttls" && c.SMTPTLS != "tls" && c.SMTPTLS != "none" {
		errs = append(errs, fmt.Errorf("KONTAKT_SMTP_TLS %q must be starttls, tls or none", c.SMTPTLS))
	}
	if c.SMTPPort < 1 || c.SMTPPort > 65535 {
		errs = append(errs, fmt.Errorf("KONTAKT_SMTP_PORT %d is not a port", c.SMTPPort))
	}
	if (c.TemporalCertFile == "") != (c.TemporalKeyFile == "") {
		errs = append(errs, errors.New("set both KONTAKT_TEMPORAL_TLS_CERT_FILE and KONTAKT_TEMPORAL_TLS_KEY_FILE, or neither"))
	}
	if c.DemoPassword != "" && len(c.DemoPassword) < 10 {
		errs = append(errs, errors.New("KONTAKT_DEMO_PASSWORD must have at least 10 characters"))
	}
	return errs
}

// reader collects parse errors so that Load reports every bad variable at once.
type reader struct {
	getenv func(string) string
	errs   []error
}

func (r *reader) str(name, def string) string {
	if v := strings.TrimSpace(r.getenv(name)); v != "" {
		return v
	}
	return def
}

// secret reads NAME, or the file named by NAME_FILE (trailing newline trimmed).
func (r *reader) secret(name string) string {
	v, file := r.getenv(name), r.getenv(name+"_FILE")
	if v != "" && file != "" {
		r.errs = append(r.errs, fmt.Errorf("set %s or %s_FILE, not both", name, name))
		return v
	}
	if file == "" {
		return strings.TrimSpace(v)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		r.errs = append(r.errs, fmt.Errorf("%s_FILE: %w", name, err))
		return ""
	}
	return strings.TrimRight(string(b), "\r\n")
}

func (r *reader) integer(name string, def int) int {
	s := r.str(name, "")
	if s == "" {
		return def
	}
	n, err := strconv.Atoi(s)
	if err != nil {
		r.errs = append(r.errs, fmt.Errorf("%s %q is not an integer", name, s))
		return def
	}
	return n
}

func (r *reader) boolean(name string, def bool) bool {
	s := r.str(name, "")
	if s == "" {
		return def
	}
	b, err := strconv.ParseBool(s)
	if err != nil {
		r.errs = append(r.errs, fmt.Errorf("%s %q is not a boolean", name, s))
		return def
	}
	return b
}

// cidrs reads a comma- or space-separated list of CIDR ranges or single addresses.
func (r *reader) cidrs(name string) []*net.IPNet {
	var out []*net.IPNet
	for _, f := range strings.FieldsFunc(r.str(name, ""), func(c rune) bool { return c == ',' || c == ' ' }) {
		if !strings.Contains(f, "/") {
			if ip := net.ParseIP(f); ip != nil {
				bits := 8 * len(ip.To16())
				if ip.To4() != nil {
					ip, bits = ip.To4(), 32
				}
				out = append(out, &net.IPNet{IP: ip, Mask: net.CIDRMask(bits, bits)})
				continue
			}
		}
		_, n, err := net.ParseCIDR(f)
		if err != nil {
			r.errs = append(r.errs, fmt.Errorf("%s: %q is not an address or CIDR range", name, f))
			continue
		}
		out = append(out, n)
	}
	return out
}

func (r *reader) duration(name string, def time.Duration) time.Duration {
	s := r.str(name, "")
	if s == "" {
		return def
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		r.errs = append(r.errs, fmt.Errorf("%s %q is not a duration like 30m or 12h", name, s))
		return def
	}
	return d
}
