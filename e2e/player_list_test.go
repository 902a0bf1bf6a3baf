package e2e

import (
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
