package e2e

import (
	"testing"

	"github.com/chromedp/chromedp"
)

// TestDemoExpiryTyping types card expiry dates into the demo shop's checkout the ways people
// do: with their own "/" (which the field must not double: 12/29 once came out as 12//2),
// and digits only, letting the field add the "/".
func TestDemoExpiryTyping(t *testing.T) {
	r := startReel(t, t.TempDir())
	ctx := browser(t)
	run(t, ctx, "open the checkout",
		chromedp.Navigate(r.URL+"/demo/checkout.html"),
		waitFor(visible(`[data-testid=field-expiry]`)),
	)
	for _, tc := range []struct{ typed, want string }{
		{"12/29", "12/29"},
		{"1229", "12/29"},
		{"07/31", "07/31"},
		{"1/30", "1/30"},
	} {
		var got string
		run(t, ctx, "type "+tc.typed,
			chromedp.Evaluate(`document.querySelector("[data-testid=field-expiry]").value = ""`, nil),
			chromedp.SendKeys(`[data-testid=field-expiry]`, tc.typed, chromedp.ByQuery),
			chromedp.Value(`[data-testid=field-expiry]`, &got, chromedp.ByQuery),
		)
		if got != tc.want {
			t.Errorf("typed %q into the expiry field, it shows %q, want %q", tc.typed, got, tc.want)
		}
	}
	look(t, ctx, "demo-expiry.png")
}
