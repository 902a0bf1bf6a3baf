package main

import (
	"log/slog"
	"strings"

	"github.com/reelhq/reel/internal/auth"
	"github.com/reelhq/reel/internal/sso"
	"github.com/reelhq/reel/internal/store"
)

// newSSO builds single sign-on from the --oidc-* flags; nil (off) without --oidc-issuer.
func newSSO(c serveConfig, db store.Index, authn *auth.Auth, log *slog.Logger, publicURL string) (*sso.SSO, error) {
	if c.OIDC.Issuer == "" {
		return nil, nil
	}
	var domains []string
	for d := range strings.SplitSeq(c.OIDC.AllowedDomains, ",") {
		if d = strings.TrimSpace(d); d != "" {
			domains = append(domains, d)
		}
	}
	var projects []string
	for p := range strings.SplitSeq(c.OIDC.DefaultProjects, ",") {
		if p = strings.TrimSpace(p); p != "" {
			projects = append(projects, p)
		}
	}
	s, err := sso.New(db, authn, log, sso.Options{
		Issuer: c.OIDC.Issuer, ClientID: c.OIDC.ClientID, ClientSecret: c.OIDC.ClientSecret,
		PublicURL: publicURL, AllowedDomains: domains, DefaultRole: c.OIDC.DefaultRole, Name: c.OIDC.Name,
		DefaultProjects: projects,
		SecureCookies:   strings.HasPrefix(publicURL, "https://"),
	})
	if err != nil {
		return nil, err
	}
	log.Info("single sign-on through OpenID Connect", "issuer", c.OIDC.Issuer, "redirect", s.RedirectURL(), "allowed_domains", domains, "default_role", c.OIDC.DefaultRole, "default_projects", projects)
	return s, nil
}
