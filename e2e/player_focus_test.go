package e2e

import (
	"image"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// TestPlayerFocusRingsAsSeen records a page whose cells draw a focus ring only for a keyboard's
// focus (:focus-visible), as a data grid does: one cell clicked (no ring in the live page), then
// the next reached with Tab (a ring). The replay at each moment must look like the live page:
// rrweb replays a focus with a script's focus(), which the browser would ring in both.
func TestPlayerFocusRingsAsSeen(t *testing.T) {
	r := startReel(t, t.TempDir())
	site := appSite(t, r.URL, publicKey(t, r))
	ctx := browser(t)

	run(t, ctx, "open the page",
		chromedp.Navigate(site.URL+"/focus.html"),
		waitFor(`window.Reel && Reel.getSessionId()`),
		chromedp.Sleep(300*time.Millisecond),
	)
	area := liveRect(t, ctx, "body")
	area.H = 100
	type moment struct {
		name, link string
		shot       image.Image
	}
	var moments []moment
	take := func(name string) {
		var link string
		run(t, ctx, "link at "+name, chromedp.Sleep(300*time.Millisecond), chromedp.Evaluate(`Reel.getSessionURL()`, &link))
		img := shotOf(t, ctx, "live "+name, area)
		savePNG(t, "focus-live-"+name+".png", img)
		moments = append(moments, moment{name, link, img})
	}
	a := liveRect(t, ctx, "#a")
	run(t, ctx, "click the first cell",
		chromedp.MouseEvent(input.MouseMoved, a.X+a.W/2, a.Y+a.H/2),
		chromedp.MouseClickXY(a.X+a.W/2, a.Y+a.H/2),
		// Away from the cells: the replay is compared without the cursor.
		chromedp.MouseEvent(input.MouseMoved, 700, 300),
	)
	take("clicked")
	run(t, ctx, "tab to the second", chromedp.Sleep(1200*time.Millisecond), chromedp.KeyEvent(kb.Tab))
	take("tabbed")
	var active string
	run(t, ctx, "focused", chromedp.Evaluate(`document.activeElement.id + (document.activeElement.matches(':focus-visible') ? ' ring' : '')`, &active))
	if active != "b ring" {
		t.Fatalf("live page: focus is on %q, want the second cell with its ring (b ring)", active)
	}
	flushSession(t, ctx, "flush")

	run(t, ctx, "log in", loginActions(r)...)
	for _, m := range moments {
		openReplayAt(t, ctx, m.link)
		look(t, ctx, "focus-replay-"+m.name+"-page.png")
		fr := replayRect(t, ctx, "body")
		img := shotOf(t, ctx, "replay "+m.name, rect{fr.X, fr.Y, area.W, area.H})
		savePNG(t, "focus-replay-"+m.name+".png", img)
		if d, _ := pixelDiff(m.shot, img, 24); d > 0.001 {
			t.Errorf("%s: %.2f%% of the replayed page's pixels differ from the live page's (want <= 0.1%%)", m.name, d*100)
		}
	}
	// The two moments look different (a ring or not), so a replay that showed either everywhere fails.
	if d, _ := pixelDiff(moments[0].shot, moments[1].shot, 24); d < 0.005 {
		t.Fatalf("the live page looked the same clicked and tabbed (%.2f%% differ)", d*100)
	}
}
