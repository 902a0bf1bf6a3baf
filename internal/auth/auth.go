// Package auth decides who is calling the dashboard API: a dashboard user holding a login
// cookie, or a script presenting the operator's admin token. Passwords are bcrypt hashes; login
// tokens are random and only their SHA-256 is stored, so a leaked index grants no logins.
package auth

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/reelhq/reel/internal/apierror"
	"github.com/reelhq/reel/internal/store"
)

// CookieName is the dashboard login cookie.
const CookieName = "reel_session"

// ErrInvalidCredentials is returned for a wrong email or password, without saying which.
var ErrInvalidCredentials = errors.New("auth: invalid credentials")

// users is what auth needs from the store.
type users interface {
	UserByEmail(ctx context.Context, email string) (store.User, error)
	UserByID(ctx context.Context, id int64) (store.User, error)
	CreateLogin(ctx context.Context, l store.Login) error
	LoginByTokenHash(ctx context.Context, hash string, now time.Time) (store.Login, error)
	DeleteLogin(ctx context.Context, hash string) error
	UserProjects(ctx context.Context, userID int64) ([]string, error)
}

// Principal is an authenticated caller.
type Principal struct {
	UserID   int64 // 0 for the bootstrap admin token
	Email    string
	Role     string // what the caller may do (roles.go); for a token, the least of its scope and its creator's role
	ViaToken bool
	Scope    string   // a token's scope; empty for a login
	TokenID  string   // a token's public id; empty for a login and the bootstrap token
	Projects []string // the projects the caller may see; nil: every project its role allows (SeesProject)
}

// Options configure an Auth.
type Options struct {
	AdminToken string        // accepted as an admin bearer token when non-empty
	LoginTTL   time.Duration // how long a dashboard login lasts
	// SecureCookies marks the login cookie Secure on every answer: set when people reach Reel
	// over https (--public-url), as behind a TLS-terminating proxy the request Reel sees is
	// plain HTTP.
	SecureCookies bool
}

// Auth authenticates requests.
type Auth struct {
	users      users
	log        *slog.Logger
	adminToken string
	ttl        time.Duration
	secure     bool
}

// New returns an Auth.
func New(u users, log *slog.Logger, opts Options) *Auth {
	if opts.LoginTTL <= 0 {
		opts.LoginTTL = 14 * 24 * time.Hour
	}
	return &Auth{users: u, log: log, adminToken: opts.AdminToken, ttl: opts.LoginTTL, secure: opts.SecureCookies}
}

// HashPassword returns the bcrypt hash of password.
func HashPassword(password string) (string, error) {
	h, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
	if err != nil {
		return "", fmt.Errorf("auth: hash password: %w", err)
	}
	return string(h), nil
}

// CheckPassword reports whether password matches hash.
func CheckPassword(hash, password string) bool {
	return bcrypt.CompareHashAndPassword([]byte(hash), []byte(password)) == nil
}

// RandomToken returns n random bytes, base64url-encoded.
func RandomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return base64.RawURLEncoding.EncodeToString(b)
}

func hashToken(tok string) string {
	sum := sha256.Sum256([]byte(tok))
	return hex.EncodeToString(sum[:])
}

// dummyHash makes a login for an unknown email cost as much as one with a wrong password, so
// response times do not reveal which emails have accounts.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("reel-timing-equaliser"), bcrypt.DefaultCost)

// Login checks credentials and starts a login, returning its token for the cookie.
func (a *Auth) Login(ctx context.Context, email, password string) (string, store.User, error) {
	if len(email) > 320 || len(password) > 72 {
		return "", store.User{}, ErrInvalidCredentials
	}
	u, err := a.users.UserByEmail(ctx, strings.TrimSpace(email))
	if errors.Is(err, store.ErrNotFound) {
		bcrypt.CompareHashAndPassword(dummyHash, []byte(password))
		return "", u, ErrInvalidCredentials
	}
	if err != nil {
		return "", u, fmt.Errorf("auth: login: %w", err)
	}
	if !CheckPassword(u.PasswordHash, password) || !u.DisabledAt.IsZero() {
		return "", u, ErrInvalidCredentials
	}
	tok := RandomToken(32)
	now := time.Now()
	if err := a.users.CreateLogin(ctx, store.Login{TokenHash: hashToken(tok), UserID: u.ID, CreatedAt: now, ExpiresAt: now.Add(a.ttl)}); err != nil {
		return "", u, fmt.Errorf("auth: login: %w", err)
	}
	return tok, u, nil
}

// Logout ends the login the request carries, if any.
func (a *Auth) Logout(ctx context.Context, r *http.Request) error {
	c, err := r.Cookie(CookieName)
	if err != nil || c.Value == "" {
		return nil
	}
	return a.users.DeleteLogin(ctx, hashToken(c.Value))
}

// SetCookie writes the login cookie. It is Secure whenever the request came over TLS or Reel is
// reached over https (Options.SecureCookies).
func (a *Auth) SetCookie(w http.ResponseWriter, r *http.Request, token string) {
	http.SetCookie(w, &http.Cookie{
		Name: CookieName, Value: token, Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode,
		Secure: a.secure || r.TLS != nil, MaxAge: int(a.ttl.Seconds()),
	})
}

// ClearCookie removes the login cookie.
func (a *Auth) ClearCookie(w http.ResponseWriter, r *http.Request) {
	http.SetCookie(w, &http.Cookie{Name: CookieName, Value: "", Path: "/", HttpOnly: true, SameSite: http.SameSiteLaxMode, Secure: a.secure || r.TLS != nil, MaxAge: -1})
}

var errUnauthenticated = apierror.New(http.StatusUnauthorized, "unauthenticated", "log in or send a valid bearer token")

// Authenticate identifies the caller from a bearer token or the login cookie.
func (a *Auth) Authenticate(r *http.Request) (Principal, error) {
	if h := r.Header.Get("Authorization"); h != "" {
		tok, ok := strings.CutPrefix(h, "Bearer ")
		if ok && a.adminToken != "" && subtle.ConstantTimeCompare([]byte(tok), []byte(a.adminToken)) == 1 {
			// The operator's bootstrap token: set by whoever runs the server, so it is an owner.
			return Principal{Email: "admin-token", Role: RoleOwner, ViaToken: true, Scope: ScopeAdmin}, nil
		}
		return Principal{}, apierror.New(http.StatusUnauthorized, "invalid_token", "invalid bearer token")
	}
	c, err := r.Cookie(CookieName)
	if err != nil || c.Value == "" || len(c.Value) > 128 {
		return Principal{}, errUnauthenticated
	}
	l, err := a.users.LoginByTokenHash(r.Context(), hashToken(c.Value), time.Now())
	if errors.Is(err, store.ErrNotFound) {
		return Principal{}, errUnauthenticated
	}
	if err != nil {
		return Principal{}, fmt.Errorf("auth: authenticate: %w", err)
	}
	u, err := a.users.UserByID(r.Context(), l.UserID)
	if errors.Is(err, store.ErrNotFound) {
		return Principal{}, errUnauthenticated
	}
	if err != nil {
		return Principal{}, fmt.Errorf("auth: authenticate: %w", err)
	}
	if !u.DisabledAt.IsZero() {
		return Principal{}, errUnauthenticated
	}
	return a.principalOf(r.Context(), u)
}

// principalOf is the Principal of user u: owners and admins see every project, members and
// viewers the ones they were given.
func (a *Auth) principalOf(ctx context.Context, u store.User) (Principal, error) {
	p := Principal{UserID: u.ID, Email: u.Email, Role: u.Role}
	if !AllProjects(u.Role) {
		ps, err := a.users.UserProjects(ctx, u.ID)
		if err != nil {
			return Principal{}, fmt.Errorf("auth: projects of user %d: %w", u.ID, err)
		}
		p.Projects = append([]string{}, ps...)
	}
	return p, nil
}

type principalKey struct{}

// WithPrincipal returns a context carrying p.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// PrincipalFrom returns the caller stored by Require.
func PrincipalFrom(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

// SameOrigin reports whether a browser request was made by a page of this server. Cookie-
// authenticated requests that change state must pass it, which stops cross-site request forgery
// even in browsers that ignore SameSite.
func SameOrigin(r *http.Request) bool {
	switch r.Header.Get("Sec-Fetch-Site") {
	case "same-origin", "none":
		return true
	case "":
	default:
		return false
	}
	origin := r.Header.Get("Origin")
	if origin == "" {
		// Not a browser (browsers send Origin on every non-GET fetch); nothing to forge.
		return true
	}
	u, err := url.Parse(origin)
	return err == nil && u.Host == r.Host
}

// Require lets a request through only when it is authenticated and its caller's role has
// need, storing the Principal in its context; state-changing cookie requests must also be
// same-origin. A Public need lets everyone through untouched.
func (a *Auth) Require(need Need, next http.Handler) http.Handler {
	if need == Public {
		return next
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p, err := a.Authenticate(r)
		if err != nil {
			apierror.Write(w, r, a.log, err)
			return
		}
		if !p.ViaToken && !safeMethod(r.Method) && !SameOrigin(r) {
			apierror.Write(w, r, a.log, apierror.New(http.StatusForbidden, "cross_origin", "cross-origin request refused"))
			return
		}
		if !p.Allows(need, r.Method) {
			err := Forbidden(need)
			if p.Scope == ScopeRead && !safeMethod(r.Method) {
				err = apierror.New(http.StatusForbidden, "forbidden", "this token's scope is read: it may not change anything")
			}
			apierror.Write(w, r, a.log, err)
			return
		}
		next.ServeHTTP(w, r.WithContext(WithPrincipal(r.Context(), p)))
	})
}

// Forbidden is the answer to a caller whose role lacks need.
func Forbidden(need Need) error {
	return apierror.New(http.StatusForbidden, "forbidden", "your role may not do this (it needs "+roleFor(need)+" or above)")
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}
