// Package share makes and checks share links: signed, expiring, read-only grants to watch one
// session without logging in. A token names its session and its expiry in the clear and
// carries an HMAC-SHA256 over both, so the server keeps no per-link state and a token cannot
// be stretched to another session or a later expiry. Rotating the key revokes every link.
package share

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"strconv"
	"strings"
	"time"
)

// MaxTTL bounds how long a link may live; a share link is a convenience, not a publication.
const MaxTTL = 90 * 24 * time.Hour

var (
	// ErrInvalid means the token is malformed or its signature does not match.
	ErrInvalid = errors.New("share: invalid token")
	// ErrExpired means the token was genuine but its time is up.
	ErrExpired = errors.New("share: link expired")
)

// Grant is what a valid token allows: reading SessionID until Expires.
type Grant struct {
	SessionID string
	Expires   time.Time
}

// Signer signs and verifies tokens with one secret key.
type Signer struct {
	key []byte
}

// NewSigner returns a Signer for key, which should hold at least 32 random bytes.
func NewSigner(key []byte) *Signer { return &Signer{key: key} }

// Sign returns a token granting read access to sessionID until expires (second precision).
func (s *Signer) Sign(sessionID string, expires time.Time) string {
	exp := strconv.FormatInt(expires.Unix(), 36)
	return sessionID + "." + exp + "." + s.mac(sessionID, exp)
}

// Verify checks token at time now and returns its grant. A token with a bad signature is
// ErrInvalid even if its expiry has passed, so callers never tell a forger anything.
func (s *Signer) Verify(token string, now time.Time) (Grant, error) {
	if len(token) > 256 {
		return Grant{}, ErrInvalid
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 || !validID(parts[0]) {
		return Grant{}, ErrInvalid
	}
	want := s.mac(parts[0], parts[1])
	if !hmac.Equal([]byte(want), []byte(parts[2])) {
		return Grant{}, ErrInvalid
	}
	sec, err := strconv.ParseInt(parts[1], 36, 64)
	if err != nil {
		return Grant{}, ErrInvalid
	}
	g := Grant{SessionID: parts[0], Expires: time.Unix(sec, 0).UTC()}
	// No link this server signs lives longer than MaxTTL (a minute's grace for clocks): a
	// longer one was signed with a stolen key, so it is refused as a forgery would be.
	if g.Expires.After(now.Add(MaxTTL + time.Minute)) {
		return Grant{}, ErrInvalid
	}
	if !now.Before(g.Expires) {
		return g, ErrExpired
	}
	return g, nil
}

func (s *Signer) mac(sessionID, exp string) string {
	h := hmac.New(sha256.New, s.key)
	h.Write([]byte("reel.share.v1\x00" + sessionID + "\x00" + exp))
	return base64.RawURLEncoding.EncodeToString(h.Sum(nil))
}

// validID accepts session ids as the wire format defines them: 8–64 of [A-Za-z0-9_-].
func validID(id string) bool {
	if len(id) < 1 || len(id) > 64 {
		return false
	}
	for _, c := range id {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}
