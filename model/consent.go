package model

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ConsentStatus is where a consent stands.
type ConsentStatus string

// Consent statuses.
const (
	ConsentPending ConsentStatus = "pending"
	ConsentActive  ConsentStatus = "active"
	ConsentRevoked ConsentStatus = "revoked"
	ConsentExpired ConsentStatus = "expired"
)

// ConsentSource is how a consent was collected.
type ConsentSource string

// Consent sources.
const (
	SourceWebForm ConsentSource = "web_form"
	SourceBranch  ConsentSource = "branch"
	SourceImport  ConsentSource = "import"
	SourceStaff   ConsentSource = "staff"
)

// Purpose is something an organisation asks consent for, with the exact wording a person
// agrees to. Changing the wording raises WordingVersion.
type Purpose struct {
	ID             string `json:"id"`
	Key            string `json:"key"`
	Name           string `json:"name"`
	Description    string `json:"description"`
	Wording        string `json:"wording"`
	WordingVersion int    `json:"wording_version"`
	ValidityMonths int    `json:"validity_months"`
	// ReminderDays, when above 0, mails a person whose consent came from a web form this
	// many days before it expires, asking to renew it (double opt-in again).
	ReminderDays int       `json:"reminder_days"`
	CreatedAt    time.Time `json:"created_at"`
	UpdatedAt    time.Time `json:"updated_at"`
}

// Form is a web form on the organisation's site that collects consents into a book. Key
// is public (it is in the form's action URL); HMACSecret, when set, is shown to admins only.
// NoConsentMail: an address that asks which consents are held and holds none gets a "no
// consent registered" mail (else nothing, which tells an unknown address nothing);
// RevocationMail: a revocation by the person is confirmed by mail.
type Form struct {
	ID             string    `json:"id"`
	Key            string    `json:"key"`
	Name           string    `json:"name"`
	BookID         string    `json:"book_id"`
	PurposeIDs     []string  `json:"purpose_ids"`
	Language       string    `json:"language"`
	AllowedOrigins []string  `json:"allowed_origins"`
	SuccessURL     string    `json:"success_url"`
	ConfirmedURL   string    `json:"confirmed_url"`
	HMACSecret     string    `json:"hmac_secret,omitempty"`
	HoneypotField  string    `json:"honeypot_field"`
	ConfirmHours   int       `json:"confirm_hours"`
	Organisation   string    `json:"organisation"`
	NoConsentMail  bool      `json:"no_consent_mail"`
	RevocationMail bool      `json:"revocation_mail"`
	CreatedAt      time.Time `json:"created_at"`
	UpdatedAt      time.Time `json:"updated_at"`
}

// Consent is a contact's consent to one purpose, with its history.
type Consent struct {
	ID          string         `json:"id"`
	ContactID   string         `json:"contact_id"`
	PurposeID   string         `json:"purpose_id"`
	PurposeKey  string         `json:"purpose_key"`
	PurposeName string         `json:"purpose_name"`
	Status      ConsentStatus  `json:"status"`
	Source      ConsentSource  `json:"source"`
	GivenAt     time.Time      `json:"given_at"`
	ConfirmedAt *time.Time     `json:"confirmed_at"`
	ValidUntil  *time.Time     `json:"valid_until"`
	RequestID   *string        `json:"request_id"`
	WorkflowID  string         `json:"workflow_id,omitempty"`
	Evidence    map[string]any `json:"evidence"`
	History     []ConsentEvent `json:"history"`
	// Scans are the scanned signed forms of the consent, newest first: what and how large,
	// never the bytes.
	Scans []ScanInfo `json:"scans"`
	// LifecycleWorkflowID is the consent's ConsentLifecycle workflow, once it was active.
	LifecycleWorkflowID string `json:"lifecycle_workflow_id,omitempty"`
}

// ConsentEvent is one entry of a consent's append-only history.
type ConsentEvent struct {
	At         time.Time      `json:"at"`
	Status     ConsentStatus  `json:"status"`
	Reason     string         `json:"reason"`
	ActorID    *string        `json:"actor_id"`
	Channel    string         `json:"channel"`
	ValidUntil *time.Time     `json:"valid_until"`
	Evidence   map[string]any `json:"evidence"`
}

// ConsentRequest is a web-form submission awaiting or past double opt-in.
type ConsentRequest struct {
	ID         string     `json:"id"`
	FormID     string     `json:"form_id"`
	ContactID  *string    `json:"contact_id"`
	Status     string     `json:"status"`
	CreatedAt  time.Time  `json:"created_at"`
	ExpiresAt  time.Time  `json:"expires_at"`
	MailsSent  int        `json:"mails_sent"`
	LastMailAt *time.Time `json:"last_mail_at"`
	WorkflowID string     `json:"workflow_id"`
}

// ConsentVersion names one version of a consent: its id and the updated_at it had. The
// lifecycle outbox hands versions around as strings (String, ParseConsentVersion), so that
// what a reader marks as told is the version it read, not a later one.
type ConsentVersion struct {
	ID        string
	UpdatedAt time.Time
}

// String is "<id>@<updated_at in microseconds since the Unix epoch>".
func (v ConsentVersion) String() string {
	return v.ID + "@" + strconv.FormatInt(v.UpdatedAt.UnixMicro(), 10)
}

// ParseConsentVersion reads what ConsentVersion.String wrote.
func ParseConsentVersion(s string) (ConsentVersion, error) {
	id, micros, ok := strings.Cut(s, "@")
	n, err := strconv.ParseInt(micros, 10, 64)
	if !ok || id == "" || err != nil {
		return ConsentVersion{}, fmt.Errorf("model: malformed consent version %q", s)
	}
	return ConsentVersion{ID: id, UpdatedAt: time.UnixMicro(n).UTC()}, nil
}
