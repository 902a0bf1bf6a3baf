package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestSdkAssetsCrossTheWireOnce checks that a page's stylesheet travels in `assets` on the
// first page view only, that later views send just its marker, that the events API returns
// it resolved, and that a server lacking an asset the SDK believed acknowledged (409
// missing_content) gets it re-sent.
func TestSdkAssetsCrossTheWireOnce(t *testing.T) {
	r := startReel(t, t.TempDir())
	key := publicKey(t, r)
	proxy := newIngestProxy(t, r.URL)
	site := sdkSite(t, proxy.URL, key)
	ctx := browser(t)

	const css = "grid-template-columns"
	run(t, ctx, "first view", chromedp.Navigate(sdkPage(site, "sdk.html", "")), waitFor(`window.Reel && Reel.getSessionId()`))
	id := flushSession(t, ctx, "flush first view")
	first := len(proxy.seen())
	run(t, ctx, "second view", chromedp.Navigate(sdkPage(site, "sdk.html", "")), waitFor(`window.Reel && Reel.getSessionId()`))
	flushSession(t, ctx, "flush second view")

	withCSS := func(reqs []proxied) (n int) {
		for _, q := range reqs {
			if strings.Contains(q.body, css) {
				n++
			}
		}
		return n
	}
	all := proxy.seen()
	if withCSS(all[:first]) == 0 {
		t.Fatalf("the first view never sent the stylesheet")
	}
	if n := withCSS(all[first:]); n != 0 {
		t.Errorf("the second view sent the stylesheet again in %d requests", n)
	}
	if !strings.Contains(strings.Join(func() []string {
		var b []string
		for _, q := range all[first:] {
			b = append(b, q.body)
		}
		return b
	}(), ""), `\u0000reel:a:`) {
		t.Errorf("the second view sent no asset marker")
	}
	_, raw := sessionEvents(t, r, id)
	if strings.Count(raw, css) < 2 || strings.Contains(raw, `\u0000reel:a:`) {
		t.Errorf("events API: stylesheet resolved %d times, markers left: %v", strings.Count(raw, css), strings.Contains(raw, `\u0000reel:a:`))
	}

	// A server that never saw the asset (its data was reset) while the SDK's cache says it
	// was acknowledged: only the marker goes out, the server answers 409, the SDK re-sends.
	// The cache is per site origin, so a second site gets the first one's cache copied in.
	var cache string
	run(t, ctx, "read cache", chromedp.Evaluate(`localStorage["reel:assets"] || ""`, &cache))
	if cache == "" || cache == "[]" {
		t.Fatalf("no acknowledged hashes cached")
	}
	fresh := startReel(t, t.TempDir())
	proxy.retarget(fresh.URL)
	site2 := sdkSite(t, proxy.URL, publicKey(t, fresh))
	before := len(proxy.seen())
	run(t, ctx, "seed the cache and view",
		chromedp.Navigate(site2.URL+"/echo"),
		chromedp.Evaluate(`localStorage["reel:assets"] = `+"`"+cache+"`", nil),
		chromedp.Navigate(sdkPage(site2, "sdk.html", "")),
		waitFor(`window.Reel && Reel.getSessionId()`),
	)
	id2 := flushSession(t, ctx, "flush against the fresh server")
	saw409 := false
	for _, q := range proxy.seen()[before:] {
		saw409 = saw409 || q.status == 409
	}
	if !saw409 {
		t.Errorf("the fresh server never answered 409 missing_content")
	}
	_, raw2 := sessionEvents(t, fresh, id2)
	if !strings.Contains(raw2, css) {
		t.Errorf("after 409 the stylesheet did not arrive")
	}
}

// TestSdkMutationStormDegradesGracefully floods the page with DOM changes: the SDK pauses
// mutations, reports a reel.health event, takes a fresh snapshot, and every batch is accepted.
func TestSdkMutationStormDegradesGracefully(t *testing.T) {
	r := startReel(t, t.TempDir())
	key := publicKey(t, r)
	proxy := newIngestProxy(t, r.URL)
	site := sdkSite(t, proxy.URL, key)
	ctx := browser(t)
	run(t, ctx, "storm",
		chromedp.Navigate(sdkPage(site, "sdk.html", `{"flushIntervalMs": 500}`)),
		waitFor(`window.Reel && Reel.getSessionId()`),
		chromedp.Evaluate(`(async () => {
			const box = document.getElementById("storm");
			const end = Date.now() + 3000;
			let n = 0;
			while (Date.now() < end) {
				const f = document.createDocumentFragment();
				for (let i = 0; i < 3000; i++) { const s = document.createElement("span"); s.title = "storm-" + (n++); f.appendChild(s); }
				box.replaceChildren(f);
				await new Promise((r) => setTimeout(r, 16));
			}
			box.replaceChildren();
			document.getElementById("out").textContent = "after-the-storm";
		})()`, nil, awaitPromise),
		chromedp.Sleep(2500*time.Millisecond),
	)
	id := flushSession(t, ctx, "flush")
	for _, q := range proxy.seen() {
		if q.status != 200 {
			t.Errorf("an ingest request got %d", q.status)
		}
	}
	evs, raw := sessionEvents(t, r, id)
	h := customs(evs, "reel.health")
	var storm bool
	for _, p := range h {
		storm = storm || p["kind"] == "mutation-storm"
	}
	if !storm {
		t.Fatalf("no mutation-storm health event: %v", h)
	}
	snaps := 0
	for _, e := range evs {
		if e.Type == 2 {
			snaps++
		}
	}
	if snaps < 2 || !strings.Contains(raw, "after-the-storm") {
		t.Errorf("after the storm: %d full snapshots, final state recorded %v", snaps, strings.Contains(raw, "after-the-storm"))
	}
	t.Logf("%d events, %d bytes stored, health %v", len(evs), len(raw), h)
}
