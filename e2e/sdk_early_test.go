package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// TestSdkRecordsBeforeTheLoadEvent opens a page whose load event waits for a slow picture and
// clicks its button at once, as a visitor does who does not wait for every image: the replay
// shows the page and what the click changed. (rrweb's default waits for the load event before
// its first snapshot; a visitor who clicked and left before it was not recorded at all.)
func TestSdkRecordsBeforeTheLoadEvent(t *testing.T) {
	r := startReel(t, t.TempDir())
	site := sdkSite(t, r.URL, publicKey(t, r))
	ctx := browser(t)

	var state, link string
	// A first page view of the site, which keeps the project's settings: the next page starts
	// recording at once, while its document is still being parsed.
	run(t, ctx, "a first page",
		chromedp.Navigate(site.URL+"/slow-load.html"),
		waitFor(`window.Reel && Reel.getSessionId()`),
		waitFor(`localStorage.getItem("reel:config") !== null`),
	)
	run(t, ctx, "open the page and click before it has loaded",
		// page.Navigate returns once the page commits; chromedp.Navigate would wait for load.
		chromedp.ActionFunc(func(ctx context.Context) error {
			_, _, _, _, err := page.Navigate(site.URL + "/slow-load.html?ms=8000").Do(ctx)
			return err
		}),
		waitFor(`document.readyState !== "loading" && window.Reel && Reel.getSessionId()`),
		chromedp.Click(`#add`, chromedp.ByQuery),
		waitFor(`document.getElementById("said").textContent.includes("SPRING")`),
		chromedp.Evaluate(`document.readyState`, &state),
		chromedp.Sleep(300*time.Millisecond),
		chromedp.Evaluate(`Reel.getSessionURL()`, &link),
	)
	flushSession(t, ctx, "flush")
	if state == "complete" {
		t.Fatal("the page had loaded before the click (its picture came early): the test shows nothing")
	}

	run(t, ctx, "log in", loginActions(r)...)
	var text string
	run(t, ctx, "open the replay at the click",
		chromedp.EmulateViewport(1400, 1100),
		chromedp.Navigate(link+"&scale=1&cursor=0"),
		waitFor(`document.body.dataset.playerReady === "1"`),
		chromedp.Poll(`(() => { const f = document.querySelector('[data-testid=player] iframe'); return f && f.contentDocument && f.contentDocument.body && f.contentDocument.body.innerText.includes("SPRING") ? f.contentDocument.body.innerText : ""; })()`, &text, chromedp.WithPollingTimeout(15*time.Second)),
	)
	look(t, ctx, "sdk-before-load.png")
	for _, want := range []string{"Order summary", "Apply coupon", "Coupon SPRING applied"} {
		if !strings.Contains(text, want) {
			t.Errorf("the replay shows %q, without %q", text, want)
		}
	}
}
