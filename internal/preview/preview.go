// Package preview makes and checks privacy preview tokens: the short-lived link a site owner
// gets from the Settings page to open their own site with Reel's overlay, which shows what the
// SDK captures there (docs/player.md#privacy-preview). A token names its project and the site's
// origin and carries its own expiry, signed with HMAC-SHA256 under a server-wide key kept in the
// index's settings (docs/decisions.md): nothing is stored per token, every node of a scale-out
// deployment checks it the same way, and all a holder can do with it is ask the project's
// scrubber about strings it sends itself.
package preview

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// TTL is how long a preview token lives: long enough to walk through a site, short enough that
// a link pasted into a ticket is soon useless.
const TTL = time.Hour

// Param is the query parameter the SDK looks for in the page's URL.
const Param = "reel_preview"

// MaxTokenLen bounds what Verify reads: a project id and an origin are short.
const MaxTokenLen = 1024

const version = "pv1"

var (
	// ErrInvalid is a token that was not made by this server (or was altered).
	ErrInvalid = errors.New("preview: invalid token")
	// ErrExpired is a genuine token past its expiry.
	ErrExpired = errors.New("preview: token expired")
)

// Token is what a preview token says.
type Token struct {
	Project string
	Origin  string // scheme://host[:port] of the site, lowercase
	Expires time.Time
}

var b64 = base64.RawURLEncoding

// Mint signs t with key. Expires is kept to the second.
func Mint(key []byte, t Token) string {
	body := version + "." + b64.EncodeToString([]byte(t.Project)) + "." + b64.EncodeToString([]byte(t.Origin)) + "." + strconv.FormatInt(t.Expires.Unix(), 10)
	return body + "." + b64.EncodeToString(sign(key, body))
}

// Verify checks token's signature with key and its expiry at now, and returns what it says.
// A malformed or altered token is ErrInvalid; a genuine one past its time is ErrExpired.
func Verify(key []byte, token string, now time.Time) (Token, error) {
	if len(token) > MaxTokenLen {
		return Token{}, ErrInvalid
	}
	parts := strings.Split(token, ".")
	if len(parts) != 5 || parts[0] != version {
		return Token{}, ErrInvalid
	}
	// The signature is compared as written, not decoded: a decoder skips line breaks, and a
	// token is valid only in the one form Mint writes.
	want := b64.EncodeToString(sign(key, strings.Join(parts[:4], ".")))
	if !hmac.Equal([]byte(parts[4]), []byte(want)) {
		return Token{}, ErrInvalid
	}
	project, err1 := b64.DecodeString(parts[1])
	origin, err2 := b64.DecodeString(parts[2])
	exp, err3 := strconv.ParseInt(parts[3], 10, 64)
	if err1 != nil || err2 != nil || err3 != nil {
		// Signed by this server, so never seen in practice; refused all the same.
		return Token{}, ErrInvalid
	}
	t := Token{Project: string(project), Origin: string(origin), Expires: time.Unix(exp, 0).UTC()}
	if !now.Before(t.Expires) {
		return t, ErrExpired
	}
	return t, nil
}

func sign(key []byte, body string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(body))
	return m.Sum(nil)
}

// SiteURL checks the page a site owner wants to preview (an absolute http or https URL) and
// returns its origin and the link that opens it with token.
func SiteURL(raw string) (origin string, err error) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || len(raw) > 2048 {
		return "", fmt.Errorf("url must be an absolute http(s) address of a page of your site, without credentials, at most 2048 characters")
	}
	return strings.ToLower(u.Scheme + "://" + u.Host), nil
}

// Link is raw (checked by SiteURL) with the preview parameter set to token.
func Link(raw, token string) string {
	u, _ := url.Parse(strings.TrimSpace(raw))
	q := u.Query()
	q.Set(Param, token)
	u.RawQuery = q.Encode()
	return u.String()
}
