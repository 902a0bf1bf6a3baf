package e2e

import (
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestInvalidShareLinkSaysSoOnce opens share links that name no link, as someone handed a
// mistyped or cut-off link would, and reads what the page shows: that the link is not valid,
// said once (it used to be said twice, as the headline and again as the line under it), with
// what to do about it.
func TestInvalidShareLinkSaysSoOnce(t *testing.T) {
	r := startReel(t, t.TempDir())
	ctx := browser(t)
	for _, path := range []string{
		"/share/" + strings.Repeat("a", 43),             // well-formed token that no link has
		"/share/not-a-token",                            // malformed token
		"/share/" + strings.Repeat("b", 43) + "?t=5000", // with a moment
	} {
		var text string
		run(t, ctx, "open "+path,
			chromedp.Navigate(r.URL+path),
			waitFor(visible(`[data-testid=player-error]`)),
			chromedp.Evaluate(`document.body.innerText`, &text),
		)
		if n := strings.Count(strings.ToLower(text), "not valid"); n != 1 {
			t.Errorf("%s: the page says \"not valid\" %d times, want once:\n%s", path, n, text)
		}
		if !strings.Contains(text, "ask whoever sent it for a new one") {
			t.Errorf("%s: the page does not say what to do:\n%s", path, text)
		}
	}
	look(t, ctx, "share-invalid.png")
}
