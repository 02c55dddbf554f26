package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"strings"

	"github.com/kontakt/kontakt/auth"
	"github.com/kontakt/kontakt/config"
	"github.com/kontakt/kontakt/migrations"
	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
)

func runAdmin(ctx context.Context, cfg config.Config, log *slog.Logger, args []string, stdin io.Reader, stdout io.Writer) error {
	if len(args) == 0 || args[0] != "create-user" {
		return errors.New("usage: kontakt admin create-user -login LOGIN -name NAME [-email E] [-admin] [-password-stdin]")
	}
	fs := flag.NewFlagSet("create-user", flag.ContinueOnError)
	login := fs.String("login", "", "login name (a-z, 0-9, . _ -)")
	name := fs.String("name", "", "full name")
	email := fs.String("email", "", "email address")
	admin := fs.Bool("admin", false, "make the user an organisation admin")
	fromStdin := fs.Bool("password-stdin", false, "read the password from the first line of stdin instead of generating one")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if *login == "" || *name == "" {
		return errors.New("create-user needs -login and -name")
	}
	pw := auth.RandomPassword(16)
	if *fromStdin {
		line, err := bufio.NewReader(stdin).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return fmt.Errorf("read password: %w", err)
		}
		pw = strings.TrimRight(line, "\r\n")
	}
	if err := auth.CheckPassword(pw); err != nil {
		return err
	}
	if *email != "" {
		e, err := model.NormalizeEmail(*email)
		if err != nil {
			return err
		}
		*email = e
	}
	pool, err := openPool(ctx, cfg.DatabaseURL, cfg.DBMaxConns)
	if err != nil {
		return err
	}
	defer pool.Close()
	if err := migrations.Check(ctx, pool); err != nil {
		return err
	}
	hash, err := auth.HashPassword(pw, auth.DefaultParams)
	if err != nil {
		return err
	}
	st := store.New(pool, cfg.DefaultRegion)
	u, err := st.CreateUser(ctx, store.Actor{Channel: "system"}, model.User{Login: *login, Name: *name, Email: *email, IsAdmin: *admin}, hash)
	if err != nil {
		return err
	}
	log.Info("user created", "id", u.ID, "admin", u.IsAdmin) // ids only at info: a login names a person
	if !*fromStdin {
		fmt.Fprintf(stdout, "login: %s\npassword: %s\n", u.Login, pw)
	}
	return nil
}
