package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kontakt/kontakt/devstack/testdb"
	"github.com/kontakt/kontakt/migrations"
)

// The template stays empty: these tests migrate themselves.
func TestMain(m *testing.M) { os.Exit(testdb.Main(m, nil)) }

func TestServeRefusesOutdatedSchemaUntilMigrated(t *testing.T) {
	url := testdb.New(t)
	t.Setenv("KONTAKT_DATABASE_URL", url)
	t.Setenv("KONTAKT_HTTP_ADDR", "127.0.0.1:0")
	var out, errOut bytes.Buffer
	err := run([]string{"serve"}, strings.NewReader(""), &out, &errOut)
	if !errors.Is(err, migrations.ErrOutdated) || !strings.Contains(err.Error(), "kontakt migrate") {
		t.Fatalf("serve on an empty database: %v, want an outdated-schema error naming `kontakt migrate`", err)
	}
	if err := run([]string{"migrate"}, strings.NewReader(""), &out, &errOut); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	if err := run([]string{"migrate"}, strings.NewReader(""), &out, &errOut); err != nil {
		t.Fatalf("second migrate: %v", err)
	}
	pool, err := pgxpool.New(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if err := migrations.Check(context.Background(), pool); err != nil {
		t.Fatalf("after migrate: %v", err)
	}
}

func TestAdminCreateUser(t *testing.T) {
	url := testdb.New(t)
	t.Setenv("KONTAKT_DATABASE_URL", url)
	var out, errOut bytes.Buffer
	if err := run([]string{"migrate"}, strings.NewReader(""), &out, &errOut); err != nil {
		t.Fatal(err)
	}
	if err := run([]string{"admin", "create-user", "-login", "root", "-name", "Správce", "-admin"}, strings.NewReader(""), &out, &errOut); err != nil {
		t.Fatalf("create-user: %v", err)
	}
	if !strings.Contains(out.String(), "login: root") || !strings.Contains(out.String(), "password: ") {
		t.Fatalf("create-user printed %q", out.String())
	}
	out.Reset()
	err := run([]string{"admin", "create-user", "-login", "jana", "-name", "Jana", "-password-stdin"}, strings.NewReader("kratke\n"), &out, &errOut)
	if err == nil {
		t.Fatal("a short password from stdin was accepted")
	}
	if err := run([]string{"admin", "create-user", "-login", "jana", "-name", "Jana", "-password-stdin"}, strings.NewReader("dost-dlouhe-heslo\n"), &out, &errOut); err != nil {
		t.Fatalf("create-user from stdin: %v", err)
	}
	if err := run([]string{"admin", "create-user", "-login", "jana", "-name", "Jana"}, strings.NewReader(""), &out, &errOut); err == nil {
		t.Fatal("a duplicate login was accepted")
	}
}

func TestUnknownCommand(t *testing.T) {
	var out, errOut bytes.Buffer
	if err := run([]string{"frobnicate"}, strings.NewReader(""), &out, &errOut); err == nil || !strings.Contains(errOut.String(), "usage") {
		t.Fatalf("unknown command: %v, %q", err, errOut.String())
	}
}
