package carddav

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/emersion/go-vcard"

	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
	"github.com/kontakt/kontakt/vcardmap"
)

// What go-webdav lacks, answered in front of it: the sync-collection REPORT (RFC 6578), and
// the collection properties clients need to sync well: getctag (CalendarServer's ctag
// extension), DAV:sync-token (RFC 6578 §4), DAV:current-user-privilege-set (RFC 3744 §5.4)
// and DAV:supported-report-set (RFC 3253 §3.1.5).

// XML namespaces.
const (
	nsDAV     = "DAV:"
	nsCardDAV = "urn:ietf:params:xml:ns:carddav"
	nsCS      = "http://calendarserver.org/ns/"
)

// Property and element names.
var (
	nameGetCTag       = xml.Name{Space: nsCS, Local: "getctag"}
	nameSyncToken     = xml.Name{Space: nsDAV, Local: "sync-token"}
	namePrivileges    = xml.Name{Space: nsDAV, Local: "current-user-privilege-set"}
	nameReportSet     = xml.Name{Space: nsDAV, Local: "supported-report-set"}
	nameSyncColl      = xml.Name{Space: nsDAV, Local: "sync-collection"}
	nameGetETag       = xml.Name{Space: nsDAV, Local: "getetag"}
	nameGetCType      = xml.Name{Space: nsDAV, Local: "getcontenttype"}
	nameGetLastMod    = xml.Name{Space: nsDAV, Local: "getlastmodified"}
	nameResourceType  = xml.Name{Space: nsDAV, Local: "resourcetype"}
	nameAddressData   = xml.Name{Space: nsCardDAV, Local: "address-data"}
	nameMultiget      = xml.Name{Space: nsCardDAV, Local: "addressbook-multiget"}
	nameQuery         = xml.Name{Space: nsCardDAV, Local: "addressbook-query"}
	ourCollectionProp = map[xml.Name]bool{nameGetCTag: true, nameSyncToken: true, namePrivileges: true, nameReportSet: true}
)

// The multistatus document (RFC 4918 §14.16) as this layer reads and writes it. Property
// values stay raw XML: the layer adds properties to go-webdav's answers, never edits its.
type multistatus struct {
	XMLName   xml.Name   `xml:"DAV: multistatus"`
	Responses []response `xml:"DAV: response"`
	SyncToken string     `xml:"DAV: sync-token,omitempty"`
}

type response struct {
	Hrefs       []string   `xml:"DAV: href"`
	Propstats   []propstat `xml:"DAV: propstat"`
	Status      string     `xml:"DAV: status,omitempty"`
	Error       *rawXML    `xml:"DAV: error,omitempty"`
	Description string     `xml:"DAV: responsedescription,omitempty"`
}

type propstat struct {
	Prop   rawXML `xml:"DAV: prop"`
	Status string `xml:"DAV: status"`
}

// addProps adds property elements to the response's propstat of code, making one when it
// has none (RFC 4918 §14.22: one propstat per status).
func (r *response) addProps(code int, props []byte) {
	if len(props) == 0 {
		return
	}
	want := status(code)
	for i := range r.Propstats {
		if ps := &r.Propstats[i]; strings.HasPrefix(strings.TrimSpace(ps.Status), fmt.Sprintf("HTTP/1.1 %d ", code)) || ps.Status == want {
			ps.Prop.Inner = append(ps.Prop.Inner, props...)
			return
		}
	}
	r.Propstats = append(r.Propstats, propstat{Prop: rawXML{props}, Status: want})
}

// rawXML is an element's content, kept as it came.
type rawXML struct {
	Inner []byte `xml:",innerxml"`
}

func status(code int) string { return fmt.Sprintf("HTTP/1.1 %d %s", code, http.StatusText(code)) }

// el writes an element of name with XML-escaped text, or with raw inner XML.
func el(name xml.Name, text string) []byte {
	var b bytes.Buffer
	fmt.Fprintf(&b, `<%s xmlns="%s">`, name.Local, name.Space)
	_ = xml.EscapeText(&b, []byte(text))
	fmt.Fprintf(&b, `</%s>`, name.Local)
	return b.Bytes()
}

func elRaw(name xml.Name, inner string) []byte {
	return []byte(fmt.Sprintf(`<%s xmlns="%s">%s</%s>`, name.Local, name.Space, inner, name.Local))
}

func emptyEl(name xml.Name) []byte {
	return []byte(fmt.Sprintf(`<%s xmlns="%s"/>`, name.Local, name.Space))
}

// writeMultistatus sends a 207 (RFC 4918 §13).
func writeMultistatus(w http.ResponseWriter, ms *multistatus) {
	w.Header().Set("Content-Type", `application/xml; charset="utf-8"`)
	w.WriteHeader(http.StatusMultiStatus)
	_, _ = w.Write([]byte(xml.Header))
	_ = xml.NewEncoder(w).Encode(ms)
}

// davError answers a failed precondition with its DAV:error body (RFC 4918 §16).
func davError(w http.ResponseWriter, code int, condition xml.Name, msg string) {
	w.Header().Set("Content-Type", `application/xml; charset="utf-8"`)
	w.WriteHeader(code)
	fmt.Fprintf(w, `%s<error xmlns="DAV:">%s<responsedescription>`, xml.Header, emptyEl(condition))
	_ = xml.EscapeText(w, []byte(msg))
	fmt.Fprint(w, `</responsedescription></error>`)
}

// propName is an element of a request's DAV:prop: a property name, with the attributes
// and children address-data may carry (RFC 6352 §10.4).
type propName struct {
	XMLName     xml.Name
	ContentType string `xml:"content-type,attr"`
	Version     string `xml:"version,attr"`
	Props       []struct {
		Name string `xml:"name,attr"`
	} `xml:"urn:ietf:params:xml:ns:carddav prop"`
}

type propNames struct {
	Names []propName `xml:",any"`
}

// dataVersion reads the vCard version an address-data element asks for (RFC 6352 §10.4):
// 3.0 only when asked, 4.0 otherwise; ok is false for a media type or version Kontakt
// cannot serve.
func dataVersion(p propName) (version string, ok bool) {
	if p.ContentType != "" && !strings.EqualFold(p.ContentType, vcard.MIMEType) {
		return "", false
	}
	switch p.Version {
	case "3.0":
		return "3.0", true
	case "", "4.0":
		return "4.0", true
	}
	return "", false
}

// propfind answers PROPFIND. go-webdav does the work; when the request names collection
// properties it does not know, they are taken out of the request and added to its answer.
func (h *handler) propfind(w http.ResponseWriter, r *http.Request, st *reqState) {
	body, tooLarge, err := readBody(r, maxXMLBytes)
	if err != nil || tooLarge {
		http.Error(w, "the request body is unreadable or too large", http.StatusRequestEntityTooLarge)
		return
	}
	next := h.davFor(r.URL.Path)
	var req struct {
		XMLName  xml.Name   `xml:"DAV: propfind"`
		Prop     *propNames `xml:"DAV: prop"`
		AllProp  *struct{}  `xml:"DAV: allprop"`
		PropName *struct{}  `xml:"DAV: propname"`
	}
	if len(bytes.TrimSpace(body)) == 0 {
		// An empty PROPFIND is an allprop (RFC 4918 §9.1), and go-webdav puts the vCards
		// into an allprop answer.
		st.wantsData = true
		h.serveRecorded(w, withBody(r, body), st, next)
		return
	}
	if err := xml.Unmarshal(body, &req); err != nil || req.Prop == nil {
		st.wantsData = err == nil && req.AllProp != nil
		h.serveRecorded(w, withBody(r, body), st, next)
		return
	}
	var ours []xml.Name
	var rest []propName
	for _, p := range req.Prop.Names {
		switch {
		case ourCollectionProp[p.XMLName]:
			ours = append(ours, p.XMLName)
		case p.XMLName == nameAddressData:
			st.wantsData = true
			if v, ok := dataVersion(p); ok {
				st.vcardVersion = v
			}
			rest = append(rest, p)
		default:
			rest = append(rest, p)
		}
	}
	if len(ours) == 0 {
		h.serveRecorded(w, withBody(r, body), st, next)
		return
	}
	rec := newRecorder()
	next.ServeHTTP(rec, withBody(r, propfindBody(rest)))
	if rec.code != http.StatusMultiStatus {
		rec.flush(w)
		return
	}
	var ms multistatus
	if err := xml.Unmarshal(rec.body.Bytes(), &ms); err != nil {
		h.internalError(w, r, fmt.Errorf("carddav: read go-webdav's multistatus: %w", err))
		return
	}
	colls, err := h.store.SyncCollections(r.Context(), st.user.ID)
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	byID := make(map[string]store.SyncCollection, len(colls))
	for _, c := range colls {
		byID[c.BookID] = c
	}
	for i := range ms.Responses {
		resp := &ms.Responses[i]
		if len(resp.Hrefs) != 1 || resp.Status != "" {
			continue
		}
		var found, missing []byte
		coll, isColl := collectionAt(resp.Hrefs[0], st.user.Login, byID)
		for _, name := range ours {
			if v := collectionProp(name, coll, isColl); v != nil {
				found = append(found, v...)
			} else {
				missing = append(missing, emptyEl(name)...)
			}
		}
		resp.addProps(http.StatusOK, found)
		resp.addProps(http.StatusNotFound, missing)
	}
	if st.wantsData {
		if err := h.record(r.Context(), st, nil); err != nil {
			h.internalError(w, r, err)
			return
		}
	}
	writeMultistatus(w, &ms)
}

// propfindBody rebuilds a PROPFIND asking for the named properties.
func propfindBody(props []propName) []byte {
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><propfind xmlns="DAV:"><prop>`)
	enc := xml.NewEncoder(&b)
	for _, p := range props {
		start := xml.StartElement{Name: p.XMLName}
		if p.XMLName == nameAddressData {
			for _, a := range []xml.Attr{{Name: xml.Name{Local: "content-type"}, Value: p.ContentType}, {Name: xml.Name{Local: "version"}, Value: p.Version}} {
				if a.Value != "" {
					start.Attr = append(start.Attr, a)
				}
			}
		}
		_ = enc.EncodeToken(start)
		_ = enc.EncodeToken(start.End())
	}
	_ = enc.Flush()
	b.WriteString(`</prop></propfind>`)
	return b.Bytes()
}

// collectionAt finds the user's sync collection an href names.
func collectionAt(href, login string, byID map[string]store.SyncCollection) (store.SyncCollection, bool) {
	u, err := url.Parse(href)
	if err != nil {
		return store.SyncCollection{}, false
	}
	dp, ok := parsePath(u.Path)
	if !ok || dp.login != login || dp.bookID == "" || dp.name != "" {
		return store.SyncCollection{}, false
	}
	c, ok := byID[dp.bookID]
	return c, ok
}

// collectionProp returns the value of one of the layer's properties of a collection, or
// nil when the resource has none (not a collection).
func collectionProp(name xml.Name, c store.SyncCollection, isColl bool) []byte {
	if !isColl {
		return nil
	}
	switch name {
	case nameGetCTag:
		return el(nameGetCTag, c.CTag)
	case nameSyncToken:
		// RFC 6578 §4: the token of the collection's current state, a URI.
		return el(nameSyncToken, syncToken{bookID: c.BookID, seq: c.Seq}.String())
	case namePrivileges:
		return elRaw(namePrivileges, privileges(c))
	case nameReportSet:
		return elRaw(nameReportSet, `<supported-report><report><sync-collection/></report></supported-report>`+
			`<supported-report><report><addressbook-multiget xmlns="`+nsCardDAV+`"/></report></supported-report>`+
			`<supported-report><report><addressbook-query xmlns="`+nsCardDAV+`"/></report></supported-report>`)
	}
	return nil
}

// privileges lists what the user may do in a collection (RFC 3744 §5.4): read, and with a
// read-write sync grant and the editor role, change, add and remove vCards (write-content,
// bind, unbind; not write-properties, which go-webdav refuses).
func privileges(c store.SyncCollection) string {
	privs := []string{"read", "read-current-user-privilege-set"}
	if writable(c) == nil {
		privs = append(privs, "write-content", "bind", "unbind")
	}
	var b strings.Builder
	for _, p := range privs {
		b.WriteString("<privilege><" + p + "/></privilege>")
	}
	return b.String()
}

// syncToken is a position in a collection's change feed (RFC 6578 §3.2): after every change
// of the book up to seq. An initial sync cut short by a limit also carries the id of the
// last contact listed ("kontakt:<book>:<seq>:<after>"); it continues the listing, then the
// feed from seq.
type syncToken struct {
	bookID string
	seq    int64
	after  string
}

func (t syncToken) String() string {
	s := "kontakt:" + t.bookID + ":" + strconv.FormatInt(t.seq, 10)
	if t.after != "" {
		s += ":" + t.after
	}
	return s
}

// parseSyncToken reads a token this server made for collection c; a token of another
// collection, a future position or anything else is invalid.
func parseSyncToken(s string, c store.SyncCollection) (syncToken, bool) {
	parts := strings.Split(strings.TrimSpace(s), ":")
	if len(parts) < 3 || len(parts) > 4 || parts[0] != "kontakt" || parts[1] != c.BookID {
		return syncToken{}, false
	}
	seq, err := strconv.ParseInt(parts[2], 10, 64)
	if err != nil || seq < 0 || seq > c.Seq {
		return syncToken{}, false
	}
	t := syncToken{bookID: c.BookID, seq: seq}
	if len(parts) == 4 {
		if !store.ValidID(parts[3]) {
			return syncToken{}, false
		}
		t.after = parts[3]
	}
	return t, true
}

// syncCollectionReq is the DAV:sync-collection REPORT body (RFC 6578 §6.1).
type syncCollectionReq struct {
	XMLName   xml.Name `xml:"DAV: sync-collection"`
	SyncToken string   `xml:"DAV: sync-token"`
	SyncLevel string   `xml:"DAV: sync-level"`
	Limit     *struct {
		NResults string `xml:"DAV: nresults"`
	} `xml:"DAV: limit"`
	Prop *propNames `xml:"DAV: prop"`
}

// report answers REPORT: sync-collection here; addressbook-multiget and addressbook-query
// by go-webdav, after reading the vCard version their address-data asks for.
func (h *handler) report(w http.ResponseWriter, r *http.Request, st *reqState) {
	body, tooLarge, err := readBody(r, maxXMLBytes)
	if err != nil || tooLarge {
		http.Error(w, "the request body is unreadable or too large", http.StatusRequestEntityTooLarge)
		return
	}
	var probe struct {
		XMLName xml.Name
		Prop    *propNames `xml:"DAV: prop"`
		AllProp *struct{}  `xml:"DAV: allprop"`
		Hrefs   []string   `xml:"DAV: href"`
	}
	if err := xml.Unmarshal(body, &probe); err != nil {
		http.Error(w, "the request body is not well-formed XML", http.StatusBadRequest)
		return
	}
	switch probe.XMLName {
	case nameSyncColl:
		h.syncCollection(w, r, st, body)
		return
	case nameMultiget, nameQuery:
		st.wantsData = probe.AllProp != nil
		if probe.Prop != nil {
			for _, p := range probe.Prop.Names {
				if p.XMLName != nameAddressData {
					continue
				}
				v, ok := dataVersion(p)
				if !ok {
					// RFC 6352 §8.7/§10.4: the CARDDAV:supported-address-data precondition.
					davError(w, http.StatusForbidden, xml.Name{Space: nsCardDAV, Local: "supported-address-data"},
						"Kontakt serves text/vcard 3.0 and 4.0")
					return
				}
				st.wantsData, st.vcardVersion = true, v
			}
		}
		if probe.XMLName == nameMultiget {
			if err := (&backend{h: h}).prefetch(r.Context(), probe.Hrefs); err != nil {
				h.internalError(w, r, err)
				return
			}
		}
	}
	h.serveRecorded(w, withBody(r, body), st, h.davFor(r.URL.Path))
}

// syncCollection answers the sync-collection REPORT (RFC 6578 §3): with an empty token every
// contact of the collection, else what changed since the token, contacts gone (deleted,
// moved out, no longer visible) as 404 entries (§3.5.2), in time proportional to the changes
// (ARCHITECTURE.md, invariant 4). DAV:limit cuts the answer short with a 507 entry for the
// collection and a token to continue from (§3.6, §3.7). Only sync-level 1 (§3.3).
func (h *handler) syncCollection(w http.ResponseWriter, r *http.Request, st *reqState, body []byte) {
	ctx := r.Context()
	var req syncCollectionReq
	if err := xml.Unmarshal(body, &req); err != nil {
		http.Error(w, "invalid sync-collection request: "+err.Error(), http.StatusBadRequest)
		return
	}
	dp, ok := parsePath(r.URL.Path)
	if !ok || dp.login != st.user.Login || dp.bookID == "" || dp.name != "" {
		http.NotFound(w, r)
		return
	}
	coll, err := h.store.SyncCollectionOf(ctx, st.user.ID, dp.bookID)
	if errors.Is(err, store.ErrNotFound) {
		h.syncGone(w, r, st, dp)
		return
	} else if err != nil {
		h.internalError(w, r, err)
		return
	}
	switch strings.TrimSpace(req.SyncLevel) {
	case "1":
	case "infinite":
		// §3.3: a server that does not sync member collections' contents says so.
		davError(w, http.StatusForbidden, xml.Name{Space: nsDAV, Local: "sync-traversal-supported"},
			"address books have no member collections: use sync-level 1")
		return
	default:
		http.Error(w, "sync-collection needs a sync-level of 1", http.StatusBadRequest)
		return
	}
	limit := 0
	if req.Limit != nil {
		n, err := strconv.Atoi(strings.TrimSpace(req.Limit.NResults))
		if err != nil || n < 1 {
			http.Error(w, "DAV:limit needs a positive DAV:nresults", http.StatusBadRequest)
			return
		}
		limit = n
	}
	var tok syncToken
	initial := strings.TrimSpace(req.SyncToken) == ""
	if !initial {
		if tok, ok = parseSyncToken(req.SyncToken, coll); !ok {
			// §3.2: an unknown or foreign token fails the DAV:valid-sync-token precondition;
			// the client starts over with an empty token.
			davError(w, http.StatusForbidden, xml.Name{Space: nsDAV, Local: "valid-sync-token"},
				"the sync token is not valid for this collection; sync again from the start")
			return
		}
		initial = tok.after != ""
	} else {
		tok = syncToken{bookID: coll.BookID, seq: coll.Seq}
	}

	props := []propName{}
	if req.Prop != nil {
		props = req.Prop.Names
	}
	for _, p := range props {
		if p.XMLName == nameAddressData {
			v, ok := dataVersion(p)
			if !ok {
				davError(w, http.StatusForbidden, xml.Name{Space: nsCardDAV, Local: "supported-address-data"},
					"Kontakt serves text/vcard 3.0 and 4.0")
				return
			}
			st.wantsData, st.vcardVersion = true, v
		}
	}

	var changed []model.Contact
	var removed []string
	next := tok
	truncated := false
	if initial {
		// The listing reads the contacts after the feed position taken first, so a change
		// made meanwhile comes again in the next incremental sync rather than never.
		var more bool
		changed, more, err = h.store.CollectionContactsAfter(ctx, st.user.ID, coll.BookID, tok.after, limit)
		next.after = ""
		if more {
			truncated = true
			next.after = changed[len(changed)-1].ID
		}
	} else {
		var seq int64
		changed, removed, seq, truncated, err = h.store.CollectionChanges(ctx, st.user.ID, coll.BookID, tok.seq, limit)
		next.seq = seq
	}
	if err != nil {
		h.internalError(w, r, err)
		return
	}

	ms := multistatus{SyncToken: next.String()}
	prof, ph := vcardmap.NewProfile(coll.SyncProfile), vcardmap.ProfileHash(coll.SyncProfile)
	for _, c := range changed {
		var found, missing []byte
		for _, p := range props {
			switch p.XMLName {
			case nameGetETag:
				found = append(found, el(nameGetETag, strconv.Quote(vcardmap.ETag(c.Version, ph)))...)
			case nameGetCType:
				found = append(found, el(nameGetCType, vcard.MIMEType+"; charset=utf-8")...)
			case nameGetLastMod:
				found = append(found, el(nameGetLastMod, c.UpdatedAt.UTC().Format(http.TimeFormat))...)
			case nameResourceType:
				found = append(found, emptyEl(nameResourceType)...)
			case nameAddressData:
				var names []string
				for _, n := range p.Props {
					names = append(names, n.Name)
				}
				var buf bytes.Buffer
				if err := vcard.NewEncoder(&buf).Encode(vcardmap.PruneCard(vcardmap.CardOf(c, prof, st.vcardVersion), names)); err != nil {
					h.internalError(w, r, err)
					return
				}
				found = append(found, el(nameAddressData, buf.String())...)
				st.serve(coll.BookID, c)
			default:
				missing = append(missing, emptyEl(p.XMLName)...)
			}
		}
		resp := response{Hrefs: []string{objectPath(dp.login, coll.BookID, c.ID)}}
		resp.addProps(http.StatusOK, found)
		resp.addProps(http.StatusNotFound, missing)
		if resp.Propstats == nil {
			resp.Status = status(http.StatusOK)
		}
		ms.Responses = append(ms.Responses, resp)
	}
	for _, id := range removed {
		ms.Responses = append(ms.Responses, response{Hrefs: []string{objectPath(dp.login, coll.BookID, id)}, Status: status(http.StatusNotFound)})
	}
	if truncated {
		ms.Responses = append(ms.Responses, response{
			Hrefs:  []string{collectionPath(dp.login, coll.BookID)},
			Status: status(http.StatusInsufficientStorage),
			Error:  &rawXML{emptyEl(xml.Name{Space: nsDAV, Local: "number-of-matches-within-limits"})},
		})
	}
	// The ledger and the audit log learn what the device was given and told before it
	// gets the answer; the call also marks the device's sync time.
	if st.served == nil {
		st.served = map[string][]store.ContactVersion{coll.BookID: nil}
	}
	if err := h.record(ctx, st, map[string][]string{coll.BookID: removed}); err != nil {
		h.internalError(w, r, err)
		return
	}
	if initial {
		h.syncs.CardDAVSync("initial")
	} else {
		h.syncs.CardDAVSync("incremental")
	}
	writeMultistatus(w, &ms)
}

// syncGone answers a sync-collection of a book the user no longer syncs but the device still
// holds contacts of (backend.gone): each of them is removed (RFC 6578 §3.5.2), once; after
// that the collection is 404 like any other path.
func (h *handler) syncGone(w http.ResponseWriter, r *http.Request, st *reqState, dp davPath) {
	held, err := (&backend{h: h}).gone(r.Context(), dp)
	if err != nil {
		h.internalError(w, r, err)
		return
	}
	if len(held) == 0 {
		http.NotFound(w, r)
		return
	}
	// A position no later sync accepts (seq -1): should the book come back, the client
	// starts over with a full sync rather than trusting what it removed.
	ms := multistatus{SyncToken: syncToken{bookID: dp.bookID, seq: -1}.String()}
	for _, id := range held {
		ms.Responses = append(ms.Responses, response{Hrefs: []string{objectPath(dp.login, dp.bookID, id)}, Status: status(http.StatusNotFound)})
	}
	if err := h.record(r.Context(), st, map[string][]string{dp.bookID: held}); err != nil {
		h.internalError(w, r, err)
		return
	}
	h.syncs.CardDAVSync("revoked")
	writeMultistatus(w, &ms)
}
