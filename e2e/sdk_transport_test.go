package e2e

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/chromedp/cdproto/heapprofiler"
	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// marks counts, per mark name, how often a reel.track event with that name reached the server.
func marks(t *testing.T, r *reel, session string) map[string]int {
	t.Helper()
	evs, _ := sessionEvents(t, r, session)
	n := map[string]int{}
	for _, p := range customs(evs, "reel.track") {
		n[p["name"].(string)]++
	}
	return n
}

func expectOnce(t *testing.T, got map[string]int, names ...string) {
	t.Helper()
	for _, name := range names {
		if got[name] != 1 {
			t.Errorf("mark %q arrived %d times, want exactly once", name, got[name])
		}
	}
}

// TestSdkTransportLosesNothing puts a proxy between the SDK and a real Reel server and fails
// the network in each way the SDK must survive.
func TestSdkTransportLosesNothing(t *testing.T) {
	r := startReel(t, t.TempDir())
	key := publicKey(t, r)
	proxy := newIngestProxy(t, r.URL)
	site := sdkSite(t, proxy.URL, key)
	ctx := browser(t)
	run(t, ctx, "open", chromedp.Navigate(sdkPage(site, "sdk.html", `{"flushIntervalMs": 300}`)), waitFor(`window.Reel && Reel.getSessionId()`))

	t.Run("server down then up", func(t *testing.T) {
		proxy.set("down", 0)
		var names []string
		for i := range 10 {
			name := fmt.Sprintf("down-%d", i)
			names = append(names, name)
			run(t, ctx, "track", chromedp.Evaluate(fmt.Sprintf(`Reel.track(%q)`, name), nil), chromedp.Sleep(300*time.Millisecond))
		}
		time.Sleep(2 * time.Second)
		failed := 0
		for _, q := range proxy.seen() {
			if q.status == -1 {
				failed++
			}
		}
		if failed == 0 {
			t.Fatalf("the SDK did not try while the server was down")
		}
		proxy.set("", 0)
		id := flushSession(t, ctx, "flush after the server is back")
		expectOnce(t, marks(t, r, id), names...)
	})

	t.Run("429 waits for Retry-After", func(t *testing.T) {
		proxy.set("429", 1)
		before := len(proxy.seen())
		run(t, ctx, "track", chromedp.Evaluate(`Reel.track("after-429")`, nil))
		id := flushSession(t, ctx, "flush through a 429")
		reqs := proxy.seen()[before:]
		if len(reqs) < 2 || reqs[0].status != 429 {
			t.Fatalf("want a 429 then a retry, got %d requests", len(reqs))
		}
		if gap := reqs[1].at.Sub(reqs[0].at); gap < 1900*time.Millisecond {
			t.Errorf("retried %v after a 429 with Retry-After: 2", gap)
		}
		expectOnce(t, marks(t, r, id), "after-429")
	})

	t.Run("reload mid-batch", func(t *testing.T) {
		var id string
		run(t, ctx, "track and reload at once",
			chromedp.Evaluate(`Reel.getSessionId()`, &id),
			chromedp.Evaluate(`Reel.track("before-reload"); location.reload()`, nil),
			chromedp.Sleep(300*time.Millisecond),
			waitFor(`window.Reel && Reel.getSessionId()`),
		)
		if again := flushSession(t, ctx, "flush after reload"); again != id {
			t.Fatalf("session changed across reload: %s then %s", id, again)
		}
		expectOnce(t, marks(t, r, id), "before-reload")
	})

	// The issue asks for an hour offline; the test holds the browser offline for 20 s while
	// the page produces ~6 MB of events (far more than an hour of a typical page), which
	// exercises the same bounds: storage stays under its 4 MiB cap, memory stays bounded, and
	// everything arrives once when the network is back.
	t.Run("offline with bounded memory", func(t *testing.T) {
		run(t, ctx, "go offline", network.Enable(), network.EmulateNetworkConditions(true, 0, -1, -1))
		start := time.Now()
		var names []string
		for i := 0; time.Since(start) < 20*time.Second; i++ {
			name := fmt.Sprintf("offline-%d", i)
			names = append(names, name)
			run(t, ctx, "track", chromedp.Evaluate(fmt.Sprintf(`Reel.track(%q, {pad: Array(1500).fill("abcdefgh")})`, name), nil), chromedp.Sleep(30*time.Millisecond))
		}
		var stored int
		run(t, ctx, "measure storage",
			chromedp.Evaluate(`Object.keys(localStorage).filter(k => k.startsWith("reel:b:")).reduce((n, k) => n + k.length + localStorage[k].length, 0)`, &stored))
		if stored > 4*1024*1024+4096 {
			t.Errorf("stored batches hold %d chars, over the 4 MiB cap", stored)
		}
		var heap float64
		run(t, ctx, "measure heap", heapprofiler.CollectGarbage(), chromedp.ActionFunc(func(ctx context.Context) error {
			used, _, _, _, err := runtime.GetHeapUsage().Do(ctx)
			heap = used
			return err
		}))
		t.Logf("%d marks offline; %d chars in storage; JS heap %.1f MB", len(names), stored, heap/1e6)
		if heap > 96e6 {
			t.Errorf("JS heap %.1f MB after 20 s offline", heap/1e6)
		}
		run(t, ctx, "go online", network.EmulateNetworkConditions(false, 0, -1, -1))
		id := flushSession(t, ctx, "flush once online")
		got := marks(t, r, id)
		expectOnce(t, got, names...)
	})
}
