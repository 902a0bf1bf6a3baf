package auth

import (
	"context"
	"fmt"
	"time"

	"github.com/reelhq/reel/internal/store"
)

// LinkToken returns a new one-time link token (an invitation or a password reset) and the
// hash the index keeps of it.
func LinkToken() (token, hash string) {
	token = RandomToken(32)
	return token, hashToken(token)
}

// LinkHash is the hash under which the index keeps a link token.
func LinkHash(token string) string { return hashToken(token) }

// StartLogin starts a login for u without a password, for someone who has just proved who
// they are another way (a one-time link, or an OpenID provider for single sign-on), and returns
// its token for the cookie (SetCookie). The login is a password login's: same lifetime, same
// cookie, ended by Logout. A deactivated user gets none.
func (a *Auth) StartLogin(ctx context.Context, u store.User) (string, error) {
	if !u.DisabledAt.IsZero() {
		return "", ErrInvalidCredentials
	}
	tok := RandomToken(32)
	now := time.Now()
	if err := a.users.CreateLogin(ctx, store.Login{TokenHash: hashToken(tok), UserID: u.ID, CreatedAt: now, ExpiresAt: now.Add(a.ttl)}); err != nil {
		return "", fmt.Errorf("auth: start login: %w", err)
	}
	return tok, nil
}
