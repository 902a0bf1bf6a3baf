package e2e

import (
	"image"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestPlayerCanvasAsSeen records an animated Chart.js chart (drawn, then updated by a click)
// with the SDK and compares the replayed canvas with the live one at the moments a person
// looked, under a second after each animation ended, by the bench's rule for "identical"
// (bench/real-apps: at most 0.1% of pixels off by more than 24 levels). Lossy WebP frames blurred
// the chart's coloured lines and text past that, and a frame stamped when its encoding came
// back rather than when it was copied could land after the moment, leaving the replay on an
// earlier drawing.
func TestPlayerCanvasAsSeen(t *testing.T) {
	r := startReel(t, t.TempDir())
	site := appSite(t, r.URL, publicKey(t, r))
	ctx := browser(t)

	run(t, ctx, "open the chart",
		chromedp.Navigate(site.URL+"/chart-animated.html"),
		waitFor(`window.Reel && Reel.getSessionId()`),
		chromedp.Sleep(1200*time.Millisecond),
	)
	type moment struct {
		name, link string
		shot       image.Image
	}
	var moments []moment
	area := liveRect(t, ctx, "#chart")
	take := func(name string) {
		var link string
		run(t, ctx, "link at "+name, chromedp.Evaluate(`Reel.getSessionURL()`, &link))
		img := shotOf(t, ctx, "live "+name, area)
		savePNG(t, "canvas-exact-live-"+name+".png", img)
		moments = append(moments, moment{name, link, img})
	}
	take("drawn")
	for _, name := range []string{"updated", "updated-again"} {
		run(t, ctx, "next quarter", chromedp.Click("#more", chromedp.ByQuery), chromedp.Sleep(900*time.Millisecond))
		take(name)
	}
	flushSession(t, ctx, "flush")

	run(t, ctx, "log in", loginActions(r)...)
	for _, m := range moments {
		openReplayAt(t, ctx, m.link)
		rc := replayRect(t, ctx, "canvas")
		img := shotOf(t, ctx, "replay "+m.name, rc)
		savePNG(t, "canvas-exact-replay-"+m.name+".png", img)
		d, same := pixelDiff(m.shot, img, 24)
		t.Logf("%s: %.3f%% of the canvas's pixels differ", m.name, d*100)
		if !same || d > 0.001 {
			t.Errorf("%s: %.2f%% of the replayed canvas's pixels differ from the live one's (want <= 0.1%%)", m.name, d*100)
		}
	}
	if d, _ := pixelDiff(moments[0].shot, moments[1].shot, 24); d < 0.01 {
		t.Fatalf("the live chart did not change on the click (%.2f%%)", d*100)
	}
}
