package e2e

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestPlayerNumbersAgree records a visit to the demo shop (two pages, clicks on named buttons, a
// call to another host with a secret in its query) and reads what a person sees once it is
// analysed: the list's duration, active time and pages are the Session pane's, the summary
// counts the same pages, click rows name the element clicked, and the network row shows the
// other host with its redacted value readable.
func TestPlayerNumbersAgree(t *testing.T) {
	r := startReelWith(t, t.TempDir(), "--compact-idle", "1s")
	ctx := browser(t)
	// The shop's Content-Security-Policy stops the call; the SDK records it failed, which is
	// what a row must show as plainly as any other.
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		w.Header().Set("Access-Control-Allow-Origin", "*")
		w.Write([]byte(`{"rate":1.1}`))
	}))
	defer other.Close()
	otherHost := "localhost:" + other.URL[strings.LastIndex(other.URL, ":")+1:]

	var sessionID string
	run(t, ctx, "visit the shop",
		chromedp.Navigate(r.URL+"/demo/"),
		waitFor(visible(`[data-testid=add-to-cart]`)),
		waitFor(`Reel.getSessionId()`),
		chromedp.Click(`[data-testid=add-to-cart]`, chromedp.ByQuery),
		chromedp.Evaluate(`fetch("http://`+otherHost+`/rates?token=s3cret&cur=EUR").then(() => true, () => true)`, nil, awaitPromise),
		chromedp.Sleep(300*time.Millisecond),
		chromedp.Click(`[data-testid=cart-link]`, chromedp.ByQuery),
		waitFor(visible(`[data-testid=apply-coupon]`)),
		chromedp.Click(`[data-testid=apply-coupon]`, chromedp.ByQuery),
		chromedp.Sleep(1500*time.Millisecond),
		chromedp.Click(`[data-testid=apply-coupon]`, chromedp.ByQuery),
		chromedp.Evaluate(`Reel.flush().then(() => Reel.getSessionId())`, &sessionID, awaitPromise),
	)
	if sessionID == "" {
		t.Fatal("the SDK has no session id")
	}
	// Compaction may analyse the first page before the cart's batches arrive; the analysis of
	// the whole visit names the cart.
	eventually(t, r, 90*time.Second, "the whole visit analysed", func() bool {
		var s map[string]any
		r.api(t, "/api/v1/sessions/"+sessionID, &s)
		sum, _ := s["summary"].(string)
		return strings.Contains(sum, "/demo/cart.html")
	})

	// The list's numbers, read off the row.
	var row []string
	run(t, ctx, "the list", append(loginActions(r),
		chromedp.Navigate(r.URL+"/"),
		waitFor(visible(`[data-session-id="`+sessionID+`"]`)),
		chromedp.Evaluate(`[...document.querySelectorAll('[data-session-id="`+sessionID+`"] td.num')].map(td => td.innerText.trim())`, &row),
	)...)
	look(t, ctx, "numbers-list.png")
	if len(row) < 3 {
		t.Fatalf("list row numbers = %q", row)
	}
	listDuration, listActive, listPages := row[0], row[1], row[2]

	// The Session pane and the summary.
	var paneDuration, paneActive, panePages, summary string
	var visited int
	run(t, ctx, "the Session pane",
		chromedp.Navigate(r.URL+"/sessions/"+sessionID),
		waitFor(`document.body.dataset.playerReady === "1"`),
		chromedp.Click(`[data-testid=pane-session]`, chromedp.ByQuery),
		waitFor(visible(`[data-testid=summary]`)),
		// The player builds "Pages visited" as the events arrive: wait for what the list says
		// (a count that never gets there fails here, as a disagreement).
		waitFor(`document.querySelectorAll('[data-testid=pages] li').length >= `+listPages),
		chromedp.Text(`[data-testid=duration]`, &paneDuration, chromedp.ByQuery),
		chromedp.Text(`[data-testid=active-time]`, &paneActive, chromedp.ByQuery),
		chromedp.Text(`[data-testid=page-count]`, &panePages, chromedp.ByQuery),
		chromedp.Text(`[data-testid=summary]`, &summary, chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelectorAll('[data-testid=pages] li').length`, &visited),
	)
	look(t, ctx, "numbers-session-pane.png")
	summaryPages := 1
	if m := regexp.MustCompile(`visited (\d+) pages`).FindStringSubmatch(summary); m != nil {
		summaryPages, _ = strconv.Atoi(m[1])
	} else if !strings.Contains(summary, "stayed on") {
		t.Errorf("summary %q counts no pages", summary)
	}
	if paneDuration != listDuration || paneActive != listActive || panePages != listPages {
		t.Errorf("Session pane says duration %s, active %s, %s pages; the list %s, %s, %s", paneDuration, paneActive, panePages, listDuration, listActive, listPages)
	}
	if fmt.Sprint(summaryPages) != listPages || fmt.Sprint(visited) != listPages || listPages != "2" {
		t.Errorf("pages: list %s, summary %d (%q), Pages visited %d; want 2 everywhere", listPages, summaryPages, summary, visited)
	}
	if listActive == "–" || listActive == "<1s" {
		t.Errorf("active time %q, want the seconds between the clicks", listActive)
	}

	// Click rows name the element; the network row shows the other host, readable.
	var clicks []string
	run(t, ctx, "the Events pane",
		chromedp.Click(`[data-testid=pane-events]`, chromedp.ByQuery),
		waitFor(`[...document.querySelectorAll('[data-testid=pane-body-events] *')].some(e => /^Click/.test(e.innerText || ""))`),
		chromedp.Evaluate(`[...document.querySelectorAll('[data-testid=pane-body-events] button, [data-testid=pane-body-events] li')].map(e => e.innerText.replace(/\s+/g, " ").trim()).filter(s => /Click/.test(s))`, &clicks),
	)
	look(t, ctx, "numbers-events.png")
	joined := strings.Join(clicks, "\n")
	if !strings.Contains(joined, `"Apply coupon"`) || strings.Contains(joined, "Click at") {
		t.Errorf("click rows = %q, want them to name the coupon button and no position", clicks)
	}
	var urls []string
	var overlap bool
	run(t, ctx, "the Network pane",
		chromedp.Click(`[data-testid=pane-network]`, chromedp.ByQuery),
		waitFor(visible(`[data-testid=request-url]`)),
		chromedp.Evaluate(`[...document.querySelectorAll('[data-testid=request-url]')].map(e => e.innerText)`, &urls),
		// The status ends before the URL starts.
		chromedp.Evaluate(`[...document.querySelectorAll('.nrow')].some(r => r.querySelector('[data-testid=status]').getBoundingClientRect().right > r.querySelector('[data-testid=request-url]').getBoundingClientRect().left)`, &overlap),
	)
	look(t, ctx, "numbers-network.png")
	want := otherHost + "/rates?token=[redacted]&cur=EUR"
	if !strings.Contains(strings.Join(urls, "\n"), want) {
		t.Errorf("network rows = %q, want %q", urls, want)
	}
	if overlap {
		t.Error("a network row's status overlaps its URL")
	}
}

// TestPlayerSkipBannerGoesOnPause: "Skipping inactivity…" says what playback is doing; paused in
// the middle of a skipped stretch, the banner is gone and the clock still reads within it.
func TestPlayerSkipBannerGoesOnPause(t *testing.T) {
	r := startReel(t, t.TempDir())
	ctx := browser(t)
	t0 := time.Now().Add(-time.Hour).UnixMilli()
	var d dom
	doc := d.page(d.el("h1", nil, d.text("Idle page")))
	const id = "s_skipbanner01"
	ingest(t, r, id, "t_tab00000001", 0, []string{
		metaEv(t0, "https://shop.example/"),
		fullEv(t0+1, doc),
		moveEv(t0+500, 10, 10),
		moveEv(t0+1000, 20, 20),
		// Ten idle minutes: rrweb skips them in a few seconds.
		moveEv(t0+601_000, 30, 30),
		moveEv(t0+602_000, 40, 40),
	})
	var banner, state string
	var at float64
	run(t, ctx, "play into the idle stretch", append(loginActions(r),
		chromedp.Navigate(r.URL+"/sessions/"+id+"?t=0"),
		waitFor(`document.body.dataset.playerReady === "1"`),
		chromedp.Click(`[data-testid=play]`, chromedp.ByQuery),
		waitFor(visible(`.skipping`)),
		chromedp.Click(`[data-testid=play]`, chromedp.ByQuery),
		waitFor(`document.querySelector('[data-testid=play]').dataset.state === "paused"`),
		chromedp.Evaluate(`document.querySelector('.skipping') ? document.querySelector('.skipping').innerText : ""`, &banner),
		chromedp.Evaluate(`document.querySelector('[data-testid=play]').dataset.state`, &state),
		chromedp.Evaluate(`Number(document.querySelector('[data-testid=time]').dataset.currentMs) / 1000`, &at),
	)...)
	look(t, ctx, "numbers-paused-in-skip.png")
	if banner != "" {
		t.Errorf("paused (%s at %.0f s), the player still shows %q", state, at, banner)
	}
}
