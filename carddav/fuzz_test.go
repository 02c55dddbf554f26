package carddav_test

import (
	"io"
	"net/http"
	"strings"
	"testing"
)

// send is a raw request for fuzz functions, which must fail through their own t.
func (e *env) send(t *testing.T, login, method, path string, header map[string]string, body string) int {
	req, err := http.NewRequest(method, e.srv.URL+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	req.SetBasicAuth(login, e.devices[login])
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := noRedirects.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	_, _ = io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res.StatusCode
}

// FuzzPutVCard sends arbitrary vCards as a new contact and over an existing one: the answer
// is a 2xx or a 4xx, never a 5xx or a panic.
func FuzzPutVCard(f *testing.F) {
	for _, s := range []string{
		"BEGIN:VCARD\r\nVERSION:4.0\r\nFN:Karel Nový\r\nN:Nový;Karel;;;\r\nEMAIL;TYPE=work:karel@novy.cz\r\nTEL;TYPE=work:+420602000111\r\nEND:VCARD\r\n",
		"BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Pekárna\r\nN:;;;;\r\nORG:Pekárna;Výroba\r\nX-ADDRESSBOOKSERVER-KIND:org\r\nTEL;TYPE=CELL,PREF:601 000 000\r\nEND:VCARD\r\n",
		"BEGIN:VCARD\r\nVERSION:4.0\r\nKIND:org\r\nFN:X\r\nADR;TYPE=work:;;Ulice 1\\;2;Praha;;11000;CZ\r\nBDAY:--0412\r\nEND:VCARD\r\n",
		"BEGIN:VCARD\r\nVERSION:4.0\r\nFN:A\r\nN:A\\;B;C\r\nX-SOCIALPROFILE;TYPE=twitter:https://twitter.com/a\r\nX-SOCIALPROFILE;TYPE=skype:x-apple:a\r\nCATEGORIES:a,b,,c\r\nURL:notaurl\r\nEND:VCARD\r\n",
		"BEGIN:VCARD\r\nVERSION:4.0\r\nFN:\r\nEND:VCARD\r\n",
		"BEGIN:VCARD\r\nVERSION:4.0\r\nFN:A\r\n item1.EMAIL;TYPE=\"work,home\":a@b.c\r\nEND:VCARD\r\n",
		"BEGIN:VCARD\r\nVERSION:2.1\r\nEND:VCARD", "BEGIN:VCARD", "END:VCARD", "", "\x00\xff", "BEGIN:VCARD\r\nVERSION:4.0\r\nN:" + strings.Repeat(";", 1000) + "\r\nEND:VCARD",
	} {
		f.Add(s)
	}
	e := newEnv(f)
	paths := []string{e.object("jana", "partners", "fuzz"), e.object("jana", "partners", e.jana.ID)}
	f.Fuzz(func(t *testing.T, body string) {
		for _, p := range paths {
			if code := e.send(t, "jana", "PUT", p, map[string]string{"Content-Type": "text/vcard"}, body); code >= 500 {
				t.Fatalf("PUT %s: status %d for %q", p, code, body)
			}
		}
	})
}

// FuzzDAVXML sends arbitrary XML as REPORT and PROPFIND bodies: never a 5xx or a panic.
func FuzzDAVXML(f *testing.F) {
	for _, s := range []string{
		syncReport("", 0), syncReport("", 2), syncReport("kontakt:x:1", 0), syncReport("kontakt:00000000-0000-0000-0000-000000000000:0:zz", 1),
		`<D:sync-collection xmlns:D="DAV:"><D:sync-token/><D:sync-level>1</D:sync-level><D:limit><D:nresults>-5</D:nresults></D:limit><D:prop><D:getetag/><C:address-data xmlns:C="urn:ietf:params:xml:ns:carddav" version="9.9"/></D:prop></D:sync-collection>`,
		`<C:addressbook-multiget xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav"><D:prop><D:getetag/><C:address-data><C:prop name="FN"/></C:address-data></D:prop><D:href>/dav/addressbooks/jana/x/y.vcf</D:href><D:href>%zz</D:href></C:addressbook-multiget>`,
		`<C:addressbook-query xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:carddav"><D:prop><C:address-data/></D:prop><C:filter test="allof"><C:prop-filter name="FN"><C:text-match match-type="starts-with" negate-condition="yes">J</C:text-match></C:prop-filter></C:filter><C:limit><C:nresults>1</C:nresults></C:limit></C:addressbook-query>`,
		`<D:propfind xmlns:D="DAV:" xmlns:CS="http://calendarserver.org/ns/"><D:prop><CS:getctag/><D:sync-token/><D:current-user-privilege-set/><C:address-data xmlns:C="urn:ietf:params:xml:ns:carddav" version="3.0"/></D:prop></D:propfind>`,
		`<D:propfind xmlns:D="DAV:"><D:allprop/></D:propfind>`, `<D:propfind xmlns:D="DAV:"><D:propname/></D:propfind>`,
		`<?xml version="1.0"?><x/>`, `<`, ``, `<D:sync-collection xmlns:D="DAV:">` + strings.Repeat("<D:prop>", 200),
	} {
		f.Add(s)
	}
	e := newEnv(f)
	coll := e.collection("jana", "partners")
	f.Fuzz(func(t *testing.T, body string) {
		for _, rq := range []struct{ method, path, depth string }{
			{"REPORT", coll, "0"}, {"PROPFIND", coll, "1"}, {"PROPFIND", "/dav/addressbooks/jana/", "1"}, {"PROPFIND", e.object("jana", "partners", e.jana.ID), "0"},
		} {
			if code := e.send(t, "jana", rq.method, rq.path, map[string]string{"Content-Type": "application/xml", "Depth": rq.depth}, body); code >= 500 {
				t.Fatalf("%s %s: status %d for %q", rq.method, rq.path, code, body)
			}
		}
	})
}
