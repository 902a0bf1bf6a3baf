package e2e

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/reelhq/reel/internal/sso"
	"github.com/reelhq/reel/internal/sso/ssotest"
)

// TestSSOSignInInChromium signs in to the real binary through a real OpenID provider
// (zitadel/oidc's example server) in Chromium: the login page's "Sign in with …" button, the
// provider's own login form, and back to the session list, signed in with the default role. A
// person whose email domain is not allowed is sent back to the login page with the reason.
func TestSSOSignInInChromium(t *testing.T) {
	p := ssotest.New(t)
	t.Setenv("REEL_OIDC_CLIENT_SECRET", ssotest.ClientSecret) // the binary inherits it
	r := startReelWith(t, t.TempDir(),
		"--oidc-issuer", p.Issuer, "--oidc-client-id", ssotest.ClientID, "--oidc-name", "Acme ID",
		"--oidc-allowed-domains", "acme.test", "--oidc-default-role", "member",
		"--oidc-default-projects", "default")
	p.Start(t, r.URL+sso.CallbackPath,
		ssotest.User{ID: "sub-ann", Username: "ann", Password: "ann-password", Email: "ann@acme.test", EmailVerified: true},
		ssotest.User{ID: "sub-eve", Username: "eve", Password: "eve-password", Email: "eve@elsewhere.test", EmailVerified: true},
	)
	var d dom
	now := time.Now().UnixMilli()
	ingest(t, r, "s_ssosession01", "t_tab00000001", 0, []string{metaEv(now-60_000, "https://shop.example/"), fullEv(now-59_999, d.page(d.el("h1", nil, d.text("hello")))), moveEv(now-50_000, 1, 1)})

	ctx := browser(t)
	providerForm := func(user, password string) []chromedp.Action {
		return []chromedp.Action{
			chromedp.Navigate(r.URL + "/login"),
			waitFor(visible(`[data-testid=login-sso]`)),
			waitFor(contains(`document.querySelector('[data-testid=login-sso]').innerText`, "Sign in with Acme ID")),
			chromedp.Click(`[data-testid=login-sso]`, chromedp.ByQuery),
			waitFor(`location.href.startsWith(` + jsString(p.LoginURL()) + `)`),
			waitFor(visible(`#username`)),
			chromedp.SendKeys(`#username`, user, chromedp.ByQuery),
			chromedp.SendKeys(`#password`, password, chromedp.ByQuery),
			chromedp.Click(`button[type=submit]`, chromedp.ByQuery),
		}
	}
	run(t, ctx, "refused: email domain not allowed", append(providerForm("eve", "eve-password"),
		waitFor(`location.href.startsWith(`+jsString(r.URL+"/login?error=")+`)`),
		waitFor(visible(`[data-testid=login-error]`)),
		waitFor(contains(`document.querySelector('[data-testid=login-error]').innerText`, "domain is not allowed")),
	)...)
	run(t, ctx, "signed in", append(providerForm("ann", "ann-password"),
		waitFor(`location.href === `+jsString(r.URL+"/")),
		waitFor(visible(`[data-testid=session-row][data-session-id="s_ssosession01"]`)),
	)...)
	var me struct{ User struct{ Email, Role string } }
	run(t, ctx, "who am I", chromedp.Evaluate(`fetch("/api/v1/auth/me").then(r => r.json())`, &me, awaitPromise))
	if me.User.Email != "ann@acme.test" || me.User.Role != "member" {
		t.Fatalf("signed in as %+v, want ann@acme.test as member", me.User)
	}
}
