package e2e

import (
	"bytes"
	"encoding/base64"
	"image"
	"image/color"
	"image/png"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// barChart draws a bar chart the way a charting library would paint a canvas.
func barChart(w, h int, bars []int) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	bw := w / (len(bars)*2 + 1)
	for i, v := range bars {
		x0 := bw + i*2*bw
		for x := x0; x < x0+bw; x++ {
			for y := h - v; y < h; y++ {
				img.Set(x, y, color.RGBA{0x2c, 0x5f, 0xd9, 0xff})
			}
		}
	}
	var buf bytes.Buffer
	png.Encode(&buf, img)
	return buf.Bytes()
}

// TestPlayerPaintsCanvasWithoutScripts replays a chart page whose canvas was recorded as image
// frames (rrweb's recordCanvas with sampling: clearRect + drawImage of an ImageBitmap made from a
// Blob) and as a data-URL image; the replayed canvas shows the chart while the frame stays
// without allow-scripts.
func TestPlayerPaintsCanvasWithoutScripts(t *testing.T) {
	r := startReel(t, t.TempDir())
	ctx := browser(t)

	var d dom
	canvas := d.el("canvas", map[string]any{"id": "chart", "width": "300", "height": "150"})
	doc := d.page(d.el("h1", nil, d.text("Sales chart")), canvas)
	id := canvas["id"].(int)
	t0 := time.Now().Add(-time.Minute).UnixMilli()
	frame := func(ts int64, bars []int) string {
		b64 := base64.StdEncoding.EncodeToString(barChart(300, 150, bars))
		return evJSON(3, ts, map[string]any{"source": 9, "id": id, "type": 0, "commands": []any{
			map[string]any{"property": "clearRect", "args": []any{0, 0, 300, 150}},
			map[string]any{"property": "drawImage", "args": []any{
				map[string]any{"rr_type": "ImageBitmap", "args": []any{
					map[string]any{"rr_type": "Blob", "type": "image/png", "data": []any{map[string]any{"rr_type": "ArrayBuffer", "base64": b64}}},
				}}, 0, 0}},
		}})
	}
	dataURLFrame := func(ts int64, bars []int) string {
		url := "data:image/png;base64," + base64.StdEncoding.EncodeToString(barChart(300, 150, bars))
		return evJSON(3, ts, map[string]any{"source": 9, "id": id, "type": 0, "commands": []any{
			map[string]any{"property": "clearRect", "args": []any{0, 0, 300, 150}},
			map[string]any{"property": "drawImage", "args": []any{map[string]any{"rr_type": "HTMLImageElement", "src": url}, 0, 0}},
		}})
	}
	ingest(t, r, "s_canvas00001", "t_tab00000001", 0, []string{
		metaEv(t0, "https://charts.example/"),
		fullEv(t0+1, doc),
		frame(t0+500, []int{40, 90, 60, 120}),
		frame(t0+1000, []int{50, 100, 70, 130}),
		moveEv(t0+1500, 10, 10),
		dataURLFrame(t0+2000, []int{130, 20, 130, 20}),
		moveEv(t0+2500, 20, 20),
	})

	paintedPixels := `(() => {
		const f = document.querySelector('[data-testid=player] iframe');
		const c = f && f.contentDocument && f.contentDocument.querySelector('canvas');
		if (!c) return -1;
		const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
		let n = 0;
		for (let i = 3; i < px.length; i += 4) if (px[i] > 0) n++;
		return n;
	})()`
	// A pixel in the second bar: tall in the first frames, short in the data-URL frame.
	secondBarTop := `(() => {
		const c = document.querySelector('[data-testid=player] iframe').contentDocument.querySelector('canvas');
		return c.getContext('2d').getImageData(130, 150 - 80, 1, 1).data[3];
	})()`
	run(t, ctx, "log in", loginActions(r)...)
	run(t, ctx, "open at the first frames",
		chromedp.Navigate(r.URL+"/sessions/s_canvas00001?t=1200"),
		waitFor(`document.body.dataset.playerReady === "1"`),
		waitFor(paintedPixels+` > 2000`),
		waitFor(secondBarTop+` > 0`),
	)
	run(t, ctx, "seek to the data-URL frame",
		chromedp.Navigate(r.URL+"/sessions/s_canvas00001?t=2300"),
		waitFor(`document.body.dataset.playerReady === "1"`),
		waitFor(paintedPixels+` > 2000`),
		waitFor(secondBarTop+` === 0`),
	)
	// What a person sees: the replayed canvas on screen shows the bars (a canvas in a frame that
	// runs no scripts would show its fallback content, whatever its bitmap holds).
	run(t, ctx, "the picture is on screen", waitFor(replayStill))
	rc := replayRect(t, ctx, "canvas")
	shot := shotOf(t, ctx, "screenshot the replayed canvas", rc)
	look(t, ctx, "canvas-fixture-replay.png")
	blue := 0
	b := shot.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := shot.At(x, y).RGBA()
			if r>>8 < 0x60 && g>>8 > 0x40 && g>>8 < 0x80 && bl>>8 > 0xb0 {
				blue++
			}
		}
	}
	// The data-URL frame's bars cover 300 px² per 1 px of bar height and width at 1:1.
	if want := int(0.5 * 130 * 20 * 2 * rc.W / 300 * rc.H / 150); blue < want {
		t.Errorf("the replayed canvas shows %d bar pixels on screen, want at least %d (%.0f×%.0f on screen)", blue, want, rc.W, rc.H)
	}
	var sandbox string
	run(t, ctx, "read sandbox", chromedp.Evaluate(`document.querySelector('[data-testid=player] iframe').getAttribute('sandbox')`, &sandbox))
	if sandbox != "allow-same-origin" {
		t.Fatalf("sandbox = %q", sandbox)
	}
}
