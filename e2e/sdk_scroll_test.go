package e2e

import (
	"encoding/json"
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestSdkScrollKeepsEveryScrollersEnd scrolls a grid body whose pinned column follows it (two
// elements scrolled in the same frames, as a data grid does) and checks that the recording
// ends with both final positions and that the player shows the rows the page showed.
func TestSdkScrollKeepsEveryScrollersEnd(t *testing.T) {
	r := startReel(t, t.TempDir())
	key := publicKey(t, r)
	site := sdkSite(t, r.URL, key)
	ctx := browser(t)
	run(t, ctx, "open", chromedp.Navigate(sdkPage(site, "scroll.html", "")), waitFor(`window.Reel && Reel.getSessionId()`))

	// Top row of each pane: what a person sees first in it.
	const tops = `(d => ["left", "right"].map(id => { const r = d.getElementById(id).getBoundingClientRect(); return d.elementFromPoint(r.left + 20, r.top + 4).textContent; }))`
	var ends [][]int
	for _, g := range [][2]int{{1000, 20}, {4321, 30}, {2413, 9}} {
		var end []int
		run(t, ctx, fmt.Sprintf("glide to %d", g[0]), chromedp.Evaluate(fmt.Sprintf(`glide(%d, %d)`, g[0], g[1]), &end, awaitPromise))
		ends = append(ends, end)
	}
	final := ends[len(ends)-1]
	if final[0] != 2413 || final[1] != 2413 {
		t.Fatalf("the page's panes ended at %v, want both at 2413", final)
	}
	var live []string
	run(t, ctx, "read the page", chromedp.Evaluate(tops+`(document)`, &live), chromedp.Sleep(time.Second))
	var link string
	id := flushSession(t, ctx, "flush")
	run(t, ctx, "link", chromedp.Evaluate(`Reel.getSessionURL()`, &link))

	// The recording: every scrolled element's last Scroll event (source 3) is its final position.
	evs, _ := sessionEvents(t, r, id)
	last := map[int]int{}
	for _, e := range evs {
		var d struct {
			Source *int `json:"source"`
			ID, Y  int
		}
		if e.Type == 3 && json.Unmarshal(e.Data, &d) == nil && d.Source != nil && *d.Source == 3 {
			last[d.ID] = d.Y
		}
	}
	if len(last) != 2 {
		t.Fatalf("scroll events for %d elements, want the 2 panes: %v", len(last), last)
	}
	for el, y := range last {
		if y != final[0] {
			t.Errorf("element %d's last recorded scroll position is %d, the page ended at %d", el, y, final[0])
		}
	}

	// The replay at that moment shows the same rows at the top of both panes.
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	frame := `document.querySelector('[data-testid=player] iframe').contentDocument`
	var replayed []string
	run(t, ctx, "replay", append(loginActions(r),
		chromedp.Navigate(r.URL+u.RequestURI()),
		waitFor(`document.body.dataset.playerReady === "1"`),
		waitFor(frame+`?.getElementById("right")`),
		chromedp.Sleep(time.Second),
		chromedp.Evaluate(tops+`(`+frame+`)`, &replayed),
	)...)
	look(t, ctx, "sdk-scroll-replay.png")
	if fmt.Sprint(replayed) != fmt.Sprint(live) {
		t.Fatalf("replay shows %q at the top of the panes, the page showed %q", replayed, live)
	}
}
