package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestPlayerShareLinks: a logged-in user makes a share link from the player; a browser with no
// login opens it and watches that session at the moment of a ?t= link, and nothing else; the
// link is listed in the session pane, and once revoked there it says so.
func TestPlayerShareLinks(t *testing.T) {
	r := startReel(t, t.TempDir())
	t0 := time.Now().Add(-time.Hour).UnixMilli()
	for _, s := range []struct{ id, title string }{{"s_sharedone01", "The shared page"}, {"s_otherone001", "Someone else"}} {
		var d dom
		h := d.text(s.title + " (start)")
		doc := d.page(d.el("h1", nil, h))
		ingest(t, r, s.id, "t_tab00000001", 0, []string{
			metaEv(t0, "https://shop.example/"), fullEv(t0+1, doc),
			moveEv(t0+1000, 10, 10), textEv(t0+5000, h["id"].(int), s.title+" (later)"), moveEv(t0+9000, 20, 20),
		})
	}

	ctx := browser(t)
	var url string
	run(t, ctx, "make a share link in the player",
		append(loginActions(r),
			chromedp.Navigate(r.URL+"/sessions/s_sharedone01?t=6000"),
			waitFor(`document.body.dataset.playerReady === "1"`),
			chromedp.Click(`[data-testid=share]`, chromedp.ByQuery),
			waitFor(visible(`[data-testid=share-popover]`)),
			chromedp.Click(`[data-testid=share-create]`, chromedp.ByQuery),
			waitFor(`document.querySelector('[data-testid=share-url]')?.value.includes('/share/')`),
			chromedp.Evaluate(`document.querySelector('[data-testid=share-url]').value`, &url),
		)...)
	if !strings.HasPrefix(url, r.URL+"/share/") || strings.Contains(url, "s_sharedone01") {
		t.Fatalf("share url = %q (must not name the session)", url)
	}
	// The link opens at the moment the player was at; this test adds its own ?t=.
	url, _, _ = strings.Cut(url, "?")

	// A fresh browser: no cookies, no login.
	anon := browser(t)
	var status int
	run(t, anon, "open the share link at a moment",
		chromedp.Navigate(url+"?t=6000"),
		waitFor(`document.body.dataset.playerReady === "1"`),
		waitFor(contains(frameText, "The shared page (later)")),
		waitFor(contains(`document.querySelector('[data-testid=share-note]').innerText`, "expires")),
		chromedp.Evaluate(`fetch('/api/v1/sessions').then(r => r.status)`, &status, awaitPromise),
	)
	if status != 401 {
		t.Fatalf("a share link's browser can list sessions: %d", status)
	}
	var path string
	run(t, anon, "stays on the share page", chromedp.Evaluate(`location.pathname`, &path))
	if !strings.HasPrefix(path, "/share/") {
		t.Fatalf("share page went to %s", path)
	}
	// An altered token is no link.
	forged := url[:len(url)-1] + string("AB"[strings.IndexByte("AB", url[len(url)-1])+1&1])
	run(t, anon, "a forged link",
		chromedp.Navigate(forged),
		waitFor(contains(`document.body.innerText`, "This share link is not valid")),
	)

	// The session pane lists the link; revoking it there ends it for the other browser.
	run(t, ctx, "revoke the link in the session pane",
		chromedp.Click(`[data-testid=pane-session]`, chromedp.ByQuery),
		waitFor(`document.querySelectorAll('[data-testid=share-link][data-status=active]').length === 1`),
		waitFor(contains(`document.querySelector('[data-testid=share-links]').innerText`, "Expires")),
		chromedp.Evaluate(`window.confirm = () => true`, nil),
		chromedp.Click(`[data-testid=share-revoke]`, chromedp.ByQuery),
		waitFor(`document.querySelectorAll('[data-testid=share-link][data-status=revoked]').length === 1`),
		waitFor(contains(`document.querySelector('[data-testid=share-links]').innerText`, "Revoked")),
	)
	run(t, anon, "a revoked link",
		chromedp.Navigate(url),
		waitFor(contains(`document.body.innerText`, "This share link was revoked")),
		waitFor(contains(`document.body.innerText`, "ask for a new one")),
	)
}
