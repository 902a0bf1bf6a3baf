package e2e

import (
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestPlayerLiveView watches a session while it is being recorded: batches that arrive after
// the player opened show up within a few seconds, without a reload.
func TestPlayerLiveView(t *testing.T) {
	r := startReel(t, t.TempDir())
	ctx := browser(t)
	const id = "s_livesession1"
	var d dom
	h := d.text("Live page: batch 0")
	doc := d.page(d.el("h1", nil, h))
	start := time.Now().Add(-3 * time.Second).UnixMilli()
	ingest(t, r, id, "t_tab00000001", 0, []string{metaEv(start, "https://shop.example/live"), fullEv(start+1, doc), moveEv(start+100, 5, 5)})

	run(t, ctx, "open the live session",
		append(loginActions(r),
			chromedp.Navigate(r.URL+"/sessions/"+id),
			waitFor(`document.body.dataset.playerReady === "1"`),
			waitFor(visible(`[data-testid=live]`)),
			waitFor(contains(frameText, "batch 0")),
		)...)

	// The SDK keeps sending; each batch must be on screen within a few seconds.
	for seq := 1; seq <= 3; seq++ {
		now := time.Now().UnixMilli()
		ingest(t, r, id, "t_tab00000001", seq, []string{moveEv(now-50, seq*10, seq*10), textEv(now, h["id"].(int), fmt.Sprintf("Live page: batch %d", seq))})
		sent := time.Now()
		run(t, ctx, fmt.Sprintf("batch %d appears", seq), waitFor(contains(frameText, fmt.Sprintf("batch %d", seq))))
		if lag := time.Since(sent); lag > 5*time.Second {
			t.Fatalf("batch %d took %v to appear in the live view", seq, lag)
		} else {
			t.Logf("batch %d on screen %v after it was stored", seq, lag.Round(10*time.Millisecond))
		}
		time.Sleep(time.Second)
	}
}
