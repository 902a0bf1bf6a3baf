package e2e

import (
	"net/http"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestProjectsInSettings: an admin makes a project from the settings page, rotates its key
// (the old key's expiry is shown and it still reads the SDK config), and deletes it after
// typing its name.
func TestProjectsInSettings(t *testing.T) {
	r := startReel(t, t.TempDir())
	ctx := browser(t)
	run(t, ctx, "log in", loginActions(r)...)

	var defaultKey, key string
	run(t, ctx, "make a project",
		chromedp.Click(`[data-testid=nav-settings]`, chromedp.ByQuery),
		waitFor(visible(`[data-testid=friction]`)),
		chromedp.Text(`[data-testid=public-key]`, &defaultKey, chromedp.ByQuery),
		chromedp.Click(`[data-testid=new-project]`, chromedp.ByQuery),
		waitFor(visible(`[data-testid=new-project-form]`)),
		typeInto(`[data-testid=new-project-name]`, "Shop EU"),
		chromedp.Click(`[data-testid=new-project-create]`, chromedp.ByQuery),
		waitFor(`new URLSearchParams(location.search).get("project") === "shop-eu"`),
		waitFor(`document.querySelector('[data-testid=public-key]')?.innerText !== `+jsString(defaultKey)),
		waitFor(contains(`document.querySelector('[data-testid=delete-count]').innerText`, "its 0 sessions")),
		chromedp.Text(`[data-testid=public-key]`, &key, chromedp.ByQuery),
	)
	if !strings.HasPrefix(key, "pk_") || key == defaultKey {
		t.Fatalf("new project's key %q (default's %q)", key, defaultKey)
	}
	// The project chosen on one page is the one the others open on.
	run(t, ctx, "the session list opens on it, and so do settings",
		chromedp.Navigate(r.URL+"/"),
		waitFor(`document.querySelector('select[aria-label=Project]')?.value === "shop-eu"`),
		waitFor(contains(`document.body.innerText`, key)),
		chromedp.Click(`[data-testid=nav-settings]`, chromedp.ByQuery),
		waitFor(`location.pathname === "/settings"`),
		waitFor(`document.querySelector('[data-testid=public-key]')?.innerText === `+jsString(key)),
	)

	var rotated string
	run(t, ctx, "rotate its key",
		chromedp.Evaluate(`window.confirm = () => true`, nil),
		chromedp.Click(`[data-testid=rotate-key]`, chromedp.ByQuery),
		waitFor(contains(`document.querySelector('[data-testid=rotate-status]').innerText`, "New key made")),
		waitFor(contains(`document.querySelector('[data-testid=previous-key]').innerText`, key)),
		waitFor(contains(`document.querySelector('[data-testid=previous-key]').innerText`, "keeps recording until")),
		chromedp.Text(`[data-testid=public-key]`, &rotated, chromedp.ByQuery),
	)
	if rotated == key || !strings.HasPrefix(rotated, "pk_") {
		t.Fatalf("rotated key %q (was %q)", rotated, key)
	}
	for _, k := range []string{key, rotated} {
		res, err := http.Get(r.URL + "/api/v1/sdk-config?v=1&key=" + k)
		if err != nil {
			t.Fatal(err)
		}
		res.Body.Close()
		if res.StatusCode != 200 {
			t.Fatalf("sdk-config with %s within the grace = %d", k, res.StatusCode)
		}
	}

	run(t, ctx, "delete it after typing its name",
		typeInto(`[data-testid=delete-confirm]`, "Shop"),
		waitFor(`document.querySelector('[data-testid=delete-project-button]').disabled`),
		typeInto(`[data-testid=delete-confirm]`, "Shop EU"),
		waitFor(`!document.querySelector('[data-testid=delete-project-button]').disabled`),
		chromedp.Click(`[data-testid=delete-project-button]`, chromedp.ByQuery),
		waitFor(`!new URLSearchParams(location.search).get("project")`),
		waitFor(`document.querySelector('[data-testid=public-key]')?.innerText === `+jsString(defaultKey)),
		waitFor(contains(`document.querySelector('[data-testid=delete-project]').innerText`, "cannot be deleted")),
	)
	var projects struct{ Projects []struct{ ID string } }
	r.api(t, "/api/v1/projects", &projects)
	if len(projects.Projects) != 1 || projects.Projects[0].ID != "default" {
		t.Fatalf("projects after deletion: %+v", projects.Projects)
	}
	res, err := http.Get(r.URL + "/api/v1/sdk-config?v=1&key=" + rotated)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 401 {
		t.Fatalf("deleted project's key = %d", res.StatusCode)
	}
}
