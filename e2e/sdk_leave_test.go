package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"net/url"
	"sort"
	"strings"
	"sync"
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
//
// Chromium gives a closing page 500 ms to run its handlers and then ends its process; on a
// machine loaded far past its cores the page may not even be scheduled in that time, and
// nothing any script does can leave then. The page's own pagehide listener, which runs after
// the SDK's, sends a beacon to the test: a visit whose beacon arrived must have all its ticks;
// one whose beacon never came is run again (at most 12 such visits in all).
func TestSdkLeavingLosesNothing(t *testing.T) {
	r := startReel(t, t.TempDir())
	key := publicKey(t, r)
	proxy := newIngestProxy(t, r.URL)
	site := sdkSite(t, proxy.URL, key)
	ctx := browser(t)
	rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 19))
	// Another origin on the same server: localhost instead of 127.0.0.1.
	other := "http://localhost:" + site.URL[len("http://127.0.0.1:"):] + "/elsewhere"

	var mu sync.Mutex
	marks := map[string]bool{}
	witness := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		marks[r.URL.Query().Get("s")] = true
		mu.Unlock()
		w.Header().Set("Access-Control-Allow-Origin", "*")
	}))
	t.Cleanup(witness.Close)
	said := func(session string) bool {
		mu.Lock()
		defer mu.Unlock()
		return marks[session]
	}

	ways := []string{"closeTarget", "page.close", "navigate away"}
	redone := 0
	for trial := 0; trial < 12; trial++ {
		way := ways[trial%len(ways)]
		// Early (first snapshot still being sent), mid-interval and late moments; a short flush
		// interval in some visits, the default (5 s, so up to ~150 kB pending) in others.
		wait := time.Duration(100+rng.IntN(4500)) * time.Millisecond
		opts := `{}`
		if trial%4 == 3 {
			opts = `{"flushIntervalMs": 700}`
		}
		again := false
		t.Run(fmt.Sprintf("%d %s after %v", trial, way, wait), func(t *testing.T) {
			tctx, cancel := chromedp.NewContext(ctx)
			defer cancel()
			// The tab is made by a first Run on its own context (a timeout's cancel would close it).
			if err := chromedp.Run(tctx); err != nil {
				t.Fatal(err)
			}
			var session string
			run(t, tctx, "open", chromedp.Navigate(sdkPage(site, "leave.html", opts)+"&mark="+url.QueryEscape(witness.URL)), waitFor(`window.Reel && Reel.getSessionId()`),
				chromedp.Evaluate(`Reel.getSessionId()`, &session))
			time.Sleep(wait)
			var ticks int
			run(t, tctx, "count", chromedp.Evaluate(`window.n`, &ticks))
			leave(t, tctx, way, other)
			if ticks == 0 {
				t.Fatalf("the page tracked nothing in %v", wait)
			}
			// The witness's beacon leaves after the SDK's requests; give it a moment.
			for end := time.Now().Add(5 * time.Second); !said(session) && time.Now().Before(end); {
				time.Sleep(100 * time.Millisecond)
			}
			if !said(session) {
				t.Logf("the page's own pagehide beacon never came (the browser ended the page first): visit run again")
				again = true
				return
			}
			got := waitForTicks(t, r, session, ticks, func() string { return requestsOf(proxy, session) })
			t.Logf("%d ticks counted before leaving, %d arrived; requests: %s", ticks, len(got), requestsOf(proxy, session))
		})
		if again {
			if redone++; redone > 12 {
				t.Fatalf("%d visits ended before their pagehide listeners could run", redone)
			}
			trial--
		}
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
func waitForTicks(t *testing.T, r *reel, session string, n int, requests func() string) map[int]int {
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
			t.Fatalf("%d of %d ticks never arrived (first %v, last %d); arrived: %d; requests: %s", len(missing), max+1, missing[:min(len(missing), 10)], missing[len(missing)-1], len(got), requests())
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

// requestsOf lists the ingest requests of a session the proxy saw: seq, body size, status.
func requestsOf(p *ingestProxy, session string) string {
	var out []string
	for _, q := range p.seen() {
		var b struct {
			Session string
			Seq     int
		}
		if json.Unmarshal([]byte(q.body), &b) == nil && b.Session == session {
			out = append(out, fmt.Sprintf("seq %d %d B %d", b.Seq, len(q.body), q.status))
		}
	}
	return strings.Join(out, ", ")
}
