package model

import "slices"

// Permissions a user may hold beyond book roles (users.permissions).
const (
	// PermScans downloads the scanned signed forms of consents collected in person, of the
	// contacts in books the user may see.
	PermScans = "scans"
	// PermGDPR exports what is held about a person (Art. 15/20), and forgets people, in any
	// book.
	PermGDPR = "gdpr"
)

// Permissions lists every permission in its canonical order.
var Permissions = []string{PermScans, PermGDPR}

// NormalizePermissions checks a set of permissions and returns it deduplicated in the
// canonical order; an unknown value is a *FieldError on "permissions".
func NormalizePermissions(ps []string) ([]string, error) {
	out := []string{}
	for _, p := range ps {
		if !slices.Contains(Permissions, p) {
			return nil, &FieldError{Field: "permissions", Msg: "unknown permission: use scans or gdpr"}
		}
	}
	for _, p := range Permissions {
		if slices.Contains(ps, p) {
			out = append(out, p)
		}
	}
	return out, nil
}

// HasPermission reports whether u holds permission p.
func (u User) HasPermission(p string) bool { return slices.Contains(u.Permissions, p) }
