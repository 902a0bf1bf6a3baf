package e2e

import (
	"bytes"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

func solidPNG(w, h int, c color.RGBA) []byte {
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			img.Set(x, y, c)
		}
	}
	var b bytes.Buffer
	png.Encode(&b, img)
	return b.Bytes()
}

// TestPlayerReplaysArchivedStylesheetFontAndImages records, with the real SDK, a page whose
// stylesheet comes from a second origin without CORS headers (so rrweb cannot read it and keeps
// only its URL), with a web font and a background image named by that stylesheet and an <img>
// from the same origin. Once Reel has compacted and archived the session, both sites are shut
// down, and the replay must still have the stylesheet's colour, the font (measured: its "W" is
// two ems wide) and the images, all from Reel's own origin.
func TestPlayerReplaysArchivedStylesheetFontAndImages(t *testing.T) {
	r := startReelWith(t, t.TempDir(), "--compact-idle", "1s", "--archive-private")
	key := publicKey(t, r)
	ctx := browser(t)

	green := color.RGBA{0, 200, 0, 255}
	var mu sync.Mutex
	hits := map[string]int{}
	assets := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		mu.Lock()
		hits[req.URL.Path]++
		mu.Unlock()
		switch req.URL.Path {
		case "/b/site.css": // no Access-Control-Allow-Origin: the page cannot read its rules
			w.Header().Set("Content-Type", "text/css")
			fmt.Fprint(w, `@font-face{font-family:"ArchiveTest";src:url(fonts/wide.ttf) format("truetype")}
.brand{color:rgb(12, 34, 56);font-family:"ArchiveTest",monospace;font-size:20px}
.hero{width:300px;height:150px;background:rgb(255, 255, 255) url(../img/green.png) repeat}`)
		case "/b/fonts/wide.ttf":
			// Fonts are fetched with CORS; the site allows it, as font hosts do.
			w.Header().Set("Access-Control-Allow-Origin", "*")
			w.Header().Set("Content-Type", "font/ttf")
			w.Write(wideFont("ArchiveTest"))
		case "/img/green.png":
			w.Header().Set("Content-Type", "image/png")
			w.Write(solidPNG(8, 8, green))
		case "/img/logo.png":
			w.Header().Set("Content-Type", "image/png")
			w.Write(solidPNG(4, 4, color.RGBA{0, 0, 255, 255}))
		default:
			http.NotFound(w, req)
		}
	}))
	defer assets.Close()
	page := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<!doctype html><html><head><meta charset="utf-8"><title>Archive test</title>
<link rel="stylesheet" href="%[1]s/b/site.css">
<style>body{margin:20px;font-family:sans-serif}</style></head>
<body><p><span class="brand" id="brand">WWWW</span></p><div class="hero" id="hero"></div>
<img id="logo" src="%[1]s/img/logo.png" width="40" height="40" alt="">
<script src="%[2]s/sdk/reel.js"></script>
<script>Reel.init({ key: %[3]q, endpoint: %[2]q, flushIntervalMs: 60000 });</script>
</body></html>`, assets.URL, r.URL, key)
	}))
	defer page.Close()

	run(t, ctx, "record the page",
		chromedp.Navigate(page.URL+"/"),
		waitFor(`window.Reel && Reel.getSessionId()`),
		// The stylesheet applied in the live page, and its rules are out of the page's reach.
		waitFor(`getComputedStyle(document.getElementById('brand')).color === 'rgb(12, 34, 56)'`),
		waitFor(`(() => { try { document.styleSheets[0].cssRules; return false } catch (e) { return true } })()`),
	)
	id := flushSession(t, ctx, "flush")
	run(t, ctx, "leave the page", chromedp.Navigate("about:blank"))

	// rrweb kept the link's URL only.
	_, raw := sessionEvents(t, r, id)
	if !strings.Contains(raw, assets.URL+"/b/site.css") || strings.Contains(raw, "rgb(12, 34, 56)") {
		t.Fatalf("the recording inlined the cross-origin stylesheet, or lost its link: %.300s", raw)
	}

	// Compaction archives the stylesheet, its font and image, and the <img>.
	want := []string{"/b/site.css", "/b/fonts/wide.ttf", "/img/green.png", "/img/logo.png"}
	deadline := time.Now().Add(60 * time.Second)
	for {
		var list struct {
			Resources []struct{ URL, Path, Error string }
		}
		r.api(t, "/api/v1/sessions/"+id+"/archive", &list)
		have := map[string]bool{}
		for _, x := range list.Resources {
			if x.Path != "" {
				have[strings.TrimPrefix(x.URL, assets.URL)] = true
			}
		}
		missing := 0
		for _, w := range want {
			if !have[w] {
				missing++
			}
		}
		if missing == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("archive after 60 s = %+v; reel stderr:\n%s", list, r.logs)
		}
		time.Sleep(300 * time.Millisecond)
	}
	mu.Lock()
	for _, w := range want {
		// Once by the visitor's browser, once by Reel.
		if hits[w] != 2 {
			t.Errorf("%s requested %d times, want 2", w, hits[w])
		}
	}
	mu.Unlock()

	// The site is gone: redeployed, down, or out of the viewer's reach.
	assets.Close()
	page.Close()

	const frame = `document.querySelector('[data-testid=player] iframe')`
	const doc = frame + `.contentDocument`
	var replayed, fontStatus, linkHref string
	var width float64
	var foreign []string
	var logo bool
	run(t, ctx, "replay without the site",
		append(loginActions(r),
			chromedp.Navigate(r.URL+"/sessions/"+id+"?t=100"),
			waitFor(`document.body.dataset.playerReady === "1"`),
			waitFor(contains(frameText, "WWWW")),
			waitFor(`getComputedStyle(`+doc+`.getElementById('brand')).color === 'rgb(12, 34, 56)'`),
			chromedp.Evaluate(`getComputedStyle(`+doc+`.getElementById('brand')).color`, &replayed),
			chromedp.Evaluate(doc+`.querySelector('link[rel=stylesheet]').href`, &linkHref),
			chromedp.Evaluate(doc+`.fonts.load('20px "ArchiveTest"', 'W').then(() => [...`+doc+`.fonts].filter(f => f.family.replace(/"/g, '') === 'ArchiveTest').map(f => f.status).join())`, &fontStatus, awaitPromise),
			chromedp.Evaluate(doc+`.getElementById('brand').getBoundingClientRect().width`, &width),
			waitFor(doc+`.getElementById('logo').complete`),
			chromedp.Evaluate(doc+`.getElementById('logo').naturalWidth === 4`, &logo),
			chromedp.Evaluate(frame+`.contentWindow.performance.getEntriesByType('resource').map(e => e.name).filter(u => !u.startsWith(location.origin + '/'))`, &foreign),
		)...)
	t.Logf("replay: colour %s, stylesheet %s, font %s, width %.1f px, logo %v", replayed, linkHref, fontStatus, width, logo)
	if replayed != "rgb(12, 34, 56)" {
		t.Errorf("replayed colour = %q", replayed)
	}
	if !strings.HasPrefix(linkHref, r.URL+"/api/v1/sessions/"+id+"/archive/file?url=") {
		t.Errorf("replayed stylesheet comes from %s", linkHref)
	}
	// Four Ws two ems wide at 20px: 160px; any fallback font is far narrower.
	if fontStatus != "loaded" || width < 150 || width > 170 {
		t.Errorf("font status %q, text width %.1f px (want loaded and 160)", fontStatus, width)
	}
	if !logo {
		t.Error("the archived <img> did not load in the replay")
	}
	if len(foreign) > 0 {
		t.Errorf("the replay requested other origins: %v", foreign)
	}

	// A share link's viewer, who has no login, gets the copies through the link.
	req, _ := http.NewRequest(http.MethodPost, r.URL+"/api/v1/sessions/"+id+"/share", strings.NewReader(`{}`))
	req.Header.Set("Authorization", "Bearer "+adminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var share struct{ Path string }
	json.NewDecoder(resp.Body).Decode(&share)
	resp.Body.Close()
	if resp.StatusCode != http.StatusCreated || share.Path == "" {
		t.Fatalf("share = %d %+v", resp.StatusCode, share)
	}
	anon := browser(t)
	var sharedHref string
	run(t, anon, "replay through a share link",
		chromedp.Navigate(r.URL+share.Path+"?t=100"),
		waitFor(`document.body.dataset.playerReady === "1"`),
		waitFor(`getComputedStyle(`+doc+`.getElementById('brand')).color === 'rgb(12, 34, 56)'`),
		waitFor(`(`+doc+`.fonts.load('20px "ArchiveTest"', 'W'), `+doc+`.getElementById('brand').getBoundingClientRect().width > 150)`),
		chromedp.Evaluate(doc+`.querySelector('link[rel=stylesheet]').href`, &sharedHref),
	)
	if !strings.HasPrefix(sharedHref, r.URL+"/api/v1/share/") {
		t.Errorf("shared replay's stylesheet comes from %s", sharedHref)
	}

	// The background image is on screen: the middle of the replayed .hero is green.
	var at struct{ X, Y float64 }
	var got color.RGBA
	for tries := 0; ; tries++ {
		var shot []byte
		run(t, ctx, "screenshot the replay",
			chromedp.Evaluate(`(() => { const f = `+frame+`; const fr = f.getBoundingClientRect(); const s = fr.width / f.offsetWidth;
				const h = f.contentDocument.getElementById('hero').getBoundingClientRect();
				return { X: fr.left + (h.left + h.width / 2) * s, Y: fr.top + (h.top + h.height / 2) * s }; })()`, &at),
			chromedp.CaptureScreenshot(&shot))
		img, err := png.Decode(bytes.NewReader(shot))
		if err != nil {
			t.Fatal(err)
		}
		// The screenshot is in device pixels; the page's are CSS pixels.
		ratio := float64(img.Bounds().Dx()) / 1280
		cr, cg, cb, _ := img.At(int(at.X*ratio), int(at.Y*ratio)).RGBA()
		got = color.RGBA{uint8(cr >> 8), uint8(cg >> 8), uint8(cb >> 8), 255}
		if got.R < 30 && got.G > 170 && got.G < 230 && got.B < 30 {
			t.Logf("replayed .hero at (%.0f, %.0f) is %v", at.X, at.Y, got)
			break
		}
		if tries == 20 {
			t.Fatalf("the replayed .hero at (%.0f, %.0f) is %v, not the archived green background", at.X, at.Y, got)
		}
		time.Sleep(250 * time.Millisecond)
	}
}
