// Package api is Kontakt's JSON API for staff and admins under /api/, plus /healthz (liveness). Every
// read goes through store and so through the one visibility policy; a contact or attached
// item the caller may not see answers 404, never 403.
package api

import (
	"embed"
	"log/slog"
	"net/http"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/kontakt/kontakt/auth"
	"github.com/kontakt/kontakt/followup"
	"github.com/kontakt/kontakt/session"
	"github.com/kontakt/kontakt/store"
)

// Options tune the API.
type Options struct {
	SessionTTL       time.Duration
	CookieSecure     bool
	MaxBodyBytes     int64
	LoginMaxFailures int
	LoginWindow      time.Duration
	PasswordParams   auth.Params
	// ScanMaxBytes is the largest scanned consent form accepted (10 MiB when 0).
	ScanMaxBytes int64
	// ScanHook is the virus-scan command (and its arguments) run with each uploaded scan on
	// its stdin; a non-zero exit rejects the scan. Empty: no scan.
	ScanHook []string
	// ScanHookTimeout bounds one run of ScanHook (1 minute when 0).
	ScanHookTimeout time.Duration
	// ImportMaxBytes is the largest vCard or CSV file an import accepts (32 MiB when 0).
	ImportMaxBytes int64
	// ExportTTL is how long a newsletter export's download link lives (24 hours when 0).
	ExportTTL time.Duration
}

// Deps are what the API needs, built once in main. The workflow starters (Verifier,
// Lifecycle, Forgetter, Subjects) are all nil when no Temporal is configured: the outboxes
// hold the work until a worker's reconciler does it.
type Deps struct {
	Store         *store.Store
	Verifier      Verifier
	Lifecycle     Lifecycle
	Forgetter     Forgetter
	Subjects      SubjectStarter
	ProjectCloser ProjectCloser
	Campaigns     CampaignLauncher
	Logger        *slog.Logger
	Options       Options
}

type handler struct {
	store     *store.Store
	verifier  Verifier
	forgetter Forgetter
	subjects  SubjectStarter
	lifecycle Lifecycle
	closer    ProjectCloser
	campaigns CampaignLauncher
	log       *slog.Logger
	opt       Options
	sessions  *session.Manager
	// followups start and signal workflows after the answer (followup.Runner).
	followups *followup.Runner
}

//go:embed openapi.json
var openapiFS embed.FS

//go:embed templates
var templateFS embed.FS

// NewHandler returns the HTTP handler serving /healthz and /api/.
func NewHandler(d Deps) http.Handler {
	h := &handler{store: d.Store, verifier: d.Verifier, lifecycle: d.Lifecycle, forgetter: d.Forgetter, subjects: d.Subjects,
		closer: d.ProjectCloser, campaigns: d.Campaigns, log: d.Logger, opt: d.Options, followups: followup.New(d.Logger)}
	h.sessions = session.New(d.Store, session.Options{TTL: d.Options.SessionTTL, CookieSecure: d.Options.CookieSecure,
		MaxFailures: d.Options.LoginMaxFailures, Window: d.Options.LoginWindow, Params: d.Options.PasswordParams})
	r := chi.NewRouter()
	r.Use(middleware.RequestID, h.recoverer, h.limitBody)
	r.Get("/healthz", h.healthz)
	r.Route("/public", h.publicRoutes)
	r.Route("/api", func(r chi.Router) {
		r.Use(h.noStore)
		r.Get("/openapi.json", h.openapi)
		r.Post("/session", h.login)
		r.Group(func(r chi.Router) {
			r.Use(h.authenticate)
			h.routes(r)
		})
	})
	r.NotFound(func(w http.ResponseWriter, r *http.Request) { writeError(w, http.StatusNotFound, "not found", "") })
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusMethodNotAllowed, "method not allowed", "")
	})
	return r
}

// routes is the route table of the authenticated API.
func (h *handler) routes(r chi.Router) {
	r.Delete("/session", h.logout)
	r.Get("/me", h.me)
	r.Put("/me/password", h.changePassword)

	r.Get("/tokens", h.listTokens)
	r.Post("/tokens", h.createToken)
	r.Delete("/tokens/{id}", h.revokeToken)

	r.Get("/users", h.listUsers)
	r.Post("/users", h.createUser)
	r.Get("/users/{id}", h.getUser)
	r.Patch("/users/{id}", h.updateUser)
	r.Put("/users/{id}/password", h.setUserPassword)

	r.Get("/groups", h.listGroups)
	r.Post("/groups", h.createGroup)
	r.Get("/groups/{id}", h.getGroup)
	r.Patch("/groups/{id}", h.updateGroup)
	r.Delete("/groups/{id}", h.deleteGroup)
	r.Put("/groups/{id}/members/{userID}", h.addGroupMember)
	r.Delete("/groups/{id}/members/{userID}", h.removeGroupMember)

	r.Get("/books", listAll(h, h.store.ListBooks))
	r.Post("/books", h.createBook)
	r.Get("/books/{id}", readByID(h, h.store.GetBook))
	r.Patch("/books/{id}", h.updateBook)
	r.Delete("/books/{id}", h.deleteBook)
	r.Get("/books/{id}/grants", readByID(h, h.store.ListGrants))
	r.Post("/books/{id}/grants", h.putGrant)
	r.Delete("/books/{id}/grants/{grantID}", byIDs(h, "grantID", h.store.DeleteGrant))
	r.Put("/books/{id}/fields/{key}", h.putField)
	r.Delete("/books/{id}/fields/{key}", h.deleteField)

	r.Get("/contacts", h.listContacts)
	r.Post("/contacts", h.createContact)
	r.Get("/contacts/{id}", h.getContact)
	r.Patch("/contacts/{id}", h.updateContact)
	r.Delete("/contacts/{id}", h.deleteContact)
	r.Get("/contacts/{id}/notes", readByID(h, h.store.ListNotes))
	r.Post("/contacts/{id}/notes", h.createNote)
	r.Post("/relations", h.createRelation)
	r.Delete("/relations/{id}", h.deleteRelation)
	r.Get("/notes/{id}", readByID(h, h.store.GetNote))
	r.Patch("/notes/{id}", h.updateNote)
	r.Delete("/notes/{id}", h.deleteNote)

	r.Get("/organisations", h.listOrganisations)
	r.Get("/organisations/{id}/people", h.listOrganisationPeople)
	r.Get("/tags", listAll(h, h.store.ListTags))

	r.Get("/audit", h.listAudit)

	r.Get("/purposes", h.listPurposes)
	r.Post("/purposes", h.createPurpose)
	r.Patch("/purposes/{id}", h.updatePurpose)
	r.Get("/forms", listAll(h, h.store.ListForms))
	r.Post("/forms", h.createForm)
	r.Put("/forms/{id}", h.updateForm)
	r.Post("/forms/{id}/rotate-secret", h.rotateFormSecret)
	r.Get("/contacts/{id}/consents", h.listContactConsents)
	r.Post("/contacts/{id}/consents/signed", h.recordSignedConsent)
	r.Get("/consents/{id}/scan", h.downloadScan)
	r.Post("/contacts/{id}/consents", h.recordConsent)
	r.Get("/consents/{id}", h.getConsent)
	r.Post("/consents/{id}/revoke", h.revokeConsent)
	r.Get("/verifications", h.listVerifications)

	r.Put("/books/{id}/sync-grants/{userID}", h.putSyncGrant)
	r.Delete("/books/{id}/sync-grants/{userID}", h.deleteSyncGrant)
	r.Get("/users/{id}/sync-grants", readByID(h, h.store.ListSyncGrants))
	r.Delete("/users/{id}/sync-grants", h.revokeAllSync)
	r.Get("/devices", h.listMyDevices)
	r.Post("/devices", h.createDevice)
	r.Delete("/devices/{id}", h.revokeDevice)
	r.Get("/devices/{id}/holdings", readByID(h, h.store.DeviceHoldings))
	r.Get("/users/{id}/devices", readByID(h, h.store.ListDevices))
	r.Delete("/users/{id}/devices", h.revokeAllDevices)
	r.Get("/contacts/{id}/holders", readByID(h, h.store.ContactHolders))
	r.Post("/contacts/{id}/forget", h.forgetContact)
	r.Get("/erasures", h.listErasures)
	r.Get("/erasures/{id}", h.getErasure)
	r.Get("/contacts/{id}/subject-export", h.subjectExport)

	r.Get("/projects", listAll(h, h.store.ListProjects))
	r.Post("/projects", h.createProject)
	r.Get("/projects/{id}", readByID(h, h.store.GetProject))
	r.Patch("/projects/{id}", h.updateProject)
	r.Put("/projects/{id}/members/{userID}", h.putProjectMember)
	r.Delete("/projects/{id}/members/{userID}", byIDs(h, "userID", h.store.DeleteProjectMember))
	r.Put("/projects/{id}/contacts/{contactID}", h.putProjectContact)
	r.Delete("/projects/{id}/contacts/{contactID}", byIDs(h, "contactID", h.store.DeleteProjectContact))
	r.Get("/projects/{id}/collaboration", readByID(h, h.store.ListProjectCollaboration))
	r.Post("/projects/{id}/collaboration", h.createCollaboration)
	r.Get("/collaboration/{id}", readByID(h, h.store.GetCollaboration))
	r.Patch("/collaboration/{id}", h.updateCollaboration)
	r.Delete("/collaboration/{id}", h.deleteCollaboration)
	r.Get("/contacts/{id}/collaboration", readByID(h, h.store.CollaborationSummary))
	r.Get("/contacts/{id}/collaboration/records", readByID(h, h.store.ListContactCollaboration))
	r.Get("/reports/supplier-quality.csv", h.supplierQuality)
	r.Get("/projects/{id}/meetings", readByID(h, h.store.ListProjectMeetings))
	r.Post("/projects/{id}/meetings", h.createMeeting)
	r.Get("/meetings/{id}", readByID(h, h.store.GetMeeting))
	r.Patch("/meetings/{id}", h.updateMeeting)
	r.Delete("/meetings/{id}", h.deleteMeeting)
	r.Get("/contacts/{id}/meetings", readByID(h, h.store.ListContactMeetings))

	r.Post("/projects/{id}/close", h.closeProject)
	r.Post("/projects/{id}/close/cancel", h.cancelProjectClosure)
	r.Post("/projects/{id}/reopen", h.reopenProject)
	r.Get("/projects/{id}/closure", h.getProjectClosure)

	r.Get("/contacts/{id}/activities", readByID(h, h.store.ListActivities))
	r.Post("/contacts/{id}/activities", h.createActivity)
	r.Get("/activities/{id}", readByID(h, h.store.GetActivity))
	r.Patch("/activities/{id}", h.updateActivity)
	r.Delete("/activities/{id}", h.deleteActivity)

	r.Get("/tasks", h.listTasks)
	r.Post("/tasks", h.createTask)
	r.Get("/tasks/{id}", readByID(h, h.store.GetTask))
	r.Patch("/tasks/{id}", h.updateTask)
	r.Post("/tasks/{id}/complete", h.completeTask)
	r.Get("/reports/worklog", h.worklog(false))
	r.Get("/reports/worklog.csv", h.worklog(true))

	r.Get("/events", listAll(h, h.store.ListEvents))
	r.Post("/events", h.createEvent)
	r.Get("/events/{id}", readByID(h, h.store.GetEvent))
	r.Patch("/events/{id}", h.updateEvent)
	r.Delete("/events/{id}", h.deleteEvent)
	r.Put("/events/{id}/staff/{userID}", byIDs(h, "userID", h.store.PutEventStaff))
	r.Delete("/events/{id}/staff/{userID}", byIDs(h, "userID", h.store.DeleteEventStaff))
	r.Get("/events/{id}/invitations", readByID(h, h.store.ListInvitations))
	r.Put("/events/{id}/invitations/{contactID}", h.putInvitation)
	r.Patch("/events/{id}/invitations/{contactID}", h.patchInvitation)
	r.Delete("/events/{id}/invitations/{contactID}", byIDs(h, "contactID", h.store.DeleteInvitation))
	r.Get("/events/{id}/documents", readByID(h, h.store.ListEventDocuments))
	r.Post("/events/{id}/documents", h.uploadEventDocument)
	r.Get("/events/{id}/documents/{docID}", h.downloadEventDocument)
	r.Delete("/events/{id}/documents/{docID}", byIDs(h, "docID", h.store.DeleteEventDocument))
	r.Get("/campaigns", h.listCampaigns)
	r.Post("/campaigns", h.createCampaign)
	r.Get("/campaigns/{id}", h.getCampaign)
	r.Patch("/campaigns/{id}", h.updateCampaign)
	r.Get("/campaigns/{id}/preview", readByID(h, h.store.PreviewCampaign))
	r.Post("/campaigns/{id}/launch", h.launchCampaign)
	r.Post("/campaigns/{id}/cancel", h.cancelCampaign)
	r.Get("/campaigns/{id}/results", readByID(h, h.store.CampaignResults))
	r.Post("/books/{id}/imports", h.importContacts)
	r.Get("/exports", h.listExports)
	r.Post("/exports", h.createExport)
	r.Get("/exports/{id}/download", h.downloadExport)
}

// healthz is liveness only: it answers while the process serves, whatever the database does,
// so that an outage never gets replicas restarted. Readiness (database, migrations, Temporal)
// is /readyz, which main mounts beside the API (package health).
func (h *handler) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (h *handler) openapi(w http.ResponseWriter, r *http.Request) {
	b, _ := openapiFS.ReadFile("openapi.json")
	w.Header().Set("Content-Type", "application/json")
	w.Write(b) //nolint:errcheck
}
