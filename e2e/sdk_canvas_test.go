package e2e

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestSdkRecordsCanvasOnlyOnceThereIsOne checks that the canvas recorder costs a page without a
// canvas nothing: no animation-frame loop and no reel-canvas.js; that it is loaded from the
// Reel server once a canvas appears, and that the canvas's frames then reach the server as
// rrweb canvas mutations of that canvas's node; and that recordCanvas: false never loads it.
func TestSdkRecordsCanvasOnlyOnceThereIsOne(t *testing.T) {
	r := startReel(t, t.TempDir())
	key := publicKey(t, r)
	site := sdkSite(t, r.URL, key)
	ctx := browser(t)

	var rafs int
	var loaded bool
	run(t, ctx, "a page without a canvas",
		chromedp.Navigate(sdkPage(site, "canvas-later.html", "")),
		waitFor(`window.Reel && Reel.getSessionId()`),
		chromedp.Sleep(1500*time.Millisecond),
		chromedp.Evaluate(`window.rafCalls`, &rafs),
		chromedp.Evaluate(`loadedCanvasRecorder()`, &loaded),
	)
	// rrweb asks for one frame after a batch of DOM mutations (none happen here); its canvas
	// sampler asked for one every frame, about 90 in 1.5 s.
	if rafs > 3 {
		t.Errorf("%d animation frames requested on a page without a canvas", rafs)
	}
	if loaded {
		t.Errorf("reel-canvas.js loaded on a page without a canvas")
	}

	var canvasID int
	run(t, ctx, "a canvas appears",
		chromedp.Evaluate(`addCanvas()`, nil),
		waitFor(`loadedCanvasRecorder()`),
		chromedp.Sleep(1500*time.Millisecond), // frames at 2 fps
		chromedp.Evaluate(`window.reelCanvas.m.getId(document.getElementById("late"))`, &canvasID),
		chromedp.Evaluate(`window.rafCalls`, &rafs),
	)
	if rafs > 10 {
		t.Errorf("%d animation frames requested while recording one canvas: a loop is running", rafs)
	}
	id := flushSession(t, ctx, "flush")
	evs, _ := sessionEvents(t, r, id)
	frames := 0
	for _, e := range evs {
		var d struct {
			Source   int               `json:"source"`
			ID       int               `json:"id"`
			Commands []json.RawMessage `json:"commands"`
		}
		if e.Type != 3 || json.Unmarshal(e.Data, &d) != nil || d.Source != 9 {
			continue
		}
		if d.ID != canvasID {
			t.Errorf("canvas frame for node %d, want %d", d.ID, canvasID)
		}
		if len(d.Commands) != 2 || !strings.Contains(string(d.Commands[1]), `"rr_type":"ImageBitmap"`) {
			t.Errorf("canvas frame commands: %s", d.Commands)
		}
		frames++
	}
	// The canvas does not change after it is drawn: one frame, however long it is recorded.
	if frames != 1 {
		t.Errorf("%d frames of the canvas recorded, want 1", frames)
	}

	run(t, ctx, "recordCanvas: false",
		chromedp.Navigate(sdkPage(site, "canvas-later.html", `{"recordCanvas":false}`)),
		waitFor(`window.Reel && Reel.getSessionId()`),
		chromedp.Evaluate(`addCanvas()`, nil),
		chromedp.Sleep(1000*time.Millisecond),
		chromedp.Evaluate(`loadedCanvasRecorder()`, &loaded),
	)
	if loaded {
		t.Errorf("reel-canvas.js loaded with recordCanvas: false")
	}
}

// TestSdkWorksWhereWorkersAreForbidden runs the SDK on a page whose CSP forbids workers: batches
// are then gzipped, and canvases encoded, on the main thread, and everything still arrives.
func TestSdkWorksWhereWorkersAreForbidden(t *testing.T) {
	r := startReel(t, t.TempDir())
	key := publicKey(t, r)
	site := sdkSite(t, r.URL, key)
	ctx := browser(t)

	var refused []string
	run(t, ctx, "record with workers forbidden",
		chromedp.Navigate(sdkPage(site, "canvas-noworker.html", "")),
		waitFor(`window.Reel && Reel.getSessionId()`),
		chromedp.Evaluate(`addCanvas()`, nil),
		waitFor(`loadedCanvasRecorder()`),
		chromedp.Sleep(1500*time.Millisecond),
	)
	id := flushSession(t, ctx, "flush")
	run(t, ctx, "read refusals", chromedp.Evaluate(`window.refused`, &refused))
	if !slices.Contains(refused, "worker-src") {
		t.Fatalf("the page's CSP refused no worker (%v): the test does not test the fallback", refused)
	}
	evs, raw := sessionEvents(t, r, id)
	if !strings.Contains(raw, "No canvas yet") {
		t.Errorf("the page's snapshot did not arrive")
	}
	frames := 0
	for _, e := range evs {
		var d struct {
			Source int `json:"source"`
		}
		if e.Type == 3 && json.Unmarshal(e.Data, &d) == nil && d.Source == 9 {
			frames++
		}
	}
	if frames != 1 {
		t.Errorf("%d canvas frames recorded, want 1", frames)
	}
}
