package e2e

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// startReelWith is startReel with extra `reel serve` flags (here: compaction within a second,
// so sessions are analysed while the test waits).
func startReelWith(t *testing.T, dataDir string, extra ...string) *reel {
	t.Helper()
	args := append([]string{"serve", "--addr", "127.0.0.1:0", "--data", dataDir, "--log-level", "warn"}, extra...)
	cmd := exec.Command(reelBin, args...)
	cmd.Env = append(os.Environ(), "REEL_ADMIN_PASSWORD="+adminPassword, "REEL_ADMIN_TOKEN="+adminToken)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	logs := &strings.Builder{}
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r := &reel{cmd: cmd, logs: logs}
	t.Cleanup(func() { r.stop(t) })
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := dashboardLine.FindStringSubmatch(sc.Text() + " "); m != nil {
				found <- m[1]
			}
		}
	}()
	select {
	case r.URL = <-found:
	case <-time.After(60 * time.Second):
		t.Fatalf("reel did not print its dashboard address; stderr:\n%s", logs)
	}
	return r
}

// apiPost posts a JSON body to the REST API with the admin token and decodes the answer.
func apiPost(t *testing.T, r *reel, path, body string, v any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, r.URL+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+adminToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("POST %s = %d %s", path, resp.StatusCode, b)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("POST %s: %v", path, err)
	}
}

// rrwebFullEv is fullEv with each node's keys in the order rrweb writes them (type first,
// id last), as the SDK sends them; the analyzer's shallow scanner reads that order.
func rrwebFullEv(ts int64, doc node) string {
	var b strings.Builder
	var write func(n node)
	write = func(n node) {
		b.WriteByte('{')
		first := true
		for _, k := range []string{"type", "name", "publicId", "systemId", "tagName", "attributes", "childNodes", "textContent", "id"} {
			v, ok := n[k]
			if !ok {
				continue
			}
			if !first {
				b.WriteByte(',')
			}
			first = false
			fmt.Fprintf(&b, "%q:", k)
			if k == "childNodes" {
				b.WriteByte('[')
				for i, c := range v.([]node) {
					if i > 0 {
						b.WriteByte(',')
					}
					write(c)
				}
				b.WriteByte(']')
				continue
			}
			j, _ := json.Marshal(v)
			b.Write(j)
		}
		b.WriteByte('}')
	}
	write(doc)
	return fmt.Sprintf(`{"type":2,"timestamp":%d,"data":{"node":%s,"initialOffset":{"left":0,"top":0}}}`, ts, b.String())
}

type issueJSON struct {
	Fingerprint, Kind, Path, Target string
	Sessions, Users                 int
	Daily                           []int
	Samples                         []struct {
		SessionID string
		At        int64
		URL       string
	}
}

// insightSessions ingests four shop visits of different depths through the real ingest
// endpoint: three rage-click "Apply coupon" on the cart (one of them also hits a JS error right
// after), two of those reach checkout, one only looks at the home page. It returns the
// sessions' ids in that order and the time of the first event of each.
func insightSessions(t *testing.T, r *reel) ([]string, map[string]int64) {
	t.Helper()
	base := time.Now().Add(-3 * time.Minute).UnixMilli()
	shop := "https://shop.example"
	type visit struct {
		id    string
		depth int  // pages: 1 home, 2 cart, 3 checkout
		rage  bool // three quick clicks on the coupon button
		err   bool // a JS error right after the clicks
	}
	visits := []visit{
		{"s_insight_aa01", 3, true, true},
		{"s_insight_bb02", 2, true, false},
		{"s_insight_cc03", 3, true, false},
		{"s_insight_dd04", 1, false, false},
	}
	starts := map[string]int64{}
	var ids []string
	for i, v := range visits {
		t0 := base + int64(i)*15_000
		starts[v.id] = t0
		ids = append(ids, v.id)
		var evs []string
		var home dom
		evs = append(evs, metaEv(t0, shop+"/demo/"), rrwebFullEv(t0+1, home.page(home.el("h1", nil, home.text("Reel Supply Co.")))))
		if v.depth >= 2 {
			var cart dom
			title := cart.el("h1", nil, cart.text("Your cart"))
			button := cart.el("button", map[string]any{"class": "coupon"}, cart.text("Apply coupon"))
			evs = append(evs, metaEv(t0+4000, shop+"/demo/cart.html"), rrwebFullEv(t0+4001, cart.page(title, button)))
			id := button["id"].(int)
			evs = append(evs, moveEv(t0+4500, 120, 80))
			if v.rage {
				evs = append(evs, clickEv(t0+5000, id, 120, 80), clickEv(t0+5150, id, 121, 80), clickEv(t0+5300, id, 120, 81), clickEv(t0+5450, id, 122, 81))
			}
			if v.err {
				evs = append(evs, customEv(t0+5600, "reel.error", map[string]any{"kind": "error", "message": "TypeError: Cannot read properties of undefined (reading 'coupon')"}))
			}
		}
		if v.depth >= 3 {
			var co dom
			evs = append(evs, metaEv(t0+9000, shop+"/demo/checkout.html"), rrwebFullEv(t0+9001, co.page(co.el("h1", nil, co.text("Checkout")))))
		}
		evs = append(evs, moveEv(t0+11_000, 10, 10))
		ingest(t, r, v.id, "t_tab00000001", 0, evs)
	}
	return ids, starts
}

// TestInsightsIssuesAndFunnelsPages: sessions ingested and compacted show up on the Issues page
// (grouped, counted, one click from the moment in the player) and on the Funnels page (counts
// per step, dropped sessions one click from their replays).
func TestInsightsIssuesAndFunnelsPages(t *testing.T) {
	r := startReelWith(t, t.TempDir(), "--compact-idle", "1s")
	ctx := browser(t)
	run(t, ctx, "log in", loginActions(r)...)
	// Before any session: the empty state says when sessions show up.
	run(t, ctx, "issues page without data",
		chromedp.Click(`[data-testid=nav-issues]`, chromedp.ByQuery),
		waitFor(visible(`[data-testid=issues-empty]`)),
		waitFor(contains(`document.querySelector('[data-testid=issues-empty]').innerText`, "within a minute")),
	)

	ids, starts := insightSessions(t, r)

	// Sessions are analysed as their batches arrive (and finally when compacted); wait for all four.
	var rage issueJSON
	deadline := time.Now().Add(60 * time.Second)
	for {
		var out struct{ Issues []issueJSON }
		r.api(t, "/api/v1/issues?project=default&days=14", &out)
		for _, is := range out.Issues {
			if is.Kind == "rage_click" {
				rage = is
			}
		}
		if rage.Sessions == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no rage-click issue over 3 sessions after 60s: %+v\nlogs:\n%s", out.Issues, r.logs)
		}
		time.Sleep(300 * time.Millisecond)
	}
	if rage.Path != "/demo/cart.html" || !strings.Contains(rage.Target, "Apply coupon") || len(rage.Samples) == 0 {
		t.Fatalf("rage issue = %+v", rage)
	}
	// Funnel counts come from the analysis too: wait until the home-only visit is in.
	for first := 0; first != 4; {
		var out struct{ Steps []struct{ Sessions int } }
		apiPost(t, r, "/api/v1/funnels?project=default&days=14", `{"steps":[{"path":"/demo/"},{"path":"/demo/cart.html"}]}`, &out)
		first = out.Steps[0].Sessions
		if time.Now().After(deadline) {
			t.Fatalf("funnel's first step has %d sessions after 60s, want 4", first)
		}
		time.Sleep(300 * time.Millisecond)
	}

	// Issues page: the rage click with its session count and a Watch link to the moment.
	row := fmt.Sprintf(`[data-testid=issue-row][data-fingerprint=%q]`, rage.Fingerprint)
	var rowText string
	run(t, ctx, "issues page",
		chromedp.Click(`[data-testid=nav-sessions]`, chromedp.ByQuery),
		waitFor(`location.pathname === "/"`),
		chromedp.Click(`[data-testid=nav-issues]`, chromedp.ByQuery),
		waitFor(`location.pathname === "/issues"`),
		waitFor(visible(row)),
		waitFor(visible(`[data-testid=issue-row][data-kind=js_error]`)),
		chromedp.Evaluate(`document.querySelector(`+jsString(row)+`).innerText`, &rowText),
	)
	var sessionsCell, sparkBars int
	run(t, ctx, "issue row",
		chromedp.Evaluate(`Number(document.querySelector(`+jsString(row+` [data-testid=issue-sessions]`)+`).textContent)`, &sessionsCell),
		chromedp.Evaluate(`document.querySelectorAll(`+jsString(row+` [data-testid=spark] rect`)+`).length`, &sparkBars),
	)
	if sessionsCell != 3 || !strings.Contains(rowText, "Rage click") || !strings.Contains(rowText, "/demo/cart.html") || !strings.Contains(rowText, "Apply coupon") {
		t.Fatalf("rage row: sessions %d, text %q", sessionsCell, rowText)
	}
	if sparkBars != 1 {
		t.Fatalf("sparkline has %d bars, want 1 (all sessions today)", sparkBars)
	}
	shoot(t, ctx, "issues.png")

	// The kind chips narrow the list to one kind, kept in the URL; All brings the rest back.
	rows := `[...document.querySelectorAll('[data-testid=issue-row]')]`
	run(t, ctx, "filter issues by kind",
		chromedp.Click(`[data-testid=issue-kinds] [data-kind=js_error]`, chromedp.ByQuery),
		waitFor(`new URLSearchParams(location.search).get("kind") === "js_error"`),
		waitFor(rows+`.length > 0 && `+rows+`.every(r => r.dataset.kind === "js_error")`),
		chromedp.Click(`[data-testid=issue-kinds] a:first-child`, chromedp.ByQuery),
		waitFor(visible(row)),
		waitFor(visible(`[data-testid=issue-row][data-kind=js_error]`)),
	)
	// A shorter range asks the API again and still holds today's issues.
	run(t, ctx, "time range",
		chromedp.SetValue(`[data-testid=issue-days]`, "7", chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelector('[data-testid=issue-days]').dispatchEvent(new Event("change", {bubbles: true}))`, nil),
		waitFor(`new URLSearchParams(location.search).get("days") === "7"`),
		waitFor(contains(`document.querySelector('[data-testid=issue-count]').innerText`, "last 7 days")),
		waitFor(visible(row)),
	)

	// ?fingerprint= (where alert messages link) shows that one issue.
	run(t, ctx, "one issue by fingerprint",
		chromedp.Navigate(r.URL+"/issues?fingerprint="+url.QueryEscape(rage.Fingerprint)),
		waitFor(visible(row)),
		waitFor(`document.querySelectorAll('[data-testid=issue-row]').length === 1`),
		waitFor(visible(`[data-testid=issue-filter]`)),
	)

	// Watch opens the newest sample's session at the moment (a second before the clicks).
	var href string
	run(t, ctx, "watch link", chromedp.Evaluate(`document.querySelector(`+jsString(row+` [data-testid=watch]`)+`).getAttribute("href")`, &href))
	newest := ids[2] // the last of the three rage sessions
	want := fmt.Sprintf("/sessions/%s?t=", newest)
	if !strings.HasPrefix(href, want) {
		t.Fatalf("watch link = %q, want %s…", href, want)
	}
	tms, _ := strconv.ParseInt(strings.TrimPrefix(href, want), 10, 64)
	if clickAt := starts[newest] + 5000 - starts[newest]; tms < clickAt-1500 || tms > clickAt {
		t.Fatalf("watch link at %dms, want about a second before the clicks at %dms", tms, clickAt)
	}
	run(t, ctx, "watch",
		chromedp.Click(row+` [data-testid=watch]`, chromedp.ByQuery),
		waitFor(`location.pathname === "/sessions/`+newest+`"`),
		waitFor(`document.body.dataset.playerReady === "1"`),
		waitFor(fmt.Sprintf(`Math.abs(%s - %d) < 1500`, playerTime, tms)),
		waitFor(contains(frameText, "Apply coupon")),
	)

	// Funnels page: the demo shop's default steps, counted per step.
	steps := `[...document.querySelectorAll('[data-testid=funnel-step]')].map(s => s.dataset.sessions).join(",")`
	run(t, ctx, "funnels page",
		chromedp.Click(`[data-testid=nav-funnels]`, chromedp.ByQuery),
		waitFor(`location.pathname === "/funnels"`),
		waitFor(`document.querySelectorAll('[data-testid=funnel-step-input]').length === 4`),
		waitFor(steps+` === "4,3,2,0"`),
	)
	shoot(t, ctx, "funnels.png")
	var dropped string
	run(t, ctx, "dropped sessions",
		chromedp.Evaluate(`[...document.querySelectorAll('[data-testid=dropped]')].map(d => d.dataset.step + ":" + [...d.querySelectorAll('[data-testid=dropped-link]')].map(a => a.dataset.sessionId).sort().join("+")).join(" ")`, &dropped),
	)
	if want := fmt.Sprintf("1:%s 2:%s 3:%s+%s", ids[3], ids[1], ids[0], ids[2]); dropped != want {
		t.Fatalf("dropped = %q, want %q", dropped, want)
	}

	// Editing the steps: remove the last, the funnel is recounted and kept in the URL.
	run(t, ctx, "edit the funnel",
		chromedp.Evaluate(`[...document.querySelectorAll('[data-testid=funnel-remove]')].pop().click()`, nil),
		waitFor(`document.querySelectorAll('[data-testid=funnel-step-input]').length === 3`),
		chromedp.Click(`[data-testid=funnel-run]`, chromedp.ByQuery),
		waitFor(`new URLSearchParams(location.search).getAll("step").length === 3`),
		waitFor(steps+` === "4,3,2"`),
		// A shared link rebuilds the same funnel.
		chromedp.Navigate(r.URL+"/funnels?days=7&step=%2Fdemo%2F&step=%2Fdemo%2Fcart*"),
		waitFor(`document.querySelectorAll('[data-testid=funnel-step-input]').length === 2`),
		waitFor(steps+` === "4,3"`),
	)

	// A dropped session opens its replay.
	link := fmt.Sprintf(`[data-testid=dropped-link][data-session-id=%q]`, ids[3])
	run(t, ctx, "open a dropped session",
		waitFor(visible(link)),
		chromedp.Click(link, chromedp.ByQuery),
		waitFor(`location.pathname === "/sessions/`+ids[3]+`"`),
		waitFor(`document.body.dataset.playerReady === "1"`),
		waitFor(contains(frameText, "Reel Supply Co.")),
	)
}
