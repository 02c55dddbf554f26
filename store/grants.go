package store

// Sync grants seen from a book, for the staff web app's book page (its managers grant,
// change and revoke sync there): who holds one and who could, and which books a manager
// may offer a user. The writes are PutSyncGrant and DeleteSyncGrant (sync.go).

import (
	"context"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/kontakt/kontakt/model"
)

// BookSyncGrant is a user's sync grant on a book with the user's name and login, and
// whether they may see the book now: a grant on a book they cannot see syncs nothing.
type BookSyncGrant struct {
	model.SyncGrant
	UserName  string
	UserLogin string
	Sees      bool
}

// ListBookSyncGrants returns the sync grants of a book, by user name; its managers and
// admins may read them (as they may change them).
func (s *Store) ListBookSyncGrants(ctx context.Context, actor Actor, bookID string) ([]BookSyncGrant, error) {
	if !ValidID(bookID) {
		return nil, ErrNotFound
	}
	if err := requireRole(ctx, s.pool, actor, bookID, "manager"); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT g.user_id, g.book_id, g.mode, g.until, g.created_at, u.name, u.login,
			EXISTS (SELECT 1 FROM user_book_roles(g.user_id) r WHERE r.book_id = g.book_id)
		FROM sync_grants g JOIN users u ON u.id = g.user_id
		WHERE g.book_id = $1 ORDER BY lower(u.name), u.login`, bookID)
	if err != nil {
		return nil, wrap(err)
	}
	return collect(rows, func(row pgx.Row) (BookSyncGrant, error) {
		var g BookSyncGrant
		err := row.Scan(&g.UserID, &g.BookID, &g.Mode, &g.Until, &g.CreatedAt, &g.UserName, &g.UserLogin, &g.Sees)
		return g, wrap(err)
	})
}

// BookReaders returns the enabled users who may see a book (a role of their own, through
// a group, or as admins), by name: those a sync grant on it would serve. Its managers and
// admins may ask.
func (s *Store) BookReaders(ctx context.Context, actor Actor, bookID string) ([]model.User, error) {
	if !ValidID(bookID) {
		return nil, ErrNotFound
	}
	if err := requireRole(ctx, s.pool, actor, bookID, "manager"); err != nil {
		return nil, err
	}
	rows, err := s.pool.Query(ctx, `SELECT u.`+strings.ReplaceAll(userColumns, ", ", ", u.")+` FROM users u
		WHERE NOT u.disabled AND EXISTS (SELECT 1 FROM user_book_roles(u.id) r WHERE r.book_id = $1)
		ORDER BY lower(u.name), u.login`, bookID)
	if err != nil {
		return nil, wrap(err)
	}
	return collect(rows, scanUser)
}

// ManagedBook is a book the actor manages, and whether a given user may see it.
type ManagedBook struct {
	ID       string
	Name     string
	UserSees bool
}

// ManagedBooksFor returns the books the actor manages (admins: every book), by name, each
// with whether user userID may see it: the books whose sync the actor may grant them.
func (s *Store) ManagedBooksFor(ctx context.Context, actor Actor, userID string) ([]ManagedBook, error) {
	if !ValidID(userID) {
		return nil, ErrNotFound
	}
	rows, err := s.pool.Query(ctx, `SELECT b.id, b.name, EXISTS (SELECT 1 FROM user_book_roles($2) r WHERE r.book_id = b.id)
		FROM address_books b WHERE `+roleOn("b.id")+` = 'manager' ORDER BY lower(b.name), b.id`, actor.UserID, userID)
	if err != nil {
		return nil, wrap(err)
	}
	return collect(rows, func(row pgx.Row) (ManagedBook, error) {
		var b ManagedBook
		err := row.Scan(&b.ID, &b.Name, &b.UserSees)
		return b, wrap(err)
	})
}
