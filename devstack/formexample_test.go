package devstack_test

import (
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/kontakt/kontakt/devstack"
	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
)

// The example page carries the three forms a site embeds: consent, consent status and
// revocation, each posting to its public endpoint with the honeypot.
func TestFormExamplePage(t *testing.T) {
	f := store.PublicForm{Form: model.Form{Key: "abc", Organisation: "Stavebniny Demo", HoneypotField: "website"},
		Purposes: []model.Purpose{{Key: "newsletter", Name: "Newsletter"}, {Key: "events", Name: "Pozvánky"}}}
	rec := httptest.NewRecorder()
	devstack.FormExampleHandler(f).ServeHTTP(rec, httptest.NewRequest("GET", "/dev/form-example", nil))
	page := rec.Body.String()
	for _, want := range []string{`action="/public/forms/abc/consents"`, `action="/public/forms/abc/consent-status"`,
		`action="/public/forms/abc/revocations"`, `name="purposes" value="events"`} {
		if !strings.Contains(page, want) {
			t.Errorf("page lacks %s", want)
		}
	}
	if n := strings.Count(page, `name="website"`); n != 3 {
		t.Errorf("%d honeypot fields, want 3", n)
	}
}
