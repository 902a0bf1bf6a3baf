package e2e

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestSessionPaneShowsUserChange: a session identified as one user and then as another keeps
// both; the player's Session pane shows the current user with the one before and when it
// changed, and the session list shows the current one.
func TestSessionPaneShowsUserChange(t *testing.T) {
	r := startReel(t, t.TempDir())
	ctx := browser(t)
	t0 := time.Now().Add(-10 * time.Minute).UnixMilli()
	const id = "s_userchange1"
	var d dom
	doc := d.page(d.el("h1", nil, d.text("Account page")))
	ingest(t, r, id, "t_tab00000001", 0, []string{
		metaEv(t0, "https://shop.example/account"),
		fullEv(t0+1, doc),
		customEv(t0+200, "reel.identify", map[string]any{"userId": "alice@x.example"}),
		moveEv(t0+500, 100, 100),
	})
	ingest(t, r, id, "t_tab00000001", 1, []string{
		customEv(t0+3000, "reel.identify", map[string]any{"userId": "bob@x.example"}),
		moveEv(t0+3500, 120, 120),
	})
	changed := time.UnixMilli(t0 + 3000).Format("15:04:05")

	run(t, ctx, "log in", loginActions(r)...)
	run(t, ctx, "the Session pane shows the change",
		chromedp.Navigate(r.URL+"/sessions/"+id+"?t=0"),
		waitFor(`document.body.dataset.playerReady === "1"`),
		chromedp.Click(`[data-testid=pane-session]`, chromedp.ByQuery),
		waitFor(visible(`[data-testid=user]`)),
		waitFor(contains(`document.querySelector('[data-testid=user]').innerText`, "bob@x.example")),
		waitFor(contains(`document.querySelector('[data-testid=user-before]').innerText`, "before: alice@x.example")),
		waitFor(contains(`document.querySelector('[data-testid=user-before]').innerText`, "changed "+changed)),
	)
	var text string
	run(t, ctx, "read the pane", chromedp.Evaluate(`document.querySelector('[data-testid=user]').innerText`, &text))
	t.Logf("Session pane: %q", text)
	run(t, ctx, "the list shows the current user",
		chromedp.Navigate(r.URL+"/sessions"),
		waitFor(visible(`td.user`)),
		waitFor(contains(`document.querySelector('td.user').innerText`, "bob@x.example")),
	)
}
