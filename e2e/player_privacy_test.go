package e2e

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// privacyColors are the outline colours of the preview overlay and the player's privacy view
// (sdk/src/preview.ts, web/src/privacy.tsx); each kind has its own ring, 3 px wide, starting
// 3, 6 and 9 px outside the element.
var privacyColors = map[string]color.RGBA{
	"masked":   {0x00, 0x66, 0xff, 255},
	"blocked":  {0xff, 0x00, 0xaa, 255},
	"scrubbed": {0xff, 0x88, 0x00, 0xff},
}

var privacyInset = map[string]float64{"masked": 3, "blocked": 6, "scrubbed": 9}

// ring is where to look for an element's outline: a point in the middle of its ring's left
// border, in CSS pixels of the top page.
type ring struct {
	Sel  string
	Kind string
	X, Y float64
}

// findRings locates, for each selector and kind, the middle of the left border of the kind's
// ring around the element. frame is a JavaScript expression for the iframe the element is in
// (scaled as the player scales it), or "" for the page itself.
func findRings(t *testing.T, ctx context.Context, frame string, want map[string]string) []ring {
	t.Helper()
	var out []ring
	for sel, kind := range want {
		js := fmt.Sprintf(`(() => {
			const f = %s;
			const doc = f ? f.contentDocument : document;
			const fr = f ? f.getBoundingClientRect() : { left: 0, top: 0 };
			const s = f ? fr.width / f.clientWidth : 1;
			const b = doc.querySelector(%q).getBoundingClientRect();
			return { X: fr.left + (b.left - %v) * s + 1.5, Y: fr.top + (b.top + b.height / 2) * s };
		})()`, orNull(frame), sel, privacyInset[kind])
		r := ring{Sel: sel, Kind: kind}
		run(t, ctx, "locate "+sel, chromedp.Evaluate(js, &r))
		out = append(out, r)
	}
	return out
}

func orNull(js string) string {
	if js == "" {
		return "null"
	}
	return js
}

// checkRings takes a screenshot and checks each ring's colour (screenshot pixels are device
// pixels; the page's are CSS pixels).
func checkRings(t *testing.T, ctx context.Context, rings []ring) {
	t.Helper()
	var shot []byte
	run(t, ctx, "screenshot", chromedp.CaptureScreenshot(&shot))
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		t.Fatal(err)
	}
	ratio := float64(img.Bounds().Dx()) / 1280
	for _, r := range rings {
		got := colorAt(img, int(r.X*ratio), int(r.Y*ratio))
		if !closeTo(got, privacyColors[r.Kind]) {
			t.Errorf("%s: the %s outline at (%.1f, %.1f) is %v, want %v", r.Sel, r.Kind, r.X, r.Y, got, privacyColors[r.Kind])
		}
	}
}

func colorAt(img image.Image, x, y int) color.RGBA {
	r, g, b, _ := img.At(x, y).RGBA()
	return color.RGBA{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8), 255}
}

func closeTo(a, b color.RGBA) bool {
	d := func(x, y uint8) int {
		if x > y {
			return int(x - y)
		}
		return int(y - x)
	}
	return d(a.R, b.R) <= 24 && d(a.G, b.G) <= 24 && d(a.B, b.B) <= 24
}

// TestPlayerPrivacyView replays a stored session holding what each privacy layer leaves behind:
// text and a field masked by rrweb (`*`), a blocked element (rrweb's placeholder: rr_width and
// rr_height, no content) and text the server scrubbed (runs of █). The privacy view outlines
// each in its colour, on the screen, and its legend counts them; off, nothing is drawn.
func TestPlayerPrivacyView(t *testing.T) {
	r := startReel(t, t.TempDir())
	const t0 = 1764237600000
	d := &dom{}
	doc := d.page(
		d.el("h1", nil, d.text("Checkout")),
		d.el("p", map[string]any{"id": "masked"}, d.text("****** *****")),
		d.el("input", map[string]any{"id": "field", "type": "text", "value": "********"}),
		d.el("div", map[string]any{"id": "blocked", "class": "reel-block", "rr_width": "300px", "rr_height": "60px"}),
		d.el("p", map[string]any{"id": "scrubbed"}, d.text("Write to █████████████████ or call ████████████")),
		d.el("p", map[string]any{"id": "plain"}, d.text("Nothing private here")),
	)
	ingest(t, r, "s_privacyview01", "t_tabone01", 0, []string{metaEv(t0, "https://shop.example/checkout"), fullEv(t0+1, doc), moveEv(t0+2000, 10, 10)})

	ctx := browser(t)
	run(t, ctx, "login", loginActions(r)...)
	frame := `document.querySelector('[data-testid=player] iframe')`
	run(t, ctx, "open",
		chromedp.Navigate(r.URL+"/sessions/s_privacyview01"),
		waitFor(contains(frameText, "Nothing private here")),
	)
	var boxes int
	run(t, ctx, "off", chromedp.Evaluate(`document.querySelectorAll('.privacy-box').length`, &boxes))
	if boxes != 0 {
		t.Fatalf("%d outlines drawn with the privacy view off", boxes)
	}
	run(t, ctx, "privacy view on",
		chromedp.Click(`[data-testid=privacy-view]`, chromedp.ByQuery),
		waitFor(visible(`[data-testid=privacy-legend]`)),
		waitFor(contains(`document.querySelector('[data-testid=privacy-legend]').innerText`, "scrubbed by the server: 1 element (2 values)")),
		chromedp.Sleep(500*time.Millisecond),
	)
	var legend string
	run(t, ctx, "legend", chromedp.Evaluate(`document.querySelector('[data-testid=privacy-legend]').innerText`, &legend))
	for _, want := range []string{"masked in the browser: 2 elements", "blocked (sent as an empty box): 1 element", "scrubbed by the server: 1 element (2 values)"} {
		if !strings.Contains(legend, want) {
			t.Errorf("legend %q lacks %q", legend, want)
		}
	}
	checkRings(t, ctx, findRings(t, ctx, frame, map[string]string{"#masked": "masked", "#field": "masked", "#blocked": "blocked", "#scrubbed": "scrubbed"}))
	// The plain paragraph has no outline: its left edge shows the page.
	plain := findRings(t, ctx, frame, map[string]string{"#plain": "masked"})
	var shot []byte
	run(t, ctx, "screenshot", chromedp.CaptureScreenshot(&shot))
	img, _ := png.Decode(bytes.NewReader(shot))
	ratio := float64(img.Bounds().Dx()) / 1280
	for kind, c := range privacyColors {
		if got := colorAt(img, int(plain[0].X*ratio), int(plain[0].Y*ratio)); closeTo(got, c) {
			t.Errorf("the plain paragraph is outlined as %s", kind)
		}
	}

	run(t, ctx, "privacy view off",
		chromedp.Click(`[data-testid=privacy-view]`, chromedp.ByQuery),
		waitFor(`!document.querySelector('[data-testid=privacy-legend]') && document.querySelectorAll('.privacy-box').length === 0`),
	)
}
