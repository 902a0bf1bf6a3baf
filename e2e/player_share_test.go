package e2e

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestPlayerShareLinks: a logged-in user makes a share link from the player; a browser with no
// login opens it and watches that session at the moment of a ?t= link, and nothing else; an
// expired link says so.
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
	if !strings.HasPrefix(url, r.URL+"/share/s_sharedone01.") {
		t.Fatalf("share url = %q", url)
	}

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
	// The token cannot be pointed at another session.
	forged := strings.Replace(url, "s_sharedone01", "s_otherone001", 1)
	run(t, anon, "a forged link",
		chromedp.Navigate(forged),
		waitFor(contains(`document.body.innerText`, "This share link is not valid")),
	)

	// An expired link explains itself.
	req, _ := http.NewRequest("POST", r.URL+"/api/v1/sessions/s_sharedone01/share", bytes.NewReader([]byte(`{"expiresInHours": 0.0003}`)))
	req.Header.Set("Authorization", "Bearer "+adminToken)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	var link struct{ Path string }
	json.NewDecoder(res.Body).Decode(&link)
	res.Body.Close()
	time.Sleep(2200 * time.Millisecond)
	run(t, anon, "an expired link",
		chromedp.Navigate(r.URL+link.Path),
		waitFor(contains(`document.body.innerText`, "This share link has expired")),
		waitFor(contains(`document.body.innerText`, "ask for a new one")),
	)
}
