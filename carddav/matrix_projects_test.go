package carddav_test

import (
	"context"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/kontakt/kontakt/model"
)

// TestCardDAVProjectMatrix holds project collections to the matrix: every member of every
// project holds project sync and no book sync, so each user's CardDAV home lists exactly the
// projects they are a member of (closed P2 stays listed, empty), a project's collection
// holds exactly what it shares (not b2-org, hidden for lack of the consent its book
// requires), and every other contact answers 404 under it, for members and outsiders alike.
func TestCardDAVProjectMatrix(t *testing.T) {
	ctx := context.Background()
	e, m := newMatrixEnv(t)
	st, admin := e.st, m.Actor("admin")
	read := "read"
	for _, name := range m.ProjectNames() {
		for _, login := range m.ProjectMembers(name) {
			must(t, st.PutProjectMember(ctx, admin, m.Projects[name].ID, m.Users[login].ID, &read))
		}
	}
	xmlH := map[string]string{"Content-Type": "application/xml"}
	for _, login := range m.Logins() {
		if m.Users[login].Disabled {
			continue // 401 for everything, as the book matrix shows
		}
		t.Run(login, func(t *testing.T) {
			e.t = t
			home := "/dav/addressbooks/" + login + "/"
			var want, got []string
			for _, name := range m.ProjectNames() {
				if slices.Contains(m.ProjectMembers(name), login) {
					want = append(want, home+m.Projects[name].ID+"/")
				}
			}
			for _, r := range parseMS(t, e.do(login, "PROPFIND", home, map[string]string{"Depth": "1"}, "")).Responses {
				if r.Href != home {
					got = append(got, r.Href)
				}
			}
			slices.Sort(want)
			slices.Sort(got)
			if !slices.Equal(got, want) {
				t.Fatalf("collections %v, want %v", got, want)
			}
			for _, name := range m.ProjectNames() {
				p := m.Projects[name]
				member := slices.Contains(m.ProjectMembers(name), login)
				var wantKeys []string
				if member {
					wantKeys = m.ProjectCollection(name)
				}
				r := e.do(login, "REPORT", home+p.ID+"/", xmlH, syncReport("", 0))
				if !member {
					if r.status != http.StatusNotFound {
						t.Errorf("sync of %s by an outsider: %d", name, r.status)
					}
				} else {
					var gotKeys []string
					for _, resp := range parseMS(t, r).Responses {
						id := strings.TrimSuffix(resp.Href[strings.LastIndexByte(resp.Href, '/')+1:], ".vcf")
						gotKeys = append(gotKeys, m.ContactKey(id))
					}
					slices.Sort(gotKeys)
					if !slices.Equal(gotKeys, wantKeys) {
						t.Errorf("sync of %s: %v, want %v", name, gotKeys, wantKeys)
					}
				}
				for key, c := range m.Contacts {
					wantStatus := http.StatusNotFound
					if slices.Contains(wantKeys, key) {
						wantStatus = http.StatusOK
					}
					path := home + p.ID + "/" + c.ID + ".vcf"
					if r := e.do(login, "GET", path, nil, ""); r.status != wantStatus {
						t.Errorf("GET %s in %s: %d, want %d", key, name, r.status, wantStatus)
					}
					if wantStatus == http.StatusOK && c.Kind == model.KindPerson {
						cur := e.do(login, "GET", path, nil, "")
						if r := e.do(login, "PUT", path, map[string]string{"Content-Type": "text/vcard", "If-Match": cur.header.Get("ETag")}, cur.body); r.status != http.StatusForbidden {
							t.Errorf("PUT %s in read-only %s: %d", key, name, r.status)
						}
					}
				}
			}
		})
	}
}
