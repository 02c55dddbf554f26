package devstack_test

import (
	"os"
	"testing"

	"github.com/kontakt/kontakt/devstack/testdb"
	"github.com/kontakt/kontakt/migrations"
)

// TestMain runs the package's tests with a private cluster whose template database has
// the schema (testdb imports devstack, so this lives in the external test package; the
// tests of package devstack itself start their own clusters and ignore this one).
func TestMain(m *testing.M) { os.Exit(testdb.Main(m, migrations.UpURL)) }
