// Package share makes share links' secrets: a random token for the link (nothing in it names
// the session, so whoever holds a link learns no session id it could send batches under) and
// a public id to list and revoke the link by. The index keeps each link as a row found by the
// token's SHA-256, never the token itself (docs/decisions.md).
package share

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"time"
)

// MaxTTL bounds how long a link may live; a share link is a convenience, not a publication.
const MaxTTL = 90 * 24 * time.Hour

// tokenBytes is the randomness of a token: 256 bits, 43 characters of base64url.
const tokenBytes = 32

// NewToken returns a fresh random token.
func NewToken() string { return random(tokenBytes) }

// NewID returns a fresh random public id for a link ("sh_" and 16 characters).
func NewID() string { return "sh_" + random(12) }

// Hash is what the index keeps of a token: its SHA-256 in lowercase hex.
func Hash(token string) string {
	h := sha256.Sum256([]byte(token))
	return hex.EncodeToString(h[:])
}

// ValidToken reports whether token has the shape NewToken gives (43 base64url characters), so
// anything else is refused without a lookup: links signed by earlier versions, which named
// their session, and junk.
func ValidToken(token string) bool {
	return len(token) == base64.RawURLEncoding.EncodedLen(tokenBytes) && validChars(token)
}

// ValidID reports whether id has the shape NewID gives.
func ValidID(id string) bool {
	return len(id) == 3+base64.RawURLEncoding.EncodedLen(12) && id[:3] == "sh_" && validChars(id[3:])
}

func validChars(s string) bool {
	for _, c := range s {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

func random(n int) string {
	b := make([]byte, n)
	rand.Read(b) // never fails (crypto/rand, Go 1.24+)
	return base64.RawURLEncoding.EncodeToString(b)
}
