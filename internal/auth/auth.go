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
}

// Principal is an authenticated caller.
type Principal struct {
	UserID   int64 // 0 for the admin token
	Email    string
	Role     string
	ViaToken bool
}

// Options configure an Auth.
type Options struct {
	AdminToken string        // accepted as an admin bearer token when non-empty
	LoginTTL   time.Duration // how long a dashboard login lasts
	// SecureCookies marks the login cookie Secure on every answer: set when people reach Reel
	// over https (--public-url), as behind a TLS-terminating proxy the request Reel sees is
	// plain HTTP.
	SecureCookies bool
	// Throttle bounds password guessing and concurrent hashing (throttle.go); nil:
	// DefaultThrottle on the real clock.
	Throttle *Throttle
	// ClientIPHeader names a trusted proxy's header with the client's address
	// (--client-ip-header), for throttling and logs; empty: the connection's address.
	ClientIPHeader string
}

// Auth authenticates requests.
type Auth struct {
	users      users
	log        *slog.Logger
	adminToken string
	ttl        time.Duration
	secure     bool
	throttle   *Throttle
	// clientIPHeader is Options.ClientIPHeader.
	clientIPHeader string
}

// New returns an Auth.
func New(u users, log *slog.Logger, opts Options) *Auth {
	if opts.LoginTTL <= 0 {
		opts.LoginTTL = 14 * 24 * time.Hour
	}
	if opts.Throttle == nil {
		opts.Throttle = NewThrottle(DefaultThrottle, nil)
	}
	return &Auth{users: u, log: log, adminToken: opts.AdminToken, ttl: opts.LoginTTL, secure: opts.SecureCookies,
		throttle: opts.Throttle, clientIPHeader: opts.ClientIPHeader}
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
	release, err := a.throttle.HashSlot(ctx)
	if err != nil {
		return "", store.User{}, err
	}
	defer release()
	u, err := a.users.UserByEmail(ctx, strings.TrimSpace(email))
	if errors.Is(err, store.ErrNotFound) {
		bcrypt.CompareHashAndPassword(dummyHash, []byte(password))
		return "", u, ErrInvalidCredentials
	}
	if err != nil {
		return "", u, fmt.Errorf("auth: login: %w", err)
	}
	if !CheckPassword(u.PasswordHash, password) {
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
			return Principal{Email: "admin-token", Role: "admin", ViaToken: true}, nil
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
	return Principal{UserID: u.ID, Email: u.Email, Role: u.Role}, nil
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

// Require lets a request through only when it is authenticated, storing the Principal in its
// context; state-changing cookie requests must also be same-origin.
func (a *Auth) Require(next http.Handler) http.Handler {
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
		next.ServeHTTP(w, r.WithContext(WithPrincipal(r.Context(), p)))
	})
}

func safeMethod(m string) bool {
	return m == http.MethodGet || m == http.MethodHead || m == http.MethodOptions
}
