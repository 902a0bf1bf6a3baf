package sso

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"
)

// failure is why a sign-in was refused. Its code goes to the login page (/login?error=code),
// which shows the matching sentence; codes, not sentences, travel in the URL, so nobody can
// make Reel's login page display a text of their choosing.
type failure struct {
	code  string
	cause error // logged, never shown
}

func (f *failure) Error() string { return f.code + ": " + f.cause.Error() }

func fail(code string, format string, args ...any) *failure {
	return &failure{code: code, cause: fmt.Errorf(format, args...)}
}

// The codes the login page knows (web/src/login.tsx).
const (
	codeOff         = "sso_off"         // single sign-on is not configured
	codeUnreachable = "sso_unreachable" // the provider did not answer, or answered nonsense
	codeDenied      = "sso_denied"      // the person or the provider cancelled at the provider
	codeExpired     = "sso_expired"     // no flow cookie, or an old one: start again
	codeState       = "sso_state"       // the answer belongs to another sign-in
	codeInvalid     = "sso_invalid"     // the code or ID token did not check out
	codeNoEmail     = "sso_no_email"    // the provider gave no email
	codeUnverified  = "sso_unverified"  // the provider has not verified the email
	codeDomain      = "sso_domain"      // the email's domain is not allowed
	codeLinked      = "sso_linked"      // the email's user is linked to another account there
	codeDisabled    = "sso_disabled"    // the Reel account was deactivated by an admin
	codeInternal    = "sso_error"       // Reel could not finish (the index failed)
)

// Start answers GET /api/v1/auth/oidc/start: it sends the browser to the provider with a fresh
// state, nonce and PKCE challenge, remembered in a signed, short-lived, HttpOnly cookie.
func (s *SSO) Start() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s == nil {
			redirectError(w, r, codeOff)
			return
		}
		conf, _, err := s.oauth(r.Context())
		if err != nil {
			s.refuse(w, r, err)
			return
		}
		key, err := s.flowKey(r.Context())
		if err != nil {
			s.refuse(w, r, &failure{codeInternal, err})
			return
		}
		f := flow{
			State: randomToken(24), Nonce: randomToken(24), Verifier: oauth2.GenerateVerifier(),
			Next: safeNext(r.URL.Query().Get("next")), Expires: time.Now().Add(flowTTL).Unix(),
		}
		s.setFlowCookie(w, r, f.encode(key), int(flowTTL.Seconds()))
		w.Header().Set("Cache-Control", "no-store")
		http.Redirect(w, r, conf.AuthCodeURL(f.State, oidc.Nonce(f.Nonce), oauth2.S256ChallengeOption(f.Verifier)), http.StatusFound)
	})
}

// Callback answers GET /api/v1/auth/oidc/callback, where the provider sends the browser back:
// it checks the answer against the flow cookie, exchanges the code, verifies the ID token and
// its nonce, checks the email, finds or creates the user and logs them in.
func (s *SSO) Callback() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if s == nil {
			redirectError(w, r, codeOff)
			return
		}
		// A flow is used once, whatever happens next.
		s.setFlowCookie(w, r, "", -1)
		w.Header().Set("Cache-Control", "no-store")
		next, err := s.callback(w, r)
		if err != nil {
			s.refuse(w, r, err)
			return
		}
		http.Redirect(w, r, next, http.StatusSeeOther)
	})
}

func (s *SSO) callback(w http.ResponseWriter, r *http.Request) (string, error) {
	ctx := r.Context()
	q := r.URL.Query()
	key, err := s.flowKey(ctx)
	if err != nil {
		return "", &failure{codeInternal, err}
	}
	c, err := r.Cookie(cookieName)
	if err != nil {
		return "", fail(codeExpired, "callback without a flow cookie")
	}
	f, err := decodeFlow(key, c.Value, time.Now())
	if err != nil {
		return "", &failure{codeExpired, err}
	}
	state := q.Get("state")
	if len(state) > 256 || subtle.ConstantTimeCompare([]byte(state), []byte(f.State)) != 1 {
		return "", fail(codeState, "state does not match the flow cookie")
	}
	if e := q.Get("error"); e != "" {
		return "", fail(codeDenied, "provider answered %.64q: %.200q", e, q.Get("error_description"))
	}
	code := q.Get("code")
	if code == "" || len(code) > 4096 {
		return "", fail(codeInvalid, "callback without a usable code (%d bytes)", len(code))
	}
	conf, p, err := s.oauth(ctx)
	if err != nil {
		return "", err
	}
	octx, cancel := context.WithTimeout(oidc.ClientContext(ctx, s.client), 30*time.Second)
	defer cancel()
	tok, err := conf.Exchange(octx, code, oauth2.VerifierOption(f.Verifier))
	if err != nil {
		var re *oauth2.RetrieveError
		if errors.As(err, &re) {
			return "", fail(codeInvalid, "token endpoint refused the code: %s", re.ErrorCode)
		}
		return "", fail(codeUnreachable, "exchange code: %w", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return "", fail(codeInvalid, "token response without an id_token")
	}
	idt, err := p.Verifier(&oidc.Config{ClientID: s.opts.ClientID}).Verify(octx, raw)
	if err != nil {
		return "", fail(codeInvalid, "verify ID token: %w", err)
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(f.Nonce)) != 1 {
		return "", fail(codeInvalid, "ID token nonce does not match the flow's")
	}
	if idt.AccessTokenHash != "" {
		if err := idt.VerifyAccessToken(tok.AccessToken); err != nil {
			return "", fail(codeInvalid, "verify at_hash: %w", err)
		}
	}
	claims, err := s.claims(octx, p, idt, tok)
	if err != nil {
		return "", err
	}
	u, err := s.account(ctx, idt.Subject, claims)
	if err != nil {
		return "", err
	}
	if !u.DisabledAt.IsZero() {
		return "", fail(codeDisabled, "user %d is deactivated", u.ID)
	}
	login, err := s.logins.StartLogin(ctx, u)
	if err != nil {
		return "", &failure{codeInternal, err}
	}
	s.logins.SetCookie(w, r, login)
	s.log.InfoContext(ctx, "signed in through OpenID Connect", "user", u.ID, "issuer", s.opts.Issuer)
	return f.Next, nil
}

// emailClaims are the claims Reel reads. email_verified is a JSON boolean by the standard, a
// string at some providers ("true").
type emailClaims struct {
	Email         string   `json:"email"`
	EmailVerified flexBool `json:"email_verified"`
}

type flexBool bool

func (b *flexBool) UnmarshalJSON(data []byte) error {
	var v any
	if err := json.Unmarshal(data, &v); err != nil {
		return err
	}
	switch v := v.(type) {
	case bool:
		*b = flexBool(v)
	case string:
		*b = v == "true"
	}
	return nil
}

// claims reads the email from the ID token or, when the provider keeps it out of the ID token
// (many do unless asked), from its userinfo endpoint for the same subject.
func (s *SSO) claims(ctx context.Context, p *oidc.Provider, idt *oidc.IDToken, tok *oauth2.Token) (emailClaims, error) {
	var c emailClaims
	if err := idt.Claims(&c); err != nil {
		return c, fail(codeInvalid, "read ID token claims: %w", err)
	}
	if c.Email != "" || p.UserInfoEndpoint() == "" {
		return c, nil
	}
	ui, err := p.UserInfo(ctx, oauth2.StaticTokenSource(tok))
	if err != nil {
		return c, fail(codeUnreachable, "userinfo: %w", err)
	}
	if ui.Subject != idt.Subject {
		return c, fail(codeInvalid, "userinfo is about another subject")
	}
	return emailClaims{Email: ui.Email, EmailVerified: flexBool(ui.EmailVerified)}, nil
}

// oauth returns the OAuth2 configuration of the discovered provider.
func (s *SSO) oauth(ctx context.Context) (*oauth2.Config, *oidc.Provider, error) {
	p, err := s.discover(ctx)
	if err != nil {
		return nil, nil, &failure{codeUnreachable, err}
	}
	return &oauth2.Config{
		ClientID: s.opts.ClientID, ClientSecret: s.opts.ClientSecret, Endpoint: p.Endpoint(),
		RedirectURL: s.RedirectURL(), Scopes: []string{oidc.ScopeOpenID, "email"},
	}, p, nil
}

// refuse sends the person back to the login page with the reason's code, and logs the cause.
func (s *SSO) refuse(w http.ResponseWriter, r *http.Request, err error) {
	var f *failure
	if !errors.As(err, &f) {
		f = &failure{codeInternal, err}
	}
	if f.code == codeInternal || f.code == codeUnreachable {
		s.log.WarnContext(r.Context(), "single sign-on failed", "code", f.code, "err", f.cause)
	} else {
		s.log.InfoContext(r.Context(), "single sign-on refused", "code", f.code, "reason", f.cause)
	}
	redirectError(w, r, f.code)
}

func redirectError(w http.ResponseWriter, r *http.Request, code string) {
	http.Redirect(w, r, "/login?error="+url.QueryEscape(code), http.StatusSeeOther)
}
