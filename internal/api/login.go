package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"time"

	"github.com/reelhq/reel/internal/apierror"
	"github.com/reelhq/reel/internal/audit"
	"github.com/reelhq/reel/internal/auth"
)

type userJSON struct {
	Email string `json:"email"`
	Role  string `json:"role"`
}

// Login checks credentials and sets the login cookie.
func (a *API) Login(w http.ResponseWriter, r *http.Request) error {
	if !auth.SameOrigin(r) {
		return apierror.New(http.StatusForbidden, "cross_origin", "cross-origin login refused")
	}
	var body struct {
		Email    string `json:"email"`
		Password string `json:"password"`
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096))
	if err := dec.Decode(&body); err != nil {
		return apierror.New(http.StatusBadRequest, "bad_request", "body must be {\"email\": ..., \"password\": ...}")
	}
	// Throttled before any password is checked (docs/auth.md): during a lock even the right
	// password gets 429, so a guesser learns nothing, and no hashing is spent on it.
	addr := a.auth.ClientAddr(r)
	attempt, wait := a.auth.Throttle().Begin(addr, body.Email)
	if attempt == nil {
		a.log.WarnContext(r.Context(), "login throttled", "addr", addr, "retry_after", wait.Round(time.Second))
		a.audit.RecordAs(r.Context(), r, audit.Actor{Email: "(throttled)"}, audit.LoginFailed, "", "", map[string]any{"throttled": true})
		return &apierror.Error{Status: http.StatusTooManyRequests, Code: "too_many_attempts",
			Message: "too many failed logins, try again later", RetryAfter: int(wait/time.Second) + 1}
	}
	tok, u, err := a.auth.Login(r.Context(), body.Email, body.Password)
	if errors.Is(err, auth.ErrInvalidCredentials) {
		// The email is logged only when it names an account: a password typed into the email
		// field must not end up in the log.
		// The audit log keeps it on the same terms (never the password).
		if u.ID != 0 {
			a.log.WarnContext(r.Context(), "login failed", "addr", addr, "user", u.ID, "email", u.Email)
			a.audit.RecordAs(r.Context(), r, audit.Actor{UserID: u.ID, Email: u.Email}, audit.LoginFailed, "", "", nil)
		} else {
			a.audit.RecordAs(r.Context(), r, audit.Actor{Email: "(no such account)"}, audit.LoginFailed, "", "", nil)
			a.log.WarnContext(r.Context(), "login failed", "addr", addr, "user", "unknown")
		}
		return apierror.New(http.StatusUnauthorized, "invalid_credentials", "wrong email or password")
	}
	if err != nil {
		attempt.Void()
		return err
	}
	attempt.Succeeded()
	a.log.InfoContext(r.Context(), "login", "addr", addr, "user", u.ID, "email", u.Email)
	a.audit.RecordAs(r.Context(), r, audit.Actor{UserID: u.ID, Email: u.Email}, audit.Login, "", "", nil)
	a.auth.SetCookie(w, r, tok)
	apierror.JSON(w, http.StatusOK, map[string]any{"user": userJSON{Email: u.Email, Role: u.Role}})
	return nil
}

// Logout ends the caller's login.
func (a *API) Logout(w http.ResponseWriter, r *http.Request) error {
	if !auth.SameOrigin(r) {
		return apierror.New(http.StatusForbidden, "cross_origin", "cross-origin logout refused")
	}
	who, authErr := a.auth.Authenticate(r)
	if err := a.auth.Logout(r.Context(), r); err != nil {
		return err
	}
	if authErr == nil && !who.ViaToken {
		a.audit.RecordAs(r.Context(), r, audit.Actor{UserID: who.UserID, Email: who.Email}, audit.Logout, "", "", nil)
	}
	a.auth.ClearCookie(w, r)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// Me returns the authenticated caller.
func (a *API) Me(w http.ResponseWriter, r *http.Request) error {
	p, _ := auth.PrincipalFrom(r.Context())
	apierror.JSON(w, http.StatusOK, map[string]any{"user": userJSON{Email: p.Email, Role: p.Role}})
	return nil
}
