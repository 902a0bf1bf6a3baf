package e2e

import (
	"fmt"
	"testing"

	"github.com/chromedp/chromedp"
)

// typeInto replaces an input's value the way a user's typing does (Preact listens to input).
func typeInto(sel, value string) chromedp.Action {
	return chromedp.Evaluate(`(() => { const el = document.querySelector(`+jsString(sel)+`);
		el.value = `+jsString(value)+`; el.dispatchEvent(new Event("input", {bubbles: true})); })()`, nil)
}

func TestSettingsPage(t *testing.T) {
	r := startReel(t, t.TempDir())
	ctx := browser(t)
	run(t, ctx, "log in", loginActions(r)...)

	var key string
	run(t, ctx, "open settings",
		chromedp.Click(`[data-testid=nav-settings]`, chromedp.ByQuery),
		waitFor(`location.pathname === "/settings"`),
		waitFor(visible(`[data-testid=friction]`)),
		chromedp.Text(`[data-testid=public-key]`, &key, chromedp.ByQuery),
		waitFor(contains(`document.querySelector('[data-testid=snippet]').innerText`, "Reel.init")),
	)
	if len(key) < 10 || key[:3] != "pk_" {
		t.Fatalf("public key shown = %q", key)
	}

	// A value outside the detector's range is refused with the reason, and nothing is stored.
	run(t, ctx, "bad threshold",
		typeInto(`[data-testid=th-rageClicks]`, "1"),
		chromedp.Click(`[data-testid=friction] button.primary`, chromedp.ByQuery),
		waitFor(contains(`document.querySelector('[data-testid=friction] [data-testid=save-status]').innerText`, "between 2 and 20")),
	)
	var projects struct {
		Projects []struct {
			RetentionDays int
			Friction      map[string]float64
			Thresholds    map[string]float64
			SDKConfig     map[string]any
			Name          string
		}
	}
	r.api(t, "/api/v1/projects", &projects)
	if len(projects.Projects[0].Friction) != 0 {
		t.Fatalf("a refused threshold was stored: %+v", projects.Projects[0].Friction)
	}

	// Good values are saved, shown as in effect, and kept across a reload.
	run(t, ctx, "save thresholds",
		typeInto(`[data-testid=th-rageClicks]`, "4"),
		typeInto(`[data-testid=th-deadWaitMs]`, "5000"),
		chromedp.Click(`[data-testid=friction] button.primary`, chromedp.ByQuery),
		waitFor(contains(`document.querySelector('[data-testid=friction] [data-testid=save-status]').innerText`, "Saved")),
		waitFor(contains(`document.querySelector('[data-testid=effective-rageClicks]').innerText`, "4")),
	)
	run(t, ctx, "retention and recording",
		typeInto(`[data-testid=retention]`, "30"),
		chromedp.Click(`[data-testid=general] button.primary`, chromedp.ByQuery),
		waitFor(contains(`document.querySelector('[data-testid=general] [data-testid=save-status]').innerText`, "Saved")),
		chromedp.Click(`[data-testid=sdk-maskAllText]`, chromedp.ByQuery),
		chromedp.Click(`[data-testid=recording] button.primary`, chromedp.ByQuery),
		waitFor(contains(`document.querySelector('[data-testid=recording] [data-testid=save-status]').innerText`, "Saved")),
	)
	r.api(t, "/api/v1/projects", &projects)
	p := projects.Projects[0]
	if p.Friction["rageClicks"] != 4 || p.Friction["deadWaitMs"] != 5000 || p.Thresholds["rageClicks"] != 4 || p.RetentionDays != 30 || p.SDKConfig["maskAllText"] != true {
		t.Fatalf("stored settings = %+v", p)
	}
	// The SDK gets the recording options.
	var cfg map[string]any
	r.api(t, "/api/v1/sdk-config?v=1&key="+key, &cfg)
	if cfg["maskAllText"] != true {
		t.Fatalf("sdk-config = %v", cfg)
	}
	run(t, ctx, "reload keeps them",
		chromedp.Reload(),
		waitFor(visible(`[data-testid=friction]`)),
		waitFor(`document.querySelector('[data-testid=th-rageClicks]').value === "4"`),
		waitFor(`document.querySelector('[data-testid=retention]').value === "30"`),
		waitFor(`document.querySelector('[data-testid=sdk-maskAllText]').checked`),
	)
	shoot(t, ctx, "settings.png")
}

// TestScrubberSettings: the Settings page's scrubber section shows the server's error for a bad
// pattern and stores nothing, then saves a pattern and a kind switched off, which stay across a
// reload.
func TestScrubberSettings(t *testing.T) {
	r := startReel(t, t.TempDir())
	ctx := browser(t)
	run(t, ctx, "log in", loginActions(r)...)
	status := `document.querySelector('[data-testid=scrubber] [data-testid=save-status]').innerText`
	run(t, ctx, "a pattern that does not compile",
		chromedp.Navigate(r.URL+"/settings"),
		waitFor(visible(`[data-testid=scrubber]`)),
		waitFor(`document.querySelector('[data-testid=scrub-on]').checked && document.querySelector('[data-testid=scrub-card]').checked`),
		typeInto(`[data-testid=scrub-patterns]`, "ORD-[0-9]{6}\na(b"),
		chromedp.Click(`[data-testid=scrub-save]`, chromedp.ByQuery),
		waitFor(contains(status, `pattern 2 "a(b": is not a valid regular expression`)),
	)
	var projects struct {
		Projects []struct {
			Scrub map[string]any `json:"scrub"`
		}
	}
	r.api(t, "/api/v1/projects", &projects)
	if len(projects.Projects[0].Scrub) != 0 {
		t.Fatalf("a refused pattern was stored: %v", projects.Projects[0].Scrub)
	}
	run(t, ctx, "a good pattern, phones off",
		typeInto(`[data-testid=scrub-patterns]`, "ORD-[0-9]{6}"),
		chromedp.Click(`[data-testid=scrub-phone]`, chromedp.ByQuery),
		chromedp.Click(`[data-testid=scrub-save]`, chromedp.ByQuery),
		waitFor(contains(status, "Saved")),
	)
	r.api(t, "/api/v1/projects", &projects)
	if got := fmt.Sprint(projects.Projects[0].Scrub); got != "map[off:[phone] patterns:[ORD-[0-9]{6}]]" {
		t.Fatalf("stored scrub settings = %s", got)
	}
	run(t, ctx, "reload keeps them",
		chromedp.Reload(),
		waitFor(visible(`[data-testid=scrubber]`)),
		waitFor(`document.querySelector('[data-testid=scrub-patterns]').value === "ORD-[0-9]{6}"`),
		waitFor(`!document.querySelector('[data-testid=scrub-phone]').checked && document.querySelector('[data-testid=scrub-email]').checked`),
	)
}
