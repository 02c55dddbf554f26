package store_test

import (
	"context"
	"os"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kontakt/kontakt/devstack/testdb"
	"github.com/kontakt/kontakt/migrations"
	"github.com/kontakt/kontakt/store"
)

func TestMain(m *testing.M) { os.Exit(testdb.Main(m, migrations.UpURL)) }

// newStore returns a Store over a fresh, migrated database.
func newStore(t testing.TB) (*store.Store, *pgxpool.Pool) {
	t.Helper()
	pool, err := pgxpool.New(context.Background(), testdb.New(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return store.New(pool, "CZ"), pool
}
