package e2e

import (
	"context"
	"fmt"
	"image/color"
	"net/http"
	"net/http/httptest"
	"sync"
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

// TestPlayerHoldsImagesUntilTheFrameIsUp opens a recording at a moment after the recording
// changed some of its images: the replayed page's pictures are asked for only once the frame is
// on screen (the frame runs no scripts, so the browser would otherwise fetch every one of them
// before painting), and the ones the recording replaced or removed on the way are never asked
// for at all. What shows is what the recording has at that moment.
func TestPlayerHoldsImagesUntilTheFrameIsUp(t *testing.T) {
	pngBytes := solidPNG(2, 2, color.RGBA{200, 30, 30, 255})
	var mu sync.Mutex
	asked := map[string]int{}
	assets := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		mu.Lock()
		asked[req.URL.Path]++
		mu.Unlock()
		w.Header().Set("Content-Type", "image/png")
		w.Write(pngBytes)
	}))
	defer assets.Close()
	r := startReel(t, t.TempDir())
	ctx := browser(t)
	const id = "s_heldimages01"
	start := time.Now().Add(-time.Hour).UnixMilli()

	var d dom
	img := func(name string) node {
		return d.el("img", map[string]any{"id": name, "src": assets.URL + "/" + name + ".png", "width": "20", "height": "20", "loading": "lazy"})
	}
	a, c, dd := img("a"), img("c"), img("d")
	picture := d.el("picture", nil, d.el("source", map[string]any{"srcset": assets.URL + "/b.png", "type": "image/png"}), d.el("img", map[string]any{"id": "b", "src": assets.URL + "/b-fallback.png"}))
	body := d.el("div", map[string]any{"id": "imgs"}, a, picture, c, dd)
	doc := d.page(body)
	e := d.el("img", map[string]any{"id": "e", "src": assets.URL + "/e.png"})
	mutation := func(ts int64, data map[string]any) string {
		m := map[string]any{"source": 0, "texts": []any{}, "attributes": []any{}, "removes": []any{}, "adds": []any{}}
		for k, v := range data {
			m[k] = v
		}
		return evJSON(3, ts, m)
	}
	evs := []string{
		metaEv(start, "https://shop.example/"), fullEv(start+1, doc),
		mutation(start+1000, map[string]any{"attributes": []any{map[string]any{"id": c["id"], "attributes": map[string]any{"src": nil}}}}),
		mutation(start+2000, map[string]any{"attributes": []any{map[string]any{"id": dd["id"], "attributes": map[string]any{"src": assets.URL + "/d2.png"}}}}),
		mutation(start+3000, map[string]any{"adds": []any{map[string]any{"parentId": body["id"], "nextId": nil, "node": e}}}),
	}
	for s := 4; s < 20; s++ {
		evs = append(evs, moveEv(start+int64(s)*1000, s*10, 10))
	}
	ingest(t, r, id, "t_tab00000001", 0, evs)

	frameImg := func(id, expr string) string {
		return fmt.Sprintf(`(() => { const f = document.querySelector('[data-testid=player] iframe'); const i = f && f.contentDocument && f.contentDocument.getElementById(%q); return i ? %s : null; })()`, id, expr)
	}
	loaded := func(id string) string { return frameImg(id, `i.complete && i.naturalWidth === 2`) }
	var startedAfterFrame bool
	var b, cSrc, dSrc string
	run(t, ctx, "open at 0:05",
		append(loginActions(r),
			chromedp.Navigate(r.URL+"/sessions/"+id+"?t=5000"),
			waitFor(`document.body.dataset.firstFrameAt`),
			waitFor(loaded("a")), waitFor(loaded("b")), waitFor(loaded("d")), waitFor(loaded("e")),
			// Every picture of the frame was asked for after the frame was on screen.
			chromedp.Evaluate(`(() => {
				const f = document.querySelector('[data-testid=player] iframe').contentWindow;
				const frameAt = performance.timeOrigin + Number(document.body.dataset.firstFrameAt);
				const held = f.performance.getEntriesByType('resource').filter((e) => /\/(a|b|e)\.png$/.test(e.name));
				return held.length === 3 && held.every((e) => f.performance.timeOrigin + e.startTime >= frameAt);
			})()`, &startedAfterFrame),
			chromedp.Evaluate(frameImg("b", `i.currentSrc`), &b),
			chromedp.Evaluate(frameImg("c", `i.getAttribute('src') || ""`), &cSrc),
			chromedp.Evaluate(frameImg("d", `i.getAttribute('src')`), &dSrc),
		)...)
	if !startedAfterFrame {
		t.Error("the frame's images were asked for before the frame was on screen")
	}
	if b != assets.URL+"/b.png" {
		t.Errorf("the picture shows %q, want its <source> %q", b, assets.URL+"/b.png")
	}
	if cSrc != "" || dSrc != assets.URL+"/d2.png" {
		t.Errorf("removed image has src %q, replaced one %q; want none and %q", cSrc, dSrc, assets.URL+"/d2.png")
	}
	mu.Lock()
	defer mu.Unlock()
	for _, p := range []string{"/c.png", "/d.png", "/b-fallback.png"} {
		if asked[p] > 0 {
			t.Errorf("%s was asked for %d times; the recording had replaced it by the moment shown", p, asked[p])
		}
	}
}
