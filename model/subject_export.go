package model

import "time"

// SubjectExport is everything Kontakt holds about one person, for their right of access
// and to data portability (GDPR Art. 15 and 20): the contact with all it carries, every
// attached item whatever its audience, consents with evidence and history, the requests
// that concern the person, who accessed the record, and which devices hold copies. Scans
// appear as metadata (ScanInfo), never as bytes.
type SubjectExport struct {
	GeneratedAt time.Time  `json:"generated_at"`
	GeneratedBy ExportUser `json:"generated_by"`
	Contact     Contact    `json:"contact"`
	Book        ExportBook `json:"book"`
	// CustomFields are the book's field definitions, so that Contact.Custom can be read.
	CustomFields    []FieldDef             `json:"custom_fields"`
	Notes           []ExportNote           `json:"notes"`
	Consents        []Consent              `json:"consents"`
	ConsentRequests []ExportConsentRequest `json:"consent_requests"`
	SubjectRequests []ExportSubjectRequest `json:"subject_requests"`
	Access          []ExportAccess         `json:"access"`
	Devices         []ExportDevice         `json:"devices"`
}

// ExportUser names a staff user in an export.
type ExportUser struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// ExportBook names the address book a contact lives in.
type ExportBook struct {
	ID   string `json:"id"`
	Name string `json:"name"`
}

// ExportNote is an attached item with its author's name.
type ExportNote struct {
	Note
	AuthorName string `json:"author_name"`
}

// ExportConsentRequest is a web-form submission (double opt-in) that concerns the person,
// with what it recorded of them. Fields a retention sweep has blanked are empty.
type ExportConsentRequest struct {
	ID               string     `json:"id"`
	FormID           string     `json:"form_id"`
	FormName         string     `json:"form_name"`
	Kind             string     `json:"kind"`
	Email            string     `json:"email"`
	Name             string     `json:"name"`
	Purposes         []string   `json:"purposes"`
	Language         string     `json:"language"`
	IP               string     `json:"ip"`
	UserAgent        string     `json:"user_agent"`
	PageURL          string     `json:"page_url"`
	Status           string     `json:"status"`
	CreatedAt        time.Time  `json:"created_at"`
	ExpiresAt        time.Time  `json:"expires_at"`
	ConfirmedAt      *time.Time `json:"confirmed_at"`
	ConfirmIP        string     `json:"confirm_ip"`
	ConfirmUserAgent string     `json:"confirm_user_agent"`
	MailsSent        int        `json:"mails_sent"`
	LastMailAt       *time.Time `json:"last_mail_at"`
	WorkflowID       string     `json:"workflow_id,omitempty"`
}

// ExportSubjectRequest is a request the person made about their consents (access or
// revocation by e-mail).
type ExportSubjectRequest struct {
	ID        string     `json:"id"`
	FormID    string     `json:"form_id"`
	Kind      string     `json:"kind"`
	Email     string     `json:"email"`
	Purposes  []string   `json:"purposes"`
	IP        string     `json:"ip"`
	UserAgent string     `json:"user_agent"`
	Status    string     `json:"status"`
	CreatedAt time.Time  `json:"created_at"`
	DoneAt    *time.Time `json:"done_at"`
}

// ExportAccess is one audit entry naming the contact: who did what, when, through which
// channel.
type ExportAccess struct {
	At        time.Time `json:"at"`
	ActorID   *string   `json:"actor_id"`
	ActorName string    `json:"actor_name"`
	Action    string    `json:"action"`
	Channel   string    `json:"channel"`
}

// ExportDevice is a device the sync ledger says was given the contact.
type ExportDevice struct {
	DeviceID   string     `json:"device_id"`
	DeviceName string     `json:"device_name"`
	UserID     string     `json:"user_id"`
	UserName   string     `json:"user_name"`
	Version    int64      `json:"version"`
	ServedAt   time.Time  `json:"served_at"`
	LastSyncAt *time.Time `json:"last_sync_at"`
	RevokedAt  *time.Time `json:"revoked_at"`
}
