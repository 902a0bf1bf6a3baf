package e2e

import (
	"context"
	"fmt"
	"image"
	"reflect"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
)

// visibleRowsJS returns, for a document, the texts of the rows (rowSel) that show inside the
// scroller (vpSel), top to bottom: what a person reads there.
const visibleRowsJS = `((doc, rowSel, vpSel) => {
	const vp = doc.querySelector(vpSel).getBoundingClientRect();
	return [...doc.querySelectorAll(rowSel)]
		.map(r => ({ r, b: r.getBoundingClientRect() }))
		.filter(({ b }) => b.height > 0 && b.bottom > vp.top + 2 && b.top < vp.bottom - 2)
		.sort((x, y) => x.b.top - y.b.top)
		.map(({ r }) => r.textContent.replace(/\s+/g, " ").trim());
})`

// recycledRowsCase is a page with a virtualised list whose row elements are reused as it scrolls.
type recycledRowsCase struct {
	page, rowSel, vpSel, area string
	// The scrollbar kept in step with the rows' scroller, dragged in one step of the test.
	barSel string
	// Pixels that may differ between the live page and its replay (fonts' anti-aliasing aside,
	// nothing should).
	maxDiff float64
}

// TestPlayerReplaysRecycledRows records scrolling through 2,000 rows drawn by recycled row
// elements (a page of ours and a real AG Grid) with the SDK, then opens Reel's player at
// several moments and compares the rows the replay shows with the rows the live page showed,
// by their text and by a screenshot.
func TestPlayerReplaysRecycledRows(t *testing.T) {
	r := startReel(t, t.TempDir())
	site := appSite(t, r.URL, publicKey(t, r))
	for _, c := range []recycledRowsCase{
		{page: "rows.html", rowSel: ".row", vpSel: "#list", area: ".box", barSel: "#bar", maxDiff: 0.005},
		{page: "grid.html", rowSel: ".ag-grid-scrolling-container .ag-row", vpSel: ".ag-grid-scrolling-rows", area: "#grid", barSel: ".ag-body-vertical-scroll-viewport", maxDiff: 0.01},
	} {
		t.Run(c.page, func(t *testing.T) { recycledRows(t, r, site.URL, c) })
	}
}

func recycledRows(t *testing.T, r *reel, site string, c recycledRowsCase) {
	ctx := browser(t)
	run(t, ctx, "open "+c.page,
		chromedp.Navigate(site+"/"+c.page),
		waitFor(`window.Reel && Reel.getSessionId()`),
		waitFor(fmt.Sprintf(`document.querySelectorAll(%q).length > 5`, c.rowSel)),
		chromedp.Sleep(500*time.Millisecond),
	)
	type moment struct {
		name, link string
		rows       []string
		shot       image.Image
	}
	var moments []moment
	take := func(name string) {
		var m moment
		m.name = name
		run(t, ctx, "at "+name,
			chromedp.Sleep(1200*time.Millisecond),
			chromedp.Evaluate(fmt.Sprintf(`%s(document, %q, %q)`, visibleRowsJS, c.rowSel, c.vpSel), &m.rows),
			chromedp.Evaluate(`Reel.getSessionURL()`, &m.link),
		)
		m.shot = shotOf(t, ctx, "live "+name, liveRect(t, ctx, c.area))
		savePNG(t, "rows-"+c.page+"-live-"+name+".png", m.shot)
		if len(m.rows) < 5 {
			t.Fatalf("%s: the live page shows %d rows: %q", name, len(m.rows), m.rows)
		}
		moments = append(moments, m)
	}
	vp := liveRect(t, ctx, c.vpSel)
	wheel := func(ticks int, dy float64, gap time.Duration) chromedp.Action {
		return chromedp.ActionFunc(func(ctx context.Context) error {
			for i := 0; i < ticks; i++ {
				if err := input.DispatchMouseEvent(input.MouseWheel, vp.X+vp.W/2, vp.Y+vp.H/2).WithDeltaX(0).WithDeltaY(dy).Do(ctx); err != nil {
					return err
				}
				time.Sleep(gap)
			}
			return nil
		})
	}
	take("top")
	run(t, ctx, "scroll down slowly", wheel(12, 100, 60*time.Millisecond))
	take("slow")
	run(t, ctx, "scroll down fast", wheel(40, 400, 15*time.Millisecond))
	take("fast")
	run(t, ctx, "fling", wheel(30, 1200, 5*time.Millisecond))
	take("fling")
	run(t, ctx, "scroll back up", wheel(25, -300, 10*time.Millisecond))
	take("back")
	run(t, ctx, "small steps", wheel(7, 40, 120*time.Millisecond))
	take("steps")
	// Dragging the scrollbar: it scrolls, and the page moves the rows' scroller after it.
	run(t, ctx, "drag the scrollbar", chromedp.Evaluate(fmt.Sprintf(`(async () => {
		const bar = document.querySelector(%q);
		for (let i = 0; i < 20; i++) {
			bar.scrollTop += 900;
			await new Promise((r) => requestAnimationFrame(r));
		}
		return true;
	})()`, c.barSel), nil, awaitPromise))
	take("dragged")
	flushSession(t, ctx, "flush")

	run(t, ctx, "log in", loginActions(r)...)
	// Each moment opened by its link (a new replayer seeking from the snapshot), then each again
	// by seeking in the open player, backwards and forwards.
	order := append([]moment(nil), moments...)
	for i := len(moments) - 1; i >= 0; i-- {
		order = append(order, moments[i])
	}
	order = append(order, moments[1], moments[6], moments[4], moments[2])
	for i, m := range order {
		if i < len(moments) {
			openReplayAt(t, ctx, m.link)
		} else {
			if i == len(moments) {
				openReplayAt(t, ctx, moments[len(moments)-1].link)
			}
			seekInPlace(t, ctx, m.link)
			m.name += "-seek"
		}
		var rows []string
		run(t, ctx, "replayed rows at "+m.name, chromedp.Evaluate(fmt.Sprintf(`%s(document.querySelector('[data-testid=player] iframe').contentDocument, %q, %q)`, visibleRowsJS, c.rowSel, c.vpSel), &rows))
		if !reflect.DeepEqual(rows, m.rows) {
			look(t, ctx, "rows-"+c.page+"-replay-"+m.name+"-page.png")
			t.Errorf("%s: the replay shows rows\n%q\nthe live page showed\n%q", m.name, rows, m.rows)
			continue
		}
		shot := shotOf(t, ctx, "replay "+m.name, replayRect(t, ctx, c.area))
		savePNG(t, "rows-"+c.page+"-replay-"+m.name+".png", shot)
		d, same := pixelDiff(m.shot, shot, 32)
		t.Logf("%s: %d rows as live; %.2f%% of pixels differ", m.name, len(rows), d*100)
		if !same || d > c.maxDiff {
			look(t, ctx, "rows-"+c.page+"-replay-"+m.name+"-page.png")
			t.Errorf("%s: %.2f%% of the replayed rows' pixels differ from the live page's (same size: %v)", m.name, d*100, same)
		}
	}
}
