// Package model holds Kontakt's domain types and the pure rules that
// validate and normalise them. It imports only the standard library.
package model
