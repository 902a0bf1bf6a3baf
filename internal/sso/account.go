package sso

import (
	"context"
	"errors"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/reelhq/reel/internal/store"
)

// account returns the Reel user the provider's account is, after checking its email:
//   - the user linked to (issuer, subject), whatever their email is now;
//   - else the user with that email, linked now: the provider has verified the address, and
//     the operator chose to trust this provider (docs/decisions.md);
//   - else a new user with the default role and no password.
func (s *SSO) account(ctx context.Context, subject string, c emailClaims) (store.User, error) {
	if subject == "" || len(subject) > 255 || !utf8.ValidString(subject) || strings.ContainsRune(subject, 0) {
		return store.User{}, fail(codeInvalid, "unusable subject (%d bytes)", len(subject))
	}
	email := strings.TrimSpace(c.Email)
	if email == "" {
		return store.User{}, fail(codeNoEmail, "the provider gave no email for subject %q", subject)
	}
	at := strings.LastIndexByte(email, '@')
	if at <= 0 || at == len(email)-1 || len(email) > 320 || !utf8.ValidString(email) || strings.ContainsFunc(email, func(r rune) bool { return r <= ' ' || r == 0x7f }) {
		return store.User{}, fail(codeNoEmail, "the provider gave an unusable email")
	}
	if !c.EmailVerified {
		return store.User{}, fail(codeUnverified, "email of subject %q is not verified", subject)
	}
	if domain := strings.ToLower(email[at+1:]); len(s.domains) > 0 && !s.domains[domain] {
		return store.User{}, fail(codeDomain, "email domain %q is not allowed", domain)
	}

	u, err := s.users.UserByIdentity(ctx, s.opts.Issuer, subject)
	if err == nil {
		return u, nil
	}
	if !errors.Is(err, store.ErrNotFound) {
		return u, &failure{codeInternal, err}
	}
	u, err = s.users.UserByEmail(ctx, email)
	if errors.Is(err, store.ErrNotFound) {
		u, err = s.users.CreateUser(ctx, store.User{Email: email, Role: s.opts.DefaultRole, CreatedAt: time.Now()})
		if errors.Is(err, store.ErrDuplicate) { // created by a sign-in running at the same time
			u, err = s.users.UserByEmail(ctx, email)
		} else if err == nil {
			s.log.InfoContext(ctx, "user created at first single sign-on", "user", u.ID, "role", u.Role)
			if len(s.opts.DefaultProjects) > 0 {
				// A project deleted since the server started is not given: the person then sees
				// none until an admin gives them one, never another project.
				if perr := s.users.SetUserProjects(ctx, u.ID, s.opts.DefaultProjects); perr != nil {
					s.log.WarnContext(ctx, "default projects not given to a new single sign-on user", "user", u.ID, "projects", s.opts.DefaultProjects, "err", perr)
				}
			}
		}
	}
	if err != nil {
		return u, &failure{codeInternal, err}
	}
	err = s.users.CreateIdentity(ctx, store.Identity{Issuer: s.opts.Issuer, Subject: subject, UserID: u.ID, CreatedAt: time.Now()})
	if errors.Is(err, store.ErrDuplicate) {
		// Either the same account was linked a moment ago by a sign-in running at the same
		// time (then it is this user), or the user is linked to another account there.
		if linked, lerr := s.users.UserByIdentity(ctx, s.opts.Issuer, subject); lerr == nil {
			return linked, nil
		}
		return u, fail(codeLinked, "user %d is linked to another account at %s", u.ID, s.opts.Issuer)
	}
	if err != nil {
		return u, &failure{codeInternal, err}
	}
	return u, nil
}
