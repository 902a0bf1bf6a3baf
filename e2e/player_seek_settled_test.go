package e2e

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestPlayerSeekShowsTheSettledFrame records a page whose slides and a box move by long CSS
// transitions on a click, and whose window is then resized, with the SDK. A link to a moment
// after the transitions ended must show them ended (a seek applies the events at once, and
// transitions would then replay from the frame before), and a link to a moment after the
// resize must show the page at the size it had then, not the size it was first recorded at.
func TestPlayerSeekShowsTheSettledFrame(t *testing.T) {
	r := startReel(t, t.TempDir())
	site := appSite(t, r.URL, publicKey(t, r))
	ctx := browser(t)

	var settledLink, resizedLink string
	run(t, ctx, "record",
		chromedp.Navigate(site.URL+"/slides.html"),
		waitFor(`window.Reel && Reel.getSessionId()`),
		chromedp.Sleep(500*time.Millisecond),
		chromedp.Click("#next", chromedp.ByQuery),
		chromedp.Sleep(4500*time.Millisecond), // the transitions take 4 s
		waitFor(`document.getAnimations().length === 0`),
		chromedp.Evaluate(`Reel.getSessionURL()`, &settledLink),
	)
	area := rect{0, 0, 640, 360}
	live := shotOf(t, ctx, "live settled", area)
	savePNG(t, "seek-live-settled.png", live)
	run(t, ctx, "resize the window",
		chromedp.EmulateViewport(900, 640),
		chromedp.Sleep(1200*time.Millisecond),
		chromedp.Evaluate(`Reel.getSessionURL()`, &resizedLink),
	)
	flushSession(t, ctx, "flush")
	run(t, ctx, "back to the test window's size", chromedp.EmulateViewport(1280, 800))

	run(t, ctx, "log in", loginActions(r)...)
	openReplayAt(t, ctx, settledLink)
	var running int
	run(t, ctx, "transitions in the replay", chromedp.Evaluate(`document.querySelector('[data-testid=player] iframe').contentDocument.getAnimations().length`, &running))
	if running != 0 {
		t.Errorf("%d transitions run in the replay after the seek, want none", running)
	}
	var track string
	run(t, ctx, "where the slides are", chromedp.Evaluate(`getComputedStyle(document.querySelector('[data-testid=player] iframe').contentDocument.getElementById('track')).transform`, &track))
	if track != "matrix(1, 0, 0, 1, -600, 0)" {
		t.Errorf("replayed slides are at %q, want the second slide (matrix(1, 0, 0, 1, -600, 0))", track)
	}
	fr := replayRect(t, ctx, "html")
	shot := shotOf(t, ctx, "replay settled", rect{fr.X, fr.Y, area.W, area.H})
	savePNG(t, "seek-replay-settled.png", shot)
	look(t, ctx, "seek-replay-settled-page.png")
	if d, _ := pixelDiff(live, shot, 24); d > 0.01 {
		t.Errorf("%.2f%% of the replayed page's pixels differ from the live page's after the transitions (want <= 1%%)", d*100)
	}

	openReplayAt(t, ctx, resizedLink)
	look(t, ctx, "seek-replay-resized-page.png")
	var size struct{ W, H float64 }
	run(t, ctx, "replayed page size", chromedp.Evaluate(`(() => {
		const f = document.querySelector('[data-testid=player] iframe');
		const b = f.getBoundingClientRect();
		return { W: b.width, H: b.height };
	})()`, &size))
	if size.W != 900 || size.H != 640 {
		t.Errorf("the replay at a moment after the resize is %.0f×%.0f on screen, want 900×640", size.W, size.H)
	}
	// Once the player has been left alone a while, it still is (no late timer sets it back).
	run(t, ctx, "wait", chromedp.Sleep(500*time.Millisecond))
	var w string
	run(t, ctx, "frame width", chromedp.Evaluate(`document.querySelector('[data-testid=player] iframe').getAttribute('width')`, &w))
	if w != "900" {
		t.Errorf("frame width = %s later, want 900", w)
	}
}
