package sso_test

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/reelhq/reel/internal/api"
	"github.com/reelhq/reel/internal/auth"
	"github.com/reelhq/reel/internal/blob"
	"github.com/reelhq/reel/internal/layout"
	"github.com/reelhq/reel/internal/lifecycle"
	"github.com/reelhq/reel/internal/server"
	"github.com/reelhq/reel/internal/setup"
	"github.com/reelhq/reel/internal/sso"
	"github.com/reelhq/reel/internal/sso/ssotest"
	"github.com/reelhq/reel/internal/store"
	"github.com/reelhq/reel/internal/store/pgtest"
	"github.com/reelhq/reel/internal/store/postgres"
	"github.com/reelhq/reel/internal/store/sqlite"
)

const adminPassword = "hunter2-hunter2"

// The provider's accounts.
var (
	ann   = ssotest.User{ID: "sub-ann", Username: "ann", Password: "ann-secret", Email: "ann@acme.test", EmailVerified: true}
	admin = ssotest.User{ID: "sub-admin", Username: "boss", Password: "boss-secret", Email: "Admin@Reel.Local", EmailVerified: true}
	eve   = ssotest.User{ID: "sub-eve", Username: "eve", Password: "eve-secret", Email: "eve@evil.test", EmailVerified: true}
	unver = ssotest.User{ID: "sub-unver", Username: "unver", Password: "unver-secret", Email: "unver@acme.test", EmailVerified: false}
)

// reel is Reel as `reel serve` assembles it (server.Routes over real auth, API and index),
// with single sign-on through a real provider, behind real HTTP.
type reel struct {
	URL      string
	db       store.Index
	provider *ssotest.Provider
}

type config struct {
	domains  []string
	role     string
	projects []string
	index    func(t *testing.T) store.Index
}

func openSQLite(t *testing.T) store.Index {
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "index.db"))
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func openPostgres(t *testing.T) store.Index {
	db, err := postgres.Open(context.Background(), pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	return db
}

func start(t *testing.T, cfg config) *reel {
	t.Helper()
	ctx := context.Background()
	if cfg.index == nil {
		cfg.index = openSQLite
	}
	if cfg.role == "" {
		cfg.role = "viewer"
	}
	db := cfg.index(t)
	t.Cleanup(func() { db.Close() })
	blobs, err := blob.NewLocal(filepath.Join(t.TempDir(), "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := setup.Run(ctx, db, setup.Options{AdminEmail: "admin@reel.local", AdminPassword: adminPassword}); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	authn := auth.New(db, log, auth.Options{})
	cache := layout.NewCache(blobs, 1<<20)
	a := api.New(db, blobs, authn, log, cache, lifecycle.New(db, blobs, log, lifecycle.Options{}, cache))

	p := ssotest.New(t)
	srv := httptest.NewUnstartedServer(nil)
	base := "http://" + srv.Listener.Addr().String()
	s, err := sso.New(db, authn, log, sso.Options{
		Issuer: p.Issuer, ClientID: ssotest.ClientID, ClientSecret: ssotest.ClientSecret,
		PublicURL: base, AllowedDomains: cfg.domains, DefaultRole: cfg.role, DefaultProjects: cfg.projects, Name: "Acme ID",
	})
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = server.Routes(components(a, authn, s, log))
	srv.Start()
	t.Cleanup(srv.Close)
	p.Start(t, s.RedirectURL(), ann, admin, eve, unver)
	return &reel{URL: base, db: db, provider: p}
}

// components are the routes' handlers; those single sign-on does not reach answer 404.
func components(a *api.API, authn *auth.Auth, s *sso.SSO, log *slog.Logger) server.Components {
	nf := http.NotFoundHandler()
	return server.Components{API: a, Auth: authn, SSO: s, Ingest: nf, SDKConfig: nf, UI: nf, SDK: nf, Demo: nf, Log: log}
}

// person is a browser: a cookie jar, and redirects followed one at a time so each can be seen.
type person struct {
	t   *testing.T
	jar *cookiejar.Jar
	c   *http.Client
}

func newPerson(t *testing.T) *person {
	jar, _ := cookiejar.New(nil)
	return &person{t: t, jar: jar, c: &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (p *person) do(method, u string, form url.Values) *http.Response {
	p.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, u, body)
	if err != nil {
		p.t.Fatal(err)
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	res, err := p.c.Do(req)
	if err != nil {
		p.t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res
}

// redirect returns where res sends the browser, resolved against the request's URL.
func (p *person) redirect(res *http.Response) string {
	p.t.Helper()
	if res.StatusCode < 300 || res.StatusCode > 399 {
		p.t.Fatalf("%s %s = %d, want a redirect", res.Request.Method, res.Request.URL, res.StatusCode)
	}
	loc, err := res.Location()
	if err != nil {
		p.t.Fatal(err)
	}
	return loc.String()
}

// local is where res sends the browser when that is on the same site: its path and query.
func (p *person) local(res *http.Response) string {
	p.t.Helper()
	return strings.TrimPrefix(p.redirect(res), "http://"+res.Request.URL.Host)
}

// authorize starts signing in at Reel and returns the provider's authorization URL.
func (p *person) authorize(r *reel) string {
	p.t.Helper()
	return p.redirect(p.do("GET", r.URL+sso.StartPath, nil))
}

// atProvider follows the authorization URL to the provider's login form, signs in there as
// the account, and returns the URL the provider sends the browser back to Reel with.
func (p *person) atProvider(r *reel, authURL string, u ssotest.User) string {
	p.t.Helper()
	next := authURL
	for range 5 {
		if strings.HasPrefix(next, r.provider.LoginURL()) {
			lu, _ := url.Parse(next)
			next = p.redirect(p.do("POST", r.provider.LoginURL(), url.Values{
				"id": {lu.Query().Get("authRequestID")}, "username": {u.Username}, "password": {u.Password},
			}))
			continue
		}
		if strings.HasPrefix(next, r.URL) {
			return next
		}
		next = p.redirect(p.do("GET", next, nil))
	}
	p.t.Fatalf("the provider never sent the browser back to Reel (last at %s)", next)
	return ""
}

// back opens the URL the provider sent the browser to and returns where Reel sends it next.
func (p *person) back(callbackURL string) string {
	p.t.Helper()
	return p.local(p.do("GET", callbackURL, nil))
}

// signIn is the whole flow, returning where Reel sends the browser at the end.
func (p *person) signIn(r *reel, u ssotest.User) string {
	p.t.Helper()
	return p.back(p.atProvider(r, p.authorize(r), u))
}

// me returns who Reel thinks the person is: their email and role, or "" when not signed in.
func (p *person) me(r *reel) (email, role string) {
	p.t.Helper()
	res, err := p.c.Get(r.URL + "/api/v1/auth/me")
	if err != nil {
		p.t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode == http.StatusUnauthorized {
		return "", ""
	}
	var body struct{ User struct{ Email, Role string } }
	if err := json.NewDecoder(res.Body).Decode(&body); err != nil || res.StatusCode != 200 {
		p.t.Fatalf("me = %d, %v", res.StatusCode, err)
	}
	return body.User.Email, body.User.Role
}

func wantRefused(t *testing.T, got, code string) {
	t.Helper()
	if got != "/login?error="+code {
		t.Fatalf("sent to %q, want /login?error=%s", got, code)
	}
}

func TestSignInCreatesUserWithDefaultRole(t *testing.T) {
	for _, b := range []struct {
		name string
		open func(t *testing.T) store.Index
	}{{"sqlite", openSQLite}, {"postgres", openPostgres}} {
		t.Run(b.name, func(t *testing.T) {
			r := start(t, config{role: "member", projects: []string{"default"}, index: b.open})
			p := newPerson(t)
			if got := p.signIn(r, ann); got != "/" {
				t.Fatalf("signed in and sent to %q, want /", got)
			}
			if email, role := p.me(r); email != ann.Email || role != "member" {
				t.Fatalf("me = %q %q, want %s as member (the default role)", email, role, ann.Email)
			}
			u, err := r.db.UserByIdentity(context.Background(), r.provider.Issuer, ann.ID)
			if err != nil || u.Email != ann.Email || u.PasswordHash != "" {
				t.Fatalf("linked user = %+v, %v; want ann without a password", u, err)
			}
			// The new member sees the default projects, so the list is not empty.
			if ps, err := r.db.UserProjects(context.Background(), u.ID); err != nil || len(ps) != 1 || ps[0] != "default" {
				t.Fatalf("projects of the new member = %v, %v; want [default]", ps, err)
			}
			// A user made by single sign-on has no password to guess.
			for _, pw := range []string{"", ann.Password} {
				body := `{"email":"` + ann.Email + `","password":"` + pw + `"}`
				req, _ := http.NewRequest("POST", r.URL+"/api/v1/auth/login", strings.NewReader(body))
				req.Header.Set("Content-Type", "application/json")
				lr, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatal(err)
				}
				lr.Body.Close()
				if lr.StatusCode != http.StatusUnauthorized {
					t.Fatalf("password login of an SSO user with %q = %d, want 401", pw, lr.StatusCode)
				}
			}
		})
	}
}

func TestSecondSignInIsTheSameUser(t *testing.T) {
	r := start(t, config{})
	first := newPerson(t)
	first.signIn(r, ann)
	u1, err := r.db.UserByIdentity(context.Background(), r.provider.Issuer, ann.ID)
	if err != nil {
		t.Fatal(err)
	}
	second := newPerson(t)
	if got := second.signIn(r, ann); got != "/" {
		t.Fatalf("second sign-in sent to %q", got)
	}
	if email, _ := second.me(r); email != ann.Email {
		t.Fatalf("second sign-in is %q", email)
	}
	u2, err := r.db.UserByEmail(context.Background(), ann.Email)
	if err != nil || u2.ID != u1.ID {
		t.Fatalf("second sign-in made user %d, first %d (%v)", u2.ID, u1.ID, err)
	}
	if n, _ := r.db.CountUsers(context.Background()); n != 2 { // the admin and ann
		t.Fatalf("%d users after two sign-ins of one person, want 2", n)
	}
	// Both logins stay valid: signing in again does not sign the other browser out.
	if email, _ := first.me(r); email != ann.Email {
		t.Fatal("the first browser was signed out by the second sign-in")
	}
}

func TestSignInLinksExistingUserByVerifiedEmail(t *testing.T) {
	r := start(t, config{role: "viewer"})
	p := newPerson(t)
	if got := p.signIn(r, admin); got != "/" {
		t.Fatalf("sent to %q", got)
	}
	// The provider's Admin@Reel.Local is the existing admin@reel.local, and keeps their role (owner, as setup made them).
	if email, role := p.me(r); email != "admin@reel.local" || role != "owner" {
		t.Fatalf("me = %q %q, want the existing admin", email, role)
	}
	if u, err := r.db.UserByIdentity(context.Background(), r.provider.Issuer, admin.ID); err != nil || u.Email != "admin@reel.local" {
		t.Fatalf("link = %+v, %v", u, err)
	}
	// The password still works.
	req, _ := http.NewRequest("POST", r.URL+"/api/v1/auth/login", strings.NewReader(`{"email":"admin@reel.local","password":"`+adminPassword+`"}`))
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("password login after linking = %d", res.StatusCode)
	}
}

func TestSignInRefusals(t *testing.T) {
	r := start(t, config{domains: []string{"acme.test", "reel.local"}})
	ctx := context.Background()

	t.Run("email domain not allowed", func(t *testing.T) {
		p := newPerson(t)
		wantRefused(t, p.signIn(r, eve), "sso_domain")
		if email, _ := p.me(r); email != "" {
			t.Fatalf("signed in as %q", email)
		}
		if _, err := r.db.UserByEmail(ctx, eve.Email); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("a refused person became a user: %v", err)
		}
	})
	t.Run("deactivated user", func(t *testing.T) {
		p := newPerson(t)
		if got := p.signIn(r, ann); got != "/" {
			t.Fatalf("first sign-in went to %q", got)
		}
		u, err := r.db.UserByIdentity(ctx, r.provider.Issuer, ann.ID)
		if err != nil {
			t.Fatal(err)
		}
		u.DisabledAt = time.Now()
		if err := r.db.UpdateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
		if email, _ := p.me(r); email != "" {
			t.Fatalf("still signed in as %q after deactivation", email)
		}
		again := newPerson(t)
		wantRefused(t, again.signIn(r, ann), "sso_disabled")
		if email, _ := again.me(r); email != "" {
			t.Fatalf("a deactivated user signed in as %q", email)
		}
		u.DisabledAt = time.Time{}
		if err := r.db.UpdateUser(ctx, u); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("unverified email", func(t *testing.T) {
		p := newPerson(t)
		wantRefused(t, p.signIn(r, unver), "sso_unverified")
		if _, err := r.db.UserByEmail(ctx, unver.Email); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("a refused person became a user: %v", err)
		}
	})
	t.Run("wrong state", func(t *testing.T) {
		p := newPerson(t)
		cb, _ := url.Parse(p.atProvider(r, p.authorize(r), ann))
		q := cb.Query()
		q.Set("state", q.Get("state")+"x")
		cb.RawQuery = q.Encode()
		wantRefused(t, p.back(cb.String()), "sso_state")
		if email, _ := p.me(r); email != "" {
			t.Fatalf("signed in as %q with a wrong state", email)
		}
	})
	t.Run("answer from another browser's sign-in", func(t *testing.T) {
		// Login CSRF: an attacker's own code and state, opened in the victim's browser.
		attacker, victim := newPerson(t), newPerson(t)
		cb := attacker.atProvider(r, attacker.authorize(r), ann)
		wantRefused(t, victim.back(cb), "sso_expired")
		victim.authorize(r) // the victim has a sign-in of their own going
		wantRefused(t, victim.back(cb), "sso_state")
		if email, _ := victim.me(r); email != "" {
			t.Fatalf("victim signed in as %q", email)
		}
	})
	t.Run("replayed code", func(t *testing.T) {
		p := newPerson(t)
		authURL := p.authorize(r)
		startURL, _ := url.Parse(r.URL + sso.CallbackPath)
		flowCookies := p.jar.Cookies(startURL)
		cb := p.atProvider(r, authURL, ann)
		if got := p.back(cb); got != "/" {
			t.Fatalf("first use sent to %q", got)
		}
		// The flow cookie is gone after one use...
		again := newPerson(t)
		wantRefused(t, again.back(cb), "sso_expired")
		// ...and a copy of it kept by an attacker does not make the provider take the code twice.
		again.jar.SetCookies(startURL, flowCookies)
		wantRefused(t, again.back(cb), "sso_invalid")
		if email, _ := again.me(r); email != "" {
			t.Fatalf("a replayed code signed in %q", email)
		}
	})
	t.Run("nonce mismatch", func(t *testing.T) {
		// An ID token issued for another sign-in (its nonce is not this flow's).
		p := newPerson(t)
		au, _ := url.Parse(p.authorize(r))
		q := au.Query()
		q.Set("nonce", "nonce-of-another-sign-in")
		au.RawQuery = q.Encode()
		wantRefused(t, p.back(p.atProvider(r, au.String(), ann)), "sso_invalid")
		if email, _ := p.me(r); email != "" {
			t.Fatalf("signed in as %q with another flow's nonce", email)
		}
	})
	t.Run("provider refuses", func(t *testing.T) {
		// prompt=none with nobody signed in at the provider: it answers login_required.
		p := newPerson(t)
		au, _ := url.Parse(p.authorize(r))
		q := au.Query()
		q.Set("prompt", "none")
		au.RawQuery = q.Encode()
		cb := p.redirect(p.do("GET", au.String(), nil))
		if !strings.HasPrefix(cb, r.URL+sso.CallbackPath) || !strings.Contains(cb, "error=") {
			t.Fatalf("provider answered %s", cb)
		}
		wantRefused(t, p.back(cb), "sso_denied")
	})
	t.Run("hostile callbacks", func(t *testing.T) {
		p := newPerson(t)
		p.authorize(r)
		cases := map[string]string{
			"no query":        "",
			"huge state":      "?state=" + strings.Repeat("s", 100_000) + "&code=x",
			"huge code":       "?state=x&code=" + strings.Repeat("c", 20_000),
			"bytes not UTF-8": "?state=%ff%fe&code=%00",
		}
		for name, q := range cases {
			res := p.do("GET", r.URL+sso.CallbackPath+q, nil)
			if res.StatusCode == http.StatusRequestHeaderFieldsTooLarge || res.StatusCode == http.StatusRequestURITooLong {
				continue
			}
			if got := p.local(res); !strings.HasPrefix(got, "/login?error=sso_") {
				t.Fatalf("%s: sent to %q", name, got)
			}
			p.authorize(r)
		}
		if email, _ := p.me(r); email != "" {
			t.Fatalf("signed in as %q", email)
		}
	})
}

func TestSignInRedirectsBackToNext(t *testing.T) {
	r := start(t, config{})
	for next, want := range map[string]string{
		"/sessions/abc?q=1":    "/sessions/abc?q=1",
		"//evil.example/x":     "/",
		"https://evil.example": "/",
		"/\\evil.example":      "/",
	} {
		p := newPerson(t)
		au := p.redirect(p.do("GET", r.URL+sso.StartPath+"?next="+url.QueryEscape(next), nil))
		if got := p.back(p.atProvider(r, au, ann)); got != want {
			t.Fatalf("next=%q: sent to %q, want %q", next, got, want)
		}
	}
}

func TestConfigAndSwitchedOff(t *testing.T) {
	r := start(t, config{})
	var cfg struct {
		Password bool
		OIDC     *struct{ Name, StartURL string }
	}
	getJSON(t, r.URL+"/api/v1/auth/config", &cfg)
	if !cfg.Password || cfg.OIDC == nil || cfg.OIDC.Name != "Acme ID" || cfg.OIDC.StartURL != sso.StartPath {
		t.Fatalf("config = %+v", cfg)
	}

	// Without --oidc-issuer: the login page hears SSO is off, and its routes say so to a person.
	log := slog.New(slog.DiscardHandler)
	db := openSQLite(t)
	defer db.Close()
	authn := auth.New(db, log, auth.Options{})
	off := httptest.NewServer(server.Routes(components(api.New(db, nil, authn, log, nil, nil), authn, nil, log)))
	defer off.Close()
	cfg.OIDC = nil
	getJSON(t, off.URL+"/api/v1/auth/config", &cfg)
	if cfg.OIDC != nil {
		t.Fatalf("SSO off, config = %+v", cfg.OIDC)
	}
	p := newPerson(t)
	for _, path := range []string{sso.StartPath, sso.CallbackPath + "?code=x&state=y"} {
		if got := p.local(p.do("GET", off.URL+path, nil)); got != "/login?error=sso_off" {
			t.Fatalf("%s with SSO off sent to %q", path, got)
		}
	}
}

func TestProviderUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	issuer := "http://" + ln.Addr().String() + "/"
	ln.Close()
	log := slog.New(slog.DiscardHandler)
	db := openSQLite(t)
	defer db.Close()
	authn := auth.New(db, log, auth.Options{})
	s, err := sso.New(db, authn, log, sso.Options{Issuer: issuer, ClientID: "reel", PublicURL: "http://127.0.0.1:1", DefaultRole: "viewer"})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(server.Routes(components(api.New(db, nil, authn, log, nil, nil), authn, s, log)))
	defer srv.Close()
	p := newPerson(t)
	wantRefused(t, p.local(p.do("GET", srv.URL+sso.StartPath, nil)), "sso_unreachable")
}

func TestNewRefusesBadOptions(t *testing.T) {
	good := sso.Options{Issuer: "https://id.example", ClientID: "reel", PublicURL: "https://reel.example", DefaultRole: "viewer"}
	for name, mod := range map[string]func(o *sso.Options){
		"issuer not a URL":  func(o *sso.Options) { o.Issuer = "id.example" },
		"issuer ftp":        func(o *sso.Options) { o.Issuer = "ftp://id.example" },
		"no client id":      func(o *sso.Options) { o.ClientID = "" },
		"no public URL":     func(o *sso.Options) { o.PublicURL = "" },
		"domain with @":     func(o *sso.Options) { o.AllowedDomains = []string{"a@b.example"} },
		"domain with slash": func(o *sso.Options) { o.AllowedDomains = []string{"https://b.example"} },
	} {
		o := good
		mod(&o)
		if _, err := sso.New(nil, nil, slog.New(slog.DiscardHandler), o); err == nil {
			t.Errorf("%s: New accepted %+v", name, o)
		}
	}
	if _, err := sso.New(nil, nil, slog.New(slog.DiscardHandler), good); err != nil {
		t.Fatalf("good options refused: %v", err)
	}
}

func getJSON(t *testing.T, u string, v any) {
	t.Helper()
	res, err := http.Get(u)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("GET %s = %d", u, res.StatusCode)
	}
	if err := json.NewDecoder(res.Body).Decode(v); err != nil {
		t.Fatal(err)
	}
}

func TestFirstSignInsAtOnceMakeOneUser(t *testing.T) {
	// Two browsers of one person finish their first sign-in at the same moment: one user, one
	// link, both signed in.
	r := start(t, config{})
	a, b := newPerson(t), newPerson(t)
	cbA := a.atProvider(r, a.authorize(r), ann)
	cbB := b.atProvider(r, b.authorize(r), ann)
	type answer struct {
		res *http.Response
		err error
	}
	got := make(chan answer, 2)
	for _, x := range []struct {
		p  *person
		cb string
	}{{a, cbA}, {b, cbB}} {
		go func() {
			res, err := x.p.c.Get(x.cb)
			if err == nil {
				res.Body.Close()
			}
			got <- answer{res, err}
		}()
	}
	for range 2 {
		ans := <-got
		if ans.err != nil {
			t.Fatal(ans.err)
		}
		if g := a.local(ans.res); g != "/" {
			t.Fatalf("a concurrent first sign-in was sent to %q", g)
		}
	}
	if n, _ := r.db.CountUsers(context.Background()); n != 2 { // the admin and ann
		t.Fatalf("%d users, want 2", n)
	}
	for _, p := range []*person{a, b} {
		if email, _ := p.me(r); email != ann.Email {
			t.Fatalf("signed in as %q", email)
		}
	}
}
