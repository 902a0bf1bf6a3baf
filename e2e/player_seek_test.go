package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestPlayerSeeksFromNearestSnapshot opens a long recording at a late moment: the player asks
// the server for events from the nearest full snapshot (events?from=) and shows the right frame,
// then seeking back before that window and forward again shows the right frames too.
func TestPlayerSeeksFromNearestSnapshot(t *testing.T) {
	r := startReel(t, t.TempDir())
	ctx := browser(t)
	const id = "s_longsession1"
	start := time.Now().Add(-time.Hour).UnixMilli()
	var evs []string
	var clock int
	for m := 0; m < 12; m++ {
		at := start + int64(m)*60_000
		if m%3 == 0 { // a full snapshot every 3 minutes, as the SDK's checkout does
			var d dom
			txt := d.text(fmt.Sprintf("Minute %d", m))
			doc := d.page(d.el("div", map[string]any{"id": "clock"}, txt), d.el("p", nil, d.text(fmt.Sprintf("Snapshot of minute %d", m))))
			clock = txt["id"].(int)
			evs = append(evs, metaEv(at, fmt.Sprintf("https://shop.example/page-%d", m)), fullEv(at+1, doc))
		} else {
			evs = append(evs, textEv(at+2, clock, fmt.Sprintf("Minute %d", m)))
		}
		for s := 5; s < 60; s += 5 {
			evs = append(evs, moveEv(at+int64(s)*1000, s*10, m*10))
		}
	}
	// Batches of about a minute, as a long visit sends them.
	for i := 0; i*12 < len(evs); i++ {
		end := min(len(evs), (i+1)*12)
		ingest(t, r, id, "t_tab00000001", i, evs[i*12:end])
	}

	clockText := `(() => { const f = document.querySelector('[data-testid=player] iframe'); const c = f && f.contentDocument && f.contentDocument.getElementById('clock'); return c ? c.textContent : ""; })()`
	var fromURL string
	run(t, ctx, "open at 7:30",
		append(loginActions(r),
			chromedp.Navigate(r.URL+"/sessions/"+id+"?t=450000"),
			waitFor(`document.body.dataset.playerReady === "1"`),
			waitFor(clockText+` === "Minute 7"`),
			chromedp.Evaluate(`performance.getEntriesByType('resource').map(e => e.name).find(n => n.includes('/events?') && n.includes('from=')) || ""`, &fromURL),
		)...)
	if fromURL == "" {
		t.Fatal("the player did not ask for events from a snapshot (events?from=)")
	}
	var frameMs float64
	run(t, ctx, "read frame time", chromedp.Evaluate(`Number(document.querySelector('[data-testid=player]').dataset.frameMs)`, &frameMs))
	if frameMs < 449000 || frameMs > 451000 {
		t.Fatalf("first frame at %v ms, want 450000", frameMs)
	}

	// Seek back before the loaded window by clicking the scrubber at 1:30, then to 10:30.
	clickAt := func(ms int) chromedp.Action {
		return chromedp.ActionFunc(func(c2 context.Context) error {
			var box []float64
			if err := chromedp.Evaluate(`(() => { const r = document.querySelector('[data-testid=scrubber]').getBoundingClientRect(); return [r.left, r.top, r.width, r.height, Number(document.querySelector('[data-testid=time]').dataset.totalMs)]; })()`, &box).Do(c2); err != nil {
				return err
			}
			x := box[0] + box[2]*float64(ms)/box[4]
			return chromedp.MouseClickXY(x, box[1]+box[3]/2).Do(c2)
		})
	}
	run(t, ctx, "seek back to 1:30",
		clickAt(90_000),
		waitFor(clockText+` === "Minute 1"`),
		waitFor(`Math.abs(`+playerTime+` - 90000) < 5000`),
	)
	run(t, ctx, "seek forward to 10:30",
		clickAt(630_000),
		waitFor(clockText+` === "Minute 10"`),
	)
}
