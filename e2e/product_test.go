package e2e

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/reelhq/reel/internal/store/pgtest"
)

// backends are the index backends the whole-product test runs on: the embedded one, and
// PostgreSQL (a fresh database of its own; pgtest skips it only outside CI when no server
// answers).
var backends = []struct {
	name string
	args func(t *testing.T) []string
}{
	{"embedded", func(*testing.T) []string { return nil }},
	{"postgres", func(t *testing.T) []string { return []string{"--db", pgtest.URL(t)} }},
}

// TestWholeProduct walks the product on each index backend as a new user would: a visit to the
// demo shop by an identified visitor who rage-clicks the coupon button is listed, replays in
// the dashboard, is found by search (pages, user, on-screen text, findings), shows up in
// issues and on the cart's heatmap once analysed, and is gone everywhere after the visitor's
// erasure.
func TestWholeProduct(t *testing.T) {
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			r := startReelWith(t, t.TempDir(), append([]string{"--compact-idle", "1s"}, b.args(t)...)...)
			wholeProduct(t, r)
		})
	}
}

func wholeProduct(t *testing.T, r *reel) {
	ctx := browser(t)
	const user = "customer-4711"
	var sessionID string
	run(t, ctx, "visit the shop",
		chromedp.Navigate(r.URL+"/demo/"),
		waitFor(visible(`[data-testid=add-to-cart]`)),
		// The SDK records once it has the project's remote configuration; Reel.identify before
		// that is dropped (an SDK gap, noted for issue 19). On a loaded machine the shop's
		// button can be visible before then, so wait for the session to exist.
		waitFor(`Reel.getSessionId()`),
		// Flushed before leaving the page: what the SDK still holds when a page unloads may
		// reach the server late (issue 19); this test is about what the server does with it.
		chromedp.Evaluate(`Reel.identify("`+user+`", {plan: "pro"}); Reel.flush().then(() => true)`, nil, awaitPromise),
		chromedp.Click(`[data-testid=add-to-cart]`, chromedp.ByQuery),
		chromedp.Sleep(300*time.Millisecond),
		chromedp.Click(`[data-testid=cart-link]`, chromedp.ByQuery),
		waitFor(visible(`[data-testid=apply-coupon]`)),
		chromedp.Click(`[data-testid=apply-coupon]`, chromedp.ByQuery),
		chromedp.Click(`[data-testid=apply-coupon]`, chromedp.ByQuery),
		chromedp.Click(`[data-testid=apply-coupon]`, chromedp.ByQuery),
		chromedp.Click(`[data-testid=apply-coupon]`, chromedp.ByQuery),
		chromedp.Sleep(3500*time.Millisecond),
		chromedp.Evaluate(`Reel.flush().then(() => Reel.getSessionId())`, &sessionID, awaitPromise),
	)
	if sessionID == "" {
		t.Fatal("the SDK has no session id")
	}

	// Listed, with both pages.
	var s sessionJSON
	eventually(t, r, 20*time.Second, "the visit in the list with 2 pages", func() bool {
		var list struct{ Sessions []sessionJSON }
		r.api(t, "/api/v1/sessions", &list)
		for _, x := range list.Sessions {
			if x.ID == sessionID {
				s = x
			}
		}
		return s.Pages == 2
	})

	// Found by what search indexes at ingest, and not by what it did not do.
	for q, want := range map[string]bool{
		"visited:/demo/cart.html":     true,
		"user:" + user:                true,
		"user.plan:pro":               true,
		`text:"Your cart"`:            true,
		"visited:/demo/checkout.html": false,
		"user:somebody-else":          false,
	} {
		if got := found(t, r, q, sessionID); got != want {
			t.Errorf("search %q finds the visit: %v, want %v", q, got, want)
		}
	}
	if t.Failed() {
		var full map[string]any
		r.api(t, "/api/v1/sessions/"+sessionID, &full)
		t.Logf("the session as the API has it: %v\nreel stderr:\n%s", full, r.logs)
	}

	// Analysed once compacted: friction is searchable, the issue is listed, the heatmap glows.
	eventually(t, r, 60*time.Second, "rage:>0 finds the visit", func() bool { return found(t, r, "rage:>0", sessionID) })
	var issues struct {
		Issues []struct {
			Kind, Path, Target string
			Sessions           int
		}
	}
	r.api(t, "/api/v1/issues?project=default&days=14", &issues)
	rage := false
	for _, is := range issues.Issues {
		rage = rage || is.Kind == "rage_click" && is.Path == "/demo/cart.html" && strings.Contains(is.Target, "Apply coupon") && is.Sessions == 1
	}
	if !rage {
		t.Errorf("issues = %+v, want a rage click on Apply coupon in /demo/cart.html over 1 session", issues.Issues)
	}
	var hm heatmapJSON
	r.api(t, "/api/v1/heatmaps?page="+url.QueryEscape("/demo/cart.html"), &hm)
	if hm.Clicks < 4 || hm.Sessions != 1 || len(hm.Elements) == 0 || hm.Elements[0].Selector != `button[data-testid="apply-coupon"]` {
		t.Errorf("heatmap of the cart = %+v, want the 4 clicks on the coupon button", hm)
	}

	// The dashboard replays the cart page.
	var events []event
	r.api(t, "/api/v1/sessions/"+sessionID+"/events", &events)
	if len(events) == 0 {
		t.Fatal("no events")
	}
	var title string
	run(t, ctx, "replay the end of the visit", append(loginActions(r),
		chromedp.Navigate(fmt.Sprintf("%s/sessions/%s?t=%d", r.URL, sessionID, events[len(events)-1].Timestamp-events[0].Timestamp)),
		waitFor(`document.body.dataset.playerReady === "1"`),
		chromedp.Poll(`(() => { const f = document.querySelector('[data-testid=player] iframe'); return f?.contentDocument?.querySelector('[data-testid=page-title]')?.textContent || ""; })()`,
			&title, chromedp.WithPollingTimeout(15*time.Second)),
	)...)
	if !strings.Contains(title, "Your cart") {
		t.Errorf("the replay at the end shows %q, want the cart", title)
	}

	// Erasure: the visitor's session is gone from the list, search, issues and events.
	req, _ := http.NewRequest(http.MethodDelete, r.URL+"/api/v1/projects/default/users/"+user, nil)
	req.Header.Set("Authorization", "Bearer "+adminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 || !strings.Contains(string(body), `"sessions":1`) {
		t.Fatalf("erase %s = %d %s, want 1 session erased", user, resp.StatusCode, body)
	}
	if status := get(t, r, "/api/v1/sessions/"+sessionID+"/events"); status != http.StatusNotFound {
		t.Errorf("events after erasure = %d, want 404", status)
	}
	if found(t, r, "user:"+user, sessionID) || found(t, r, "", sessionID) {
		t.Error("the erased visit is still listed")
	}
	r.api(t, "/api/v1/issues?project=default&days=14", &issues)
	for _, is := range issues.Issues {
		if is.Kind == "rage_click" && is.Sessions > 0 {
			t.Errorf("issues after erasure still count the visit: %+v", is)
		}
	}
}

// found says whether the session list for query q holds the session.
func found(t *testing.T, r *reel, q, sessionID string) bool {
	t.Helper()
	var list struct{ Sessions []sessionJSON }
	r.api(t, "/api/v1/sessions?q="+url.QueryEscape(q), &list)
	for _, x := range list.Sessions {
		if x.ID == sessionID {
			return true
		}
	}
	return false
}

// get answers the status of an authenticated GET.
func get(t *testing.T, r *reel, path string) int {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, r.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+adminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// eventually polls cond until it holds, failing the test with what was awaited after d.
func eventually(t *testing.T, r *reel, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited %s for %s\nreel stderr:\n%s", d, what, r.logs)
		}
		time.Sleep(300 * time.Millisecond)
	}
}
