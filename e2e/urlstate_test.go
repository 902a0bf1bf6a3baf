package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// urlStateSessions records three identified sessions of different lengths and an anonymous
// one, newest first: s_urlnewest001 (anonymous), s_urlshort0001, s_urllong00001, s_urlmid000001.
func urlStateSessions(t *testing.T, r *reel) {
	t.Helper()
	now := time.Now()
	mk := func(id string, ago, length time.Duration, user string) {
		t0 := now.Add(-ago).UnixMilli()
		var d dom
		evs := []string{metaEv(t0, "https://shop.example/"+id), fullEv(t0+1, d.page(d.el("h1", nil, d.text("Page of "+id))))}
		if user != "" {
			evs = append(evs, customEv(t0+10, "reel.identify", map[string]any{"userId": user}))
		}
		evs = append(evs, moveEv(t0+length.Milliseconds(), 1, 1))
		ingest(t, r, id, "t_tab00000001", 0, evs)
	}
	mk("s_urlnewest001", 2*time.Minute, 20*time.Second, "")
	mk("s_urlshort0001", 10*time.Minute, 10*time.Second, "ada@example.com")
	mk("s_urllong00001", 30*time.Minute, 5*time.Minute, "grace@example.com")
	mk("s_urlmid000001", 50*time.Minute, time.Minute, "alan@example.com")
}

const urlRows = `[...document.querySelectorAll('[data-testid=session-row]')].map(r => r.dataset.sessionId).join(",")`

// TestListFiltersSurviveBackAndReload: the list's query and order live in its URL, so Back from
// the player, Back through filter changes, a reload and "← Sessions" all show the filtered,
// ordered list a person set up; the order menu offers "Most friction first"; the query box
// shows its whole placeholder; without a country source there is no Country filter.
func TestListFiltersSurviveBackAndReload(t *testing.T) {
	r := startReel(t, t.TempDir())
	urlStateSessions(t, r)
	ctx := browser(t)
	chip := func(label string) string {
		return `[...document.querySelectorAll('[data-testid=chip]')].find(b => b.textContent === "` + label + `")`
	}
	filtered := urlRows + ` === "s_urllong00001,s_urlmid000001,s_urlshort0001"`
	run(t, ctx, "the list, unfiltered",
		append(loginActions(r),
			waitFor(urlRows+` === "s_urlnewest001,s_urlshort0001,s_urllong00001,s_urlmid000001"`),
		)...)

	var placeholder struct {
		Text            string
		Needed, Room    float64
		Country, Orders string
	}
	run(t, ctx, "read the query box, the filters and the order menu", chromedp.Evaluate(`(() => {
		const f = document.querySelector('[data-testid=filter]');
		const cs = getComputedStyle(f);
		const c = document.createElement('canvas').getContext('2d');
		c.font = cs.font;
		return {
			text: f.placeholder,
			needed: c.measureText(f.placeholder).width,
			room: f.clientWidth - parseFloat(cs.paddingLeft) - parseFloat(cs.paddingRight),
			country: String(!!document.querySelector('[data-testid=pick-country]')),
			orders: [...document.querySelectorAll('[data-testid=sort] option')].map(o => o.textContent).join("|"),
		};
	})()`, &placeholder))
	if placeholder.Needed > placeholder.Room {
		t.Errorf("the query placeholder %q needs %.0f px and has %.0f: it is cut", placeholder.Text, placeholder.Needed, placeholder.Room)
	}
	if placeholder.Country != "false" {
		t.Errorf("a Country filter is shown with no country source")
	}
	if !strings.Contains(placeholder.Orders, "Most friction first") {
		t.Errorf("order menu = %s, want Most friction first", placeholder.Orders)
	}

	run(t, ctx, "filter to identified users, then order by length",
		chromedp.Evaluate(chip("Identified")+`.click()`, nil),
		waitFor(urlRows+` === "s_urlshort0001,s_urllong00001,s_urlmid000001"`),
		waitFor(`new URLSearchParams(location.search).get("q") === "user:*"`),
		chromedp.SetValue(`[data-testid=sort]`, "longest", chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelector('[data-testid=sort]').dispatchEvent(new Event('change', {bubbles: true}))`, nil),
		waitFor(filtered),
		waitFor(`new URLSearchParams(location.search).get("q") === "user:* sort:longest"`),
	)
	seesFilteredList := func(step string) {
		t.Helper()
		run(t, ctx, step,
			waitFor(filtered),
			waitFor(`document.querySelector('[data-testid=filter]').value.trim() === "user:* sort:longest"`),
			waitFor(chip("Identified")+`.getAttribute("aria-pressed") === "true"`),
			waitFor(`document.querySelector('[data-testid=sort]').value === "longest"`),
			waitFor(contains(`document.querySelector('[data-testid=count]').innerText`, "3 sessions")),
		)
	}
	run(t, ctx, "open a session, then Back",
		chromedp.Click(`[data-testid=session-row][data-session-id=s_urlmid000001]`, chromedp.ByQuery),
		waitFor(`location.pathname === "/sessions/s_urlmid000001"`),
		waitFor(visible(`[data-testid=session-id]`)),
		chromedp.NavigateBack(),
	)
	seesFilteredList("the list after Back from the player")
	look(t, ctx, "urlstate-list-after-back.png")

	run(t, ctx, "reload", chromedp.Reload())
	seesFilteredList("the list after a reload")

	run(t, ctx, "Back steps to the previous filter", chromedp.NavigateBack(),
		waitFor(urlRows+` === "s_urlshort0001,s_urllong00001,s_urlmid000001"`),
		waitFor(`document.querySelector('[data-testid=sort]').value === "recent"`),
		waitFor(`document.querySelector('[data-testid=filter]').value.trim() === "user:*"`),
		chromedp.NavigateForward(),
	)
	seesFilteredList("the list after Forward")

	run(t, ctx, "open a session, then ← Sessions",
		chromedp.Click(`[data-testid=session-row][data-session-id=s_urllong00001]`, chromedp.ByQuery),
		waitFor(`location.pathname === "/sessions/s_urllong00001"`),
		waitFor(visible(`[data-testid=back-to-list]`)),
		chromedp.Click(`[data-testid=back-to-list]`, chromedp.ByQuery),
		waitFor(`location.pathname === "/"`),
	)
	seesFilteredList("the list after ← Sessions")
}

// TestPlayerStepsThroughTheList: a session opened from a filtered, ordered list steps to the
// previous and next session of that same list with the buttons and the j/k keys, shows where
// it is in the list, lists its shortcuts on ?, and goes back to that list.
func TestPlayerStepsThroughTheList(t *testing.T) {
	r := startReel(t, t.TempDir())
	urlStateSessions(t, r)
	ctx := browser(t)
	shown := func(id, pos string) chromedp.Action {
		return chromedp.ActionFunc(func(ctx context.Context) error {
			return chromedp.Run(ctx,
				waitFor(`location.pathname === "/sessions/`+id+`"`),
				waitFor(`document.querySelector('[data-testid=session-id]')?.innerText === "`+id+`"`),
				waitFor(contains(frameText, "Page of "+id)),
				waitFor(`document.querySelector('[data-testid=list-position]')?.innerText === "`+pos+`"`),
			)
		})
	}
	run(t, ctx, "open the first of the identified sessions, longest first",
		append(loginActions(r),
			chromedp.Navigate(r.URL+"/?q="+"user%3A*+sort%3Alongest"),
			waitFor(urlRows+` === "s_urllong00001,s_urlmid000001,s_urlshort0001"`),
			chromedp.Click(`[data-testid=session-row][data-session-id=s_urllong00001]`, chromedp.ByQuery),
			shown("s_urllong00001", "1 of 3"),
			waitFor(`document.querySelector('[data-testid=prev-session]').getAttribute("aria-disabled") === "true"`),
		)...)
	look(t, ctx, "urlstate-player-first-of-list.png")
	run(t, ctx, "Next, then j",
		chromedp.Click(`[data-testid=next-session]`, chromedp.ByQuery),
		shown("s_urlmid000001", "2 of 3"),
		chromedp.KeyEvent("j"),
		shown("s_urlshort0001", "3 of 3"),
		// The anonymous session is not in this list: the last one has no next.
		waitFor(`document.querySelector('[data-testid=next-session]').getAttribute("aria-disabled") === "true"`),
	)
	run(t, ctx, "k, then Prev",
		chromedp.KeyEvent("k"),
		shown("s_urlmid000001", "2 of 3"),
		chromedp.Click(`[data-testid=prev-session]`, chromedp.ByQuery),
		shown("s_urllong00001", "1 of 3"),
	)
	run(t, ctx, "the Session pane stays open across a reload and Next",
		chromedp.Click(`[data-testid=pane-session]`, chromedp.ByQuery),
		waitFor(`new URLSearchParams(location.search).get("pane") === "session"`),
		chromedp.Reload(),
		shown("s_urllong00001", "1 of 3"),
		waitFor(visible(`[data-testid=facts]`)),
		waitFor(`document.querySelector('[data-testid=pane-session]').getAttribute("aria-selected") === "true"`),
		chromedp.Click(`[data-testid=next-session]`, chromedp.ByQuery),
		shown("s_urlmid000001", "2 of 3"),
		waitFor(visible(`[data-testid=facts]`)),
		waitFor(contains(`document.querySelector('[data-testid=facts]').innerText`, "alan@example.com")),
		chromedp.Click(`[data-testid=prev-session]`, chromedp.ByQuery),
		shown("s_urllong00001", "1 of 3"),
	)
	var help string
	run(t, ctx, "? lists the shortcuts",
		chromedp.KeyEvent("?"),
		waitFor(visible(`[data-testid=shortcuts-help]`)),
		chromedp.Evaluate(`document.querySelector('[data-testid=shortcuts-help]').innerText`, &help),
	)
	for _, want := range []string{"Play or pause", "Previous or next event", "Previous or next session of the list", "k / j"} {
		if !strings.Contains(help, want) {
			t.Errorf("shortcuts help lacks %q:\n%s", want, help)
		}
	}
	look(t, ctx, "urlstate-shortcuts.png")
	run(t, ctx, "Escape closes it; the ? button opens it again",
		chromedp.KeyEvent("\x1b"),
		waitFor(`!document.querySelector('[data-testid=shortcuts-help]')`),
		chromedp.Click(`[data-testid=shortcuts]`, chromedp.ByQuery),
		waitFor(visible(`[data-testid=shortcuts-help]`)),
		chromedp.Click(`[data-testid=shortcuts-close]`, chromedp.ByQuery),
		waitFor(`!document.querySelector('[data-testid=shortcuts-help]')`),
	)
	run(t, ctx, "← Sessions returns to the same list",
		chromedp.Click(`[data-testid=back-to-list]`, chromedp.ByQuery),
		waitFor(`location.pathname === "/"`),
		waitFor(urlRows+` === "s_urllong00001,s_urlmid000001,s_urlshort0001"`),
		waitFor(`document.querySelector('[data-testid=filter]').value.trim() === "user:* sort:longest"`),
	)
}
