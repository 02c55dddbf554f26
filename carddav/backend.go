package carddav

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"

	"github.com/emersion/go-vcard"
	"github.com/emersion/go-webdav"
	"github.com/emersion/go-webdav/carddav"

	"github.com/kontakt/kontakt/model"
	"github.com/kontakt/kontakt/store"
	"github.com/kontakt/kontakt/vcardmap"
)

// backend is go-webdav's carddav.Backend over store. Every read names the user, and store
// answers through the visibility policy and the user's sync grants; what is not theirs is
// 404, never 403 (ARCHITECTURE.md, invariant 2).
type backend struct{ h *handler }

var _ carddav.Backend = (*backend)(nil)

// supportedData is what every collection offers (RFC 6352 §6.2.2).
var supportedData = []carddav.AddressDataType{{ContentType: vcard.MIMEType, Version: "3.0"}, {ContentType: vcard.MIMEType, Version: "4.0"}}

func (b *backend) CurrentUserPrincipal(ctx context.Context) (string, error) {
	return principalPath(stateOf(ctx).user.Login), nil
}

func (b *backend) AddressBookHomeSetPath(ctx context.Context) (string, error) {
	return homePath(stateOf(ctx).user.Login), nil
}

func addressBook(login string, c store.SyncCollection) carddav.AddressBook {
	return carddav.AddressBook{Path: collectionPath(login, c.BookID), Name: c.Name, Description: c.Description,
		MaxResourceSize: MaxVCardBytes, SupportedAddressData: supportedData}
}

// ListAddressBooks lists the user's sync collections, and, empty, the books the device still
// holds contacts of but the user no longer syncs (see gone).
func (b *backend) ListAddressBooks(ctx context.Context) ([]carddav.AddressBook, error) {
	st := stateOf(ctx)
	colls, err := b.h.store.SyncCollections(ctx, st.user.ID)
	if err != nil {
		return nil, b.fail(ctx, err)
	}
	out := make([]carddav.AddressBook, len(colls))
	live := map[string]bool{}
	for i, c := range colls {
		out[i], live[c.BookID] = addressBook(st.user.Login, c), true
	}
	held, err := b.h.store.HeldBooks(ctx, st.device.ID)
	if err != nil {
		return nil, b.fail(ctx, err)
	}
	for _, id := range held {
		if !live[id] {
			out = append(out, carddav.AddressBook{Path: collectionPath(st.user.Login, id), SupportedAddressData: supportedData})
		}
	}
	return out, nil
}

// gone returns the contacts the device may still hold of a book at a collection path that
// the user no longer syncs (sync grant revoked or ended, book no longer visible). Such a
// book stays a collection for the device, an empty one that reveals nothing but its id,
// until a sync-collection REPORT has reported the removals or store.HeldGrace has passed:
// clients that keep the contacts of a collection that vanished (vdirsyncer stops with an
// error) can then remove them like any removed contact.
func (b *backend) gone(ctx context.Context, dp davPath) ([]string, error) {
	st := stateOf(ctx)
	if dp.login != st.user.Login || dp.bookID == "" || dp.name != "" {
		return nil, nil
	}
	return b.h.store.HeldContacts(ctx, st.device.ID, dp.bookID)
}

// collection returns the sync collection a path is in (the collection itself or one of its
// objects); 404 for a path of another user, a book not synced, or one the user may not see.
func (b *backend) collection(ctx context.Context, p string) (davPath, store.SyncCollection, error) {
	st := stateOf(ctx)
	dp, ok := parsePath(p)
	if !ok || dp.login != st.user.Login || dp.bookID == "" {
		return dp, store.SyncCollection{}, notFound()
	}
	if c, ok := st.colls[dp.bookID]; ok {
		return dp, c, nil
	}
	c, err := b.h.store.SyncCollectionOf(ctx, st.user.ID, dp.bookID)
	if err != nil {
		return dp, c, b.fail(ctx, err)
	}
	if st.colls == nil {
		st.colls = map[string]store.SyncCollection{}
	}
	st.colls[dp.bookID] = c
	return dp, c, nil
}

func (b *backend) GetAddressBook(ctx context.Context, p string) (*carddav.AddressBook, error) {
	dp, c, err := b.collection(ctx, p)
	if err == errNotFound {
		if held, err := b.gone(ctx, dp); err != nil {
			return nil, b.fail(ctx, err)
		} else if len(held) > 0 {
			return &carddav.AddressBook{Path: collectionPath(dp.login, dp.bookID), SupportedAddressData: supportedData}, nil
		}
	}
	if err != nil {
		return nil, err
	}
	if dp.name != "" {
		return nil, notFound()
	}
	ab := addressBook(dp.login, c)
	return &ab, nil
}

// CreateAddressBook is refused: books are made in Kontakt, and synced by grant.
func (b *backend) CreateAddressBook(ctx context.Context, _ *carddav.AddressBook) error {
	return webdav.NewHTTPError(http.StatusForbidden, errors.New("address books are created in Kontakt, not by devices"))
}

// DeleteAddressBook is refused: a user stops syncing a book by dropping the sync grant.
func (b *backend) DeleteAddressBook(ctx context.Context, _ string) error {
	return webdav.NewHTTPError(http.StatusForbidden, errors.New("address books cannot be deleted from a device; revoke the sync grant instead"))
}

// object renders a contact of a collection for the request: minimised by the book's sync
// profile, in the negotiated vCard version, pruned to the properties asked for.
func (b *backend) object(ctx context.Context, login string, coll store.SyncCollection, c model.Contact, props []string) carddav.AddressObject {
	st := stateOf(ctx)
	if st.wantsData {
		st.serve(coll.BookID, c)
	}
	return carddav.AddressObject{
		Path:    objectPath(login, coll.BookID, c.ID),
		ModTime: c.UpdatedAt,
		ETag:    vcardmap.ETag(c.Version, vcardmap.ProfileHash(coll.SyncProfile)),
		Card:    vcardmap.PruneCard(vcardmap.CardOf(c, vcardmap.NewProfile(coll.SyncProfile), st.vcardVersion), props),
	}
}

func (b *backend) GetAddressObject(ctx context.Context, p string, req *carddav.AddressDataRequest) (*carddav.AddressObject, error) {
	dp, coll, err := b.collection(ctx, p)
	if err != nil {
		return nil, err
	}
	if dp.name == "" {
		return nil, notFound()
	}
	st := stateOf(ctx)
	c, ok := st.prefetched[objectPath(dp.login, coll.BookID, dp.name)]
	if st.prefetched == nil {
		var err error
		if c, err = b.h.store.CollectionContact(ctx, st.user.ID, coll.BookID, dp.name); err != nil {
			return nil, b.fail(ctx, err)
		}
	} else if !ok {
		return nil, notFound()
	}
	ao := b.object(ctx, dp.login, coll, c, dataProps(req))
	return &ao, nil
}

func dataProps(req *carddav.AddressDataRequest) []string {
	if req == nil || req.AllProp {
		return nil
	}
	return req.Props
}

// ListAddressObjects lists a collection for a PROPFIND with Depth 1. Unless the request
// asks for the vCards themselves, only ids and versions are read: a client polling ETags
// costs one index scan. The listing is complete, so the ledger forgets what it leaves out.
func (b *backend) ListAddressObjects(ctx context.Context, p string, req *carddav.AddressDataRequest) ([]carddav.AddressObject, error) {
	dp, coll, err := b.collection(ctx, p)
	st := stateOf(ctx)
	if err == errNotFound {
		// A book no longer synced lists empty while the ledger says the device may still
		// hold its contacts (store.HeldGrace): a listing does not prove the client applied
		// the removal (vdirsyncer refuses to empty a collection without --force-delete).
		if held, err := b.gone(ctx, dp); err != nil {
			return nil, b.fail(ctx, err)
		} else if len(held) > 0 {
			return nil, nil
		}
	}
	if err != nil {
		return nil, err
	}
	if dp.name != "" {
		return nil, notFound()
	}
	var out []carddav.AddressObject
	var ids []string
	if st.wantsData {
		cs, err := b.h.store.CollectionContacts(ctx, st.user.ID, coll.BookID)
		if err != nil {
			return nil, b.fail(ctx, err)
		}
		for _, c := range cs {
			out = append(out, b.object(ctx, dp.login, coll, c, dataProps(req)))
			ids = append(ids, c.ID)
		}
	} else {
		vs, err := b.h.store.CollectionVersions(ctx, st.user.ID, coll.BookID)
		if err != nil {
			return nil, b.fail(ctx, err)
		}
		ph := vcardmap.ProfileHash(coll.SyncProfile)
		for _, v := range vs {
			out = append(out, carddav.AddressObject{Path: objectPath(dp.login, coll.BookID, v.ContactID), ETag: vcardmap.ETag(v.Version, ph)})
			ids = append(ids, v.ContactID)
		}
	}
	if err := b.h.store.RecordHeld(ctx, st.device.ID, coll.BookID, ids); err != nil {
		return nil, b.fail(ctx, err)
	}
	return out, nil
}

// QueryAddressObjects answers an addressbook-query REPORT (RFC 6352 §8.6) with go-webdav's
// matcher over the minimised vCards: a filter cannot find what the profile keeps on the
// server.
func (b *backend) QueryAddressObjects(ctx context.Context, p string, q *carddav.AddressBookQuery) ([]carddav.AddressObject, error) {
	dp, coll, err := b.collection(ctx, p)
	if err != nil {
		return nil, err
	}
	if dp.name != "" {
		return nil, notFound()
	}
	st := stateOf(ctx)
	cs, err := b.h.store.CollectionContacts(ctx, st.user.ID, coll.BookID)
	if err != nil {
		return nil, b.fail(ctx, err)
	}
	prof, ph := vcardmap.NewProfile(coll.SyncProfile), vcardmap.ProfileHash(coll.SyncProfile)
	all := make([]carddav.AddressObject, len(cs))
	byPath := make(map[string]model.Contact, len(cs))
	for i, c := range cs {
		all[i] = carddav.AddressObject{Path: objectPath(dp.login, coll.BookID, c.ID), ModTime: c.UpdatedAt,
			ETag: vcardmap.ETag(c.Version, ph), Card: vcardmap.CardOf(c, prof, st.vcardVersion)}
		byPath[all[i].Path] = c
	}
	out, err := carddav.Filter(q, all)
	if err != nil {
		return nil, webdav.NewHTTPError(http.StatusBadRequest, err)
	}
	if st.wantsData {
		for _, ao := range out {
			st.serve(coll.BookID, byPath[ao.Path])
		}
	}
	return out, nil
}

// writable fails unless the user may change the collection from a device: a read-write
// sync grant and at least the editor role (RFC 3744 §5.4 shows the same as privileges).
// A project's collection is always read-only: its contacts are edited in their books.
func writable(c store.SyncCollection) error {
	if c.Project {
		return webdav.NewHTTPError(http.StatusForbidden, errors.New("a project's collection is read-only; contacts are edited in their address books"))
	}
	if c.Mode != model.SyncReadWrite || !c.Role.AtLeast(model.RoleEditor) {
		return webdav.NewHTTPError(http.StatusForbidden, errors.New("this book is synced read-only"))
	}
	return nil
}

// PutAddressObject creates or replaces a contact from a device's vCard. Only the fields of
// the book's sync profile are taken from it; the rest of a stored contact stays as it is.
// If-Match and If-None-Match are honoured (RFC 7232 §3.1, §3.2; RFC 6352 §6.3.2).
func (b *backend) PutAddressObject(ctx context.Context, p string, card vcard.Card, opts *carddav.PutAddressObjectOptions) (*carddav.AddressObject, error) {
	dp, coll, err := b.collection(ctx, p)
	if err != nil {
		return nil, err
	}
	if dp.name == "" {
		return nil, webdav.NewHTTPError(http.StatusMethodNotAllowed, errors.New("PUT a vCard into a collection, as <name>.vcf"))
	}
	if err := writable(coll); err != nil {
		return nil, err
	}
	st := stateOf(ctx)
	var existing *model.Contact
	if store.ValidID(dp.name) {
		c, err := b.h.store.CollectionContact(ctx, st.user.ID, coll.BookID, dp.name)
		if err == nil {
			existing = &c
		} else if !errors.Is(err, store.ErrNotFound) {
			return nil, b.fail(ctx, err)
		}
	}
	current := ""
	if existing != nil {
		current = vcardmap.ETag(existing.Version, vcardmap.ProfileHash(coll.SyncProfile))
	}
	if err := preconditions(string(opts.IfMatch), string(opts.IfNoneMatch), current); err != nil {
		return nil, err
	}
	prof := vcardmap.NewProfile(coll.SyncProfile)
	actor := store.Actor{UserID: st.user.ID, Channel: model.ChannelCardDAV}
	if existing != nil {
		c := *existing
		if err := vcardmap.ApplyCard(&c, card, prof); err != nil {
			return nil, b.fail(ctx, err)
		}
		if _, err := b.h.store.UpdateContact(ctx, actor, c.ID, patchOf(c), existing.Version); err != nil {
			return nil, b.fail(ctx, err)
		}
		st.replaced = true
		// No ETag: what is stored is not octet-equal to what was sent (RFC 6352 §6.3.2.3),
		// so the client fetches it again.
		return &carddav.AddressObject{Path: objectPath(dp.login, coll.BookID, c.ID)}, nil
	}
	c := model.Contact{BookID: coll.BookID}
	if err := vcardmap.ApplyCard(&c, card, prof); err != nil {
		return nil, b.fail(ctx, err)
	}
	c.ID = dp.name // kept when a free UUID, so the contact lives at the URL the client chose
	id, err := b.h.store.AddContact(ctx, actor, c)
	if err != nil {
		return nil, b.fail(ctx, err)
	}
	return &carddav.AddressObject{Path: objectPath(dp.login, coll.BookID, id)}, nil
}

// patchOf sets every field a device may change.
func patchOf(c model.Contact) model.ContactPatch {
	return model.ContactPatch{
		Prefix: &c.Prefix, GivenName: &c.GivenName, AdditionalName: &c.AdditionalName, FamilyName: &c.FamilyName,
		Suffix: &c.Suffix, OrgName: &c.OrgName, JobTitle: &c.JobTitle,
		Birthday: model.Optional[string]{Set: true, Value: c.Birthday},
		Tags:     &c.Tags, Emails: &c.Emails, Phones: &c.Phones, Addresses: &c.Addresses, Websites: &c.Websites, Socials: &c.Socials,
	}
}

// DeleteAddressObject deletes a contact from a device, honouring If-Match.
func (b *backend) DeleteAddressObject(ctx context.Context, p string) error {
	dp, coll, err := b.collection(ctx, p)
	if err != nil {
		return err
	}
	if dp.name == "" {
		return notFound()
	}
	st := stateOf(ctx)
	c, err := b.h.store.CollectionContact(ctx, st.user.ID, coll.BookID, dp.name)
	if err != nil {
		return b.fail(ctx, err)
	}
	if err := writable(coll); err != nil {
		return err
	}
	if err := preconditions(st.ifMatch, "", vcardmap.ETag(c.Version, vcardmap.ProfileHash(coll.SyncProfile))); err != nil {
		return err
	}
	return b.fail(ctx, b.h.store.DeleteContact(ctx, store.Actor{UserID: st.user.ID, Channel: model.ChannelCardDAV}, c.ID))
}

// preconditions evaluates If-Match and If-None-Match against the current ETag ("" when the
// resource does not exist) and answers 412 when they fail (RFC 7232 §3.1, §3.2, §6).
func preconditions(ifMatch, ifNoneMatch, current string) error {
	failed := webdav.NewHTTPError(http.StatusPreconditionFailed, errors.New("the contact is not in the state the request expects"))
	if ifMatch != "" && (current == "" || !etagListMatches(ifMatch, current, true)) {
		return failed
	}
	if ifNoneMatch != "" && current != "" && etagListMatches(ifNoneMatch, current, false) {
		return failed
	}
	return nil
}

// etagListMatches reports whether a conditional header (a list of entity tags, or "*")
// matches current. If-Match compares strongly (a weak tag never matches), If-None-Match
// weakly.
func etagListMatches(header, current string, strong bool) bool {
	for _, t := range strings.Split(header, ",") {
		t = strings.TrimSpace(t)
		if t == "*" {
			return true
		}
		weak := strings.HasPrefix(t, "W/")
		if weak && strong {
			continue
		}
		t = strings.TrimPrefix(t, "W/")
		if len(t) >= 2 && t[0] == '"' && t[len(t)-1] == '"' && t[1:len(t)-1] == current {
			return true
		}
	}
	return false
}

// errNotFound is every 404 of the backend, one value so that the layer can recognise it.
var errNotFound = webdav.NewHTTPError(http.StatusNotFound, errors.New("not found"))

func notFound() error { return errNotFound }

// prefetch reads the contacts an addressbook-multiget names (RFC 6352 §8.7), a few queries
// per collection instead of a few per contact; GetAddressObject then answers from them.
func (b *backend) prefetch(ctx context.Context, hrefs []string) error {
	st := stateOf(ctx)
	byBook := map[string][]string{}
	for _, h := range hrefs {
		u, err := url.Parse(strings.TrimSpace(h))
		if err != nil {
			continue
		}
		if dp, ok := parsePath(u.Path); ok && dp.login == st.user.Login && dp.bookID != "" && dp.name != "" {
			byBook[dp.bookID] = append(byBook[dp.bookID], dp.name)
		}
	}
	st.prefetched = map[string]model.Contact{}
	for bookID, ids := range byBook {
		_, coll, err := b.collection(ctx, collectionPath(st.user.Login, bookID))
		if err == errNotFound {
			continue
		} else if err != nil {
			return err
		}
		cs, err := b.h.store.CollectionContactsByID(ctx, st.user.ID, coll.BookID, ids)
		if err != nil {
			return b.fail(ctx, err)
		}
		for _, c := range cs {
			st.prefetched[objectPath(st.user.Login, coll.BookID, c.ID)] = c
		}
	}
	return nil
}

// fail turns a store or vCard error into the HTTP error go-webdav answers with; an
// unexpected one is logged and answers 500 without detail.
func (b *backend) fail(ctx context.Context, err error) error {
	var fe *model.FieldError
	var ce *store.ConflictError
	var cardErr *vcardmap.CardError
	switch {
	case err == nil:
		return nil
	case errors.Is(err, store.ErrNotFound):
		return errNotFound
	case errors.Is(err, store.ErrForbidden):
		return webdav.NewHTTPError(http.StatusForbidden, errors.New("not allowed"))
	case errors.As(err, &cardErr):
		return webdav.NewHTTPError(http.StatusBadRequest, err)
	case errors.As(err, &fe):
		return webdav.NewHTTPError(http.StatusBadRequest, errors.New("invalid vCard: "+fe.Field+": "+fe.Msg))
	case errors.As(err, &ce) && ce.Field == "version":
		return webdav.NewHTTPError(http.StatusPreconditionFailed, errors.New("the contact changed meanwhile"))
	case errors.As(err, &ce):
		return webdav.NewHTTPError(http.StatusConflict, errors.New(ce.Field+": "+ce.Msg))
	}
	b.h.log.ErrorContext(ctx, "carddav: store", "err", err)
	return webdav.NewHTTPError(http.StatusInternalServerError, errors.New("internal error"))
}
