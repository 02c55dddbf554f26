package api_test

import (
	"net/http"
	"slices"
	"testing"

	"github.com/kontakt/kontakt/model"
)

// TestUserPermissions: admins grant and withdraw permissions through PATCH /api/users/{id};
// values are checked, the change is audited, and nobody else may make one.
func TestUserPermissions(t *testing.T) {
	e := newEnv(t)
	admin := e.tokenFor(e.user("admin", true, "admin-heslo-123").ID)
	jana := e.user("jana", false, "heslo-jana-123")
	janaC := e.tokenFor(jana.ID)

	var u model.User
	admin.do("GET", "/api/users/"+jana.ID, nil).json(t, &u)
	if u.Permissions == nil || len(u.Permissions) != 0 {
		t.Fatalf("new user's permissions: %#v, want []", u.Permissions)
	}
	r := admin.do("PATCH", "/api/users/"+jana.ID, map[string]any{"permissions": []string{"gdpr", "scans", "gdpr"}})
	if r.status != http.StatusOK {
		t.Fatalf("grant: %d %s", r.status, r.body)
	}
	r.json(t, &u)
	if !slices.Equal(u.Permissions, []string{"scans", "gdpr"}) {
		t.Fatalf("permissions after grant: %q", u.Permissions)
	}
	var me model.User
	janaC.do("GET", "/api/me", nil).json(t, &me)
	if !slices.Equal(me.Permissions, []string{"scans", "gdpr"}) {
		t.Fatalf("/api/me permissions: %q", me.Permissions)
	}

	wantError(t, admin.do("PATCH", "/api/users/"+jana.ID, map[string]any{"permissions": []string{"scans", "root"}}), 400, "permissions")
	wantError(t, admin.do("PATCH", "/api/users/"+jana.ID, map[string]any{"permissions": "scans"}), 400, "permissions")
	wantError(t, janaC.do("PATCH", "/api/users/"+jana.ID, map[string]any{"permissions": []string{}}), 403, "")
	wantError(t, janaC.do("PATCH", "/api/users/"+jana.ID, map[string]any{"name": "Jana", "permissions": []string{"scans"}}), 403, "")
	admin.do("GET", "/api/users/"+jana.ID, nil).json(t, &u)
	if !slices.Equal(u.Permissions, []string{"scans", "gdpr"}) || u.Name != "jana" {
		t.Fatalf("refused changes changed the user: %+v", u)
	}

	if r := admin.do("PATCH", "/api/users/"+jana.ID, map[string]any{"permissions": []string{"scans"}}); r.status != http.StatusOK {
		t.Fatalf("withdraw gdpr: %d %s", r.status, r.body)
	}
	// An unchanged set and a patch without permissions are not permission changes.
	admin.do("PATCH", "/api/users/"+jana.ID, map[string]any{"permissions": []string{"scans"}})
	admin.do("PATCH", "/api/users/"+jana.ID, map[string]any{"locale": "cs"})
	var entries []model.AuditEntry
	admin.do("GET", "/api/audit?action=user.permissions", nil).json(t, &entries)
	if len(entries) != 2 {
		t.Fatalf("user.permissions entries: %d, want 2: %+v", len(entries), entries)
	}
	last := entries[0]
	if *last.ObjectID != jana.ID || last.ActorID == nil || *last.ActorID == jana.ID {
		t.Errorf("entry names %v by %v", last.ObjectID, last.ActorID)
	}
	if before, after := last.Detail["before"], last.Detail["after"]; len(before.([]any)) != 2 || len(after.([]any)) != 1 {
		t.Errorf("entry detail %v", last.Detail)
	}
}
