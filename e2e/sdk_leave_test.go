package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"sort"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
)

// TestSdkLeavingLosesNothing leaves a busy page at random moments (tab closed through
// Target.closeTarget or Page.close, or navigated to another origin) and finds every tracked
// tick on the server, each once. Each visit is checked before the next one opens, and the test
// page clears the site's storage before it starts the SDK, so nothing arrives through a later
// page view of the site: what the server has is what the page sent as it went away.
func TestSdkLeavingLosesNothing(t *testing.T) {
	r := startReel(t, t.TempDir())
	key := publicKey(t, r)
	site := sdkSite(t, r.URL, key)
	ctx := browser(t)
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 19))
	// Another origin on the same server: localhost instead of 127.0.0.1.
	other := "http://localhost:" + site.URL[len("http://127.0.0.1:"):] + "/elsewhere"

	ways := []string{"closeTarget", "page.close", "navigate away"}
	for trial := range 12 {
		way := ways[trial%len(ways)]
		// Early (first snapshot still being sent), mid-interval and late moments; a short flush
		// interval in some visits, the default (5 s, so up to ~150 kB pending) in others.
		wait := time.Duration(100+rng.IntN(4500)) * time.Millisecond
		opts := `{}`
		if trial%4 == 3 {
			opts = `{"flushIntervalMs": 700}`
		}
		t.Run(fmt.Sprintf("%d %s after %v", trial, way, wait), func(t *testing.T) {
			tctx, cancel := chromedp.NewContext(ctx)
			defer cancel()
			// The tab is made by a first Run on its own context (a timeout's cancel would close it).
			if err := chromedp.Run(tctx); err != nil {
				t.Fatal(err)
			}
			var session string
			run(t, tctx, "open", chromedp.Navigate(sdkPage(site, "leave.html", opts)), waitFor(`window.Reel && Reel.getSessionId()`),
				chromedp.Evaluate(`Reel.getSessionId()`, &session))
			time.Sleep(wait)
			var ticks int
			run(t, tctx, "count", chromedp.Evaluate(`window.n`, &ticks))
			leave(t, tctx, way, other)
			if ticks == 0 {
				t.Fatalf("the page tracked nothing in %v", wait)
			}
			got := waitForTicks(t, r, session, ticks)
			t.Logf("%d ticks counted before leaving, %d arrived", ticks, len(got))
		})
	}
}

// leave makes the page go away the given way, without waiting for anything the page does.
func leave(t *testing.T, tctx context.Context, way, other string) {
	t.Helper()
	c := chromedp.FromContext(tctx)
	var err error
	switch way {
	case "closeTarget":
		err = chromedp.Run(tctx, chromedp.ActionFunc(func(ctx context.Context) error {
			return target.CloseTarget(c.Target.TargetID).Do(cdp.WithExecutor(ctx, c.Browser))
		}))
	case "page.close":
		err = chromedp.Run(tctx, page.Close())
	default:
		_, _, _, _, err = page.Navigate(other).Do(cdp.WithExecutor(tctx, c.Target))
	}
	if err != nil {
		t.Fatalf("%s: %v", way, err)
	}
}

// waitForTicks waits until the session holds the ticks 0…n-1 (the page may have tracked a few
// more before it went), and fails when one is missing or arrived twice.
func waitForTicks(t *testing.T, r *reel, session string, n int) map[int]int {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for {
		got := map[int]int{}
		for _, p := range customs(eventsIfAny(t, r, session), "reel.track") {
			if p["name"] != "tick" {
				continue
			}
			props, _ := p["props"].(map[string]any)
			i, _ := props["i"].(float64)
			got[int(i)]++
		}
		var missing, twice []int
		max := n - 1
		for i := range got {
			max = maxInt(max, i)
		}
		for i := 0; i <= max; i++ {
			switch {
			case got[i] == 0:
				missing = append(missing, i)
			case got[i] > 1:
				twice = append(twice, i)
			}
		}
		if len(twice) > 0 {
			t.Fatalf("ticks arrived more than once: %v", twice)
		}
		if len(missing) == 0 {
			return got
		}
		if time.Now().After(deadline) {
			sort.Ints(missing)
			t.Fatalf("%d of %d ticks never arrived (first %v, last %d); arrived: %d", len(missing), max+1, missing[:min(len(missing), 10)], missing[len(missing)-1], len(got))
		}
		time.Sleep(250 * time.Millisecond)
	}
}

func maxInt(a, b int) int {
	if a > b {
		return a
	}
	return b
}

// eventsIfAny returns the session's events, or none while the server does not know it yet.
func eventsIfAny(t *testing.T, r *reel, session string) []event {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, r.URL+"/api/v1/sessions/"+session+"/events", nil)
	req.Header.Set("Authorization", "Bearer "+adminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return nil
	}
	var evs []event
	if err := json.NewDecoder(resp.Body).Decode(&evs); err != nil || resp.StatusCode != http.StatusOK {
		t.Fatalf("events of %s: %d %v", session, resp.StatusCode, err)
	}
	return evs
}
