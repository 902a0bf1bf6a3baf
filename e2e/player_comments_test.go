package e2e

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// commentsFixture records one session of about 9 s whose heading changes at 5 s.
func commentsFixture(t *testing.T, r *reel, id string) {
	t.Helper()
	t0 := time.Now().Add(-time.Hour).UnixMilli()
	var d dom
	h := d.text("Checkout (start)")
	doc := d.page(d.el("h1", nil, h))
	ingest(t, r, id, "t_tab00000001", 0, []string{
		metaEv(t0, "https://shop.example/checkout"), fullEv(t0+1, doc),
		moveEv(t0+1000, 10, 10), textEv(t0+5000, h["id"].(int), "Checkout (later)"), moveEv(t0+9000, 20, 20),
	})
}

// post calls the REST API with the admin token and decodes the JSON answer into v.
func (r *reel) post(t *testing.T, path string, body any, v any) {
	t.Helper()
	r.call(t, http.MethodPost, path, body, v)
}

// call sends body as JSON to the REST API with the admin token and decodes the answer into v.
func (r *reel) call(t *testing.T, method, path string, body any, v any) {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(method, r.URL+path, bytes.NewReader(b))
	req.Header.Set("Authorization", "Bearer "+adminToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	if resp.StatusCode/100 != 2 {
		t.Fatalf("%s %s = %d %s", method, path, resp.StatusCode, out)
	}
	if err := json.Unmarshal(out, v); err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
}

// viewerBrowser invites a viewer of the default project and returns a browser logged in as it.
func viewerBrowser(t *testing.T, r *reel, email string) context.Context {
	t.Helper()
	var inv struct{ URL string }
	r.post(t, "/api/v1/invites", map[string]any{"email": email, "role": "viewer", "projects": []string{"default"}}, &inv)
	i := strings.LastIndex(inv.URL, "/")
	if i < 0 {
		t.Fatalf("invite url %q", inv.URL)
	}
	token := inv.URL[i+1:]
	ctx := browser(t)
	var status int
	run(t, ctx, "accept the invite as "+email,
		chromedp.Navigate(r.URL+"/login"),
		chromedp.Evaluate(`fetch('/api/v1/invites/accept/`+token+`', {method: 'POST', headers: {'Content-Type': 'application/json'}, body: JSON.stringify({password: 'viewer-password-1'})}).then(r => r.status)`, &status, awaitPromise),
	)
	if status != 200 {
		t.Fatalf("accepting the invite = %d", status)
	}
	return ctx
}

const clockText = `document.querySelector('[data-testid=time]').innerText`

// TestPlayerComments: one person comments on a moment of a session; another person, opening
// the session, sees the comment as a marker on the timeline and in the Session pane with its
// author, and a click on it takes the player to that moment; each edits and deletes only
// their own.
func TestPlayerComments(t *testing.T) {
	r := startReel(t, t.TempDir())
	commentsFixture(t, r, "s_comments001")

	admin := browser(t)
	run(t, admin, "comment at 0:06",
		append(loginActions(r),
			chromedp.Navigate(r.URL+"/sessions/s_comments001?t=6000"),
			waitFor(`document.body.dataset.playerReady === "1"`),
			chromedp.Click(`[data-testid=pane-session]`, chromedp.ByQuery),
			waitFor(visible(`[data-testid=comment-text]`)),
			waitFor(contains(`document.querySelector('[data-testid=comment-add]').innerText`, "Comment at 0:06")),
			typeInto(`[data-testid=comment-text]`, "The coupon field rejects SAVE10 here"),
			chromedp.Click(`[data-testid=comment-add]`, chromedp.ByQuery),
			waitFor(contains(`document.querySelector('[data-testid=comments]').innerText`, "The coupon field rejects SAVE10 here")),
			waitFor(visible(`[data-testid=comment-marker]`)),
		)...)

	viewer := viewerBrowser(t, r, "viewer@example.com")
	var markerTitle string
	var frac float64
	run(t, viewer, "another user sees the comment on the timeline",
		chromedp.Navigate(r.URL+"/sessions/s_comments001"),
		waitFor(`document.body.dataset.playerReady === "1"`),
		waitFor(visible(`[data-testid=comment-marker]`)),
		chromedp.Evaluate(`document.querySelector('[data-testid=comment-marker]').title`, &markerTitle),
		// Where the marker sits along the timeline, as a share of the rail's width.
		chromedp.Evaluate(`(() => { const m = document.querySelector('[data-testid=comment-marker]').getBoundingClientRect();
			const r = document.querySelector('.comment-rail').getBoundingClientRect();
			return (m.left + m.width / 2 - r.left) / r.width; })()`, &frac),
	)
	if !strings.Contains(markerTitle, "0:06") || !strings.Contains(markerTitle, adminEmail) || !strings.Contains(markerTitle, "SAVE10") {
		t.Fatalf("marker title = %q, want the moment, the author and the text", markerTitle)
	}
	var total float64
	run(t, viewer, "total", chromedp.Evaluate(`Number(document.querySelector('[data-testid=time]').dataset.totalMs)`, &total))
	if want := 6000 / total; frac < want-0.03 || frac > want+0.03 {
		t.Fatalf("marker at %.3f of the timeline, want %.3f (6 s of %.0f ms)", frac, want, total)
	}
	look(t, viewer, "comments-timeline.png")

	run(t, viewer, "the Session pane lists it with its author; a click seeks there",
		chromedp.Click(`[data-testid=pane-session]`, chromedp.ByQuery),
		waitFor(contains(`document.querySelector('[data-testid=comment]').innerText`, adminEmail)),
		waitFor(contains(`document.querySelector('[data-testid=comment]').innerText`, "The coupon field rejects SAVE10 here")),
		waitFor(`!document.querySelector('[data-testid=comment] [data-testid=comment-edit]') && !document.querySelector('[data-testid=comment] [data-testid=comment-delete]')`),
		// Paused first: the replay plays from the start when opened, and a seek while playing
		// plays on (skipping idle time, past 0:06 before the clock is read).
		chromedp.Evaluate(`(() => { const b = document.querySelector('[data-testid=play]'); if (b.dataset.state !== "paused") b.click(); })()`, nil),
		waitFor(`document.querySelector('[data-testid=play]').dataset.state === "paused"`),
		chromedp.Click(`[data-testid=comment-seek]`, chromedp.ByQuery),
		waitFor(contains(clockText, "0:06 /")),
		waitFor(contains(frameText, "Checkout (later)")),
	)

	run(t, viewer, "the viewer comments, edits and deletes their own",
		typeInto(`[data-testid=comment-text]`, "Seen it too"),
		chromedp.Click(`[data-testid=comment-add]`, chromedp.ByQuery),
		waitFor(`document.querySelectorAll('[data-testid=comment]').length === 2`),
		waitFor(`document.querySelectorAll('[data-testid=comment-marker]').length === 2`),
		chromedp.Click(`[data-testid=comment-edit]`, chromedp.ByQuery),
		waitFor(visible(`[data-testid=comment-edit-text]`)),
		typeInto(`[data-testid=comment-edit-text]`, "Seen it too, on Firefox"),
		chromedp.Click(`[data-testid=comment-save]`, chromedp.ByQuery),
		waitFor(contains(`document.querySelector('[data-testid=comments]').innerText`, "Seen it too, on Firefox")),
		waitFor(contains(`document.querySelector('[data-testid=comments]').innerText`, "edited")),
	)
	look(t, viewer, "comments-pane.png")
	run(t, viewer, "delete",
		chromedp.Evaluate(`window.confirm = () => true`, nil),
		chromedp.Click(`[data-testid=comment-delete]`, chromedp.ByQuery),
		waitFor(`document.querySelectorAll('[data-testid=comment]').length === 1`),
		waitFor(`!document.querySelector('[data-testid=comments]').innerText.includes("Seen it too")`),
	)
	// The admin, reloading, sees the viewer's comment gone and their own still there.
	run(t, admin, "the admin's view after a reload",
		chromedp.Reload(),
		waitFor(`document.body.dataset.playerReady === "1"`),
		waitFor(`document.querySelectorAll('[data-testid=comment-marker]').length === 1`),
	)
}

// TestPlayerShareAtMoment: "Share" in the player offers the current moment and a comment; the
// person opening the link lands at that moment (the clock shows it) and reads the comment.
func TestPlayerShareAtMoment(t *testing.T) {
	r := startReel(t, t.TempDir())
	commentsFixture(t, r, "s_sharemoment")

	ctx := browser(t)
	var url string
	run(t, ctx, "share at the current moment with a comment",
		append(loginActions(r),
			chromedp.Navigate(r.URL+"/sessions/s_sharemoment?t=6000"),
			waitFor(`document.body.dataset.playerReady === "1"`),
			chromedp.Click(`[data-testid=share]`, chromedp.ByQuery),
			waitFor(visible(`[data-testid=share-popover]`)),
			waitFor(contains(`document.querySelector('[data-testid=share-popover]').innerText`, "Open at current time (0:06)")),
			waitFor(`document.querySelector('[data-testid=share-at-now]').checked`),
			typeInto(`[data-testid=share-comment]`, "Watch the heading change here"),
			chromedp.Click(`[data-testid=share-create]`, chromedp.ByQuery),
			waitFor(`document.querySelector('[data-testid=share-url]')?.value.includes('/share/')`),
			chromedp.Evaluate(`document.querySelector('[data-testid=share-url]').value`, &url),
		)...)
	if !strings.HasPrefix(url, r.URL+"/share/") || !strings.HasSuffix(url, "?t=6000") {
		t.Fatalf("share url = %q, want one that opens at 6000 ms", url)
	}
	look(t, ctx, "share-popover.png")

	anon := browser(t)
	for _, u := range []string{url, strings.TrimSuffix(url, "?t=6000")} {
		run(t, anon, "open "+u,
			chromedp.Navigate(u),
			waitFor(`document.body.dataset.playerReady === "1"`),
			waitFor(contains(clockText, "0:06 /")),
			waitFor(contains(frameText, "Checkout (later)")),
			waitFor(visible(`[data-testid=share-comment-shown]`)),
			waitFor(contains(`document.querySelector('[data-testid=share-comment-shown]').innerText`, "Watch the heading change here")),
		)
	}
	look(t, anon, "share-opened.png")

	// The session pane lists the link with its moment and comment.
	run(t, ctx, "the link in the session pane",
		chromedp.Click(`[data-testid=pane-session]`, chromedp.ByQuery),
		waitFor(contains(`document.querySelector('[data-testid=share-links]').innerText`, "opens at 0:06")),
		waitFor(contains(`document.querySelector('[data-testid=share-links]').innerText`, "Watch the heading change here")),
	)
}

// TestPlaylistNotes: a playlist item's note is written and changed on the playlist page, and
// stays after a reload; the session keeps its place.
func TestPlaylistNotes(t *testing.T) {
	r := startReel(t, t.TempDir())
	commentsFixture(t, r, "s_pinnote0001")
	commentsFixture(t, r, "s_pinnote0002")
	var pl struct{ ID int64 }
	r.post(t, "/api/v1/playlists", map[string]any{"project": "default", "name": "Triage", "shared": true}, &pl)
	for _, id := range []string{"s_pinnote0001", "s_pinnote0002"} {
		var pin struct{ Position int }
		r.call(t, http.MethodPut, fmt.Sprintf("/api/v1/playlists/%d/sessions/%s", pl.ID, id), map[string]any{}, &pin)
	}
	page := fmt.Sprintf("%s/playlists/%d", r.URL, pl.ID)
	firstNote := `document.querySelector('[data-testid=pin-note]')?.innerText || ""`
	ctx := browser(t)
	run(t, ctx, "add a note to the first item",
		append(loginActions(r),
			chromedp.Navigate(page),
			waitFor(`document.querySelectorAll('[data-testid=pin-note-edit]').length === 2`),
			waitFor(contains(`document.querySelector('[data-testid=pin-note-edit]').innerText`, "Add note")),
			chromedp.Click(`[data-testid=pin-note-edit]`, chromedp.ByQuery),
			waitFor(visible(`[data-testid=pin-note-input]`)),
			typeInto(`[data-testid=pin-note-input]`, "Coupon rejected twice"),
			chromedp.Click(`[data-testid=pin-note-save]`, chromedp.ByQuery),
			waitFor(contains(firstNote, "Coupon rejected twice")),
		)...)
	var path string
	run(t, ctx, "the note stays after a reload, and editing it keeps the row in place",
		chromedp.Reload(),
		waitFor(contains(firstNote, "Coupon rejected twice")),
		waitFor(contains(`document.querySelector('[data-testid=pin-note-edit]').innerText`, "Edit note")),
		chromedp.Click(`[data-testid=pin-note-edit]`, chromedp.ByQuery),
		waitFor(visible(`[data-testid=pin-note-input]`)),
		typeInto(`[data-testid=pin-note-input]`, "Coupon rejected three times"),
		chromedp.Click(`[data-testid=pin-note-save]`, chromedp.ByQuery),
		waitFor(contains(firstNote, "Coupon rejected three times")),
		chromedp.Evaluate(`location.pathname`, &path),
	)
	if path != fmt.Sprintf("/playlists/%d", pl.ID) {
		t.Fatalf("editing a note left the playlist page for %s", path)
	}
	look(t, ctx, "playlist-notes.png")
	var got struct {
		Sessions []struct {
			ID   string
			Note string
		}
	}
	r.api(t, fmt.Sprintf("/api/v1/playlists/%d/sessions", pl.ID), &got)
	if len(got.Sessions) != 2 || got.Sessions[0].Note != "Coupon rejected three times" || got.Sessions[1].Note != "" {
		t.Fatalf("playlist = %+v, want the note on the first item, in its place", got.Sessions)
	}
}
