package web_test

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestWebGrantsMatrix holds book management, task editing and event documents to the
// store's rules for every matrix user: a book's page and every change on it answer only its
// managers (admins manage all; a manager of B3 gets 404 on the other books, viewers and
// editors 404 on theirs) and refused changes change nothing; a task's edit page answers
// exactly who sees the task; an event's documents answer exactly who sees the event.
func TestWebGrantsMatrix(t *testing.T) {
	e, _ := newWorkEnv(t)
	m := seedMatrix(t, e)
	ctx := context.Background()
	admin := m.Actor("admin")
	pdf := []byte("%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n")
	doc, err := e.st.AddEventDocument(ctx, admin, m.CRM.Event.ID, "program.pdf", "application/pdf", pdf)
	if err != nil {
		t.Fatal(err)
	}
	bookState := func(book string) string {
		b, err := e.st.GetBook(ctx, admin, m.Books[book].ID)
		if err != nil {
			t.Fatal(err)
		}
		gs, _ := e.st.ListGrants(ctx, admin, b.ID)
		ss, _ := e.st.ListBookSyncGrants(ctx, admin, b.ID)
		return fmt.Sprintf("%v %s %d grants %d sync %d fields", b.SyncProfile, b.Name, len(gs), len(ss), len(b.Fields))
	}
	for _, login := range m.Logins() {
		u := m.Users[login]
		if u.Disabled {
			continue
		}
		t.Run(login, func(t *testing.T) {
			b := e.sessionFor(u.ID)
			tok := token(t, b.get("/me"))
			for _, book := range []string{"B1", "B2", "B3", "B4"} {
				path := "/admin/books/" + m.Books[book].ID
				want := http.StatusNotFound
				if m.Manages(login, book) {
					want = http.StatusOK
				}
				p := b.get(path)
				if p.status != want {
					t.Errorf("GET %s page: %d, want %d", book, p.status, want)
				}
				if want == http.StatusOK {
					if u.IsAdmin != strings.Contains(p.body, path+"/delete") {
						t.Errorf("%s page offers delete: %v", book, !u.IsAdmin)
					}
					continue
				}
				// Every change on a book the user does not manage is 404 and changes nothing.
				before := bookState(book)
				for action, form := range map[string]url.Values{
					"/grants":   {"who": {"user:" + u.ID}, "role": {"manager"}},
					"/settings": {"sync_profile": {"name"}},
					"/fields":   {"key": {"x"}, "label": {"X"}, "type": {"text"}},
					"/sync":     {"user_id": {u.ID}, "mode": {"read_write"}},
					"/sync/" + m.Users["alena"].ID + "/revoke": {},
					"/delete": {},
				} {
					form.Set("csrf", tok)
					if p := b.do("POST", path+action, form); p.status != http.StatusNotFound {
						t.Errorf("POST %s%s: %d, want 404", book, action, p.status)
					}
				}
				if after := bookState(book); after != before {
					t.Errorf("refused changes changed %s: %s → %s", book, before, after)
				}
			}
			// The administration's own pages stay admin-only.
			for _, path := range []string{"/admin", "/admin/books", "/admin/users"} {
				if p := b.get(path); (p.status == http.StatusOK) != u.IsAdmin {
					t.Errorf("GET %s: %d", path, p.status)
				}
			}
			// My address books links the pages of the books the user manages, no others.
			p := b.get("/me/books")
			for _, book := range []string{"B1", "B2", "B3", "B4"} {
				if got := strings.Contains(p.body, `href="/admin/books/`+m.Books[book].ID+`"`); got != m.Manages(login, book) {
					t.Errorf("my books links %s: %v", book, got)
				}
			}

			for key, task := range m.CRM.Tasks {
				want := http.StatusNotFound
				if m.SeesTask(login, key) {
					want = http.StatusOK
				}
				if p := b.get("/tasks/" + task.ID + "/edit"); p.status != want {
					t.Errorf("task %s edit page: %d, want %d", key, p.status, want)
				}
				if want == http.StatusNotFound {
					if p := b.do("POST", "/tasks/"+task.ID+"/cancel", url.Values{"csrf": {tok}}); p.status != http.StatusNotFound {
						t.Errorf("cancel task %s: %d", key, p.status)
					}
					if got, _ := e.st.GetTask(ctx, admin, task.ID); got.Status != task.Status {
						t.Errorf("refused cancel changed task %s: %s", key, got.Status)
					}
				}
			}

			ev := "/events/" + m.CRM.Event.ID + "/documents"
			want := http.StatusNotFound
			if m.SeesEvent(login) {
				want = http.StatusOK
			}
			p = b.get(ev)
			if p.status != want || (want == http.StatusOK) != strings.Contains(p.body, "program.pdf") {
				t.Errorf("documents: %d, want %d", p.status, want)
			}
			if p := b.get(ev + "/" + doc.ID); p.status != want {
				t.Errorf("download: %d, want %d", p.status, want)
			}
			if want == http.StatusNotFound {
				if p := b.multipart(ev, url.Values{"csrf": {tok}}, "file", "x.pdf", pdf); p.status != http.StatusNotFound {
					t.Errorf("upload: %d", p.status)
				}
				if p := b.do("POST", ev+"/"+doc.ID+"/delete", url.Values{"csrf": {tok}}); p.status != http.StatusNotFound {
					t.Errorf("delete: %d", p.status)
				}
				if ds, _ := e.st.ListEventDocuments(ctx, admin, m.CRM.Event.ID); len(ds) != 1 {
					t.Errorf("refused upload or delete changed the documents: %d", len(ds))
				}
			}
		})
	}
}
