package auth

import (
	"errors"
	"strings"
	"testing"
)

func TestPasswordRoundTrip(t *testing.T) {
	p := Params{Memory: 1024, Time: 1, Threads: 1}
	h, err := HashPassword("correct horse battery", p)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=1024,t=1,p=1$") {
		t.Fatalf("unexpected hash format %q", h)
	}
	if err := VerifyPassword("correct horse battery", h); err != nil {
		t.Fatalf("verify: %v", err)
	}
	if err := VerifyPassword("wrong horse battery", h); !errors.Is(err, ErrMismatch) {
		t.Fatalf("wrong password: got %v", err)
	}
	for _, bad := range []string{"", "$argon2id$", "$bcrypt$x$y$z$w", "$argon2id$v=19$m=x$a$b"} {
		if err := VerifyPassword("x", bad); err == nil {
			t.Errorf("VerifyPassword(%q) accepted a malformed hash", bad)
		}
	}
}

func TestSecrets(t *testing.T) {
	a, b := NewSecret("kt_"), NewSecret("kt_")
	if a == b || !strings.HasPrefix(a, "kt_") || len(a) < 40 {
		t.Fatalf("weak secrets %q %q", a, b)
	}
	if len(HashSecret(a)) != 32 {
		t.Fatal("hash is not SHA-256")
	}
	if pw := RandomPassword(14); len(pw) != 14 {
		t.Fatalf("password %q", pw)
	}
	if CheckPassword("short") == nil || CheckPassword("long enough!") != nil {
		t.Fatal("CheckPassword limits")
	}
}
