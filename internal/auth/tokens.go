package auth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/reelhq/reel/internal/apierror"
	"github.com/reelhq/reel/internal/store"
)

// API tokens (docs/auth.md, "API tokens") read reel_<id>_<secret>: the id is public (it names
// the token in lists and the audit log), the secret is shown once and only its SHA-256 is
// stored. A token acts for its creator as the creator is now: a creator who was disabled or
// deleted takes their tokens' power with them, and one whose role or projects shrank shrinks
// their tokens too.

// TokenPrefix starts every API token, so a leaked one is recognisable (secret scanners).
const TokenPrefix = "reel_"

// tokenIDBytes and tokenSecretBytes size a token's two parts.
const (
	tokenIDBytes     = 8
	tokenSecretBytes = 32
)

// NewToken makes a token's text and the public id and secret hash to store for it.
func NewToken() (text, id, secretHash string) {
	b := make([]byte, tokenIDBytes)
	_, _ = rand.Read(b)
	id = hex.EncodeToString(b)
	secret := RandomToken(tokenSecretBytes)
	return TokenPrefix + id + "_" + secret, id, hashToken(secret)
}

// ParseToken splits a token's text into its id and secret.
func ParseToken(text string) (id, secret string, ok bool) {
	rest, ok := strings.CutPrefix(text, TokenPrefix)
	if !ok || len(text) > 128 {
		return "", "", false
	}
	id, secret, ok = strings.Cut(rest, "_")
	if !ok || len(id) != 2*tokenIDBytes || secret == "" {
		return "", "", false
	}
	if _, err := hex.DecodeString(id); err != nil {
		return "", "", false
	}
	return id, secret, true
}

// tokens is what token authentication needs from the store.
type tokens interface {
	TokenByID(ctx context.Context, id string) (store.Token, error)
	TouchToken(ctx context.Context, id string, at time.Time) error
}

func invalidToken(why string) error {
	return apierror.New(http.StatusUnauthorized, "invalid_token", why)
}

// tokenPrincipal authenticates an API token's text.
func (a *Auth) tokenPrincipal(ctx context.Context, text string) (Principal, error) {
	id, secret, ok := ParseToken(text)
	if !ok {
		return Principal{}, invalidToken("invalid bearer token")
	}
	ts, ok := a.users.(tokens)
	if !ok {
		return Principal{}, invalidToken("invalid bearer token")
	}
	t, err := ts.TokenByID(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		// Spend a comparison as a known id would, so timing does not confirm which ids exist.
		subtle.ConstantTimeCompare([]byte(hashToken(secret)), []byte(hashToken(id)))
		return Principal{}, invalidToken("invalid bearer token")
	}
	if err != nil {
		return Principal{}, fmt.Errorf("auth: token %s: %w", id, err)
	}
	if subtle.ConstantTimeCompare([]byte(hashToken(secret)), []byte(t.SecretHash)) != 1 {
		return Principal{}, invalidToken("invalid bearer token")
	}
	now := time.Now()
	switch {
	case !t.RevokedAt.IsZero():
		return Principal{}, invalidToken("this token was revoked")
	case !now.Before(t.ExpiresAt):
		return Principal{}, invalidToken("this token has expired")
	}
	u, err := a.users.UserByID(ctx, t.CreatedBy)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !u.DisabledAt.IsZero()) {
		return Principal{}, invalidToken("this token's creator can no longer sign in")
	}
	if err != nil {
		return Principal{}, fmt.Errorf("auth: token %s: %w", id, err)
	}
	p, err := a.principalOf(ctx, u)
	if err != nil {
		return Principal{}, err
	}
	p.Role = ScopeRole(t.Scope, u.Role)
	if p.Role == "" {
		return Principal{}, invalidToken("invalid bearer token")
	}
	p.ViaToken, p.Scope, p.TokenID = true, t.Scope, t.ID
	p.Projects = tokenProjects(t.Projects, p.Projects)
	if now.Sub(t.LastUsedAt) >= store.TokenTouchEvery {
		if err := ts.TouchToken(ctx, t.ID, now); err != nil {
			a.log.Warn("recording a token's use failed", "token", t.ID, "err", err)
		}
	}
	return p, nil
}

// tokenProjects is what a token sees: its own projects, within its creator's (nil: every
// project). A token not limited to projects sees what its creator sees.
func tokenProjects(token, creator []string) []string {
	if len(token) == 0 {
		return creator
	}
	out := []string{}
	for _, p := range token {
		if creator == nil || slices.Contains(creator, p) {
			out = append(out, p)
		}
	}
	return out
}
