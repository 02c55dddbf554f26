package mail

import "time"

// SubjectAccessData fills the "subject-access" template: the consents an organisation holds
// for an e-mail address, mailed to that address on request, with a link to the page where
// the person may revoke them.
type SubjectAccessData struct {
	Organisation string
	Consents     []ConsentItem
	// LinkURL opens the page listing the consents (which revokes on POST only).
	LinkURL   string
	ExpiresAt time.Time
}

// SubjectNoConsentData fills the "subject-none" template: no consent is registered for the
// address that asked.
type SubjectNoConsentData struct {
	Organisation string
}

// RevocationData fills the "revocation" template: the consents the person just revoked.
type RevocationData struct {
	Organisation string
	Consents     []ConsentItem
}

// ConsentItem is one consent as a person sees it in a mail. Status is a consent status
// (active, pending, revoked, expired) and Source how it was given (web_form, branch,
// import, staff); the templates word both. A zero ValidUntil is shown as no end.
type ConsentItem struct {
	Purpose     string
	Description string
	Status      string
	Source      string
	GivenAt     time.Time
	ValidUntil  time.Time
}
