package frictioncorpus

import "fmt"

// want builds a label from short kind names and counts: want("rage", 1, "dead", 1).
func want(kv ...any) map[string]int {
	m := map[string]int{}
	for i := 0; i+1 < len(kv); i += 2 {
		m[long(kv[i].(string))] = kv[i+1].(int)
	}
	return m
}

// fillCheckout types a name, an email and an address quickly, as people who know them do.
func fillCheckout(t *Tab) {
	t.Type("#name", "Ada Lovelace", 40)
	t.Type("#email", "ada@example.com", 40)
	t.Type("#address", "12 St James's Square", 40)
}

// All is the labelled corpus. Positives come first in each group, then near-misses: what a
// careful analyst would not flag (docs/friction.md says which rule each one taught).
func All() []*Scenario {
	return []*Scenario{
		// Rage clicks: a burst on something that never answers.
		{Name: "rage/broken-continue", Page: "/shop.html", Want: want("rage", 1), CI: true, Play: func(t *Tab) { t.Clicks("#next-step", 4, 150) }},
		{Name: "rage/broken-export-editor", Page: "/editor.html", Want: want("rage", 1), Play: func(t *Tab) { t.Clicks("#export-doc", 5, 120) }},
		{Name: "rage/gift-wrapping-tile", Page: "/shop.html", Want: want("rage", 1), Play: func(t *Tab) { t.Clicks("#gift", 3, 200) }},
		{Name: "rage/export-pdf-countdown", Page: "/shop.html", Want: want("rage", 1), Play: func(t *Tab) { t.Wait(1200); t.Clicks("#export", 4, 180) }},
		{Name: "rage/notify-failed-request", Page: "/shop.html", Want: want("rage", 1), Play: func(t *Tab) { t.Clicks("#notify", 4, 150) }},
		{Name: "rage/continue-twice", Page: "/shop.html", Want: want("rage", 2), Play: func(t *Tab) {
			t.Clicks("#next-step", 3, 200)
			t.Wait(2500)
			t.Clicks("#next-step", 4, 150)
		}},
		{Name: "rage-nm/zoom-in-fast", Page: "/editor.html", Want: want(), CI: true, Play: func(t *Tab) { t.Clicks("#zoom-in", 5, 120) }},
		{Name: "rage-nm/undo-fast", Page: "/editor.html", Want: want(), Play: func(t *Tab) { t.Clicks("#undo", 4, 150) }},
		{Name: "rage-nm/stepper-plus", Page: "/shop.html", Want: want(), Play: func(t *Tab) { t.Clicks("#qty-plus", 5, 130) }},
		{Name: "rage-nm/triple-click-select", Page: "/shop.html", Want: want(), Play: func(t *Tab) { t.TripleClick("#desc") }},
		{Name: "rage-nm/carousel-next", Page: "/shop.html", Want: want(), Play: func(t *Tab) { t.Clicks(".next", 4, 200) }},
		{Name: "rage-nm/pagination-next", Page: "/grid.html", Want: want(), Play: func(t *Tab) { t.Clicks("#next-page", 3, 200) }},
		{Name: "rage-nm/wishlist-toggle", Page: "/shop.html", Want: want(), Play: func(t *Tab) { t.Clicks("#wishlist", 4, 150) }},
		{Name: "rage-nm/caret-in-editor", Page: "/editor.html", Want: want(), Play: func(t *Tab) { t.Clicks("#doc p", 4, 150) }},
		{Name: "rage-nm/wizard-next", Page: "/checkout.html", Want: want(), Play: func(t *Tab) { t.Clicks("#wizard-next", 3, 180) }},

		// Dead clicks: something clickable that never answers.
		{Name: "dead/export-pdf", Page: "/shop.html", Want: want("dead", 1), CI: true, Play: func(t *Tab) { t.Click("#export"); t.Wait(3500) }},
		{Name: "dead/continue-under-countdown", Page: "/shop.html", Want: want("dead", 1), Play: func(t *Tab) { t.Click("#next-step"); t.Wait(3500) }},
		{Name: "dead/gift-wrapping-tile", Page: "/shop.html", Want: want("dead", 1), Play: func(t *Tab) { t.Click("#gift"); t.Wait(3500) }},
		{Name: "dead/editor-export-ticking-status", Page: "/editor.html", Want: want("dead", 1), Play: func(t *Tab) { t.Click("#export-doc"); t.Wait(3500) }},
		{Name: "dead/notify-failed-request", Page: "/shop.html", Want: want("dead", 1), Play: func(t *Tab) { t.Click("#notify"); t.Wait(3500) }},
		{Name: "dead/double-click-one-finding", Page: "/shop.html", Want: want("dead", 1), Play: func(t *Tab) { t.Clicks("#export", 2, 300); t.Wait(3500) }},
		{Name: "dead-nm/slow-save", Solo: true, Page: "/shop.html", Want: want(), CI: true, Play: func(t *Tab) { t.Click("#slow-save"); t.Wait(3500) }},
		{Name: "dead-nm/slow-request", Page: "/shop.html", Want: want(), Play: func(t *Tab) { t.Click("#check-stock"); t.Wait(5500) }},
		{Name: "dead-nm/css-hover-menu", Page: "/shop.html", Want: want(), CI: true, Play: func(t *Tab) { t.Hover(".menu-trigger"); t.Click(".menu-trigger"); t.Wait(3500) }},
		{Name: "dead-nm/link-new-tab", Page: "/shop.html", Want: want(), Play: func(t *Tab) { t.Click("#size-guide"); t.Wait(3500) }},
		{Name: "dead-nm/download-link", Page: "/shop.html", Want: want(), Play: func(t *Tab) { t.Click("#spec"); t.Wait(3500) }},
		{Name: "dead-nm/upload-label", Page: "/shop.html", Want: want(), Play: func(t *Tab) { t.Click("#upload"); t.Wait(3500) }},
		{Name: "dead-nm/add-to-cart-badge-far-away", Page: "/shop.html", Want: want(), Play: func(t *Tab) { t.Click("#add-to-cart"); t.Wait(3500) }},
		{Name: "dead-nm/carousel-prev-autoplay", Page: "/shop.html", Want: want(), Play: func(t *Tab) { t.Wait(1000); t.Click(".prev"); t.Wait(3500) }},
		{Name: "dead-nm/in-page-tab", Page: "/article.html", Want: want(), Play: func(t *Tab) { t.Click("#tab-specs"); t.Wait(3500) }},
		{Name: "dead-nm/archive-grid", Page: "/grid.html", Want: want(), Play: func(t *Tab) { t.Click("#archive"); t.Wait(3500) }},
		{Name: "dead-nm/bold-toggle", Page: "/editor.html", Want: want(), Play: func(t *Tab) { t.Click("#bold"); t.Wait(3500) }},
		{Name: "dead-nm/sort-column", Page: "/grid.html", Want: want(), Play: func(t *Tab) { t.Click("#sort-date"); t.Wait(3500) }},

		// Error clicks: the click whose handler threw.
		{Name: "error/share-throws", Page: "/shop.html", Want: want("error", 1), CI: true, Play: func(t *Tab) { t.Click("#share"); t.Wait(3500) }},
		{Name: "error/reviews-async-2.9s", Page: "/shop.html", Want: want("error", 1), Play: func(t *Tab) { t.Click("#reviews"); t.Wait(4000) }},
		{Name: "error/delete-throws", Page: "/grid.html", Want: want("error", 1), Play: func(t *Tab) { t.Click("#delete-row"); t.Wait(3500) }},
		{Name: "error/refresh-async", Page: "/grid.html", Want: want("error", 1), Play: func(t *Tab) { t.Click("#refresh"); t.Wait(4000) }},
		{Name: "error/share-then-cart", Page: "/shop.html", Want: want("error", 1), Play: func(t *Tab) {
			t.Click("#share")
			t.Wait(1200)
			t.Click("#add-to-cart")
			t.Wait(2000)
		}},
		{Name: "error/share-twice", Page: "/shop.html", Want: want("error", 2), Play: func(t *Tab) { t.Click("#share"); t.Wait(1600); t.Click("#share"); t.Wait(1000) }},
		{Name: "error-nm/timer-after-cart", Page: "/shop.html", Want: want(), CI: true, Play: func(t *Tab) {
			t.Eval(`bgErrorIn(600)`)
			t.Click("#add-to-cart")
			t.Wait(2500)
		}},
		{Name: "error-nm/timer-after-dead-click", Page: "/shop.html", Want: want("dead", 1), Play: func(t *Tab) {
			t.Eval(`bgErrorIn(700)`)
			t.Click("#export")
			t.Wait(3500)
		}},
		{Name: "error-nm/timer-after-pagination", Page: "/grid.html", Want: want(), Play: func(t *Tab) {
			t.Eval(`bgErrorIn(400)`)
			t.Click("#next-page")
			t.Wait(2500)
		}},
		{Name: "error-nm/timer-without-click", Page: "/grid.html", Want: want(), Play: func(t *Tab) { t.Eval(`bgErrorIn(300)`); t.Wait(1500) }},

		// Thrashed cursor: shaking the mouse, 3.5–4.5 times a second.
		{Name: "thrash/shake-4hz", Alone: true, Page: "/editor.html", Want: want("thrash", 1), CI: true, Play: func(t *Tab) { t.Shake(600, 420, 70, 0, 4, 3) }},
		{Name: "thrash/shake-3.5hz", Alone: true, Page: "/shop.html", Want: want("thrash", 1), Play: func(t *Tab) { t.Shake(640, 380, 90, 10, 3.5, 3) }},
		{Name: "thrash/shake-4.5hz-vertical", Alone: true, Page: "/grid.html", Want: want("thrash", 1), Play: func(t *Tab) { t.Shake(500, 400, 8, 60, 4.5, 3) }},
		{Name: "thrash/shake-diagonal", Alone: true, Page: "/article.html", Want: want("thrash", 1), Play: func(t *Tab) { t.Shake(600, 400, 60, 50, 4, 3) }},
		{Name: "thrash-nm/aim-with-overshoot", Page: "/shop.html", Want: want(), CI: true, Play: func(t *Tab) {
			x, y := t.center("#add-to-cart")
			t.MoveTo(x+60, y+20)
			t.MoveTo(x-25, y-6)
			t.MoveTo(x+8, y)
			t.Click("#add-to-cart")
		}},
		{Name: "thrash-nm/browsing-menu-1hz", Page: "/shop.html", Want: want(), Play: func(t *Tab) { t.Shake(400, 300, 150, 0, 1, 4) }},
		{Name: "thrash-nm/drawing-on-canvas", Page: "/editor.html", Want: want(), Play: func(t *Tab) {
			x, y := t.center("#canvas")
			t.Path(2.5, true, fmt.Sprintf("%g + 150 * Math.sin(2 * Math.PI * 4 * s)", x), fmt.Sprintf("%g + 60 * Math.sin(2 * Math.PI * 0.5 * s)", y))
		}},
		{Name: "thrash-nm/reading-drift", Page: "/article.html", Want: want(), Play: func(t *Tab) {
			t.Path(4, false, "300 + 80 * s", "300 + 30 * Math.sin(2 * Math.PI * 0.5 * s)")
		}},
		{Name: "thrash-nm/slow-circles", Page: "/grid.html", Want: want(), Play: func(t *Tab) {
			t.Path(3, false, "600 + 80 * Math.cos(2 * Math.PI * 1.2 * s)", "400 + 80 * Math.sin(2 * Math.PI * 1.2 * s)")
		}},

		// Quick backs: straight back from a page that did not have what the link promised.
		{Name: "quickback/guide-to-shop-and-back", Solo: true, Page: "/article.html", Want: want("quickback", 1), CI: true, Play: func(t *Tab) {
			t.Click("#to-shop")
			t.Loaded("/shop.html")
			t.MoveTo(420, 300) // a glance: the mouse moves, then back (a page left untouched in
			// under 1.5 s is a redirect, not a u-turn)
			t.Wait(600)
			t.Back("/article.html")
		}},
		{Name: "quickback/shop-to-checkout-and-back", Solo: true, Page: "/shop.html", Want: want("quickback", 1), Play: func(t *Tab) {
			t.Click("#to-checkout")
			t.Loaded("/checkout.html")
			t.MoveTo(420, 300)
			t.Wait(800)
			t.Back("/shop.html")
		}},
		{Name: "quickback/orders-and-back", Solo: true, Page: "/article.html", Want: want("quickback", 1), Play: func(t *Tab) {
			t.Click("#to-orders")
			t.Loaded("/grid.html")
			t.MoveTo(420, 300)
			t.Wait(600)
			t.Back("/article.html")
		}},
		{Name: "quickback/guide-by-link-back", Solo: true, Page: "/shop.html", Want: want("quickback", 1), Play: func(t *Tab) {
			t.Click("#to-guide")
			t.Loaded("/article.html")
			t.Wait(500)
			t.Click("#to-shop")
			t.Loaded("/shop.html")
		}},
		{Name: "quickback-nm/in-page-tabs", Page: "/article.html", Want: want(), CI: true, Play: func(t *Tab) {
			t.Click("#tab-specs")
			t.Wait(1000)
			t.Click("#tab-reviews")
			t.Wait(1000)
			t.Click("#tab-specs")
			t.Wait(1000)
		}},
		{Name: "quickback-nm/self-redirect", Solo: true, Page: "/shop.html", Want: want(), Play: func(t *Tab) {
			t.Click("#to-account")
			t.Loaded("/redirect.html")
			t.Loaded("/shop.html")
			t.Wait(1000)
		}},
		{Name: "quickback-nm/read-then-back", Page: "/article.html", Want: want(), Play: func(t *Tab) {
			t.Click("#to-shop")
			t.Loaded("/shop.html")
			t.Wait(6500)
			t.Back("/article.html")
		}},
		{Name: "quickback-nm/onward-journey", Page: "/article.html", Want: want(), Play: func(t *Tab) {
			t.Click("#to-shop")
			t.Loaded("/shop.html")
			t.Wait(1000)
			t.Click("#to-checkout")
			t.Loaded("/checkout.html")
		}},

		// Excessive scrolling: up and down a page, searching.
		{Name: "scroll/hunting-up-and-down", Page: "/article.html", Want: want("scroll", 1), CI: true, Play: func(t *Tab) {
			for _, y := range []int{3000, 500, 3500, 800, 4200, 600, 3800, 300} {
				t.ScrollTo(y)
			}
		}},
		{Name: "scroll/hunting-long-legs", Page: "/article.html", Want: want("scroll", 1), Play: func(t *Tab) {
			for _, y := range []int{1500, 6000, 2000, 7000, 1000, 5000, 2500, 6500} {
				t.ScrollTo(y)
			}
		}},
		{Name: "scroll/hunting-in-steps", Page: "/article.html", Want: want("scroll", 1), Play: func(t *Tab) {
			for _, y := range []int{800, 1600, 2400, 1600, 800, 100, 900, 1800, 2700, 1800, 900, 200, 1000, 2200, 1200, 300} {
				t.ScrollTo(y)
			}
		}},
		{Name: "scroll/hunting-then-link", Page: "/article.html", Want: want("scroll", 1), Play: func(t *Tab) {
			for _, y := range []int{4000, 200, 5000, 1000, 4500, 0, 3000} {
				t.ScrollTo(y)
			}
			t.ScrollTo(0)
			t.Click("#to-shop")
			t.Loaded("/shop.html")
		}},
		{Name: "scroll-nm/reading-with-look-backs", Page: "/article.html", Want: want(), CI: true, Play: func(t *Tab) {
			for _, y := range []int{400, 800, 1200, 900, 1400, 1800, 2200, 1900, 2500, 2900, 3300, 3000, 3600, 4000, 4400, 4800, 5200} {
				t.ScrollTo(y)
			}
		}},
		{Name: "scroll-nm/related-carousel", Page: "/article.html", Want: want(), Play: func(t *Tab) {
			for _, x := range []int{800, 0, 1600, 200, 2400, 0, 1800, 400, 2600, 0} {
				t.ScrollEl("#related", x)
			}
		}},
		{Name: "scroll-nm/down-and-back-to-top", Page: "/article.html", Want: want(), Play: func(t *Tab) {
			for y := 600; y <= 7200; y += 600 {
				t.ScrollTo(y)
			}
			t.ScrollTo(0)
		}},
		{Name: "scroll-nm/grid-timeline", Page: "/grid.html", Want: want(), Play: func(t *Tab) {
			for _, x := range []int{1200, 0, 2000, 300, 2600, 0, 1500, 100} {
				t.ScrollEl("#hscroll", x)
			}
		}},

		// Form abandonment: a form with several fields, started and left unsent.
		{Name: "abandon/checkout-left-for-shop", Page: "/checkout.html", Want: want("abandon", 1), CI: true, Play: func(t *Tab) {
			t.Type("#name", "Ada Lovelace", 40)
			t.Type("#email", "ada@example.com", 40)
			t.Click("#back-to-shop")
			t.Loaded("/shop.html")
		}},
		{Name: "abandon/checkout-session-ends", Page: "/checkout.html", Want: want("abandon", 1), Play: func(t *Tab) {
			t.Type("#name", "Grace Hopper", 40)
			t.Type("#address", "1 Navy Yard", 40)
			t.Wait(1500)
		}},
		{Name: "abandon/signup-without-form-element", Page: "/checkout.html", Want: want("abandon", 1), Play: func(t *Tab) {
			t.Type("#su-name", "alan", 40)
			t.Type("#su-pass", "correct horse", 40)
			t.Click("#back-to-shop")
			t.Loaded("/shop.html")
		}},
		{Name: "abandon/promo-applied-then-left", Page: "/checkout.html", Want: want("abandon", 1), Play: func(t *Tab) {
			t.Type("#name", "Ada Lovelace", 40)
			t.Type("#promo", "WINTER10", 40)
			t.Click("#apply-promo")
			t.Wait(500)
			t.Click("#back-to-shop")
			t.Loaded("/shop.html")
		}},
		{Name: "abandon-nm/search-box", Page: "/shop.html", Want: want(), CI: true, Play: func(t *Tab) {
			t.Type("#q", "scarf", 60)
			t.Click("#to-guide")
			t.Loaded("/article.html")
		}},
		{Name: "abandon-nm/search-enter", Page: "/shop.html", Want: want(), Play: func(t *Tab) {
			t.Type("#q", "wool", 60)
			t.Keys("\r", 0)
			t.Loaded("/article.html")
		}},
		{Name: "abandon-nm/newsletter-one-field", Page: "/checkout.html", Want: want(), Play: func(t *Tab) {
			t.Type("#nl", "ada@example.com", 40)
			t.Click("#back-to-shop")
			t.Loaded("/shop.html")
		}},
		{Name: "abandon-nm/coupon-type-button", Page: "/shop.html", Want: want(), Play: func(t *Tab) {
			t.Type("#coupon", "WINTER10", 60)
			t.Click("#apply-coupon")
			t.Wait(500)
			t.Click("#to-guide")
			t.Loaded("/article.html")
		}},
		{Name: "abandon-nm/grid-cell-and-filter", Page: "/grid.html", Want: want(), Play: func(t *Tab) {
			t.Type("#rows tr:first-child .cell", "7", 60)
			t.Type("#filter", "Customer 3", 60)
			t.Wait(500)
		}},
		{Name: "abandon-nm/switch-and-slider", Page: "/grid.html", Want: want(), Play: func(t *Tab) {
			t.Click("#auto-refresh")
			t.Click("#density")
			t.Wait(500)
		}},
		{Name: "abandon-nm/checkout-placed", Page: "/checkout.html", Want: want(), Play: func(t *Tab) {
			fillCheckout(t)
			t.Click("#pay")
			t.Loaded("/thanks.html")
		}},
		{Name: "abandon-nm/checkout-sent-with-enter", Page: "/checkout.html", Want: want(), Play: func(t *Tab) {
			t.Type("#name", "Ada Lovelace", 40)
			t.Type("#email", "ada@example.com", 40)
			t.Keys("\r", 0)
			t.Loaded("/thanks.html")
		}},
		{Name: "abandon-nm/quantity-typed", Page: "/shop.html", Want: want(), Play: func(t *Tab) { t.Type("#qty", "3", 60); t.Wait(500) }},

		// Field hesitation: a long pause between focusing a form field and typing in it.
		{Name: "hesitation/vat-id", Page: "/checkout.html", Want: want("hesitation", 1), CI: true, Play: func(t *Tab) {
			fillCheckout(t)
			t.Click("#vat")
			t.Wait(11500)
			t.Keys("GB123456789", 50)
			t.Click("#pay")
			t.Loaded("/thanks.html")
		}},
		{Name: "hesitation/promo-code", Page: "/checkout.html", Want: want("hesitation", 1), Play: func(t *Tab) {
			fillCheckout(t)
			t.Click("#promo")
			t.Wait(11000)
			t.Keys("WINTER10", 50)
			t.Click("#pay")
			t.Loaded("/thanks.html")
		}},
		{Name: "hesitation/email", Page: "/checkout.html", Want: want("hesitation", 1), Play: func(t *Tab) {
			t.Type("#name", "Ada Lovelace", 40)
			t.Click("#email")
			t.Wait(12000)
			t.Keys("ada@example.com", 40)
			t.Type("#address", "12 St James's Square", 40)
			t.Click("#pay")
			t.Loaded("/thanks.html")
		}},
		{Name: "hesitation-nm/steady-typing-14s", Page: "/checkout.html", Want: want(), CI: true, Play: func(t *Tab) {
			t.Type("#name", "Ada Lovelace", 40)
			t.Type("#address", "221B Baker Street, London NW1 6XE", 420)
			t.Click("#pay")
			t.Loaded("/thanks.html")
		}},
		{Name: "hesitation-nm/pause-mid-word", Page: "/checkout.html", Want: want(), Play: func(t *Tab) {
			t.Type("#name", "Ada", 60)
			t.Wait(11000)
			t.Keys(" Lovelace", 60)
			t.Type("#email", "ada@example.com", 40)
			t.Click("#pay")
			t.Loaded("/thanks.html")
		}},
		{Name: "hesitation-nm/optional-field-skipped", Page: "/checkout.html", Want: want(), Play: func(t *Tab) {
			t.Click("#vat")
			t.Wait(11000)
			fillCheckout(t)
			t.Click("#pay")
			t.Loaded("/thanks.html")
		}},
		{Name: "hesitation-nm/search-pause", Page: "/shop.html", Want: want(), Play: func(t *Tab) {
			t.Click("#q")
			t.Wait(11000)
			t.Keys("scarf", 60)
			t.Keys("\r", 0)
			t.Loaded("/article.html")
		}},

		// Ordinary visits: nothing to flag.
		{Name: "ordinary/browse-and-buy", Page: "/shop.html", Want: want(), CI: true, Play: func(t *Tab) {
			t.Clicks("#qty-plus", 2, 400)
			t.Click("#add-to-cart")
			t.Wait(800)
			t.Click("#to-checkout")
			t.Loaded("/checkout.html")
			fillCheckout(t)
			t.Click("#pay")
			t.Loaded("/thanks.html")
		}},
		{Name: "ordinary/read-the-guide", Page: "/article.html", Want: want(), Play: func(t *Tab) {
			t.Click("#tab-reviews")
			for y := 500; y <= 4000; y += 500 {
				t.ScrollTo(y)
				t.Wait(300)
			}
		}},
		{Name: "ordinary/edit-notes", Page: "/editor.html", Want: want(), Play: func(t *Tab) {
			t.Click("#doc p")
			t.Keys(" Also: order more grey.", 40)
			t.Click("#bold")
			t.Clicks("#zoom-in", 2, 500)
			t.Click("#publish")
			t.Wait(1000)
		}},
		{Name: "ordinary/orders-review", Page: "/grid.html", Want: want(), Play: func(t *Tab) {
			t.Click("#sort-date")
			t.Wait(600)
			t.Click("#next-page")
			t.Wait(600)
			t.Click("#archive")
			t.Wait(1000)
		}},
	}
}

// CI is the subset e2e runs: a positive and a near-miss of every kind.
func CI() []*Scenario {
	var out []*Scenario
	for _, s := range All() {
		if s.CI {
			out = append(out, s)
		}
	}
	return out
}
