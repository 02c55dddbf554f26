package model

import "time"

// ScanInfo describes a scanned signed consent form without its bytes: consent listings and
// exports show it; only users with PermScans download the file itself.
type ScanInfo struct {
	ID          string    `json:"id"`
	ContentType string    `json:"content_type"`
	Size        int       `json:"size"`
	SHA256      string    `json:"sha256"` // hex
	UploadedBy  *string   `json:"uploaded_by"`
	CreatedAt   time.Time `json:"created_at"`
}
