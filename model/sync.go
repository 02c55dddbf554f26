package model

import (
	"fmt"
	"slices"
	"time"
)

// SyncMode is how a user may sync a book: read only, or read and write from devices.
type SyncMode string

// Sync modes.
const (
	SyncRead      SyncMode = "read"
	SyncReadWrite SyncMode = "read_write"
)

// Valid reports whether m is a known mode.
func (m SyncMode) Valid() bool { return m == SyncRead || m == SyncReadWrite }

// SyncFields are the parts of a contact a book's sync profile may let leave the server in
// a vCard. E-mails, phones and addresses are chosen by label (work, home, mobile, other).
var SyncFields = []string{
	"name", "org", "title", "bday", "categories", "note", "url", "social",
	"email.work", "email.home", "email.other",
	"tel.work", "tel.mobile", "tel.home", "tel.other",
	"adr.work", "adr.home", "adr.other",
}

// DefaultSyncProfile is the minimal profile a new book gets.
var DefaultSyncProfile = []string{"name", "org", "title", "email.work", "tel.work"}

// CheckSyncProfile reports a profile naming something outside SyncFields, or without "name".
func CheckSyncProfile(profile []string) error {
	for i, f := range profile {
		if !slices.Contains(SyncFields, f) {
			return &FieldError{Field: fmt.Sprintf("sync_profile[%d]", i), Msg: "unknown field " + f}
		}
	}
	if !slices.Contains(profile, "name") {
		return &FieldError{Field: "sync_profile", Msg: "a synced contact needs its name"}
	}
	return nil
}

// SyncGrant lets a user sync a book to devices, optionally until a time.
type SyncGrant struct {
	UserID    string     `json:"user_id"`
	BookID    string     `json:"book_id"`
	Mode      SyncMode   `json:"mode"`
	Until     *time.Time `json:"until"`
	CreatedAt time.Time  `json:"created_at"`
}

// Device is a phone or program syncing over CardDAV with its own app password.
type Device struct {
	ID         string     `json:"id"`
	UserID     string     `json:"user_id"`
	Name       string     `json:"name"`
	Prefix     string     `json:"prefix"`
	CreatedAt  time.Time  `json:"created_at"`
	LastUsedAt *time.Time `json:"last_used_at"`
	LastSyncAt *time.Time `json:"last_sync_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
}

// Holding is one line of the sync ledger: a device was last given a contact at a version.
type Holding struct {
	DeviceID   string    `json:"device_id"`
	DeviceName string    `json:"device_name"`
	UserID     string    `json:"user_id"`
	ContactID  string    `json:"contact_id"`
	BookID     string    `json:"book_id"`
	Version    int64     `json:"version"`
	ServedAt   time.Time `json:"served_at"`
}
