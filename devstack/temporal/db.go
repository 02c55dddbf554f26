package temporal

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	enumspb "go.temporal.io/api/enums/v1"
	"go.temporal.io/server/common/config"
	sqliteplugin "go.temporal.io/server/common/persistence/sql/sqlplugin/sqlite"
	sqliteschema "go.temporal.io/server/schema/sqlite"
)

// userVersion is ServerVersion as SQLite's user_version (1.32.1 is 1032001). Start stamps
// it into the files it creates and refuses files stamped by another server version:
// Temporal never migrates SQLite files, and a mismatched schema fails in obscure ways.
var userVersion = mustUserVersion(ServerVersion)

func mustUserVersion(v string) int {
	parts := strings.Split(v, ".")
	if len(parts) != 3 {
		panic("bad ServerVersion " + v)
	}
	n := 0
	for _, p := range parts {
		d, err := strconv.Atoi(p)
		if err != nil || d < 0 || d > 999 {
			panic("bad ServerVersion " + v)
		}
		n = n*1000 + d
	}
	return n
}

func versionString(uv int) string {
	return fmt.Sprintf("%d.%d.%d", uv/1000000, uv/1000%1000, uv%1000)
}

// prepareDB returns the persistence config for opt.DBFile with the schema in place and the
// namespace registered (with SearchAttributes as Keyword attributes).
func prepareDB(ctx context.Context, dbFile, namespace string) (*config.SQL, error) {
	cfg := &config.SQL{PluginName: sqliteplugin.PluginName}
	if dbFile == "" {
		// The plugin creates the schema for in-memory databases itself. It also keeps one
		// connection per DSN open for the life of the process, so each Start needs a
		// fresh name or it would get the previous server's data.
		var b [8]byte
		_, _ = rand.Read(b[:])
		cfg.DatabaseName = "kontakt-temporal-" + hex.EncodeToString(b[:])
		cfg.ConnectAttributes = map[string]string{"mode": "memory", "cache": "shared"}
	} else {
		abs, err := filepath.Abs(dbFile)
		if err != nil {
			return nil, err
		}
		// The name goes into a file: URI unescaped.
		if strings.ContainsAny(abs, "?#%") {
			return nil, fmt.Errorf("temporal: DBFile %q: the path must not contain ?, # or %%", abs)
		}
		cfg.DatabaseName = abs
		cfg.ConnectAttributes = map[string]string{
			"mode":         "rwc",
			"journal_mode": "wal",
			"synchronous":  "normal",
		}
		if err := prepareFile(ctx, cfg, abs); err != nil {
			return nil, err
		}
	}

	attrs := make(map[string]enumspb.IndexedValueType, len(SearchAttributes))
	for _, name := range SearchAttributes {
		attrs[name] = enumspb.INDEXED_VALUE_TYPE_KEYWORD
	}
	ns, err := sqliteschema.NewNamespaceConfig(clusterName, namespace, false, attrs)
	if err != nil {
		return nil, fmt.Errorf("temporal: namespace config: %w", err)
	}
	// A no-op when the namespace exists; Start adds search attributes it lacks later.
	if err := sqliteschema.CreateNamespaces(cfg, ns); err != nil {
		return nil, fmt.Errorf("temporal: create namespace %q: %w", namespace, err)
	}
	return cfg, nil
}

// prepareFile creates the schema in a new (or empty) file and checks the version stamp of
// an existing one.
func prepareFile(ctx context.Context, cfg *config.SQL, path string) error {
	if _, err := os.Stat(filepath.Dir(path)); err != nil {
		return fmt.Errorf("temporal: DBFile directory: %w", err)
	}
	// The "sqlite" driver is modernc.org/sqlite, registered by the server's plugin.
	db, err := sql.Open("sqlite", "file:"+path+"?mode=rwc&_pragma=busy_timeout(10000)")
	if err != nil {
		return fmt.Errorf("temporal: open %s: %w", path, err)
	}
	defer func() { _ = db.Close() }()

	var uv, tables int
	if err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&uv); err != nil {
		return fmt.Errorf("temporal: read %s: %w", path, err)
	}
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master WHERE type = 'table'").Scan(&tables); err != nil {
		return fmt.Errorf("temporal: read %s: %w", path, err)
	}
	switch {
	case tables == 0:
		if err := sqliteschema.SetupSchema(cfg); err != nil {
			return fmt.Errorf("temporal: create schema in %s: %w", path, err)
		}
		if _, err := db.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", userVersion)); err != nil {
			return fmt.Errorf("temporal: stamp %s: %w", path, err)
		}
		return nil
	case uv == userVersion:
		return nil
	case uv == 0:
		return fmt.Errorf("temporal: %s has tables but no Temporal %s stamp (made by another tool, or its schema setup was interrupted): delete it", path, ServerVersion)
	default:
		return fmt.Errorf("temporal: %s was created by Temporal server %s, this is %s, and SQLite files are never migrated: delete it or use another file (e.g. temporal-%s.db)",
			path, versionString(uv), ServerVersion, ServerVersion)
	}
}
