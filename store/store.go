// Package store is Kontakt's PostgreSQL access: one Store over a pgx pool, SQL beside the
// code that scans it, and the one visibility policy (policy.go) that every read path uses.
package store

import (
	"context"
	"errors"
	"fmt"
	"regexp"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/kontakt/kontakt/model"
)

// Sentinel errors. Callers map them to HTTP statuses; an invisible object is ErrNotFound,
// never ErrForbidden (ARCHITECTURE.md, invariant 2).
var (
	ErrNotFound  = errors.New("store: not found")
	ErrForbidden = errors.New("store: not allowed")
)

// ConflictError reports a unique constraint violation on Field.
type ConflictError struct {
	Field string
	Msg   string
}

func (e *ConflictError) Error() string { return "store: " + e.Field + ": " + e.Msg }

// Actor is who reads or writes, and through which channel; every audited call takes one.
type Actor struct {
	UserID  string
	Channel model.AuditChannel
}

// Store reads and writes Kontakt's data.
type Store struct {
	pool          *pgxpool.Pool
	defaultRegion string
	forms         formCache
	intakes       intakeQueue
}

// New returns a Store over pool. defaultRegion (ISO 3166, e.g. "CZ") is the country of
// phone numbers written without a prefix.
func New(pool *pgxpool.Pool, defaultRegion string) *Store {
	return &Store{pool: pool, defaultRegion: defaultRegion}
}

// Ping reports whether the database answers.
func (s *Store) Ping(ctx context.Context) error {
	if err := s.pool.Ping(ctx); err != nil {
		return fmt.Errorf("store: ping: %w", err)
	}
	return nil
}

// querier is what both the pool and a transaction offer.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// inTx runs fn in one transaction.
func (s *Store) inTx(ctx context.Context, fn func(tx pgx.Tx) error) error {
	return pgx.BeginFunc(ctx, s.pool, fn)
}

var uuidRE = regexp.MustCompile(`^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$`)

// ValidID reports whether id has the form of a Kontakt id (a UUID).
func ValidID(id string) bool { return uuidRE.MatchString(id) }

// wrap turns database errors into the store's errors: no rows → ErrNotFound, unique
// violations → *ConflictError, a malformed id → ErrNotFound; the rest gets the prefix.
func wrap(err error) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return ErrNotFound
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case "23505":
			field := conflictFields[pe.ConstraintName]
			if field == "" {
				field = pe.ConstraintName
			}
			return &ConflictError{Field: field, Msg: "already exists"}
		case "22P02": // invalid text representation, e.g. a malformed uuid
			return ErrNotFound
		case "23503":
			return &ConflictError{Field: pe.ConstraintName, Msg: "refers to something that does not exist or is still in use"}
		}
	}
	if errors.Is(err, ErrNotFound) || errors.Is(err, ErrForbidden) {
		return err
	}
	var fe *model.FieldError
	var ce *ConflictError
	if errors.As(err, &fe) || errors.As(err, &ce) {
		return err
	}
	return fmt.Errorf("store: %w", err)
}

// conflictFields names the API field behind each unique index.
var conflictFields = map[string]string{
	"users_login_key":                   "login",
	"groups_name_key":                   "name",
	"address_books_name_key":            "name",
	"book_grants_user":                  "user_id",
	"book_grants_group":                 "group_id",
	"custom_field_defs_book_id_key_key": "key",
	"api_tokens_token_hash_key":         "token",
}
