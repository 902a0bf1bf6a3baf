package e2e

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

const uaFirefox = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"

// ingestAs sends one batch with the given user agent through the real ingest endpoint.
func ingestAs(t *testing.T, r *reel, session, ua string, events []string) {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	fmt.Fprintf(zw, `{"session":%q,"tab":"t_tab00000001","seq":0,"meta":{"sdk":"reel-js/test","userAgent":%q},"events":[%s]}`, session, ua, strings.Join(events, ","))
	zw.Close()
	status, body, err := post(http.DefaultClient, r.URL+"/api/v1/ingest?v=1&key="+publicKey(t, r), buf.Bytes())
	if err != nil || status != 200 {
		t.Fatalf("ingest %s = %d %s %v", session, status, body, err)
	}
}

// visit is a recorded page view with a heading, optionally with a JavaScript error.
func visit(at time.Time, path string, withError bool) []string {
	var d dom
	ts := at.UnixMilli()
	evs := []string{metaEv(ts, "https://shop.example"+path), fullEv(ts+1, d.page(d.el("h1", nil, d.text("Page "+path)))), moveEv(ts+4000, 5, 5)}
	if withError {
		evs = append(evs, customEv(ts+2000, "reel.error", map[string]any{"kind": "error", "message": "TypeError: coupon is undefined"}))
	}
	return evs
}

// TestSavedSearchesAndPlaylists: the filter bar writes the query language into the box, the
// query is saved and shows how many sessions are new since the last visit, and sessions pinned
// from the list and from the player are one click from their replays on the playlist page.
func TestSavedSearchesAndPlaylists(t *testing.T) {
	r := startReel(t, t.TempDir())
	ctx := browser(t)
	before := time.Now().Add(-30 * time.Minute)
	ingestAs(t, r, "s_foxerror0001", uaFirefox, visit(before, "/cart", true))
	ingestAs(t, r, "s_foxclean0001", uaFirefox, visit(before.Add(time.Minute), "/", false))
	ingest(t, r, "s_chromeerr001", "t_tab00000001", 0, visit(before.Add(2*time.Minute), "/cart", true))

	rows := `[...document.querySelectorAll('[data-testid=session-row]')].map(r => r.dataset.sessionId).join(",")`
	box := `document.querySelector('[data-testid=filter]').value`
	pick := func(sel, value string) chromedp.Action {
		return chromedp.Evaluate(fmt.Sprintf(`(() => { const s = document.querySelector(%q); s.value = %q; s.dispatchEvent(new Event('change', {bubbles: true})); })()`, sel, value), nil)
	}
	chip := func(label string) chromedp.Action {
		return chromedp.Evaluate(fmt.Sprintf(`[...document.querySelectorAll('[data-testid=chip]')].find(b => b.textContent === %q).click()`, label), nil)
	}
	run(t, ctx, "build a query with the filter bar",
		append(loginActions(r),
			waitFor(`document.querySelectorAll('[data-testid=session-row]').length === 3`),
			pick(`[data-testid=pick-browser]`, "firefox"),
			waitFor(box+` === "browser:firefox "`),
			waitFor(rows+` === "s_foxclean0001,s_foxerror0001"`),
			chip("With errors"),
			waitFor(box+` === "browser:firefox errors:>0 "`),
			waitFor(rows+` === "s_foxerror0001"`),
			waitFor(contains(`document.querySelector('[data-testid=count]').innerText`, "1 session")),
			// A dropdown replaces its own term; "any" takes it out.
			pick(`[data-testid=pick-browser]`, "chrome"),
			waitFor(box+` === "browser:chrome errors:>0 "`),
			waitFor(rows+` === "s_chromeerr001"`),
			pick(`[data-testid=pick-browser]`, "firefox"),
			waitFor(rows+` === "s_foxerror0001"`),
		)...)

	run(t, ctx, "save the query, shared",
		chromedp.Click(`[data-testid=save-search]`, chromedp.ByQuery),
		waitFor(visible(`[data-testid=save-name]`)),
		chromedp.SendKeys(`[data-testid=save-name]`, "Firefox errors", chromedp.ByQuery),
		chromedp.Click(`[data-testid=save-shared]`, chromedp.ByQuery),
		chromedp.Click(`[data-testid=save-submit]`, chromedp.ByQuery),
		waitFor(`document.querySelector('[data-testid=saved-search][data-name="Firefox errors"]')`),
		waitFor(`!document.querySelector('[data-testid=saved-new]')`),
	)
	var list struct {
		SavedSearches []struct {
			Name   string `json:"name"`
			Query  string `json:"query"`
			Shared bool   `json:"shared"`
		} `json:"savedSearches"`
	}
	r.api(t, "/api/v1/saved-searches?project=default", &list)
	if len(list.SavedSearches) != 1 || list.SavedSearches[0].Query != "browser:firefox errors:>0" || !list.SavedSearches[0].Shared {
		t.Fatalf("saved = %+v", list)
	}

	// A matching session that starts after the save is new; running the search clears the badge.
	time.Sleep(10 * time.Millisecond)
	ingestAs(t, r, "s_foxerror0002", uaFirefox, visit(time.Now(), "/checkout", true))
	run(t, ctx, "the saved search counts new sessions",
		chromedp.Click(`[data-testid=clear-filters]`, chromedp.ByQuery),
		waitFor(box+` === ""`),
		chromedp.Click(`[data-testid=nav-playlists]`, chromedp.ByQuery),
		waitFor(visible(`[data-testid=playlists-empty]`)),
		chromedp.Click(`[data-testid=nav-sessions]`, chromedp.ByQuery),
		waitFor(contains(`document.querySelector('[data-testid=saved-search][data-name="Firefox errors"] [data-testid=saved-new]')?.innerText || ""`, "1 new")),
		chromedp.Click(`[data-testid=saved-search][data-name="Firefox errors"] [data-testid=saved-run]`, chromedp.ByQuery),
		waitFor(box+` === "browser:firefox errors:>0 "`),
		waitFor(rows+` === "s_foxerror0002,s_foxerror0001"`),
		waitFor(`!document.querySelector('[data-testid=saved-new]')`),
	)
	shoot(t, ctx, "saved-searches.png")

	run(t, ctx, "pin from the list into a new playlist",
		chromedp.Click(`[data-testid=session-row][data-session-id=s_foxerror0001] [data-testid=pin]`, chromedp.ByQuery),
		waitFor(visible(`[data-testid=pin-new-name]`)),
		chromedp.SendKeys(`[data-testid=pin-new-name]`, "Coupon bugs", chromedp.ByQuery),
		chromedp.Click(`[data-testid=pin-new-submit]`, chromedp.ByQuery),
		waitFor(contains(`document.querySelector('[data-testid=pin-done]')?.innerText || ""`, "Coupon bugs")),
		// The pin button did not open the replay.
		waitFor(`location.pathname === "/"`),
	)
	run(t, ctx, "pin from the player",
		chromedp.Evaluate(`document.dispatchEvent(new KeyboardEvent('keydown', {key: 'Escape'}))`, nil),
		waitFor(`!document.querySelector('[data-testid=pin-popover]')`),
		chromedp.Click(`[data-testid=session-row][data-session-id=s_foxerror0002]`, chromedp.ByQuery),
		waitFor(`location.pathname === "/sessions/s_foxerror0002"`),
		waitFor(`document.body.dataset.playerReady === "1"`),
		chromedp.Click(`[data-testid=pin]`, chromedp.ByQuery),
		waitFor(`document.querySelector('[data-testid=pin-to][data-name="Coupon bugs"]')`),
		chromedp.Click(`[data-testid=pin-to][data-name="Coupon bugs"]`, chromedp.ByQuery),
		waitFor(contains(`document.querySelector('[data-testid=pin-done]')?.innerText || ""`, "Coupon bugs")),
	)
	run(t, ctx, "open the playlist and click through to a replay",
		chromedp.Click(`[data-testid=nav-playlists]`, chromedp.ByQuery),
		waitFor(contains(`document.querySelector('[data-testid=playlist-row][data-name="Coupon bugs"]')?.innerText || ""`, "2")),
		chromedp.Click(`[data-testid=playlist-row][data-name="Coupon bugs"] [data-testid=playlist-link]`, chromedp.ByQuery),
		waitFor(`document.querySelector('[data-testid=playlist-name]')?.innerText === "Coupon bugs"`),
		waitFor(rows+` === "s_foxerror0001,s_foxerror0002"`),
	)
	shoot(t, ctx, "playlist.png")
	run(t, ctx, "replay from the playlist",
		chromedp.Click(`[data-testid=session-row][data-session-id=s_foxerror0001]`, chromedp.ByQuery),
		waitFor(`location.pathname === "/sessions/s_foxerror0001"`),
		waitFor(`document.body.dataset.playerReady === "1"`),
		waitFor(contains(frameText, "Page /cart")),
	)
}
