package e2e

import (
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// richSession ingests a two-tab session with everything the SDK reports: pages, clicks, inputs,
// console lines, a failed and a good request, an error, identify and a custom event, and an idle
// stretch. It returns the session id.
func richSession(t *testing.T, r *reel, t0 int64) string {
	const id = "s_richsession1"
	var d dom
	input := d.el("input", map[string]any{"type": "text", "value": ""})
	status := d.text("Step one")
	heading := d.el("h1", nil, status)
	doc := d.page(heading, input, d.el("button", nil, d.text("Pay")))
	var d2 dom
	doc2 := d2.page(d2.el("h1", nil, d2.text("Help centre (second tab)")))
	ev := []string{
		metaEv(t0, "https://shop.example/checkout"),
		fullEv(t0+1, doc),
		customEv(t0+200, "reel.identify", map[string]any{"userId": "ada@example.com", "traits": map[string]any{"plan": "pro"}}),
		moveEv(t0+500, 100, 100),
		clickEv(t0+1000, input["id"].(int), 100, 100),
		evJSON(3, t0+1500, map[string]any{"source": 5, "id": input["id"].(int), "text": "****", "isChecked": false}),
		customEv(t0+2000, "reel.console", map[string]any{"level": "log", "args": []string{"cart loaded", "3 items"}}),
		customEv(t0+2500, "reel.console", map[string]any{"level": "warn", "args": []string{"slow coupon service"}}),
		customEv(t0+3000, "reel.network", map[string]any{"method": "GET", "url": "https://shop.example/api/cart", "status": 200, "durationMs": 120, "responseSize": 512}),
		clickEv(t0+3500, input["id"].(int), 200, 100),
		customEv(t0+4000, "reel.network", map[string]any{"method": "POST", "url": "https://shop.example/api/pay", "status": 500, "durationMs": 340, "responseBody": `{"error":"card declined"}`}),
		customEv(t0+4100, "reel.console", map[string]any{"level": "error", "args": []string{"payment failed"}, "stack": "Error: payment failed\n    at pay (app.js:10:5)"}),
		customEv(t0+4200, "reel.error", map[string]any{"kind": "error", "name": "TypeError", "message": "Cannot read properties of undefined (reading 'total')", "stack": "TypeError: Cannot read…\n    at render (app.js:42:7)", "source": "https://shop.example/app.js", "line": 42, "column": 7}),
		textEv(t0+4150, status["id"].(int), "Payment failed"),
		customEv(t0+4500, "reel.track", map[string]any{"name": "checkout_failed", "props": map[string]any{"reason": "declined"}}),
		// Frustration: four clicks in a second on the heading (a rage click for the analysis).
		clickEv(t0+6000, heading["id"].(int), 30, 20), clickEv(t0+6200, heading["id"].(int), 31, 21),
		clickEv(t0+6400, heading["id"].(int), 30, 22), clickEv(t0+6600, heading["id"].(int), 32, 20),
		// 30 s idle, then one more click.
		moveEv(t0+35000, 120, 120),
		clickEv(t0+35500, input["id"].(int), 120, 120),
		moveEv(t0+36000, 130, 130),
	}
	ingest(t, r, id, "t_tab00000001", 0, ev)
	ingest(t, r, id, "t_tab00000002", 0, []string{
		metaEv(t0+10000, "https://shop.example/help"),
		fullEv(t0+10001, doc2),
		moveEv(t0+12000, 50, 50),
		moveEv(t0+20000, 60, 60),
	})
	return id
}

// TestPlayerControlsAndPanes drives the player the way a user would: markers on the timeline,
// the panes following playback, click-to-jump, console filters, network details, errors, the
// session facts, keyboard shortcuts, speeds and switching tabs.
func TestPlayerControlsAndPanes(t *testing.T) {
	r := startReel(t, t.TempDir())
	ctx := browser(t)
	t0 := time.Now().Add(-10 * time.Minute).UnixMilli()
	id := richSession(t, r, t0)

	run(t, ctx, "log in", loginActions(r)...)
	run(t, ctx, "open the player at the start",
		chromedp.Navigate(r.URL+"/sessions/"+id+"?t=0"),
		waitFor(`document.body.dataset.playerReady === "1"`),
		waitFor(contains(frameText, "Step one")),
		waitFor(`document.querySelectorAll('[data-testid=markers] .mark').length >= 7`),
		// The server's analysis adds friction markers.
		waitFor(`document.querySelectorAll('[data-testid=markers] .mark[data-kind=friction]').length >= 1`),
	)

	// Markers of each kind, and an activity strip with idle buckets.
	var kinds map[string]int
	run(t, ctx, "read markers", chromedp.Evaluate(`[...document.querySelectorAll('[data-testid=markers] .mark')].reduce((m, e) => (m[e.dataset.kind] = (m[e.dataset.kind] || 0) + 1, m), {})`, &kinds))
	delete(kinds, "friction")
	for k, want := range map[string]int{"page": 1, "click": 7, "input": 1, "error": 1, "failed": 1, "custom": 1} {
		if kinds[k] != want {
			t.Fatalf("markers = %v, want %d of %s", kinds, want, k)
		}
	}
	var idle int
	run(t, ctx, "activity strip", chromedp.Evaluate(`document.querySelectorAll('[data-testid=activity] span.idle').length`, &idle))
	if idle < 50 {
		t.Fatalf("activity strip shows %d idle buckets of 160 for a mostly idle session", idle)
	}

	// Skip inactivity is on by default; speeds go from 0.5× to 8×.
	var skip bool
	var speeds []string
	run(t, ctx, "read defaults",
		chromedp.Evaluate(`document.querySelector('[data-testid=skip-inactive]').checked`, &skip),
		chromedp.Evaluate(`[...document.querySelectorAll('[data-testid=speeds] button')].map(b => b.dataset.speed)`, &speeds),
	)
	if !skip || strings.Join(speeds, ",") != "0.5,1,2,4,8" {
		t.Fatalf("skip=%v speeds=%v", skip, speeds)
	}

	// The event list: click the error's row, the player jumps there and the row is current.
	run(t, ctx, "jump from the event list",
		chromedp.Click(`[data-testid=event-list] .row[data-kind=error]`, chromedp.ByQuery),
		waitFor(`Math.abs(`+playerTime+` - 4200) < 300`),
		waitFor(`document.querySelector('[data-testid=event-list] .row.current')?.dataset.kind === "error"`),
		waitFor(contains(frameText, "Payment failed")),
	)
	// Keyboard: ] goes to the next event (the custom event at 4.5 s), [ back, arrows ±5 s.
	run(t, ctx, "keyboard",
		chromedp.KeyEvent("]"),
		waitFor(`Math.abs(`+playerTime+` - 4500) < 300`),
		chromedp.KeyEvent("["),
		waitFor(`Math.abs(`+playerTime+` - 4300) < 300 || Math.abs(`+playerTime+` - 4200) < 300`),
		chromedp.KeyEvent(kb.ArrowRight),
		waitFor(``+playerTime+` > 8500 && `+playerTime+` < 10000`),
		chromedp.KeyEvent(kb.ArrowLeft),
		waitFor(`Math.abs(`+playerTime+` - 4200) < 600`),
		chromedp.KeyEvent(" "),
		waitFor(`document.querySelector('[data-testid=play]').dataset.state === "playing"`),
		chromedp.Sleep(300*time.Millisecond),
		chromedp.KeyEvent(" "),
		waitFor(`document.querySelector('[data-testid=play]').dataset.state === "paused"`),
		chromedp.Click(`[data-testid=speeds] button[data-speed="4"]`, chromedp.ByQuery),
		waitFor(`document.querySelector('[data-testid=speeds] button[data-speed="4"]').getAttribute('aria-pressed') === "true"`),
	)

	// Console: levels, search, stack.
	var lines []string
	run(t, ctx, "console pane",
		chromedp.Click(`[data-testid=pane-console]`, chromedp.ByQuery),
		waitFor(`document.querySelectorAll('[data-testid=console-list] .crow').length === 3`),
		chromedp.SetValue(`[data-testid=console-level]`, "error", chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelector('[data-testid=console-level]').dispatchEvent(new Event('change', {bubbles: true}))`, nil),
		waitFor(`document.querySelectorAll('[data-testid=console-list] .crow').length === 1`),
		chromedp.Click(`[data-testid=console-list] .stack-toggle`, chromedp.ByQuery),
		waitFor(contains(`document.querySelector('[data-testid=console-list]').innerText`, "at pay (app.js:10:5)")),
		chromedp.SetValue(`[data-testid=console-level]`, "all", chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelector('[data-testid=console-level]').dispatchEvent(new Event('change', {bubbles: true}))`, nil),
		chromedp.SendKeys(`[data-testid=console-search]`, "coupon", chromedp.ByQuery),
		waitFor(`document.querySelectorAll('[data-testid=console-list] .crow').length === 1`),
		chromedp.Evaluate(`[...document.querySelectorAll('[data-testid=console-list] .msg')].map(e => e.textContent)`, &lines),
	)
	if len(lines) != 1 || lines[0] != "slow coupon service" {
		t.Fatalf("console search = %v", lines)
	}

	// Network: status, timing, details of the failed request.
	run(t, ctx, "network pane",
		chromedp.Click(`[data-testid=pane-network]`, chromedp.ByQuery),
		waitFor(`document.querySelectorAll('[data-testid=network-list] .nrow').length === 2`),
		waitFor(`document.querySelectorAll('[data-testid=network-list] .nrow.failed').length === 1`),
		chromedp.Click(`[data-testid=network-list] .nrow.failed .row`, chromedp.ByQuery),
		waitFor(contains(`document.querySelector('[data-testid=request-details]').innerText`, "card declined")),
		waitFor(contains(`document.querySelector('[data-testid=network-list] .nrow.failed').innerText`, "500")),
		waitFor(contains(`document.querySelector('[data-testid=network-list] .nrow.failed').innerText`, "340 ms")),
		waitFor(`Math.abs(`+playerTime+` - 3660) < 300`),
	)
	shoot(t, ctx, "player-panes.png")
	if os.Getenv("REEL_SCREENSHOTS") != "" {
		run(t, ctx, "dark theme",
			emulation.SetEmulatedMedia().WithFeatures([]*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "dark"}}),
			chromedp.Sleep(200*time.Millisecond),
		)
		shoot(t, ctx, "player-dark.png")
		run(t, ctx, "light theme", emulation.SetEmulatedMedia().WithFeatures([]*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: "light"}}))
	}
	// Errors and facts.
	run(t, ctx, "errors and facts panes",
		chromedp.Click(`[data-testid=pane-errors]`, chromedp.ByQuery),
		waitFor(contains(`document.querySelector('[data-testid=error-list]').innerText`, "Cannot read properties of undefined")),
		waitFor(contains(`document.querySelector('[data-testid=error-list]').innerText`, "app.js:42:7")),
		chromedp.Click(`[data-testid=pane-session]`, chromedp.ByQuery),
		waitFor(contains(`document.querySelector('[data-testid=facts]').innerText`, "ada@example.com")),
		waitFor(`document.querySelector('[data-testid=summary]')?.innerText.length > 20`),
		waitFor(contains(`document.querySelector('[data-testid=facts]').innerText`, "plan")),
		waitFor(contains(`document.querySelector('[data-testid=facts]').innerText`, "/checkout")),
		waitFor(contains(`document.querySelector('[data-testid=facts]').innerText`, "Chrome")),
	)

	// Tabs: the second tab replays on the same timeline.
	run(t, ctx, "switch tabs",
		waitFor(`document.querySelectorAll('[data-testid=tab]').length === 2`),
		chromedp.Evaluate(fmt.Sprintf(`document.querySelector('[data-testid=tab][data-tab-id=%q]').click()`, "t_tab00000002"), nil),
		waitFor(contains(frameText, "Help centre (second tab)")),
		waitFor(`document.querySelector('[data-testid=tab][aria-selected=true]').dataset.tabId === "t_tab00000002"`),
	)
	run(t, ctx, "seek in the second tab",
		chromedp.Navigate(r.URL+"/sessions/"+id+"?t=15000"),
		waitFor(`document.body.dataset.playerReady === "1"`),
		waitFor(contains(frameText, "Step one")+" || "+contains(frameText, "Payment failed")),
		chromedp.Evaluate(`document.querySelector('[data-testid=tab][data-tab-id="t_tab00000002"]').click()`, nil),
		waitFor(contains(frameText, "Help centre")),
		waitFor(`Math.abs(`+playerTime+` - 15000) < 1500`),
	)
}
