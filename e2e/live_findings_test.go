package e2e

import (
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestFindingsWithinAMinute is the README's "watch your visit": a visitor rage-clicks "Apply
// coupon" in the demo shop and stays on the page, and within 60 seconds, with compaction ten
// minutes away (the default), the session list's search `rage:>0` shows the visit and the
// Issues page shows the rage click, as a person sees them in the dashboard.
func TestFindingsWithinAMinute(t *testing.T) {
	r := startReel(t, t.TempDir())
	visitor := browser(t)
	var sessionID string
	run(t, visitor, "rage-click Apply coupon",
		chromedp.Navigate(r.URL+"/demo/"),
		waitFor(visible(`[data-testid=add-to-cart]`)),
		chromedp.Click(`[data-testid=add-to-cart]`, chromedp.ByQuery),
		chromedp.Click(`[data-testid=cart-link]`, chromedp.ByQuery),
		waitFor(visible(`[data-testid=apply-coupon]`)),
		waitFor(`window.Reel && Reel.getSessionId()`),
		chromedp.Evaluate(`Reel.getSessionId()`, &sessionID),
		chromedp.Click(`[data-testid=apply-coupon]`, chromedp.ByQuery),
		chromedp.Click(`[data-testid=apply-coupon]`, chromedp.ByQuery),
		chromedp.Click(`[data-testid=apply-coupon]`, chromedp.ByQuery),
		chromedp.Click(`[data-testid=apply-coupon]`, chromedp.ByQuery),
	)
	clicked := time.Now()
	deadline := clicked.Add(60 * time.Second)
	// The visitor stays: the SDK sends its batches on its own schedule, nobody flushes.

	viewer := browser(t)
	run(t, viewer, "log in", loginActions(r)...)
	row := fmt.Sprintf(`[data-testid=session-row][data-session-id=%q]`, sessionID)
	search := r.URL + "/?q=" + url.QueryEscape("rage:>0")
	for {
		var shown bool
		run(t, viewer, "search rage:>0",
			chromedp.Navigate(search),
			waitFor(`document.querySelector('[data-testid=count]')`),
			chromedp.Evaluate(visible(row), &shown),
		)
		if shown {
			break
		}
		if time.Now().After(deadline) {
			var text string
			run(t, viewer, "read the list", chromedp.Evaluate(`document.body.innerText`, &text))
			t.Fatalf("rage:>0 did not list the visit within 60s of the rage click; the page shows:\n%s\nlogs:\n%s", text, r.logs)
		}
		time.Sleep(time.Second)
	}
	listed := time.Since(clicked)
	look(t, viewer, "live-rage-search.png")

	issue := `[...document.querySelectorAll('[data-testid=issue-row][data-kind=rage_click]')].find(r => r.innerText.includes("Apply coupon"))`
	for {
		var shown bool
		run(t, viewer, "issues page",
			chromedp.Navigate(r.URL+"/issues"),
			waitFor(`document.querySelector('[data-testid=issue-row]') || document.querySelector('[data-testid=issues-empty]')`),
			chromedp.Evaluate(`(() => { const r = `+issue+`; if (!r) return false; const b = r.getBoundingClientRect(); return b.width > 0 && b.height > 0; })()`, &shown),
		)
		if shown {
			break
		}
		if time.Now().After(deadline) {
			var text string
			run(t, viewer, "read the issues page", chromedp.Evaluate(`document.body.innerText`, &text))
			t.Fatalf("the Issues page shows no rage click on Apply coupon within 60s of it:\n%s", text)
		}
		time.Sleep(time.Second)
	}
	var rowText string
	run(t, viewer, "read the issue", chromedp.Evaluate(`(`+issue+`).innerText`, &rowText))
	if !strings.Contains(rowText, "Rage click") || !strings.Contains(rowText, "/demo/cart.html") {
		t.Fatalf("the rage click issue reads %q", rowText)
	}
	look(t, viewer, "live-rage-issue.png")
	t.Logf("rage:>0 listed the visit %.1fs after the clicks; the issue showed %.1fs after", listed.Seconds(), time.Since(clicked).Seconds())

	// The session has not been compacted: these findings came from live analysis.
	var s struct{ CompactedAt *time.Time }
	r.api(t, "/api/v1/sessions/"+sessionID, &s)
	if s.CompactedAt != nil {
		t.Fatal("the session was compacted already: the test did not prove live analysis")
	}
}
