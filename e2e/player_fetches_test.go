package e2e

import (
	"image/color"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestPlayerFetchesNothingRecorded replays a page whose recording makes a browser fetch from
// the recorded site: prefetch, preload and the other fetching link relations, and the
// sources, posters and captions of video and audio, in the first snapshot and in later
// mutations. Watching it (the session list's preview, then the player) must send that site no
// request for any of them, since each would tell it the viewer's address; the page still
// replays (its text, its images), and the images it does load carry no Referer naming the
// dashboard.
func TestPlayerFetchesNothingRecorded(t *testing.T) {
	r := startReel(t, t.TempDir())
	ctx := browser(t)

	type hit struct{ path, referer string }
	var mu sync.Mutex
	var hits []hit
	site := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		mu.Lock()
		hits = append(hits, hit{req.URL.Path, req.Header.Get("Referer")})
		mu.Unlock()
		if strings.HasPrefix(req.URL.Path, "/control") {
			w.Header().Set("Content-Type", "image/png")
			w.Write(solidPNG(4, 4, color.RGBA{0, 120, 0, 255}))
			return
		}
		w.WriteHeader(http.StatusOK) // whatever was asked for exists, so nothing is given up on
	}))
	defer site.Close()
	seen := func(path string) (bool, []hit) {
		mu.Lock()
		defer mu.Unlock()
		ok := false
		for _, h := range hits {
			ok = ok || h.path == path
		}
		return ok, append([]hit(nil), hits...)
	}
	u := func(p string) string { return site.URL + p }

	var d dom
	video := d.el("video", map[string]any{"id": "v1", "src": u("/video.mp4"), "poster": u("/poster.png"), "preload": "auto", "width": "320", "height": "180", "autoplay": ""})
	author := d.el("link", map[string]any{"rel": "author", "href": u("/author")})
	doc := d.page(
		d.el("h1", nil, d.text("Media page")),
		d.el("link", map[string]any{"rel": "prefetch", "href": u("/prefetch")}),
		d.el("link", map[string]any{"rel": "preload", "as": "image", "href": u("/preload.png")}),
		d.el("link", map[string]any{"rel": "dns-prefetch", "href": u("/dns-prefetch")}),
		d.el("link", map[string]any{"rel": "preconnect", "href": u("/preconnect")}),
		d.el("link", map[string]any{"rel": "modulepreload", "href": u("/module.js")}),
		d.el("link", map[string]any{"rel": "prerender", "href": u("/prerender")}),
		d.el("link", map[string]any{"rel": "Preload  icon", "as": "image", "href": u("/mixed-case.png")}),
		author,
		video,
		d.el("video", map[string]any{"preload": "auto", "width": "320", "height": "180"},
			d.el("source", map[string]any{"src": u("/source.mp4"), "type": "video/mp4"}),
			d.el("track", map[string]any{"src": u("/captions.vtt"), "kind": "captions", "default": ""})),
		d.el("audio", map[string]any{"src": u("/audio.mp3"), "preload": "auto", "controls": ""}),
		d.el("p", nil, d.text("Below the players")),
		d.el("img", map[string]any{"id": "control", "src": u("/control.png"), "width": "40", "height": "40"}),
	)
	bodyID := bodyOf(doc)["id"].(int)
	t0 := time.Now().Add(-time.Minute).UnixMilli()
	late := d.next + 100
	events := []string{
		metaEv(t0, "https://media.example/"),
		fullEv(t0+1, doc),
		// Later: a new video and a preload link; the first video gains a new poster and
		// source, and the harmless link turns into a prefetch.
		evJSON(3, t0+300, map[string]any{"source": 0, "texts": []any{}, "removes": []any{},
			"attributes": []any{
				map[string]any{"id": video["id"], "attributes": map[string]any{"poster": u("/late-poster.png"), "src": u("/late-src.mp4")}},
				map[string]any{"id": author["id"], "attributes": map[string]any{"rel": "prefetch"}},
			},
			"adds": []any{
				map[string]any{"parentId": bodyID, "nextId": nil, "node": map[string]any{"type": 2, "tagName": "video", "attributes": map[string]any{"src": u("/late.mp4"), "preload": "auto"}, "childNodes": []any{}, "id": late}},
				map[string]any{"parentId": bodyID, "nextId": nil, "node": map[string]any{"type": 2, "tagName": "link", "attributes": map[string]any{"rel": "preload", "as": "fetch", "href": u("/late-preload")}, "childNodes": []any{}, "id": late + 1}},
			}}),
		// Then an image, which the replay does load: the sign that playback went past the
		// mutation above.
		evJSON(3, t0+600, map[string]any{"source": 0, "texts": []any{}, "removes": []any{}, "attributes": []any{},
			"adds": []any{
				map[string]any{"parentId": bodyID, "nextId": nil, "node": map[string]any{"type": 2, "tagName": "img", "attributes": map[string]any{"id": "control2", "src": u("/control2.png")}, "childNodes": []any{}, "id": late + 2}},
			}}),
		moveEv(t0+1500, 40, 220),
	}
	ingest(t, r, "s_mediafetch01", "t_tab00000001", 0, events)

	res, err := http.Get(r.URL + "/sessions/s_mediafetch01")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if p := res.Header.Get("Referrer-Policy"); p != "no-referrer" {
		t.Errorf("dashboard Referrer-Policy = %q, want no-referrer", p)
	}

	run(t, ctx, "log in and see the list's preview", append(loginActions(r),
		waitFor(`(() => { const p = document.querySelector('[data-testid=session-row][data-session-id=s_mediafetch01] [data-testid=preview]'); return p && p.dataset.state === "ready"; })()`))...)
	run(t, ctx, "open the session",
		chromedp.Navigate(r.URL+"/sessions/s_mediafetch01"),
		waitFor(`document.body.dataset.playerReady === "1"`),
		waitFor(contains(frameText, "Media page")),
		waitFor(contains(frameText, "Below the players")),
		waitFor(`(() => { const f = document.querySelector('[data-testid=player] iframe'); return !!f.contentDocument.getElementById('control2') && [...f.contentDocument.images].every(i => i.complete); })()`),
	)
	for !func() bool { ok, _ := seen("/control2.png"); return ok }() {
		run(t, ctx, "wait for the replay's images", chromedp.Sleep(100*time.Millisecond))
	}

	var frame struct {
		Policy, Text string
		Fetching     []string
		Media        []string
		Images       int
	}
	run(t, ctx, "read the replay frame", chromedp.Evaluate(`(() => {
		const f = document.querySelector('[data-testid=player] iframe');
		const doc = f.contentDocument;
		const rels = ["prefetch", "preload", "dns-prefetch", "preconnect", "modulepreload", "prerender"];
		return {
			policy: f.getAttribute('referrerpolicy') || "",
			text: doc.body.innerText,
			fetching: [...doc.querySelectorAll('link')].filter(l => rels.some(r => l.relList.contains(r))).map(l => l.outerHTML),
			media: [...doc.querySelectorAll('video, audio, source, track')].filter(m => m.getAttribute('src') || m.getAttribute('poster') || m.getAttribute('srcset')).map(m => m.outerHTML),
			images: [...doc.images].filter(i => i.naturalWidth > 0).length,
		};
	})()`, &frame))
	if frame.Policy != "no-referrer" {
		t.Errorf("replay frame referrerpolicy = %q, want no-referrer", frame.Policy)
	}
	if len(frame.Fetching) > 0 || len(frame.Media) > 0 {
		t.Errorf("the replay kept fetching links %v and media sources %v", frame.Fetching, frame.Media)
	}
	if !strings.Contains(frame.Text, "Media page") || !strings.Contains(frame.Text, "Below the players") || frame.Images != 2 {
		t.Errorf("the replay lost its page: text %q, %d images shown (want 2)", frame.Text, frame.Images)
	}
	_, all := seen("")
	for _, h := range all {
		if !strings.HasPrefix(h.path, "/control") {
			t.Errorf("the recorded site was asked for %s by the replay", h.path)
		}
		if h.referer != "" {
			t.Errorf("a request for %s carried Referer %q", h.path, h.referer)
		}
	}
	t.Logf("requests the recorded site saw: %v", all)
}
