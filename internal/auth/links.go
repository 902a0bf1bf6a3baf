package auth

import (
	"context"
	"errors"
	"fmt"
	"time"
	"unicode/utf8"

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
// they are another way (by using a one-time link), and returns its token for the cookie.
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

// CheckNewPassword says what is wrong with a password someone chose through a link, or nil:
// at least 10 characters, at most 72 bytes (bcrypt reads no more, and Login refuses longer). An
// interim check until the server-wide password policy (login throttling work) is on this
// branch; its limits are the same, so the calls can move to it.
func CheckNewPassword(pw string) error {
	const minChars, maxBytes = 10, 72
	switch {
	case utf8.RuneCountInString(pw) < minChars:
		return fmt.Errorf("the password must have at least %d characters", minChars)
	case len(pw) > maxBytes:
		return fmt.Errorf("the password must be at most %d bytes", maxBytes)
	case !utf8.ValidString(pw):
		return errors.New("the password must be valid UTF-8")
	}
	return nil
}
