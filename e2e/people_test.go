package e2e

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"image"
	"image/png"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

const uaChrome = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36"

const uaIPhone = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1"

// ingestTab sends one batch of one tab with the given user agent through the real ingest endpoint.
func ingestTab(t *testing.T, r *reel, session, tab, ua string, seq int, events []string) {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	fmt.Fprintf(zw, `{"session":%q,"tab":%q,"seq":%d,"meta":{"sdk":"reel-js/test","userAgent":%q},"events":[%s]}`, session, tab, seq, ua, strings.Join(events, ","))
	zw.Close()
	status, body, err := post(http.DefaultClient, r.URL+"/api/v1/ingest?v=1&key="+publicKey(t, r), buf.Bytes())
	if err != nil || status != 200 {
		t.Fatalf("ingest %s = %d %s %v", session, status, body, err)
	}
}

func vitalEv(ts int64, name string, value float64) string {
	return customEv(ts, "reel.vitals", map[string]any{"name": name, "value": value})
}

// colourShares counts, in a PNG, the shares of clearly red, green, amber and blue pixels (the
// ratings' and the timeline's colours); the pale bands behind the bars count as none.
func colourShares(t *testing.T, b []byte) (red, green, amber, blue float64) {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("decoding a screenshot: %v", err)
	}
	return shares(img)
}

func shares(img image.Image) (red, green, amber, blue float64) {
	bounds := img.Bounds()
	var n, nr, ng, na, nb int
	for y := bounds.Min.Y; y < bounds.Max.Y; y++ {
		for x := bounds.Min.X; x < bounds.Max.X; x++ {
			r16, g16, b16, _ := img.At(x, y).RGBA()
			r, g, b := int(r16>>8), int(g16>>8), int(b16>>8)
			n++
			switch {
			case r > 160 && g < 110 && b < 110:
				nr++
			case g > 120 && r < 110 && b < 160 && g-r > 60:
				ng++
			case r > 180 && g > 110 && g < 170 && b < 80:
				na++
			case b > 170 && r < 110 && g < 140:
				nb++
			}
		}
	}
	if n == 0 {
		return 0, 0, 0, 0
	}
	return float64(nr) / float64(n), float64(ng) / float64(n), float64(na) / float64(n), float64(nb) / float64(n)
}

// TestPerformancePage: web vitals the SDK reported show on the Performance page as a chart per
// page, coloured by rating; a click on a day's bar lists that day's slowest sessions, worst
// first, and one more click replays one, whose Session pane rates each vital in colour.
func TestPerformancePage(t *testing.T) {
	r := startReel(t, t.TempDir())
	now := time.Now().UTC()
	midnight := now.Truncate(24 * time.Hour)
	today := midnight.Add(now.Sub(midnight) / 2)
	yesterday := midnight.Add(-12 * time.Hour)
	shop := "https://shop.example"
	view := func(id string, at time.Time, path, user string, lcp, cls, inp float64) {
		ts := at.UnixMilli()
		var d dom
		evs := []string{vitalEv(ts-3, "TTFB", 420), metaEv(ts, shop+path), fullEv(ts+1, d.page(d.el("h1", nil, d.text("Page "+path)))), vitalEv(ts+300, "FCP", 900)}
		if user != "" {
			evs = append(evs, customEv(ts+400, "reel.identify", map[string]any{"userId": user}))
		}
		evs = append(evs, moveEv(ts+2000, 5, 5), vitalEv(ts+6000, "LCP", lcp), vitalEv(ts+6000, "CLS", cls), vitalEv(ts+6000, "INP", inp))
		ingest(t, r, id, "t_tab00000001", 0, evs)
	}
	// /checkout was slow yesterday and is fast today; / is fast.
	view("s_perf_slow01", yesterday, "/checkout", "dana@x.test", 5200, 0.31, 620)
	view("s_perf_slow02", yesterday.Add(time.Minute), "/checkout", "", 4600, 0.05, 90)
	view("s_perf_slow03", yesterday.Add(2*time.Minute), "/checkout", "", 1800, 0.02, 80)
	view("s_perf_fast01", today, "/checkout", "", 1200, 0.01, 60)
	view("s_perf_fast02", today.Add(time.Minute), "/checkout", "", 1500, 0, 70)
	view("s_perf_home01", today.Add(2*time.Minute), "/", "", 900, 0, 40)

	ctx := browser(t)
	run(t, ctx, "login", loginActions(r)...)
	run(t, ctx, "open Performance from the nav",
		waitFor(visible(`[data-testid=nav-performance]`)),
		chromedp.Click(`[data-testid=nav-performance]`, chromedp.ByQuery),
		waitFor(`document.querySelectorAll('[data-testid=perf-page]').length === 2`),
		waitFor(`document.querySelectorAll('[data-testid=perf-bar]').length === 3`),
	)
	var text string
	run(t, ctx, "read the page", chromedp.Evaluate(`document.querySelector('main').innerText`, &text))
	for _, want := range []string{"Performance", "2 pages · last 14 days", "/checkout", "p75 4.60 s · Poor", "p50 1.80 s", "p95 5.20 s", "5 views", "p75 900 ms · Good", "Largest Contentful Paint: good ≤ 2.50 s, poor > 4.00 s"} {
		if !strings.Contains(text, want) {
			t.Errorf("the Performance page does not say %q:\n%s", want, text)
		}
	}
	// The bars: yesterday's /checkout poor (red), today's good (green); the picture shows it.
	var ratings []string
	run(t, ctx, "bar ratings", chromedp.Evaluate(`[...document.querySelectorAll('[data-testid=perf-page][data-path="/checkout"] [data-testid=perf-bar]')].map(b => b.dataset.rating)`, &ratings))
	if strings.Join(ratings, " ") != "poor good" {
		t.Errorf("/checkout bars rated %v, want poor (yesterday) then good (today)", ratings)
	}
	var chart []byte
	run(t, ctx, "chart screenshot", chromedp.Screenshot(`[data-testid=perf-page][data-path="/checkout"] [data-testid=perf-chart]`, &chart, chromedp.ByQuery))
	if red, green, _, _ := colourShares(t, chart); red < 0.002 || green < 0.002 {
		t.Errorf("the /checkout chart shows %.4f red and %.4f green pixels; want a red bar and a green one", red, green)
	}
	look(t, ctx, "performance.png")

	// One click on yesterday's bar: its slowest sessions, worst first.
	run(t, ctx, "click the poor bar",
		chromedp.Click(`[data-testid=perf-page][data-path="/checkout"] [data-testid=perf-bar][data-rating=poor] .fill`, chromedp.ByQuery),
		waitFor(`document.querySelectorAll('[data-testid=slow-row]').length === 3`),
	)
	var rows []string
	run(t, ctx, "slowest rows", chromedp.Evaluate(`[...document.querySelectorAll('[data-testid=slow-row]')].map(r => r.innerText.replace(/\s+/g, " ").trim())`, &rows))
	if len(rows) != 3 || !strings.HasPrefix(rows[0], "5.20 s /checkout dana@x.test") || !strings.HasPrefix(rows[1], "4.60 s") || !strings.HasPrefix(rows[2], "1.80 s") {
		t.Errorf("slowest rows = %q", rows)
	}
	look(t, ctx, "performance-slowest.png")
	shoot(t, ctx, "performance.png")

	// The worst one's replay: the Session pane rates each vital of the page view, in colour.
	run(t, ctx, "watch the slowest",
		chromedp.Click(`[data-testid=slow-row] [data-testid=slow-watch]`, chromedp.ByQuery),
		waitFor(`location.pathname === "/sessions/s_perf_slow01"`),
		waitFor(visible(`[data-testid=pane-session]`)),
		chromedp.Click(`[data-testid=pane-session]`, chromedp.ByQuery),
		waitFor(`document.querySelectorAll('[data-testid=vitals-page] .vital').length === 5`),
	)
	run(t, ctx, "vitals text", chromedp.Evaluate(`document.querySelector('[data-testid=session-vitals]').innerText.replace(/\s+/g, " ")`, &text))
	for _, want := range []string{"WEB VITALS", "/checkout", "LCP 5.20 s Poor", "INP 620 ms Poor", "CLS 0.31 Poor", "FCP 900 ms Good", "TTFB 420 ms Good"} {
		if !strings.Contains(text, want) {
			t.Errorf("the Session pane's vitals do not say %q: %s", want, text)
		}
	}
	var pane []byte
	run(t, ctx, "vitals screenshot",
		// The Session pane scrolls; a person scrolls down to the vitals.
		chromedp.Evaluate(`document.querySelector('[data-testid=session-vitals]').scrollIntoView({block: "center"})`, nil),
		chromedp.Sleep(200*time.Millisecond),
		chromedp.Screenshot(`[data-testid=session-vitals]`, &pane, chromedp.ByQuery))
	if red, green, _, _ := colourShares(t, pane); red < 0.003 || green < 0.003 {
		t.Errorf("the vitals in the Session pane show %.4f red and %.4f green pixels; want poor in red and good in green", red, green)
	}
	look(t, ctx, "player-vitals.png")
	// The user id in the Session pane leads to the user's page.
	run(t, ctx, "user link in the player",
		chromedp.Click(`[data-testid=user] [data-testid=user-link]`, chromedp.ByQuery),
		waitFor(`location.pathname === "/people/dana%40x.test"`),
		waitFor(contains(`document.body.innerText`, "User dana@x.test")),
	)
}

// TestUserPage: a recorded user's page shows their traits, devices, first and last seen, every
// session across devices and tabs on one timeline (drawn as a strip, a lane per device) and
// the issues found in them; the session list links to it; after erasure it shows nothing.
func TestUserPage(t *testing.T) {
	r := startReelWith(t, t.TempDir(), "--compact-idle", "1s")
	base := time.Now().Add(-3 * time.Hour).Truncate(time.Second)
	shop := "https://shop.example"
	page := func(at time.Time, path string) []string {
		var d dom
		ts := at.UnixMilli()
		return []string{metaEv(ts, shop+path), fullEv(ts+1, d.page(d.el("h1", nil, d.text("Page "+path)))), moveEv(ts+1500, 5, 5)}
	}
	identify := func(at time.Time, user, plan string) string {
		return customEv(at.UnixMilli()+5, "reel.identify", map[string]any{"userId": user, "traits": map[string]any{"plan": plan, "company": "Acme"}})
	}
	// On a laptop with two tabs, then an hour later on a phone, where a script fails.
	ingestTab(t, r, "s_user_lap001", "t_tab00000001", uaChrome, 0, append(page(base, "/"), identify(base, "erin@x.test", "free")))
	ingestTab(t, r, "s_user_lap001", "t_tab00000002", uaChrome, 0, append(page(base.Add(time.Minute), "/help"), page(base.Add(2*time.Minute), "/help/returns")...))
	phone := append(page(base.Add(time.Hour), "/cart"), identify(base.Add(time.Hour), "erin@x.test", "pro"),
		customEv(base.Add(time.Hour).UnixMilli()+2000, "reel.error", map[string]any{"kind": "error", "message": "TypeError: coupon is undefined"}))
	ingestTab(t, r, "s_user_phn001", "t_tab00000003", uaIPhone, 0, phone)
	ingestTab(t, r, "s_user_bob001", "t_tab00000004", uaFirefox, 0, append(page(base, "/bob-only"), identify(base, "bob@x.test", "free")))
	waitForIssue(t, r, "js_error")

	ctx := browser(t)
	run(t, ctx, "login", loginActions(r)...)
	run(t, ctx, "the session list links to the user",
		waitFor(`document.querySelectorAll('[data-testid=session-row] [data-testid=user-link]').length >= 3`),
		chromedp.Click(`[data-testid=session-row][data-session-id=s_user_phn001] [data-testid=user-link]`, chromedp.ByQuery),
		waitFor(`location.pathname === "/people/erin%40x.test"`),
		waitFor(`document.querySelectorAll('[data-testid=user-session]').length === 2`),
		waitFor(`document.querySelectorAll('[data-testid=user-issue]').length === 1`),
	)
	var text string
	run(t, ctx, "read the page", chromedp.Evaluate(`document.querySelector('main').innerText`, &text))
	for _, want := range []string{"User erin@x.test", "FIRST SEEN", "3 h ago", "LAST SEEN", "SESSIONS\n2", "DEVICES\n2", "TRAITS", "plan\npro", "company\nAcme",
		"Chrome on Linux (desktop)", "Safari on iOS (mobile)", "TIMELINE", "Tab 1", "Tab 2", "/help/returns", "/cart", "JS error", "TypeError: coupon is undefined"} {
		if !strings.Contains(text, want) {
			t.Errorf("the user page does not say %q:\n%s", want, text)
		}
	}
	if strings.Contains(text, "bob") {
		t.Errorf("erin's page shows bob:\n%s", text)
	}
	// Newest first: the phone, then the laptop with both its tabs.
	var order []string
	run(t, ctx, "timeline order", chromedp.Evaluate(`[...document.querySelectorAll('[data-testid=user-session]')].map(s => s.dataset.sessionId + ":" + s.querySelectorAll('[data-testid=user-tab]').length)`, &order))
	if strings.Join(order, " ") != "s_user_phn001:1 s_user_lap001:2" {
		t.Errorf("timeline = %v, want the phone's session then the laptop's two tabs", order)
	}
	// The strip draws both devices' sessions: blue for the calm one, red for the one with an error.
	var strip []byte
	run(t, ctx, "strip screenshot", chromedp.Screenshot(`[data-testid=user-strip]`, &strip, chromedp.ByQuery))
	if red, _, _, blue := colourShares(t, strip); red < 0.001 || blue < 0.001 {
		t.Errorf("the timeline strip shows %.4f red and %.4f blue pixels; want a red session and a blue one", red, blue)
	}
	look(t, ctx, "user-page.png")
	shoot(t, ctx, "user-page.png")

	// A page of the laptop's second tab opens its replay there.
	run(t, ctx, "open a tab's page",
		chromedp.Click(`[data-testid=user-session][data-session-id=s_user_lap001] [data-testid=user-tab]:nth-of-type(2) .page-chip`, chromedp.ByQuery),
		waitFor(`location.pathname === "/sessions/s_user_lap001"`),
	)

	// Erased, the page shows nothing of her.
	req, _ := http.NewRequest(http.MethodDelete, r.URL+"/api/v1/projects/default/users/erin@x.test", nil)
	req.Header.Set("Authorization", "Bearer "+adminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("erase = %v %v", resp, err)
	}
	resp.Body.Close()
	run(t, ctx, "the page after erasure",
		chromedp.Navigate(r.URL+"/people/erin%40x.test"),
		waitFor(visible(`[data-testid=user-missing]`)),
		chromedp.Evaluate(`document.querySelector('main').innerText`, &text),
	)
	if !strings.Contains(text, "Nothing recorded for this user") || strings.Contains(text, "/cart") || strings.Contains(text, "pro") && strings.Contains(text, "plan") {
		t.Errorf("the user page after erasure says:\n%s", text)
	}
	look(t, ctx, "user-page-erased.png")
}
