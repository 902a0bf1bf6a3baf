package e2e

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/reelhq/reel/internal/alert"
)

// TestAlertFromIssueSentTestFromUI: from the Issues page, "Alert me" on the rage-click issue
// opens the Alerts page with the rule prefilled; the admin adds a webhook (a real receiver on
// loopback, allowed by --webhook-private), adds the rule, and reads it as a sentence with the
// webhook's host and never its secret path; "Send test" posts a marked test message to the
// receiver and the delivery shows in the page. A saved search's bell opens the same form for
// that search.
func TestAlertFromIssueSentTestFromUI(t *testing.T) {
	var mu sync.Mutex
	var got []map[string]any
	type post struct {
		h    http.Header
		body []byte
	}
	var raw []post
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		b, _ := io.ReadAll(req.Body)
		var m map[string]any
		json.Unmarshal(b, &m)
		mu.Lock()
		got = append(got, m)
		raw = append(raw, post{req.Header.Clone(), b})
		mu.Unlock()
		w.Write([]byte("ok"))
	}))
	defer hook.Close()
	host := strings.TrimPrefix(hook.URL, "http://")
	secret := hook.URL + "/services/T0AB/B0CD/s3cr3tPart"

	r := startReelWith(t, t.TempDir(), "--compact-idle", "1s", "--webhook-private")
	ctx := browser(t)
	insightSessions(t, r)
	waitForIssue(t, r, "rage_click")

	run(t, ctx, "Alert me on the rage-click issue",
		append(loginActions(r),
			chromedp.Click(`[data-testid=nav-issues]`, chromedp.ByQuery),
			waitFor(visible(`[data-testid=issue-row][data-kind=rage_click] [data-testid=issue-alert]`)),
			chromedp.Click(`[data-testid=issue-row][data-kind=rage_click] [data-testid=issue-alert]`, chromedp.ByQuery),
			waitFor(`location.pathname === "/alerts"`),
			waitFor(visible(`[data-testid=alert-form]`)),
			waitFor(`document.querySelector('[data-testid=alert-name]').value === "Rage click on /demo/cart.html"`),
			waitFor(contains(`document.querySelector('[data-testid=alert-watches]').innerText`, "/demo/cart.html")),
			waitFor(contains(`document.querySelector('[data-testid=alerts-empty]').innerText`, "No alerts yet")),
			chromedp.SetValue(`[data-testid=alert-threshold]`, "", chromedp.ByQuery),
			chromedp.SendKeys(`[data-testid=alert-threshold]`, "3", chromedp.ByQuery),
			chromedp.SendKeys(`[data-testid=alert-webhook]`, secret, chromedp.ByQuery),
			chromedp.Click(`[data-testid=alert-create]`, chromedp.ByQuery),
			waitFor(`document.querySelectorAll('[data-testid=alert-row]').length === 1`),
			waitFor(`!document.querySelector('[data-testid=alert-form]')`),
			waitFor(contains(`document.querySelector('[data-testid=alert-condition]').innerText`, "rage clicks on /demo/cart.html")),
			waitFor(contains(`document.querySelector('[data-testid=alert-condition]').innerText`, "≥ 3 sessions in 1 h")),
			waitFor(contains(`document.querySelector('[data-testid=alert-destination]').innerText`, host)),
			waitFor(contains(`document.querySelector('[data-testid=alert-deliveries]').innerText`, "none yet")),
		)...)
	var page string
	run(t, ctx, "read the page", chromedp.Evaluate(`document.body.innerText`, &page))
	if strings.Contains(page, "s3cr3tPart") || strings.Contains(page, "1 sessions") {
		t.Fatalf("the Alerts page shows the webhook's secret path or “1 sessions”:\n%s", page)
	}

	run(t, ctx, "Send test",
		chromedp.Click(`[data-testid=alert-test]`, chromedp.ByQuery),
		waitFor(visible(`[data-testid=alert-test-result]`)),
		waitFor(contains(`document.querySelector('[data-testid=alert-test-result]').innerText`, "Test delivered (200)")),
		waitFor(`document.querySelectorAll('[data-testid=alert-delivery]').length === 1`),
		waitFor(contains(`document.querySelector('[data-testid=alert-delivery]').innerText`, "Test delivered (200)")),
	)
	shoot(t, ctx, "alerts.png")
	look(t, ctx, "alerts.png")
	mu.Lock()
	if len(got) != 1 || got[0]["test"] != true || !strings.Contains(got[0]["text"].(string), "test message") || !strings.Contains(got[0]["text"].(string), "Rage click on /demo/cart.html") {
		t.Fatalf("the receiver got %+v; want one marked test message", got)
	}
	mu.Unlock()

	// After a reload the delivery is still listed (it is stored, not page state).
	run(t, ctx, "reload",
		chromedp.Reload(),
		waitFor(`document.querySelectorAll('[data-testid=alert-delivery]').length === 1`),
		waitFor(contains(`document.querySelector('[data-testid=alert-delivery]').innerText`, "Test delivered (200)")),
	)

	// A saved search's bell opens the form for that search.
	req, _ := http.NewRequest("POST", r.URL+"/api/v1/saved-searches", strings.NewReader(`{"project":"default","name":"Checkout visits","query":"visited:/demo/checkout.html","shared":true}`))
	req.Header.Set("Authorization", "Bearer "+adminToken)
	req.Header.Set("Content-Type", "application/json")
	res, err := http.DefaultClient.Do(req)
	if err != nil || res.StatusCode != 201 {
		t.Fatalf("saving a search: %v %v", res, err)
	}
	res.Body.Close()
	run(t, ctx, "Alert me on a saved search",
		chromedp.Click(`[data-testid=nav-sessions]`, chromedp.ByQuery),
		waitFor(visible(`[data-testid=saved-search][data-name="Checkout visits"] [data-testid=saved-alert]`)),
		chromedp.Click(`[data-testid=saved-search][data-name="Checkout visits"] [data-testid=saved-alert]`, chromedp.ByQuery),
		waitFor(`location.pathname === "/alerts"`),
		waitFor(visible(`[data-testid=alert-form]`)),
		waitFor(`document.querySelector('[data-testid=alert-name]').value === "Checkout visits"`),
		waitFor(contains(`document.querySelector('[data-testid=alert-watches]').innerText`, "saved search")),
		chromedp.SendKeys(`[data-testid=alert-webhook]`, secret, chromedp.ByQuery),
		// This one goes to a program: a signed JSON event.
		chromedp.Evaluate(`(() => { const s = document.querySelector('[data-testid=alert-format]'); s.value = "json"; s.dispatchEvent(new Event("change", {bubbles: true})); })()`, nil),
		chromedp.Click(`[data-testid=alert-create]`, chromedp.ByQuery),
		waitFor(`document.querySelectorAll('[data-testid=alert-row]').length === 2`),
		waitFor(contains(`document.querySelector('[data-testid=alert-row][data-name="Checkout visits"] [data-testid=alert-condition]').innerText`, "sessions matching “visited:/demo/checkout.html”")),
		waitFor(contains(`document.querySelector('[data-testid=alert-row][data-name="Checkout visits"] [data-testid=alert-destination]').innerText`, "JSON event")),
	)
	// The signing secret is one click away, and it verifies what the receiver gets.
	const row = `[data-testid=alert-row][data-name="Checkout visits"] `
	var shown string
	run(t, ctx, "show the signing secret and send a test",
		chromedp.Click(row+`[data-testid=alert-secret] summary`, chromedp.ByQuery),
		waitFor(visible(row+`[data-testid=alert-secret] code`)),
		chromedp.Evaluate(`document.querySelector('`+row+`[data-testid=alert-secret] code').innerText`, &shown),
		chromedp.Click(row+`[data-testid=alert-test]`, chromedp.ByQuery),
		waitFor(contains(`document.querySelector('`+row+`[data-testid=alert-test-result]').innerText`, "Test delivered (200)")),
	)
	mu.Lock()
	defer mu.Unlock()
	last := raw[len(raw)-1]
	if !strings.HasPrefix(shown, "whsec_") {
		t.Fatalf("the page shows %q as the signing secret", shown)
	}
	if err := alert.Verify(shown, last.h, last.body, time.Now(), 5*time.Minute); err != nil {
		t.Fatalf("the JSON rule's post does not verify with the secret the page shows: %v\n%s", err, last.body)
	}
	if ev := got[len(got)-1]; ev["type"] != "alert.test" || ev["rule"].(map[string]any)["name"] != "Checkout visits" {
		t.Fatalf("the JSON rule posted %+v", ev)
	}
}

// waitForIssue waits until the sessions' analysis (live, or at compaction) has made an issue of kind.
func waitForIssue(t *testing.T, r *reel, kind string) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for {
		var out struct{ Issues []issueJSON }
		r.api(t, "/api/v1/issues?project=default&days=14", &out)
		for _, is := range out.Issues {
			if is.Kind == kind {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no %s issue after 60s; logs:\n%s", kind, r.logs)
		}
		time.Sleep(300 * time.Millisecond)
	}
}
