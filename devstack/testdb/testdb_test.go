package testdb_test

import (
	"context"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/kontakt/kontakt/devstack/testdb"
)

func TestMain(m *testing.M) {
	os.Exit(testdb.Main(m, func(ctx context.Context, url string) error {
		conn, err := pgx.Connect(ctx, url)
		if err != nil {
			return err
		}
		defer conn.Close(ctx)
		_, err = conn.Exec(ctx, "CREATE TABLE contacts (name text NOT NULL)")
		return err
	}))
}

func TestNewIsolated(t *testing.T) {
	ctx := t.Context()
	a, err := pgx.Connect(ctx, testdb.New(t))
	if err != nil {
		t.Fatal(err)
	}
	defer a.Close(context.Background())
	b, err := pgx.Connect(ctx, testdb.New(t))
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close(context.Background())

	if _, err := a.Exec(ctx, "INSERT INTO contacts VALUES ('Ada')"); err != nil {
		t.Fatalf("template table missing: %v", err)
	}
	var n int
	if err := b.QueryRow(ctx, "SELECT count(*) FROM contacts").Scan(&n); err != nil {
		t.Fatalf("template table missing: %v", err)
	}
	if n != 0 {
		t.Errorf("second database sees %d rows written to the first, want 0", n)
	}
	if err := a.QueryRow(ctx, "SELECT count(*) FROM contacts").Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != 1 {
		t.Errorf("first database has %d rows, want 1", n)
	}
}

func TestNewParallel(t *testing.T) {
	for range 4 {
		t.Run("", func(t *testing.T) {
			t.Parallel()
			conn, err := pgx.Connect(t.Context(), testdb.New(t))
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close(context.Background())
			if _, err := conn.Exec(t.Context(), "INSERT INTO contacts VALUES ('Grace')"); err != nil {
				t.Fatal(err)
			}
		})
	}
}
