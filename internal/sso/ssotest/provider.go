// Package ssotest runs a real OpenID Provider for tests: zitadel/oidc's example server (its
// op package, in-memory storage and login form), built from the module, on a loopback port.
// Nothing here stands in for a provider; the flow Reel drives is the one a real provider
// answers, discovery, PKCE, signed ID tokens, userinfo and single-use codes included.
package ssotest

import (
	"encoding/json"
	"log/slog"
	"net"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"

	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"
)

// The client Reel is registered as.
const (
	ClientID     = "reel"
	ClientSecret = "reel-test-secret"
)

// User is an account at the provider. Username and Password are what its login form takes.
type User struct {
	ID            string // the subject the provider gives Reel
	Username      string
	Password      string
	Email         string
	EmailVerified bool
}

// Provider is a provider whose issuer URL is known before it serves, so Reel can be started
// with it first and the provider told Reel's redirect URI afterwards.
type Provider struct {
	Issuer string // "http://127.0.0.1:PORT/"
	ln     net.Listener
	srv    *httptest.Server
}

// New reserves the provider's address. Nothing answers there until Start.
func New(t testing.TB) *Provider {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &Provider{Issuer: "http://" + ln.Addr().String() + "/", ln: ln}
	t.Cleanup(func() {
		if p.srv != nil {
			p.srv.Close()
		} else {
			ln.Close()
		}
	})
	return p
}

// Start serves the provider with Reel registered as a confidential web client allowed to
// send people back to redirectURI, and these accounts.
func (p *Provider) Start(t testing.TB, redirectURI string, users ...User) {
	t.Helper()
	accounts := map[string]storage.User{}
	for _, u := range users {
		accounts[u.ID] = storage.User{ID: u.ID, Username: u.Username, Password: u.Password, FirstName: u.Username, Email: u.Email, EmailVerified: u.EmailVerified}
	}
	b, err := json.Marshal(accounts)
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "users.json")
	if err := os.WriteFile(file, b, 0o600); err != nil {
		t.Fatal(err)
	}
	us, err := storage.StoreFromFile(file)
	if err != nil {
		t.Fatal(err)
	}
	st := storage.NewStorageWithClients(us, map[string]*storage.Client{
		ClientID: storage.WebClient(ClientID, ClientSecret, redirectURI),
	})
	// The example sets the process's default logger to the one it is given; a discarding one
	// keeps its request log out of test output.
	srv := httptest.NewUnstartedServer(exampleop.SetupServer(p.Issuer, st, slog.New(slog.DiscardHandler), false))
	srv.Listener.Close()
	srv.Listener = p.ln
	srv.Start()
	p.srv = srv
}

// LoginURL is the provider's login form, which its authorization endpoint redirects to.
func (p *Provider) LoginURL() string { return p.Issuer + "login/username" }
