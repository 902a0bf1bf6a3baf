// Package sso signs people in to the dashboard through an OpenID Connect provider (Google,
// Keycloak, Dex, Zitadel, Okta, Entra ID…): the authorization-code flow with PKCE, state and
// nonce, the ID token verified by go-oidc, a verified email required and checked against an
// allow-list of domains. The person becomes the Reel user linked to their account at the
// provider (store.Identities), a user with the same email (linked then), or a new user with
// the default role, and gets the same login cookie a password login gives (docs/auth.md).
package sso

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"

	"github.com/reelhq/reel/internal/store"
)

// Paths of the flow. CallbackPath is what the provider must allow as a redirect URI, after the
// public URL.
const (
	StartPath    = "/api/v1/auth/oidc/start"
	CallbackPath = "/api/v1/auth/oidc/callback"
)

// Options configure single sign-on.
type Options struct {
	Issuer       string // the provider's issuer URL, exactly as its discovery document says it
	ClientID     string
	ClientSecret string // empty for a public client (PKCE alone)
	// PublicURL is where people reach Reel; the redirect URI is PublicURL + CallbackPath.
	PublicURL string
	// AllowedDomains are the email domains that may sign in; empty: any verified email.
	AllowedDomains []string
	DefaultRole    string // the role of a user created at first sign-in
	// DefaultProjects are given to a member or viewer created at first sign-in (owners and
	// admins see every project); empty: none until an admin gives them some.
	DefaultProjects []string
	Name            string // the login button's label: "Sign in with <Name>"
	// SecureCookies marks the flow cookie Secure, as auth.Options.SecureCookies does the login.
	SecureCookies bool
	// HTTPClient talks to the provider; nil: one with a 15 s timeout.
	HTTPClient *http.Client
}

// users is what single sign-on needs from the store.
type users interface {
	UserByIdentity(ctx context.Context, issuer, subject string) (store.User, error)
	UserByEmail(ctx context.Context, email string) (store.User, error)
	CreateUser(ctx context.Context, u store.User) (store.User, error)
	CreateIdentity(ctx context.Context, id store.Identity) error
	SetUserProjects(ctx context.Context, userID int64, projects []string) error
	EnsureSetting(ctx context.Context, name, value string) (string, error)
}

// logins starts a dashboard login (auth.Auth).
type logins interface {
	StartLogin(ctx context.Context, u store.User) (string, error)
	SetCookie(w http.ResponseWriter, r *http.Request, token string)
}

// SSO runs the OpenID Connect flow. A nil *SSO is single sign-on switched off: its handlers
// say so instead of failing.
type SSO struct {
	users   users
	logins  logins
	log     *slog.Logger
	opts    Options
	domains map[string]bool
	client  *http.Client

	mu       sync.Mutex
	provider *oidc.Provider // discovered at first use, kept once found
	key      []byte         // signs the flow cookie; shared by every node through the index
}

// New checks opts and returns an SSO. The provider is not contacted until someone signs in, so
// Reel starts while the provider is down.
func New(u users, l logins, log *slog.Logger, opts Options) (*SSO, error) {
	iss, err := url.Parse(opts.Issuer)
	if err != nil || (iss.Scheme != "https" && iss.Scheme != "http") || iss.Host == "" {
		return nil, fmt.Errorf("sso: --oidc-issuer must be an http(s) URL, not %q", opts.Issuer)
	}
	if opts.ClientID == "" {
		return nil, errors.New("sso: --oidc-client-id is required with --oidc-issuer")
	}
	pub, err := url.Parse(opts.PublicURL)
	if err != nil || (pub.Scheme != "https" && pub.Scheme != "http") || pub.Host == "" {
		return nil, fmt.Errorf("sso: single sign-on needs --public-url (the redirect URI is built from it), not %q", opts.PublicURL)
	}
	opts.PublicURL = strings.TrimRight(opts.PublicURL, "/")
	if opts.Name == "" {
		opts.Name = "single sign-on"
	}
	s := &SSO{users: u, logins: l, log: log, opts: opts, domains: map[string]bool{}, client: opts.HTTPClient}
	for _, d := range opts.AllowedDomains {
		d = strings.ToLower(strings.TrimPrefix(strings.TrimSpace(d), "@"))
		if d == "" {
			continue
		}
		if strings.ContainsAny(d, "@/ ") || !strings.Contains(d, ".") {
			return nil, fmt.Errorf("sso: --oidc-allowed-domains: %q is not a domain", d)
		}
		s.domains[d] = true
	}
	if s.client == nil {
		s.client = &http.Client{Timeout: 15 * time.Second}
	}
	return s, nil
}

// RedirectURL is the URL the provider sends people back to; register it with the provider.
func (s *SSO) RedirectURL() string { return s.opts.PublicURL + CallbackPath }

// discover returns the provider, fetching its discovery document the first time it is needed
// (and again after a failure, so a provider that was down at first is found when it is back).
func (s *SSO) discover(ctx context.Context) (*oidc.Provider, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.provider != nil {
		return s.provider, nil
	}
	ctx, cancel := context.WithTimeout(oidc.ClientContext(ctx, s.client), 15*time.Second)
	defer cancel()
	p, err := oidc.NewProvider(ctx, s.opts.Issuer)
	if err != nil {
		return nil, fmt.Errorf("sso: discover %s: %w", s.opts.Issuer, err)
	}
	s.provider = p
	return p, nil
}

// flowKey returns the key that signs flow cookies, made once per index and shared by every
// node, so a flow started on one node finishes on another.
func (s *SSO) flowKey(ctx context.Context) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.key != nil {
		return s.key, nil
	}
	v, err := s.users.EnsureSetting(ctx, "oidc_flow_key", randomToken(32))
	if err != nil {
		return nil, fmt.Errorf("sso: flow key: %w", err)
	}
	s.key = []byte(v)
	return s.key, nil
}
