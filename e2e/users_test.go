package e2e

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// An owner invites a viewer from the Users page; in a second browser (its own profile and cookies)
// the viewer opens the link, sets a password, lands signed in, watches a recorded session in
// the player, and is told Settings needs an admin (its nav item is not shown to them).
func TestInviteViewerWatchesAndIsRefusedSettings(t *testing.T) {
	r := startReel(t, t.TempDir())
	const id = "s_invitedview1"
	start := time.Now().Add(-10 * time.Minute).UnixMilli()
	var d dom
	doc := d.page(d.el("h1", nil, d.text("Welcome to the invite shop")), d.el("p", nil, d.text("Pick a plan to continue.")))
	ingest(t, r, id, "t_tab00000001", 0, []string{metaEv(start, "https://shop.example/"), fullEv(start+1, doc), moveEv(start+2000, 40, 60)})

	owner := browser(t)
	var link string
	run(t, owner, "owner invites a viewer",
		append(loginActions(r),
			waitFor(visible(`[data-testid=nav-users]`)),
			chromedp.Click(`[data-testid=nav-users]`, chromedp.ByQuery),
			waitFor(`location.pathname === "/users"`),
			waitFor(visible(`[data-testid=users] [data-testid=user-row]`)),
			waitFor(visible(`[data-testid=invite-form]`)),
			typeInto(`[data-testid=invite-email]`, "viewer@example.com"),
			chromedp.SetValue(`[data-testid=invite-role]`, "viewer", chromedp.ByQuery),
			waitFor(`document.querySelector('[data-testid=invite-project]').checked`),
			chromedp.Click(`[data-testid=invite-submit]`, chromedp.ByQuery),
			waitFor(visible(`[data-testid=invite-link]`)),
			chromedp.Value(`[data-testid=invite-link]`, &link, chromedp.ByQuery),
			waitFor(contains(`document.querySelector('[data-testid=invites]').innerText`, "viewer@example.com")),
		)...)
	if !strings.HasPrefix(link, r.URL+"/invite/") {
		t.Fatalf("invitation link = %q", link)
	}
	look(t, owner, "users-invite.png")

	// A second browser, with its own profile: nothing of the owner's login.
	viewer := browser(t)
	run(t, viewer, "viewer accepts",
		chromedp.Navigate(link),
		waitFor(contains(`document.body.innerText`, "viewer@example.com")),
		waitFor(contains(`document.querySelector('[data-testid=invite-who]').innerText`, "viewer")),
		typeInto(`[data-testid=invite-password]`, "viewer-e2e-password"),
		typeInto(`[data-testid=invite-password-again]`, "viewer-e2e-password"),
	)
	look(t, viewer, "users-accept.png")
	run(t, viewer, "viewer lands signed in",
		chromedp.Click(`[data-testid=invite-accept]`, chromedp.ByQuery),
		waitFor(`location.pathname === "/"`),
		waitFor(contains(`document.querySelector('.who') ? document.querySelector('.who').innerText : ""`, "viewer@example.com")),
		waitFor(visible(`[data-testid=nav-sessions]`)),
		waitFor(`!document.querySelector('[data-testid=nav-settings]') && !document.querySelector('[data-testid=nav-users]')`),
	)
	run(t, viewer, "viewer watches the session",
		chromedp.Navigate(r.URL+"/sessions/"+id),
		waitFor(`document.body.dataset.playerReady === "1"`),
		waitFor(contains(frameText, "Welcome to the invite shop")),
	)
	run(t, viewer, "viewer is refused settings",
		chromedp.Navigate(r.URL+"/settings"),
		waitFor(visible(`[data-testid=needs-admin]`)),
		waitFor(contains(`document.querySelector('[data-testid=needs-admin]').innerText`, "Settings needs an admin")),
		waitFor(`!document.querySelector('[data-testid=friction]')`),
	)
	look(t, viewer, "users-needs-admin.png")
	// The link worked once.
	run(t, viewer, "the used link",
		chromedp.Navigate(link),
		waitFor(visible(`[data-testid=invite-bad]`)),
		waitFor(contains(`document.querySelector('[data-testid=invite-bad]').innerText`, "already used")),
	)

	// The owner's page shows the new viewer with their project, and no pending invitation.
	run(t, owner, "owner sees the viewer",
		chromedp.Reload(),
		waitFor(visible(`[data-testid=user-row][data-email="viewer@example.com"]`)),
		waitFor(contains(`document.querySelector('[data-testid=user-row][data-email="viewer@example.com"]').innerText`, "Active")),
		waitFor(visible(`[data-testid=no-invites]`)),
	)
	look(t, owner, "users-list.png")
	// The owner sees in the audit log that the viewer watched the session, and the invitation.
	run(t, owner, "owner reads the audit log",
		chromedp.Click(`[data-testid=nav-audit]`, chromedp.ByQuery),
		waitFor(contains(`document.querySelector('[data-testid=audit-list]').innerText`, "viewer@example.com watched session "+id)),
		waitFor(contains(`document.querySelector('[data-testid=audit-list]').innerText`, "invited viewer@example.com as viewer")),
		waitFor(contains(`document.querySelector('[data-testid=audit-list]').innerText`, "accepted an invitation and joined as viewer")),
	)
	look(t, owner, "users-audit.png")
	var users struct {
		Users []struct {
			Email    string
			Role     string
			Projects []string
		}
	}
	r.api(t, "/api/v1/users", &users)
	found := false
	for _, u := range users.Users {
		if u.Email == "viewer@example.com" {
			found = u.Role == "viewer" && len(u.Projects) == 1 && u.Projects[0] == "default"
		}
	}
	if !found {
		t.Fatalf("users = %+v, want viewer@example.com a viewer of default", users.Users)
	}
}
