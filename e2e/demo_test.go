package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// TestDemoVisitIsRecordedAndReplays is the product's promise end to end: a visitor walks the
// demo shop (navigation, scrolling, clicks, typing), the visit appears through the API with a
// full snapshot, the clicks and masked typing, and the dashboard's player shows the right page
// at the right moment.
func TestDemoVisitIsRecordedAndReplays(t *testing.T) {
	r := startReel(t, t.TempDir())
	ctx := browser(t)

	const name, email, card = "Ada Lovelace", "ada@example.com", "4242 4242 4242 1234"
	var sessionID string
	// The shop runs under its Content-Security-Policy; whatever it blocks on any page is kept
	// in sessionStorage, which outlives the navigations.
	run(t, ctx, "watch CSP violations", chromedp.ActionFunc(func(ctx context.Context) error {
		_, err := page.AddScriptToEvaluateOnNewDocument(`document.addEventListener("securitypolicyviolation", e => sessionStorage.setItem("csp", (sessionStorage.getItem("csp") || "") + e.violatedDirective + " " + e.blockedURI + "\n"))`).Do(ctx)
		return err
	}))
	run(t, ctx, "walk the demo shop",
		chromedp.Navigate(r.URL+"/demo/"),
		waitFor(visible(`[data-testid=add-to-cart]`)),
		chromedp.Evaluate(`window.scrollTo({top: 700, behavior: "instant"})`, nil),
		chromedp.Sleep(400*time.Millisecond),
		chromedp.Evaluate(`window.scrollTo({top: 0, behavior: "instant"})`, nil),
		chromedp.Sleep(200*time.Millisecond),
		// A search: the shop asks its API for the stock of what it shows (a request the
		// network pane must show; the one on the first page's load may come before the SDK
		// has its settings and is not recorded).
		chromedp.SendKeys(`[data-testid=search]`, "tote", chromedp.ByQuery),
		waitFor(`document.querySelector("[data-testid=product-grid]").dataset.stockAnswers === "2"`),
		chromedp.Click(`[data-testid=add-to-cart]`, chromedp.ByQuery),
		chromedp.Sleep(300*time.Millisecond),
		chromedp.Evaluate(`Reel.getSessionId()`, &sessionID),
		chromedp.Click(`[data-testid=cart-link]`, chromedp.ByQuery),
		waitFor(visible(`[data-testid=checkout-link]`)),
		// The coupon button does nothing: four quick clicks, then a wait, is a rage click and
		// a dead click.
		chromedp.Click(`[data-testid=apply-coupon]`, chromedp.ByQuery),
		chromedp.Click(`[data-testid=apply-coupon]`, chromedp.ByQuery),
		chromedp.Click(`[data-testid=apply-coupon]`, chromedp.ByQuery),
		chromedp.Click(`[data-testid=apply-coupon]`, chromedp.ByQuery),
		chromedp.Sleep(3500*time.Millisecond),
		chromedp.Click(`[data-testid=checkout-link]`, chromedp.ByQuery),
		waitFor(visible(`[data-testid=field-name]`)),
		chromedp.SendKeys(`[data-testid=field-name]`, name, chromedp.ByQuery),
		chromedp.SendKeys(`[data-testid=field-email]`, email, chromedp.ByQuery),
		chromedp.SendKeys(`[data-testid=field-card]`, card, chromedp.ByQuery),
		// The shop scrolls smoothly (scroll-behavior: smooth), and typing into the card field
		// may have started a scroll: a click aimed while the page still moves can miss the
		// button. Put it in view at once, as a reader would have it, then click.
		chromedp.Evaluate(`document.querySelector("[data-testid=checkout-submit]").scrollIntoView({block: "center", behavior: "instant"})`, nil),
		chromedp.Sleep(150*time.Millisecond),
		chromedp.Click(`[data-testid=checkout-submit]`, chromedp.ByQuery),
		waitFor(visible(`[data-testid=validation-error]`)),
		chromedp.Sleep(500*time.Millisecond),
	)
	var sameSession string
	run(t, ctx, "flush the SDK", chromedp.Evaluate(`Reel.flush().then(() => Reel.getSessionId())`, &sameSession, awaitPromise))
	if sessionID == "" || sameSession != sessionID {
		t.Fatalf("session id changed across navigation: %q then %q", sessionID, sameSession)
	}
	var blocked string
	run(t, ctx, "read CSP violations", chromedp.Evaluate(`sessionStorage.getItem("csp") || ""`, &blocked))
	if blocked != "" {
		t.Fatalf("the demo shop's CSP blocked:\n%s", blocked)
	}

	// The visit is in the list within seconds, with its pages and clicks.
	var s sessionJSON
	deadline := time.Now().Add(20 * time.Second)
	for {
		r.api(t, "/api/v1/sessions/"+sessionID, &s)
		if s.Pages >= 3 && s.Clicks >= 4 || time.Now().After(deadline) {
			break
		}
		time.Sleep(250 * time.Millisecond)
	}
	if s.Pages != 3 || s.Clicks < 4 || s.Browser == "" {
		t.Fatalf("session = %+v, want 3 pages and at least 4 clicks", s)
	}
	wantPaths := []string{"/demo/", "/demo/cart.html", "/demo/checkout.html"}
	for i, u := range s.URLs {
		if !strings.HasSuffix(strings.SplitN(u, "?", 2)[0], wantPaths[i]) {
			t.Fatalf("pages visited = %v, want %v", s.URLs, wantPaths)
		}
	}
	var list struct{ Sessions []sessionJSON }
	r.api(t, "/api/v1/sessions", &list)
	if len(list.Sessions) != 1 || list.Sessions[0].ID != sessionID {
		t.Fatalf("session list = %+v", list.Sessions)
	}

	// The events are a replayable rrweb recording: per page a Meta and a full snapshot,
	// scrolling, clicks, and input that never contains what was typed.
	var events []event
	r.api(t, "/api/v1/sessions/"+sessionID+"/events", &events)
	counts := map[string]int{}
	pageAt := map[string]int64{} // path → timestamp of its Meta event
	for i, e := range events {
		if i > 0 && e.Timestamp < events[i-1].Timestamp {
			t.Fatalf("event %d is out of time order", i)
		}
		switch e.Type {
		case 2:
			counts["full"]++
		case 4:
			var m struct{ Href string }
			json.Unmarshal(e.Data, &m)
			for _, p := range wantPaths {
				if strings.HasSuffix(strings.SplitN(m.Href, "?", 2)[0], p) {
					pageAt[p] = e.Timestamp
				}
			}
		case 3:
			var d struct {
				Source int
				Type   int
				Text   string
			}
			json.Unmarshal(e.Data, &d)
			switch {
			case d.Source == 2 && d.Type == 2:
				counts["click"]++
			case d.Source == 3:
				counts["scroll"]++
			case d.Source == 5:
				counts["input"]++
				if strings.Contains(d.Text, "Ada") || strings.Contains(d.Text, "@") || strings.Contains(d.Text, "4242") {
					t.Fatalf("typed text left the browser unmasked: %q", d.Text)
				}
			}
		}
	}
	if counts["full"] < 3 || counts["click"] < 4 || counts["scroll"] < 1 || counts["input"] < 3 || len(pageAt) != 3 {
		t.Fatalf("events: %v, pages %v", counts, pageAt)
	}
	raw, _ := json.Marshal(events)
	for _, secret := range []string{name, email, card} {
		if strings.Contains(string(raw), secret) {
			t.Fatalf("recording contains %q", secret)
		}
	}

	// Friction: the coupon button is flagged, by name.
	var found struct {
		Signals []struct{ Kind, Target, URL string }
	}
	// The whole-session pass, as compaction will give it: live analysis may not have read the
	// last batch yet (TestFindingsWithinAMinute covers what the dashboard shows meanwhile).
	r.api(t, "/api/v1/sessions/"+sessionID+"/signals?pass=whole", &found)
	flagged := map[string]bool{}
	for _, sig := range found.Signals {
		if strings.Contains(sig.Target, "Apply coupon") && strings.HasSuffix(sig.URL, "/demo/cart.html") {
			flagged[sig.Kind] = true
		}
	}
	if os.Getenv("REEL_DEBUG_EVENTS") != "" {
		b, _ := json.Marshal(events)
		os.WriteFile(os.Getenv("REEL_DEBUG_EVENTS"), b, 0o644)
	}
	// One finding per click (docs/friction.md): the burst is a rage click.
	if !flagged["rage_click"] {
		t.Fatalf("coupon button not flagged as a rage click: %+v", found.Signals)
	}

	// The dashboard: log in, find the visit in the list, open the player.
	run(t, ctx, "log in to the dashboard",
		chromedp.Navigate(r.URL+"/login"),
		waitFor(visible(`[data-testid=login-email]`)),
		chromedp.SendKeys(`[data-testid=login-email]`, adminEmail, chromedp.ByQuery),
		chromedp.SendKeys(`[data-testid=login-password]`, adminPassword, chromedp.ByQuery),
		chromedp.Click(`[data-testid=login-submit]`, chromedp.ByQuery),
		waitFor(visible(fmt.Sprintf(`[data-testid=session-row][data-session-id=%q]`, sessionID))),
		// The row's thumbnail shows the shop's home page as the visit first saw it.
		waitFor(fmt.Sprintf(`document.querySelector('[data-session-id=%q] [data-testid=preview]').dataset.state === "ready"`, sessionID)),
		waitFor(fmt.Sprintf(`document.querySelector('[data-session-id=%q] [data-testid=preview] iframe').contentDocument.querySelector('[data-testid=page-title]')?.textContent.includes("Reel Supply Co.")`, sessionID)),
	)
	shoot(t, ctx, "sessions.png")
	run(t, ctx, "open the player from the list",
		chromedp.Click(fmt.Sprintf(`[data-testid=session-row][data-session-id=%q]`, sessionID), chromedp.ByQuery),
		waitFor(visible(`[data-testid=player] iframe`)),
		waitFor(`document.body.dataset.playerReady === "1"`),
	)

	// At each page's moment the replayed frame shows that page.
	start := events[0].Timestamp
	for _, tc := range []struct {
		path, text string
	}{
		{"/demo/", "Reel Supply Co."},
		{"/demo/cart.html", "Your cart"},
		{"/demo/checkout.html", "Checkout"},
	} {
		offset := pageAt[tc.path] - start + 300
		var text string
		run(t, ctx, "seek to "+tc.path,
			chromedp.Navigate(fmt.Sprintf("%s/sessions/%s?t=%d", r.URL, sessionID, offset)),
			waitFor(`document.body.dataset.playerReady === "1"`),
			chromedp.Poll(`(() => { const f = document.querySelector('[data-testid=player] iframe'); return f && f.contentDocument && f.contentDocument.body ? f.contentDocument.body.innerText : ""; })()`, &text, chromedp.WithPollingTimeout(15*time.Second)),
		)
		var title string
		run(t, ctx, "read replayed title", chromedp.Evaluate(`document.querySelector('[data-testid=player] iframe').contentDocument.querySelector('[data-testid=page-title]')?.textContent || ""`, &title))
		if !strings.Contains(title, tc.text) {
			t.Fatalf("at t=%dms the replay shows title %q, want %q (frame text %.200q)", offset, title, tc.text, text)
		}
	}

	// The replay frame is sandboxed without scripts.
	var sandbox string
	run(t, ctx, "read sandbox", chromedp.Evaluate(`document.querySelector('[data-testid=player] iframe').getAttribute('sandbox') || "none"`, &sandbox))
	if strings.Contains(sandbox, "allow-scripts") || sandbox == "none" {
		t.Fatalf("replay iframe sandbox = %q", sandbox)
	}
	// Show the checkout moment with the validation error for the screenshot.
	run(t, ctx, "seek to the validation error",
		chromedp.Navigate(fmt.Sprintf("%s/sessions/%s?t=%d", r.URL, sessionID, events[len(events)-1].Timestamp-start)),
		waitFor(`document.body.dataset.playerReady === "1"`),
		chromedp.Sleep(500*time.Millisecond),
	)
	shoot(t, ctx, "player.png")

	// The shop's own requests are in the network pane: the stock the home page asked for, and
	// the delivery estimate that fails on purpose at checkout, shown as failed with its 500.
	run(t, ctx, "open the network pane",
		chromedp.Click(`[data-testid=pane-network]`, chromedp.ByQuery),
		waitFor(visible(`[data-testid=network-list]`)),
	)
	var rows []string
	run(t, ctx, "read the network rows", chromedp.Evaluate(`[...document.querySelectorAll('[data-testid=network-list] .nrow')].map(r => (r.classList.contains('failed') ? 'FAILED ' : '') + r.innerText.replace(/\s+/g, ' '))`, &rows))
	var stock, delivery bool
	for _, row := range rows {
		stock = stock || strings.Contains(row, "/demo/api/stock") && strings.Contains(row, "200") && !strings.HasPrefix(row, "FAILED")
		delivery = delivery || strings.Contains(row, "/demo/api/delivery") && strings.Contains(row, "500") && strings.HasPrefix(row, "FAILED")
	}
	if !stock || !delivery {
		t.Fatalf("network pane rows = %q, want GET /demo/api/stock 200 and a failed GET /demo/api/delivery 500", rows)
	}
	look(t, ctx, "demo-network-pane.png")
}
