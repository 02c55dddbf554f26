// Package auth hashes passwords with argon2id and makes the random secrets behind sessions,
// API tokens and other bearer credentials, which are stored only as their SHA-256.
package auth

import (
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"strings"

	"golang.org/x/crypto/argon2"
)

// Params are argon2id cost parameters.
type Params struct {
	Memory  uint32 // KiB
	Time    uint32
	Threads uint8
}

// DefaultParams follow the OWASP recommendation for argon2id (19 MiB, 2 passes, 1 lane).
var DefaultParams = Params{Memory: 19 * 1024, Time: 2, Threads: 1}

// ErrMismatch reports a password that does not match its hash.
var ErrMismatch = errors.New("auth: password does not match")

// MinPasswordLen is the shortest password accepted.
const MinPasswordLen = 10

// CheckPassword reports a password too short or too long to accept.
func CheckPassword(pw string) error {
	switch {
	case len(pw) < MinPasswordLen:
		return fmt.Errorf("auth: password must have at least %d characters", MinPasswordLen)
	case len(pw) > 1024:
		return errors.New("auth: password longer than 1024 bytes")
	}
	return nil
}

// HashPassword returns the PHC string of pw: $argon2id$v=19$m=..,t=..,p=..$salt$hash.
func HashPassword(pw string, p Params) (string, error) {
	salt := make([]byte, 16)
	if _, err := rand.Read(salt); err != nil {
		return "", fmt.Errorf("auth: %w", err)
	}
	key := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, 32)
	b64 := base64.RawStdEncoding
	return fmt.Sprintf("$argon2id$v=%d$m=%d,t=%d,p=%d$%s$%s", argon2.Version, p.Memory, p.Time, p.Threads,
		b64.EncodeToString(salt), b64.EncodeToString(key)), nil
}

// VerifyPassword checks pw against a PHC string made by HashPassword, in constant time.
func VerifyPassword(pw, encoded string) error {
	parts := strings.Split(encoded, "$")
	if len(parts) != 6 || parts[1] != "argon2id" {
		return errors.New("auth: unknown password hash format")
	}
	var version int
	var p Params
	if _, err := fmt.Sscanf(parts[2], "v=%d", &version); err != nil || version != argon2.Version {
		return errors.New("auth: unsupported argon2 version")
	}
	if _, err := fmt.Sscanf(parts[3], "m=%d,t=%d,p=%d", &p.Memory, &p.Time, &p.Threads); err != nil {
		return errors.New("auth: malformed argon2 parameters")
	}
	b64 := base64.RawStdEncoding
	salt, err := b64.DecodeString(parts[4])
	if err != nil {
		return errors.New("auth: malformed salt")
	}
	want, err := b64.DecodeString(parts[5])
	if err != nil || len(want) == 0 {
		return errors.New("auth: malformed hash")
	}
	got := argon2.IDKey([]byte(pw), salt, p.Time, p.Memory, p.Threads, uint32(len(want)))
	if subtle.ConstantTimeCompare(got, want) != 1 {
		return ErrMismatch
	}
	return nil
}

// DummyHash is a valid hash of a random password, verified when a login is unknown so that
// unknown and known logins take the same time.
func DummyHash(p Params) string {
	h, err := HashPassword(NewSecret(""), p)
	if err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return h
}

// NewSecret returns a random URL-safe secret of 32 bytes' entropy with the given prefix
// (e.g. "kt_" for API tokens), so leaked tokens can be recognised by scanners.
func NewSecret(prefix string) string {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand does not fail on supported platforms
	}
	return prefix + base64.RawURLEncoding.EncodeToString(b)
}

// HashSecret returns the SHA-256 under which a bearer secret is stored.
func HashSecret(secret string) []byte {
	h := sha256.Sum256([]byte(secret))
	return h[:]
}

// RandomPassword returns a readable random password of n characters (no look-alikes).
func RandomPassword(n int) string {
	const alphabet = "abcdefghjkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err)
	}
	for i := range b {
		b[i] = alphabet[int(b[i])%len(alphabet)]
	}
	return string(b)
}
