package auth

import (
	"context"
	"fmt"
	"time"

	"github.com/reelhq/reel/internal/store"
)

// StartLogin starts a dashboard login for a user someone else has already authenticated (an
// OpenID provider, for single sign-on) and returns its token for the cookie (SetCookie). The
// login is the same as a password login's: same lifetime, same cookie, ended by Logout.
func (a *Auth) StartLogin(ctx context.Context, u store.User) (string, error) {
	tok := RandomToken(32)
	now := time.Now()
	if err := a.users.CreateLogin(ctx, store.Login{TokenHash: hashToken(tok), UserID: u.ID, CreatedAt: now, ExpiresAt: now.Add(a.ttl)}); err != nil {
		return "", fmt.Errorf("auth: start login for user %d: %w", u.ID, err)
	}
	return tok, nil
}
