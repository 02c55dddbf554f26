package api

import (
	"net/http"
	"strings"
	"time"

	"github.com/kontakt/kontakt/auth"
	"github.com/kontakt/kontakt/model"
)

type syncGrantRequest struct {
	Mode  model.SyncMode `json:"mode"`
	Until *time.Time     `json:"until"`
}

type deviceRequest struct {
	Name string `json:"name"`
}

// deviceCreated carries the app password, shown only in this answer.
type deviceCreated struct {
	model.Device
	Password string `json:"password"`
}

// putSyncGrant lets a user sync a book to their devices.
func (h *handler) putSyncGrant(w http.ResponseWriter, r *http.Request) {
	bookID, ok := pathID(w, r, "id")
	if !ok {
		return
	}
	userID, ok := pathID(w, r, "userID")
	if !ok {
		return
	}
	var in syncGrantRequest
	if err := decode(r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	g, err := h.store.PutSyncGrant(r.Context(), actor(r), model.SyncGrant{UserID: userID, BookID: bookID, Mode: in.Mode, Until: in.Until})
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, g)
}

func (h *handler) deleteSyncGrant(w http.ResponseWriter, r *http.Request) {
	bookID, ok := pathID(w, r, "id")
	if !ok {
		return
	}
	userID, ok := pathID(w, r, "userID")
	if !ok {
		return
	}
	h.noContent(w, r, h.store.DeleteSyncGrant(r.Context(), actor(r), userID, bookID))
}

// revokeAllSync is the one click that stops a user syncing anything.
func (h *handler) revokeAllSync(w http.ResponseWriter, r *http.Request) {
	userID, ok := pathID(w, r, "id")
	if !ok {
		return
	}
	n, err := h.store.RevokeAllSync(r.Context(), actor(r), userID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]int{"revoked": n})
}

func (h *handler) listMyDevices(w http.ResponseWriter, r *http.Request) {
	ds, err := h.store.ListDevices(r.Context(), actor(r), currentUser(r).ID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, ds)
}

// createDevice makes an app password for one device; it is shown in this answer only.
func (h *handler) createDevice(w http.ResponseWriter, r *http.Request) {
	var in deviceRequest
	if err := decode(r, &in); err != nil {
		h.fail(w, r, err)
		return
	}
	pw := appPassword()
	d, err := h.store.CreateDevice(r.Context(), actor(r), in.Name, pw[:5], auth.HashSecret(pw))
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, deviceCreated{Device: d, Password: pw})
}

// appPassword is a random password easy to type on a phone: four groups of six characters
// without look-alikes (about 130 bits).
func appPassword() string {
	raw := auth.RandomPassword(24)
	return strings.Join([]string{raw[0:6], raw[6:12], raw[12:18], raw[18:24]}, "-")
}

func (h *handler) revokeDevice(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r, "id")
	if !ok {
		return
	}
	h.noContent(w, r, h.store.RevokeDevice(r.Context(), actor(r), id))
}

func (h *handler) revokeAllDevices(w http.ResponseWriter, r *http.Request) {
	userID, ok := pathID(w, r, "id")
	if !ok {
		return
	}
	n, err := h.store.RevokeAllDevices(r.Context(), actor(r), userID)
	if err != nil {
		h.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]int{"revoked": n})
}
