package web_test

import (
	"bytes"
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/kontakt/kontakt/eventdoc"
	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
)

// TestEventDocumentPages: the event page links its documents; a PDF is uploaded (its type
// sniffed from the bytes), listed, downloaded as an attachment and deleted; a file of a
// type the API refuses, an empty form, a file over the limit and a non-multipart post are
// 4xx with the reason and store nothing; upload and delete need the CSRF token.
func TestEventDocumentPages(t *testing.T) {
	e := newAdminEnv(t, nil)
	f := e.adminFixture()
	ctx := context.Background()
	a := store.Actor{UserID: f.admin.ID, Channel: model.ChannelAPI}
	name, start := "Veletrh Brno", time.Now().Add(72*time.Hour)
	ev, err := e.st.CreateEvent(ctx, a, model.EventInput{Name: &name, StartsAt: &start})
	if err != nil {
		t.Fatal(err)
	}
	admin := e.sessionFor(f.admin.ID)
	evPath := "/events/" + ev.ID
	docs := evPath + "/documents"
	if p := admin.get(evPath); !strings.Contains(p.body, `href="`+docs+`"`) {
		t.Error("the event page does not link its documents")
	}
	p := admin.get(docs)
	if p.status != http.StatusOK || !strings.Contains(p.body, `enctype="multipart/form-data"`) || !strings.Contains(p.body, "No documents yet.") {
		t.Fatalf("documents page: %d %s", p.status, p.body)
	}
	tok := token(t, p)
	count := func() int {
		ds, err := e.st.ListEventDocuments(ctx, a, ev.ID)
		if err != nil {
			t.Fatal(err)
		}
		return len(ds)
	}
	pdf := []byte("%PDF-1.4\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n")

	if p := admin.multipart(docs, url.Values{}, "file", "program.pdf", pdf); p.status != http.StatusForbidden {
		t.Errorf("upload without token: %d", p.status)
	}
	if p := admin.do("POST", docs, url.Values{}); p.status != http.StatusForbidden {
		t.Errorf("urlencoded post without token: %d", p.status)
	}
	for _, c := range []struct {
		name, want string
		data       []byte
		status     int
	}{
		{"setup.exe", "This kind of file is not accepted", []byte("MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00"), 400},
		{"", "Choose a file to upload.", nil, 400},
		{"big.pdf", "larger than 20 MB", append(append([]byte{}, pdf...), bytes.Repeat([]byte{' '}, eventdoc.MaxBytes)...), 413},
	} {
		var p page
		if c.data == nil {
			p = admin.multipart(docs, url.Values{"csrf": {tok}}, "", "", nil)
		} else {
			p = admin.multipart(docs, url.Values{"csrf": {tok}}, "file", c.name, c.data)
		}
		if p.status != c.status || !strings.Contains(p.body, c.want) || !strings.Contains(p.body, `role="alert"`) {
			t.Errorf("upload %q: %d, want %d %q", c.name, p.status, c.status, c.want)
		}
	}
	if p := admin.do("POST", docs, url.Values{"csrf": {tok}}); p.status != http.StatusUnsupportedMediaType || !strings.Contains(p.body, "upload form") {
		t.Errorf("urlencoded upload: %d", p.status)
	}
	if n := count(); n != 0 {
		t.Fatalf("refused uploads stored %d documents", n)
	}

	p = admin.multipart(docs, url.Values{"csrf": {tok}}, "file", "program veletrhu.pdf", pdf)
	if p.status != http.StatusSeeOther || p.header.Get("Location") != docs {
		t.Fatalf("upload: %d %s", p.status, p.body)
	}
	ds, err := e.st.ListEventDocuments(ctx, a, ev.ID)
	if err != nil || len(ds) != 1 || ds[0].Name != "program veletrhu.pdf" || ds[0].ContentType != "application/pdf" || ds[0].Size != len(pdf) {
		t.Fatalf("stored: %v %+v", err, ds)
	}
	doc := ds[0]
	if p := admin.get(docs); !strings.Contains(p.body, `data-doc="`+doc.ID+`"`) || !strings.Contains(p.body, "program veletrhu.pdf") || !strings.Contains(p.body, "Admin") {
		t.Errorf("list: %s", p.body)
	}
	p = admin.get(docs + "/" + doc.ID)
	if p.status != http.StatusOK || p.body != string(pdf) || p.header.Get("Content-Type") != "application/pdf" ||
		!strings.HasPrefix(p.header.Get("Content-Disposition"), "attachment") || !strings.Contains(p.header.Get("Content-Security-Policy"), "sandbox") {
		t.Errorf("download: %d %v", p.status, p.header)
	}
	if es, err := e.st.ListAudit(ctx, store.AuditFilter{Action: "event.document.read", ActorID: f.admin.ID}); err != nil || len(es) != 1 || es[0].Channel != model.ChannelWeb {
		t.Errorf("the download is not audited once on the web channel: %v %+v", err, es)
	}
	if p := admin.get(docs + "/00000000-0000-4000-8000-000000000000"); p.status != http.StatusNotFound {
		t.Errorf("unknown document: %d", p.status)
	}

	if p := admin.do("POST", docs+"/"+doc.ID+"/delete", url.Values{}); p.status != http.StatusForbidden {
		t.Errorf("delete without token: %d", p.status)
	}
	if n := count(); n != 1 {
		t.Fatalf("refused delete: %d documents", n)
	}
	if p := admin.do("POST", docs+"/"+doc.ID+"/delete", url.Values{"csrf": {tok}}); p.status != http.StatusSeeOther {
		t.Fatalf("delete: %d", p.status)
	}
	if n := count(); n != 0 {
		t.Errorf("after delete: %d documents", n)
	}
}
