package e2e

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestPlayerKeepsStylesheetNumbers records a page whose <link> stylesheet writes line heights as
// calc(1/.75), as FullCalendar's theme does. rrweb records a link stylesheet as the browser
// re-serialises it, calc(1.33333): 31.9999px instead of 32px at 24px, and the replayed text sat
// a pixel higher. The SDK sends the stylesheet as written; the replay must look like the page.
func TestPlayerKeepsStylesheetNumbers(t *testing.T) {
	r := startReel(t, t.TempDir())
	site := appSite(t, r.URL, publicKey(t, r))
	ctx := browser(t)

	var link, lineHeight string
	run(t, ctx, "open the page",
		chromedp.Navigate(site.URL+"/digits.html"),
		waitFor(`window.Reel && Reel.getSessionId()`),
		chromedp.Sleep(500*time.Millisecond),
		chromedp.Evaluate(`Reel.getSessionURL()`, &link),
		chromedp.Evaluate(`getComputedStyle(document.querySelector('.title')).lineHeight`, &lineHeight),
	)
	if lineHeight != "32px" {
		t.Fatalf("live title's line height is %s, want 32px (the page is not what this test is about)", lineHeight)
	}
	area := liveRect(t, ctx, "body")
	live := shotOf(t, ctx, "live", area)
	savePNG(t, "digits-live.png", live)
	flushSession(t, ctx, "flush")

	run(t, ctx, "log in", loginActions(r)...)
	openReplayAt(t, ctx, link)
	look(t, ctx, "digits-replay-page.png")
	var replayed string
	run(t, ctx, "replayed line height", chromedp.Evaluate(`getComputedStyle(document.querySelector('[data-testid=player] iframe').contentDocument.querySelector('.title')).lineHeight`, &replayed))
	if replayed != "32px" {
		t.Errorf("replayed title's line height is %s, want 32px as in the live page", replayed)
	}
	fr := replayRect(t, ctx, "body")
	shot := shotOf(t, ctx, "replay", rect{fr.X, fr.Y, area.W, area.H})
	savePNG(t, "digits-replay.png", shot)
	if d, _ := pixelDiff(live, shot, 24); d > 0.001 {
		t.Errorf("%.2f%% of the replayed page's pixels differ from the live page's (want <= 0.1%%)", d*100)
	}
}
