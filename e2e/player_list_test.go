package e2e

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestSessionList: the list shows who, how long, how much and where for each session, newest
// first, reorders on request, and opens the player on a click.
func TestSessionList(t *testing.T) {
	r := startReel(t, t.TempDir())
	ctx := browser(t)
	now := time.Now()
	mk := func(id string, ago time.Duration, length time.Duration, pages int, user string) {
		t0 := now.Add(-ago).UnixMilli()
		var evs []string
		for p := range pages {
			var d dom
			at := t0 + int64(p)*int64(length/time.Millisecond)/int64(pages)
			evs = append(evs, metaEv(at, "https://shop.example/page-"+string(rune('a'+p))), fullEv(at+1, d.page(d.el("h1", nil, d.text(id)))))
		}
		if user != "" {
			evs = append(evs, customEv(t0+10, "reel.identify", map[string]any{"userId": user}))
		}
		evs = append(evs, moveEv(t0+int64(length/time.Millisecond), 1, 1))
		ingest(t, r, id, "t_tab00000001", 0, evs)
	}
	mk("s_listnewest01", 2*time.Minute, 30*time.Second, 1, "")
	mk("s_listlongest1", 20*time.Minute, 10*time.Minute, 2, "grace@example.com")
	mk("s_listpages001", 40*time.Minute, time.Minute, 4, "")
	// Someone moving the mouse every 3 s from 9 s into the newest session to its last move at
	// 30 s: 21 s of active time, the same counted batch by batch at ingest, by live analysis
	// and by compaction (a move at 23 s would leave a 7 s gap to the last, under the 10 s
	// that count as idle: 28 s for the whole session).
	var moves []string
	for i := range 8 {
		moves = append(moves, moveEv(now.Add(-2*time.Minute).UnixMilli()+9000+int64(i)*3000, 1, 1))
	}
	ingest(t, r, "s_listnewest01", "t_tab00000001", 1, moves)

	rows := `[...document.querySelectorAll('[data-testid=session-row]')].map(r => r.dataset.sessionId).join(",")`
	var order, text string
	run(t, ctx, "list",
		append(loginActions(r),
			waitFor(`document.querySelectorAll('[data-testid=session-row]').length === 3`),
			chromedp.Evaluate(rows, &order),
			chromedp.Evaluate(`document.querySelector('[data-testid=session-table]').innerText`, &text),
		)...)
	if order != "s_listnewest01,s_listlongest1,s_listpages001" {
		t.Fatalf("order = %s, want newest first", order)
	}
	var active string
	run(t, ctx, "active time", chromedp.Evaluate(`document.querySelector('[data-session-id=s_listnewest01]').innerText`, &active))
	if !strings.Contains(active, "21s") {
		t.Fatalf("newest row = %q, want its 21s of active time", active)
	}
	for _, want := range []string{"USER", "DURATION", "ACTIVE", "PAGES", "ERRORS", "FRICTION", "BROWSER", "10m 00s", "Chrome 156", "Linux", "grace@example.com", "anonymous"} {
		if !strings.Contains(strings.ToUpper(text), strings.ToUpper(want)) {
			t.Fatalf("list lacks %q:\n%s", want, text)
		}
	}
	run(t, ctx, "order by length through the API",
		chromedp.SetValue(`[data-testid=sort]`, "longest", chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelector('[data-testid=sort]').dispatchEvent(new Event('change', {bubbles: true}))`, nil),
		waitFor(rows+` === "s_listlongest1,s_listpages001,s_listnewest01"`),
	)
	run(t, ctx, "filter: identified users, then a typed query",
		chromedp.Evaluate(`[...document.querySelectorAll('[data-testid=chip]')].find(b => b.textContent === "Identified").click()`, nil),
		waitFor(rows+` === "s_listlongest1"`),
		waitFor(contains(`document.querySelector('[data-testid=count]').innerText`, "1 session")),
		chromedp.Evaluate(`[...document.querySelectorAll('[data-testid=chip]')].find(b => b.textContent === "Identified").click()`, nil),
		waitFor(`document.querySelectorAll('[data-testid=session-row]').length === 3`),
		chromedp.SendKeys(`[data-testid=filter]`, "pages:>=4\r", chromedp.ByQuery),
		waitFor(rows+` === "s_listpages001"`),
		chromedp.Evaluate(`document.querySelector('[data-testid=filter]').value = ""`, nil),
		chromedp.SendKeys(`[data-testid=filter]`, "visited:/nowhere\r", chromedp.ByQuery),
		waitFor(visible(`[data-testid=no-match]`)),
	)
	run(t, ctx, "open the player from the list",
		chromedp.Evaluate(`(() => { const f = document.querySelector('[data-testid=filter]'); f.value = ""; f.dispatchEvent(new Event('input', {bubbles: true})); })()`, nil),
		chromedp.SendKeys(`[data-testid=filter]`, "\r", chromedp.ByQuery),
		waitFor(`document.querySelectorAll('[data-testid=session-row]').length === 3`),
		chromedp.Click(`[data-testid=session-row][data-session-id=s_listlongest1]`, chromedp.ByQuery),
		waitFor(`location.pathname === "/sessions/s_listlongest1"`),
		waitFor(`document.body.dataset.playerReady === "1"`),
	)
}

// TestSessionListPreviews: each row shows its session's first page as it first appeared,
// rebuilt in a script-free frame; only rows that come into view fetch anything, and only the
// events up to the first snapshot; a session without a page shows a placeholder; a row shown
// again is rebuilt without fetching again.
func TestSessionListPreviews(t *testing.T) {
	r := startReel(t, t.TempDir())
	ctx := browser(t)
	now := time.Now()
	const n = 30
	for i := range n {
		id := fmt.Sprintf("s_preview%04d", i)
		t0 := now.Add(-time.Duration(i+2) * time.Minute).UnixMilli()
		var d dom
		first := d.page(d.el("h1", map[string]any{"id": "first-page"}, d.text("First page of "+id)))
		second := d.page(d.el("h1", map[string]any{"id": "second-page"}, d.text("Second page of "+id)))
		ingest(t, r, id, "t_tab00000001", 0, []string{metaEv(t0, "https://shop.example/"), fullEv(t0+1, first), moveEv(t0+500, 10, 10)})
		ingest(t, r, id, "t_tab00000001", 1, []string{metaEv(t0+1000, "https://shop.example/cart"), fullEv(t0+1001, second), moveEv(t0+1500, 20, 20)})
	}
	// The newest session has no page recorded yet.
	ingest(t, r, "s_previewnone", "t_tab00000001", 0, []string{customEv(now.Add(-time.Minute).UnixMilli(), "reel.identify", map[string]any{"userId": "ada"})})

	preview := func(id string) string {
		return fmt.Sprintf(`document.querySelector('[data-testid=session-row][data-session-id=%q] [data-testid=preview]')`, id)
	}
	// Rows whose thumbnail is within the window, and the events requests made so far.
	const shown = `[...document.querySelectorAll('[data-testid=session-row]')].filter(r => { const b = r.querySelector('[data-testid=preview]').getBoundingClientRect(); return b.bottom > 0 && b.top < innerHeight; }).map(r => r.dataset.sessionId)`
	const fetches = `performance.getEntriesByType('resource').map(e => e.name).filter(u => u.includes('/events'))`
	// Every thumbnail on screen is built and none is building or waiting for its turn.
	settled := `document.body.dataset.previewsPending === "0" && (` + shown + `).every(id => ["ready", "empty"].includes(document.querySelector('[data-session-id="' + id + '"] [data-testid=preview]').dataset.state))`

	var visibleRows, requests []string
	run(t, ctx, "open the list",
		append(loginActions(r),
			waitFor(`document.querySelectorAll('[data-testid=session-row]').length === 31`),
			waitFor(settled),
			chromedp.Evaluate(shown, &visibleRows),
			chromedp.Evaluate(fetches, &requests),
		)...)
	if len(visibleRows) < 3 || len(visibleRows) > 20 {
		t.Fatalf("rows on screen = %v; the test needs some in view and some below", visibleRows)
	}
	// Every row on screen fetched its first page once; rows below never did. (A row the
	// page's own layout pushed out of view after it was shown, as the filter bars load, may have
	// fetched too: a row fetched exactly when its thumbnail left the waiting state.)
	var states map[string]string
	run(t, ctx, "read the preview states", chromedp.Evaluate(`Object.fromEntries([...document.querySelectorAll('[data-testid=session-row]')].map(r => [r.dataset.sessionId, r.querySelector('[data-testid=preview]').dataset.state]))`, &states))
	for _, u := range requests {
		if !strings.HasSuffix(u, "/events?until=first-snapshot") {
			t.Fatalf("preview fetched %s; want only the events up to the first snapshot", u)
		}
	}
	if len(requests) > len(visibleRows)+2 {
		t.Fatalf("events requests = %v; want about one per row on screen (%v)", requests, visibleRows)
	}
	onScreen := map[string]bool{}
	for _, id := range visibleRows {
		onScreen[id] = true
	}
	for id, state := range states {
		fetched := 0
		for _, u := range requests {
			if strings.Contains(u, "/sessions/"+id+"/events") {
				fetched++
			}
		}
		if (onScreen[id] && fetched != 1) || fetched > 1 || (fetched == 1) != (state != "waiting") {
			t.Fatalf("%s on screen %v, state %s, fetched %d times: %v", id, onScreen[id], state, fetched, requests)
		}
	}
	var most string
	run(t, ctx, "read how many were built at once", chromedp.Evaluate(`document.body.dataset.previewsMaxBuilding`, &most))
	if most != "1" && most != "2" {
		t.Fatalf("thumbnails building at once: %s, want at most 2", most)
	}
	t.Logf("rows on screen %d of 31, events requests %d, at most %s building at once", len(visibleRows), len(requests), most)
	last := fmt.Sprintf("s_preview%04d", n-1)
	if onScreen[last] {
		t.Fatalf("the last row is on screen: %v", visibleRows)
	}

	// The thumbnail holds the first page, not a later one, in a frame without scripts.
	var frame struct {
		First, Second, Sandbox, State, Empty string
		Scale                                float64
	}
	read := func(id string) {
		run(t, ctx, "read the preview of "+id, chromedp.Evaluate(fmt.Sprintf(`(() => {
			const p = %s;
			const f = p.querySelector('iframe');
			const doc = f && f.contentDocument;
			const none = %s;
			return {
				first: doc?.querySelector('#first-page')?.textContent || "",
				second: doc?.querySelector('#second-page')?.textContent || "",
				sandbox: f?.getAttribute('sandbox') || "",
				state: p.dataset.state,
				empty: none.dataset.state + (none.querySelector('iframe') ? " with a frame" : ""),
				scale: f.offsetWidth / p.getBoundingClientRect().width,
			};
		})()`, preview(id), preview("s_previewnone")), &frame))
		if frame.State != "ready" || frame.First != "First page of "+id || frame.Second != "" || frame.Sandbox != "allow-same-origin" || frame.Empty != "empty" {
			t.Fatalf("preview of %s = %+v", id, frame)
		}
		if frame.Scale < 5 { // a 1000 px wide page in a 72 px box
			t.Fatalf("preview of %s is not scaled down: %+v", id, frame)
		}
	}
	read(visibleRows[1])

	// Scrolled into view, the last row builds its own, and nothing else is fetched again.
	run(t, ctx, "scroll to the last row",
		chromedp.Evaluate(preview(last)+`.scrollIntoView({block: "center"})`, nil),
		waitFor(preview(last)+`.dataset.state === "ready"`),
		waitFor(settled),
		chromedp.Evaluate(fetches, &requests),
	)
	read(last)
	seen := map[string]int{}
	for _, u := range requests {
		seen[u]++
		if seen[u] > 1 {
			t.Fatalf("%s fetched twice: %v", u, requests)
		}
	}

	// Rows shown again after a filter are rebuilt from what was fetched.
	before := len(requests)
	run(t, ctx, "filter out every row, then show them again",
		chromedp.Evaluate(`window.scrollTo(0, 0)`, nil),
		chromedp.SendKeys(`[data-testid=filter]`, "visited:/nowhere\r", chromedp.ByQuery),
		waitFor(visible(`[data-testid=no-match]`)),
		chromedp.Evaluate(`(() => { const f = document.querySelector('[data-testid=filter]'); f.value = ""; f.dispatchEvent(new Event('input', {bubbles: true})); })()`, nil),
		chromedp.SendKeys(`[data-testid=filter]`, "\r", chromedp.ByQuery),
		waitFor(`document.querySelectorAll('[data-testid=session-row]').length === 31`),
		waitFor(preview(visibleRows[1])+`.dataset.state === "ready"`),
		waitFor(settled),
		chromedp.Evaluate(fetches, &requests),
	)
	read(visibleRows[1])
	if len(requests) != before {
		t.Fatalf("rows shown again fetched again: %v", requests[before:])
	}
}
