package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// overlay is a JavaScript expression: the preview overlay's shadow root (null before it exists).
const overlay = `document.querySelector('#reel-preview')?.shadowRoot`

// overlayText is a JavaScript expression: the visible text of the overlay's panel.
const overlayText = `((` + overlay + `)?.querySelector(".panel")?.innerText || "")`

// TestPrivacyPreviewOverlay: the site owner makes a preview link on the Settings page and opens
// their page with it (a page with a masked field, a reel-block element and a paragraph with an
// email and a card number). The overlay outlines each in its colour on the live page (checked
// on screenshot pixels), lists what the SDK sent (the field's masked value, the DOM, the console
// entry, the request with its body) and what the server's scrubber found. The recorded session
// then shows the same outlines in the player's privacy view. A link that is not valid shows a
// clear message and no listing.
func TestPrivacyPreviewOverlay(t *testing.T) {
	r := startReel(t, t.TempDir())
	key := publicKey(t, r)
	site := sdkSite(t, r.URL, key)

	dash := browser(t)
	run(t, dash, "login", loginActions(r)...)
	var link string
	run(t, dash, "make a preview link",
		chromedp.Navigate(r.URL+"/settings"),
		waitFor(visible(`[data-testid=preview-url]`)),
		chromedp.SendKeys(`[data-testid=preview-url]`, site.URL+"/privacy.html", chromedp.ByQuery),
		chromedp.Click(`[data-testid=preview-make]`, chromedp.ByQuery),
		waitFor(visible(`[data-testid=preview-link] a`)),
		chromedp.Evaluate(`document.querySelector('[data-testid=preview-link] a').href`, &link),
	)
	if !strings.HasPrefix(link, site.URL+"/privacy.html?reel_preview=pv1.") {
		t.Fatalf("preview link %q", link)
	}

	ctx := browser(t)
	run(t, ctx, "open the site with the link",
		chromedp.Navigate(link),
		waitFor(contains(overlayText, "What is sent")),
		// The page's request finishes after the overlay's first look; the next batch brings it.
		waitFor(`performance.getEntriesByType("resource").some(e => e.name.endsWith("/echo"))`),
		chromedp.Evaluate(`Reel.flush()`, nil, awaitPromise),
		waitFor(contains(overlayText, "SPRING24")),
		waitFor(contains(overlayText, "scrubbed by the server: 1")),
		chromedp.Sleep(300*time.Millisecond),
	)
	var text string
	run(t, ctx, "read the listing", chromedp.Evaluate(overlayText, &text))
	for _, want := range []string{
		"masked in the browser: 1", "blocked (sent as an empty box): 1", "scrubbed by the server: 1",
		`input#secret → "************"`, // the field's value as sent
		"DOM: ", " nodes in the last snapshot",
		"log: cart loaded for ada@example.com",
		"stored as cart loaded for " + strings.Repeat("█", len("ada@example.com")), // what the server keeps of it
		"POST " + site.URL + "/echo → 200", `"coupon":"SPRING24"`,
		"email ×", "card ×1",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the overlay does not say %q; it says:\n%s", want, text)
		}
	}
	if strings.Contains(text, "Ada Lovelace") {
		t.Errorf("the overlay lists the field's real value:\n%s", text)
	}
	checkRings(t, ctx, findRings(t, ctx, "", map[string]string{"#secret": "masked", "#blocked": "blocked", "#contact": "scrubbed"}))
	shoot(t, ctx, "privacy-preview.png")
	id := flushSession(t, ctx, "flush")

	// The same page, recorded, in the player's privacy view.
	frame := `document.querySelector('[data-testid=player] iframe')`
	run(t, dash, "open the recording",
		chromedp.Navigate(r.URL+"/sessions/"+id),
		waitFor(contains(frameText, "Thank you for shopping")),
		chromedp.Click(`[data-testid=privacy-view]`, chromedp.ByQuery),
		waitFor(contains(`document.querySelector('[data-testid=privacy-legend]')?.innerText || ""`, "scrubbed by the server: 1 element")),
		chromedp.Sleep(500*time.Millisecond),
	)
	// rrweb keeps only the class of a blocked element (its placeholder has no id).
	checkRings(t, dash, findRings(t, dash, frame, map[string]string{"#secret": "masked", "body > .reel-block": "blocked", "#contact": "scrubbed"}))
	shoot(t, dash, "privacy-view.png")

	// A link that is not valid: a clear message, no listing, no outlines.
	bad := browser(t)
	run(t, bad, "open with a bad token",
		chromedp.Navigate(site.URL+"/privacy.html?reel_preview=pv1.not-a-token"),
		waitFor(contains(overlayText, "not valid")),
		chromedp.Sleep(500*time.Millisecond),
	)
	var state struct {
		Listing bool
		Boxes   int
		Error   bool
	}
	run(t, bad, "state", chromedp.Evaluate(`(() => { const s = `+overlay+`; return {
		Listing: !!s.querySelector('[data-testid=preview-listing]'),
		Boxes: s.querySelectorAll('.box').length,
		Error: getComputedStyle(s.querySelector('[data-testid=preview-error]')).display !== "none",
	}; })()`, &state))
	if state.Listing || state.Boxes != 0 || !state.Error {
		t.Errorf("with a bad token: %+v, want the error alone", state)
	}
}
