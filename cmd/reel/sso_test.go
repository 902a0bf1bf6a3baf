package main

import (
	"bytes"
	"context"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	"github.com/reelhq/reel/internal/auth"
	"github.com/reelhq/reel/internal/store/sqlite"
)

func TestOIDCFlagsAndEnv(t *testing.T) {
	var stderr bytes.Buffer
	c, err := parseServe(nil, &stderr)
	if err != nil || c.OIDC.Issuer != "" || c.OIDC.DefaultRole != "viewer" {
		t.Fatalf("defaults: %+v, %v", c.OIDC, err)
	}
	t.Setenv("REEL_OIDC_ISSUER", "https://id.example")
	t.Setenv("REEL_OIDC_CLIENT_ID", "reel")
	t.Setenv("REEL_OIDC_CLIENT_SECRET", "s3cret")
	t.Setenv("REEL_OIDC_ALLOWED_DOMAINS", "acme.example, acme.dev")
	c, err = parseServe([]string{"--oidc-default-role", "member", "--oidc-name", "Acme"}, &stderr)
	if err != nil {
		t.Fatal(err)
	}
	want := oidcConfig{Issuer: "https://id.example", ClientID: "reel", ClientSecret: "s3cret", AllowedDomains: "acme.example, acme.dev", DefaultRole: "member", Name: "Acme"}
	if c.OIDC != want {
		t.Fatalf("oidc = %+v, want %+v", c.OIDC, want)
	}
	// The secret is not a flag: it would show in ps and shell history.
	if _, err := parseServe([]string{"--oidc-client-secret", "x"}, &stderr); err == nil {
		t.Fatal("--oidc-client-secret accepted as a flag")
	}
	for _, role := range []string{"superuser", "", "Admin"} {
		if _, err := parseServe([]string{"--oidc-default-role", role}, &stderr); err == nil || !strings.Contains(err.Error(), "--oidc-default-role") {
			t.Fatalf("default role %q: %v", role, err)
		}
	}

	// The redirect URI follows --public-url, and a bad issuer or domain stops the server.
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "index.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	log := slog.New(slog.DiscardHandler)
	authn := auth.New(db, log, auth.Options{})
	s, err := newSSO(c, db, authn, log, "https://reel.example/")
	if err != nil || s.RedirectURL() != "https://reel.example/api/v1/auth/oidc/callback" {
		t.Fatalf("newSSO: %v", err)
	}
	c.OIDC.AllowedDomains = "acme.example,@nope@x"
	if _, err := newSSO(c, db, authn, log, "https://reel.example"); err == nil {
		t.Fatal("a bad allowed domain was accepted")
	}
	c.OIDC.Issuer = ""
	if s, err := newSSO(c, db, authn, log, "https://reel.example"); s != nil || err != nil {
		t.Fatalf("without an issuer: %v, %v", s, err)
	}
}
