package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

func ingestCount(p *ingestProxy) int { return len(p.seen()) }

// TestSdkControls covers the switches a site has: sampling, consent, minimum duration,
// stop/start, and remote configuration merged under the site's own options.
func TestSdkControls(t *testing.T) {
	r := startReel(t, t.TempDir())
	key := publicKey(t, r)
	proxy := newIngestProxy(t, r.URL)
	site := sdkSite(t, proxy.URL, key)
	outer := t
	// Each case gets a fresh browser profile; the outer test owns it, so its directory is
	// removed after Chromium exited.
	fresh := func(t *testing.T, opts string) context.Context {
		ctx := browser(outer)
		run(t, ctx, "open", chromedp.Navigate(sdkPage(site, "sdk.html", opts)), chromedp.Sleep(700*time.Millisecond))
		return ctx
	}

	t.Run("sampled out sessions send nothing, and stay out", func(t *testing.T) {
		before := ingestCount(proxy)
		current := fresh(t, `{"sampleRate": 0, "flushIntervalMs": 200}`)
		var id any
		var rec string
		run(t, current, "check", chromedp.Evaluate(`Reel.getSessionId()`, &id), chromedp.Evaluate(`localStorage["reel:session"]`, &rec),
			chromedp.Evaluate(`location.reload()`, nil), chromedp.Sleep(700*time.Millisecond))
		if id != nil || !strings.Contains(rec, `"rec":false`) {
			t.Errorf("sampled out: session id %v, record %s", id, rec)
		}
		var again string
		run(t, current, "after reload", chromedp.Evaluate(`localStorage["reel:session"]`, &again))
		if again[:30] != rec[:30] || ingestCount(proxy) != before {
			t.Errorf("decision not kept across pages (%s → %s) or batches sent", rec, again)
		}
	})

	t.Run("consent gates recording and is remembered", func(t *testing.T) {
		current := fresh(t, `{"requireConsent": true}`)
		var id any
		run(t, current, "before consent", chromedp.Evaluate(`Reel.getSessionId()`, &id))
		if id != nil {
			t.Fatalf("recording before consent: %v", id)
		}
		run(t, current, "consent", chromedp.Evaluate(`Reel.consent(true)`, nil), waitFor(`Reel.getSessionId()`),
			chromedp.Evaluate(`location.reload()`, nil), chromedp.Sleep(300*time.Millisecond), waitFor(`window.Reel && Reel.getSessionId()`))
		var keys int
		run(t, current, "withdraw", chromedp.Evaluate(`Reel.track("x"); Reel.consent(false)`, nil),
			chromedp.Evaluate(`Reel.getSessionId()`, &id),
			chromedp.Evaluate(`Object.keys(localStorage).filter(k => k.startsWith("reel:b:")).length`, &keys))
		if id != nil || keys != 0 {
			t.Errorf("after consent(false): session %v, %d stored batches", id, keys)
		}
	})

	t.Run("minimum duration holds uploads", func(t *testing.T) {
		current := fresh(t, `{"minDurationMs": 3000, "flushIntervalMs": 200}`)
		var sid string
		run(t, current, "track", waitFor(`Reel.getSessionId()`), chromedp.Evaluate(`Reel.track("held"); Reel.getSessionId()`, &sid), chromedp.Sleep(1000*time.Millisecond))
		// Other cases' pages are still open and may send; count this session's batches only.
		n := 0
		for _, q := range proxy.seen() {
			if strings.Contains(q.body, sid) {
				n++
			}
		}
		if n != 0 {
			t.Errorf("%d batches sent before the minimum duration", n)
		}
		id := flushSession(t, current, "flush after the minimum")
		expectOnce(t, marks(t, r, id), "held")
	})

	t.Run("stop and start", func(t *testing.T) {
		current := fresh(t, `{}`)
		var id, after string
		var stopped any
		run(t, current, "stop/start",
			waitFor(`Reel.getSessionId()`),
			chromedp.Evaluate(`Reel.getSessionId()`, &id),
			chromedp.Evaluate(`Reel.track("before-stop"); Reel.stop(); Reel.track("while-stopped"); Reel.getSessionId()`, &stopped),
			chromedp.Evaluate(`Reel.start()`, nil),
			waitFor(`Reel.getSessionId()`),
			chromedp.Evaluate(`Reel.track("after-start"); Reel.getSessionId()`, &after),
		)
		if stopped != nil || after != id {
			t.Fatalf("stopped id %v, session %s then %s", stopped, id, after)
		}
		flushSession(t, current, "flush")
		got := marks(t, r, id)
		expectOnce(t, got, "before-stop", "after-start")
		if got["while-stopped"] != 0 {
			t.Errorf("recorded while stopped")
		}
	})

	t.Run("remote configuration applies under the site's options", func(t *testing.T) {
		proxy.mu.Lock()
		proxy.config = `{"maskAllText": true, "console": false, "network": false}`
		proxy.mu.Unlock()
		defer func() { proxy.mu.Lock(); proxy.config = ""; proxy.mu.Unlock() }()
		current := fresh(t, `{"console": true}`)
		run(t, current, "act", waitFor(`Reel.getSessionId()`), chromedp.Evaluate(`console.log("console-kept"); fetch("/echo")`, nil), chromedp.Sleep(300*time.Millisecond))
		id := flushSession(t, current, "flush")
		evs, raw := sessionEvents(t, r, id)
		if strings.Contains(raw, "VisibleParagraphText") {
			t.Errorf("remote maskAllText not applied")
		}
		if !strings.Contains(raw, "console-kept") {
			t.Errorf("site's console: true lost to the remote console: false")
		}
		if n := customs(evs, "reel.network"); len(n) != 0 {
			t.Errorf("remote network: false not applied: %v", n)
		}
	})
}
