package e2e

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestTokensAndAuditPages: an admin creates an API token in the dashboard and sees its secret
// once, with a copy button; the token works over the API, its last use shows in the list, and
// revoking it (after a confirmation) ends it. The audit log page then reads as sentences (who
// watched which session, who made and revoked the token), filters by action, links to the
// session, and offers the same selection as a JSON lines download.
func TestTokensAndAuditPages(t *testing.T) {
	r := startReel(t, t.TempDir())
	ctx := browser(t)
	ingest(t, r, "s_auditpage001", "t_tab00000001", 0, visit(time.Now().Add(-10*time.Minute), "/cart", false))

	var secret string
	run(t, ctx, "create a token",
		append(loginActions(r),
			waitFor(visible(`[data-testid=nav-tokens]`)),
			chromedp.Click(`[data-testid=nav-tokens]`, chromedp.ByQuery),
			waitFor(visible(`[data-testid=token-form]`)),
			waitFor(contains(`document.body.innerText`, "No API tokens yet")),
			chromedp.SendKeys(`[data-testid=token-name]`, "Nightly export", chromedp.ByQuery),
			chromedp.Click(`[data-testid=token-create]`, chromedp.ByQuery),
			waitFor(visible(`[data-testid=token-secret]`)),
			waitFor(contains(`document.querySelector('[data-testid=token-secret]').innerText`, "only time")),
			waitFor(visible(`[data-testid=token-secret] [data-testid=copy]`)),
			chromedp.Text(`[data-testid=token-text]`, &secret, chromedp.ByQuery),
			waitFor(`document.querySelectorAll('[data-testid=token-row]').length === 1`),
			waitFor(`document.querySelector('[data-testid=token-used]').innerText === "never"`),
		)...)
	shoot(t, ctx, "tokens.png")
	secret = strings.TrimSpace(secret)
	if !strings.HasPrefix(secret, "reel_") {
		t.Fatalf("secret shown = %q", secret)
	}
	get := func(path string) int {
		req, _ := http.NewRequest("GET", r.URL+path, nil)
		req.Header.Set("Authorization", "Bearer "+secret)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		return res.StatusCode
	}
	if s := get("/api/v1/sessions"); s != 200 {
		t.Fatalf("the new token reading sessions = %d", s)
	}

	run(t, ctx, "watch the session, then see the token used and revoke it",
		chromedp.Navigate(r.URL+"/sessions/s_auditpage001"),
		waitFor(`document.body.dataset.playerReady === "1"`),
		chromedp.Navigate(r.URL+"/tokens"),
		waitFor(`document.querySelectorAll('[data-testid=token-row]').length === 1`),
		waitFor(`document.querySelector('[data-testid=token-used]').innerText !== "never"`),
		chromedp.Evaluate(`window.confirm = () => true`, nil),
		chromedp.Click(`[data-testid=token-revoke]`, chromedp.ByQuery),
		waitFor(contains(`document.querySelector('[data-testid=token-row]').innerText`, "revoked")),
	)
	if s := get("/api/v1/sessions"); s != 401 {
		t.Fatalf("the revoked token = %d, want 401", s)
	}

	var href string
	run(t, ctx, "read the audit log",
		chromedp.Click(`[data-testid=nav-audit]`, chromedp.ByQuery),
		waitFor(`document.querySelectorAll('[data-testid=audit-row]').length >= 4`),
		waitFor(contains(`document.querySelector('[data-testid=audit-list]').innerText`, "admin@reel.local watched session s_auditpage001")),
		waitFor(contains(`document.querySelector('[data-testid=audit-list]').innerText`, "created API token Nightly export")),
		waitFor(contains(`document.querySelector('[data-testid=audit-list]').innerText`, "revoked API token Nightly export")),
		waitFor(contains(`document.querySelector('[data-testid=audit-list]').innerText`, "signed in")),
		waitFor(contains(`document.querySelector('[data-testid=audit-list]').innerText`, "127.0.0.1")),
	)
	shoot(t, ctx, "audit.png")
	run(t, ctx, "filter by action and follow the session link",
		chromedp.Evaluate(`(() => { const s = document.querySelector('[data-testid=audit-action]'); s.value = "session.view"; s.dispatchEvent(new Event('change', {bubbles: true})); })()`, nil),
		waitFor(`location.search === "?action=session.view"`),
		waitFor(`document.querySelectorAll('[data-testid=audit-row]').length === 1`),
		chromedp.AttributeValue(`[data-testid=audit-export]`, "href", &href, nil, chromedp.ByQuery),
		chromedp.Click(`[data-testid=audit-session]`, chromedp.ByQuery),
		waitFor(`location.pathname === "/sessions/s_auditpage001"`),
	)
	if href != "/api/v1/audit/export?action=session.view" {
		t.Fatalf("export link = %q, want the page's filters", href)
	}
}
