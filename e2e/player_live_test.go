package e2e

import (
	"fmt"
	"strings"
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

// TestPlayerLiveViewOpensAtTheEdge opens a session that has been recording for half a minute
// and is still live: the first frame is its newest moment (what the visitor sees now), not
// 0:00 with the recording so far to sit through, and there is no "Go live" to press.
func TestPlayerLiveViewOpensAtTheEdge(t *testing.T) {
	r := startReel(t, t.TempDir())
	ctx := browser(t)
	const id = "s_liveedge0001"
	var d dom
	h := d.text("Live page: step 0")
	doc := d.page(d.el("h1", nil, h))
	now := time.Now().UnixMilli()
	start := now - 30_000
	ingest(t, r, id, "t_tab00000001", 0, []string{metaEv(start, "https://shop.example/live"), fullEv(start+1, doc), moveEv(start+100, 5, 5)})
	for i, at := range []int64{start + 10_000, start + 20_000, now - 1_000} {
		ingest(t, r, id, "t_tab00000001", i+1, []string{moveEv(at-50, 10*i, 10*i), textEv(at, h["id"].(int), fmt.Sprintf("Live page: step %d", i+1))})
	}

	var frameMs, totalMs float64
	var text string
	run(t, ctx, "open the live session",
		append(loginActions(r),
			chromedp.Navigate(r.URL+"/sessions/"+id),
			waitFor(`document.body.dataset.playerReady === "1"`),
			waitFor(visible(`[data-testid=live]`)),
			chromedp.Evaluate(frameText, &text),
			chromedp.Evaluate(`Number(document.querySelector('[data-testid=player]').dataset.frameMs)`, &frameMs),
			chromedp.Evaluate(`Number(document.querySelector('[data-testid=time]').dataset.totalMs)`, &totalMs),
		)...)
	if totalMs < 28_000 {
		t.Fatalf("session is %v ms long, want about 29 s", totalMs)
	}
	if frameMs < totalMs-2_000 {
		t.Fatalf("the live view opened at %v ms of %v ms, want its newest moment", frameMs, totalMs)
	}
	if !strings.Contains(text, "step 3") {
		t.Fatalf("the live view's first frame shows %q, want the newest text (step 3)", text)
	}
	run(t, ctx, "the player is at the live edge",
		waitFor(visible(`[data-testid=live].edge`)),
		waitFor(`!document.querySelector('[data-testid=go-live]')`),
		waitFor(contains(frameText, "step 3")),
	)
	look(t, ctx, "live-edge.png")

	// What the visitor does next arrives and shows, the player following along.
	at := time.Now().UnixMilli()
	ingest(t, r, id, "t_tab00000001", 4, []string{moveEv(at-50, 40, 40), textEv(at, h["id"].(int), "Live page: step 4")})
	run(t, ctx, "the next step appears", waitFor(contains(frameText, "step 4")))
}

// TestSessionListLiveFirst: a visitor who arrived half an hour ago and is still on the site
// is far down the newest-first list; "Live first" in the Order menu puts that session, with
// its live dot, at the top, ahead of newer sessions that ended.
func TestSessionListLiveFirst(t *testing.T) {
	r := startReel(t, t.TempDir())
	ctx := browser(t)
	now := time.Now()
	mk := func(id string, ago, length time.Duration) {
		var d dom
		t0 := now.Add(-ago).UnixMilli()
		end := t0 + int64(length/time.Millisecond)
		ingest(t, r, id, "t_tab00000001", 0, []string{metaEv(t0, "https://shop.example/"), fullEv(t0+1, d.page(d.el("h1", nil, d.text(id)))), moveEv(end, 1, 1)})
	}
	mk("s_stillhere01", 30*time.Minute, 30*time.Minute-2*time.Second) // its last event 2 s ago
	mk("s_endednew001", 5*time.Minute, time.Minute)
	mk("s_endedold001", 15*time.Minute, 2*time.Minute)

	rows := `[...document.querySelectorAll('[data-testid=session-row]')].map(r => r.dataset.sessionId).join(",")`
	run(t, ctx, "the list, newest first",
		append(loginActions(r),
			waitFor(rows+` === "s_endednew001,s_endedold001,s_stillhere01"`),
		)...)
	run(t, ctx, "order: live first",
		chromedp.SetValue(`[data-testid=sort]`, "live", chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelector('[data-testid=sort]').dispatchEvent(new Event('change', {bubbles: true}))`, nil),
		waitFor(rows+` === "s_stillhere01,s_endednew001,s_endedold001"`),
		waitFor(visible(`[data-session-id=s_stillhere01] .live-dot`)),
		waitFor(`[...document.querySelector('[data-testid=sort]').selectedOptions].map(o => o.textContent).join() === "Live first"`),
	)
	look(t, ctx, "list-live-first.png")
}
