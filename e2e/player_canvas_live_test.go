package e2e

import (
	"context"
	"image"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// replayStill is true once the replayed page shows every canvas's picture and nothing in it has
// changed for half a second.
const replayStill = `(() => {
			const d = document.querySelector('[data-testid=player] iframe').contentDocument;
			const cs = [...d.querySelectorAll('canvas')];
			const img = (c) => c.querySelector('img[data-reel-canvas]');
			if (!cs.every(c => img(c) && img(c).complete && img(c).naturalWidth > 0)) return false;
			const sig = cs.map(c => img(c).dataset.frame).join() + "|" + d.body.innerHTML.length;
			const now = Date.now();
			if (window.__replaySig !== sig) { window.__replaySig = sig; window.__replaySince = now; return false; }
			return now - window.__replaySince > 500;
		})()`

// seekInPlace moves the open player to the moment of a link (its t=), as a pasted link or a
// click on the timeline does, without a new replayer, and waits until the replay is still.
func seekInPlace(t *testing.T, ctx context.Context, link string) {
	t.Helper()
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	at := u.Query().Get("t")
	run(t, ctx, "seek to "+at,
		chromedp.Evaluate(`history.pushState(null, "", location.pathname + "?t=`+at+`&scale=1&cursor=0"); dispatchEvent(new Event("reel:navigate")); true`, nil),
		waitFor(`Math.abs(Number(document.querySelector('[data-testid=time]').dataset.currentMs) - `+at+`) < 100`),
		waitFor(replayStill),
	)
}

// openReplayAt opens the player at a link to a moment, at 1:1 and without the cursor, and
// waits until the replayed page shows it (and every canvas picture is on screen, with no new
// one for half a second).
func openReplayAt(t *testing.T, ctx context.Context, link string) {
	t.Helper()
	sep := "?"
	if strings.Contains(link, "?") {
		sep = "&"
	}
	run(t, ctx, "open "+link,
		// A window tall enough for the recorded pages' parts the tests compare, at 1:1.
		chromedp.EmulateViewport(1400, 1100),
		chromedp.Navigate(link+sep+"scale=1&cursor=0"),
		waitFor(`document.body.dataset.playerReady === "1"`),
		waitFor(`document.querySelector('[data-testid=player]').dataset.scale === "1.000"`),
		waitFor(replayStill),
	)
}

// TestPlayerShowsCanvasChartsAsRecorded records a real Chart.js page with the SDK (drawn once,
// redrawn on hover for a tooltip and on a click for new data), then opens Reel's player at each
// moment, at 1:1, and compares the screenshot of the replayed canvas with the screenshot of the
// live one: what a person sees, not what a script reads back from the canvas.
func TestPlayerShowsCanvasChartsAsRecorded(t *testing.T) {
	r := startReel(t, t.TempDir())
	site := appSite(t, r.URL, publicKey(t, r))
	ctx := browser(t)

	run(t, ctx, "open the chart",
		chromedp.Navigate(site.URL+"/chart.html"),
		waitFor(`window.Reel && Reel.getSessionId()`),
		chromedp.Sleep(1200*time.Millisecond), // canvas frames are sampled at 2 fps
	)
	type moment struct {
		name, link string
		at         rect
		shot       image.Image
	}
	var moments []moment
	take := func(name string) {
		var link string
		run(t, ctx, "link at "+name, chromedp.Evaluate(`Reel.getSessionURL()`, &link))
		rc := liveRect(t, ctx, "#chart")
		img := shotOf(t, ctx, "live "+name, rc)
		savePNG(t, "canvas-live-"+name+".png", img)
		moments = append(moments, moment{name, link, rc, img})
	}
	take("drawn")
	c := liveRect(t, ctx, "#chart")
	run(t, ctx, "hover the second bar",
		chromedp.MouseEvent("mouseMoved", c.X+c.W*0.27, c.Y+c.H*0.6),
		chromedp.Sleep(1200*time.Millisecond),
	)
	take("tooltip")
	run(t, ctx, "new data",
		chromedp.MouseEvent("mouseMoved", c.X+c.W+40, c.Y+c.H+5),
		chromedp.Click("#more", chromedp.ByQuery),
		chromedp.Sleep(1200*time.Millisecond),
	)
	take("updated")
	flushSession(t, ctx, "flush")

	run(t, ctx, "log in", loginActions(r)...)
	for _, m := range moments {
		openReplayAt(t, ctx, m.link)
		look(t, ctx, "canvas-replay-"+m.name+"-page.png")
		rc := replayRect(t, ctx, "canvas")
		if int(rc.W+0.5) != int(m.at.W+0.5) || int(rc.H+0.5) != int(m.at.H+0.5) {
			t.Fatalf("%s: the replayed canvas is %.0f×%.0f on screen, the live one was %.0f×%.0f", m.name, rc.W, rc.H, m.at.W, m.at.H)
		}
		img := shotOf(t, ctx, "replay "+m.name, rc)
		savePNG(t, "canvas-replay-"+m.name+".png", img)
		if ink := inked(img); ink < 0.02 {
			t.Errorf("%s: the replayed canvas is blank on screen (%.1f%% drawn)", m.name, ink*100)
		}
		diff, _ := pixelDiff(m.shot, img, 48)
		t.Logf("%s: %.2f%% of the canvas's pixels differ from the live page's", m.name, diff*100)
		if diff > 0.03 {
			t.Errorf("%s: %.2f%% of the replayed canvas's pixels differ from the live page's (want <= 3%%)", m.name, diff*100)
		}
	}
	// The moments differ from each other (a test that compared blank with blank would pass).
	if d, _ := pixelDiff(moments[0].shot, moments[2].shot, 48); d < 0.01 {
		t.Fatalf("the live chart did not change between the first and last moment (%.2f%%)", d*100)
	}
}

// TestPlayerShowsWebGLAsImages records a WebGL canvas (redrawn on a click) with the SDK, which
// samples it as image frames, and compares the replayed canvas on screen with the live one.
func TestPlayerShowsWebGLAsImages(t *testing.T) {
	r := startReel(t, t.TempDir())
	site := appSite(t, r.URL, publicKey(t, r))
	ctx := browser(t)
	var ok bool
	run(t, ctx, "open the scene",
		chromedp.Navigate(site.URL+"/webgl.html"),
		waitFor(`window.Reel && Reel.getSessionId()`),
		chromedp.Evaluate(`window.webglOK`, &ok),
	)
	if !ok {
		t.Fatal("this Chromium gives the page no WebGL context")
	}
	type moment struct {
		link string
		shot image.Image
	}
	var moments []moment
	for i := 0; i < 2; i++ {
		if i > 0 {
			run(t, ctx, "next colour", chromedp.Click("#next", chromedp.ByQuery))
		}
		var m moment
		run(t, ctx, "wait for a sampled frame", chromedp.Sleep(1200*time.Millisecond), chromedp.Evaluate(`Reel.getSessionURL()`, &m.link))
		m.shot = shotOf(t, ctx, "live", liveRect(t, ctx, "#gl"))
		savePNG(t, "webgl-live-"+string(rune('0'+i))+".png", m.shot)
		moments = append(moments, m)
	}
	flushSession(t, ctx, "flush")
	if d, _ := pixelDiff(moments[0].shot, moments[1].shot, 48); d < 0.2 {
		t.Fatalf("the live scene did not change colour (%.2f%%)", d*100)
	}
	run(t, ctx, "log in", loginActions(r)...)
	for i, m := range moments {
		openReplayAt(t, ctx, m.link)
		shot := shotOf(t, ctx, "replay", replayRect(t, ctx, "canvas"))
		savePNG(t, "webgl-replay-"+string(rune('0'+i))+".png", shot)
		d, same := pixelDiff(m.shot, shot, 48)
		t.Logf("moment %d: %.2f%% of pixels differ", i, d*100)
		if !same || d > 0.03 {
			look(t, ctx, "webgl-replay-page.png")
			t.Errorf("moment %d: %.2f%% of the replayed WebGL canvas's pixels differ from the live one's (same size: %v)", i, d*100, same)
		}
	}
}
