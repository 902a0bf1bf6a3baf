package sso

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"time"
)

// cookieName carries one sign-in in progress from the start to the callback. Its path keeps it
// off every other request.
const (
	cookieName = "reel_oidc"
	cookiePath = "/api/v1/auth/oidc/"
	// flowTTL is how long a person has at the provider before the flow is refused as expired.
	flowTTL = 10 * time.Minute
)

// flow is what the callback must check a provider's answer against: the state sent (against
// login CSRF), the nonce (against a replayed or injected ID token), the PKCE verifier (against
// a stolen code) and where to go afterwards.
type flow struct {
	State    string `json:"s"`
	Nonce    string `json:"n"`
	Verifier string `json:"v"`
	Next     string `json:"x,omitempty"`
	Expires  int64  `json:"e"` // Unix seconds
}

var errBadCookie = errors.New("sso: no valid sign-in cookie")

// encode signs f with key: base64url(JSON) "." base64url(HMAC-SHA256).
func (f flow) encode(key []byte) string {
	b, _ := json.Marshal(f) // strings and a number: cannot fail
	payload := base64.RawURLEncoding.EncodeToString(b)
	return payload + "." + base64.RawURLEncoding.EncodeToString(sign(key, payload))
}

func sign(key []byte, payload string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte("reel oidc flow\x00" + payload))
	return m.Sum(nil)
}

// decodeFlow returns the flow v carries when key signed it and it has not expired at now.
func decodeFlow(key []byte, v string, now time.Time) (flow, error) {
	var f flow
	if len(v) > 2048 {
		return f, errBadCookie
	}
	payload, mac, ok := strings.Cut(v, ".")
	if !ok {
		return f, errBadCookie
	}
	got, err := base64.RawURLEncoding.DecodeString(mac)
	if err != nil || !hmac.Equal(got, sign(key, payload)) {
		return f, errBadCookie
	}
	b, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil || json.Unmarshal(b, &f) != nil || f.State == "" || f.Nonce == "" || f.Verifier == "" {
		return f, errBadCookie
	}
	if now.Unix() > f.Expires {
		return f, errBadCookie
	}
	return f, nil
}

func (s *SSO) setFlowCookie(w http.ResponseWriter, r *http.Request, value string, maxAge int) {
	http.SetCookie(w, &http.Cookie{
		Name: cookieName, Value: value, Path: cookiePath, HttpOnly: true, SameSite: http.SameSiteLaxMode,
		Secure: s.opts.SecureCookies || r.TLS != nil, MaxAge: maxAge,
	})
}

func randomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

// safeNext is where to go after signing in: a path of this site, or the dashboard's start.
// Anything else ("//evil.example", "https://…", "/\evil") could send a fresh login elsewhere.
func safeNext(next string) string {
	if next == "" || len(next) > 2048 || next[0] != '/' || strings.HasPrefix(next, "//") || strings.HasPrefix(next, "/\\") ||
		strings.HasPrefix(next, "/login") || strings.ContainsFunc(next, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
		return "/"
	}
	return next
}
