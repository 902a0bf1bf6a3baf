package e2e

import (
	"encoding/json"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestSdkMaskingChoices sets each masking choice of a project on the Settings page, records a
// visitor typing into every kind of field and into a rich-text editor, and reads what the
// player shows: field values and editor text in the replayed page. The server's scrubber, the
// second layer, would replace an email or phone number the browser lets through; it is
// switched off for those kinds here, so what the player shows is the SDK's choice.
func TestSdkMaskingChoices(t *testing.T) {
	r := startReel(t, t.TempDir())
	key := publicKey(t, r)
	site := sdkSite(t, r.URL, key)
	dash := browser(t)
	run(t, dash, "login", loginActions(r)...)

	typed := map[string]string{"#name": "NameVisitor", "#email": "mail-visitor@example.com", "#tel": "+4915551234987", "#cc": "4111111111119876", "#password": "PwSecret-9431"}
	cases := []struct {
		name   string
		clicks []string // Settings switches clicked, from the defaults
		stored string   // the project's sdkConfig after saving
		shown  []string // in the player: "#id=value" of fields, or text
		hidden []string // neither in the player nor in what the server stored
	}{
		{
			name:   "defaults mask every field and every editor",
			stored: `{}`,
			hidden: []string{"NameVisitor", "mail-visitor", "5551234987", "4111111111119876", "PwSecret", "TypedEditorPageText", "UntouchedEditorText", "EditorSecret"},
		},
		{
			name:   "editors: only what the visitor types",
			clicks: []string{"maskEditable"},
			stored: `{"maskEditable":"typed"}`,
			shown:  []string{"UntouchedEditorText"},
			hidden: []string{"NameVisitor", "mail-visitor", "5551234987", "4111111111119876", "PwSecret", "EditorSecret"},
		},
		{
			name:   "fields unmasked, emails let through",
			clicks: []string{"maskAllInputs", "maskEmailInputs"},
			stored: `{"maskAllInputs":false,"maskEmailInputs":false}`,
			shown:  []string{"#name=NameVisitor", "#email=mail-visitor@example.com"},
			hidden: []string{"5551234987", "4111111111119876", "PwSecret"},
		},
		{
			name:   "fields unmasked, phones and cards let through",
			clicks: []string{"maskAllInputs", "maskTelInputs", "maskCardInputs"},
			stored: `{"maskAllInputs":false,"maskTelInputs":false,"maskCardInputs":false}`,
			shown:  []string{"#tel=+4915551234987", "#cc=4111111111119876"},
			hidden: []string{"mail-visitor", "PwSecret"},
		},
	}
	outer := t
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out map[string]any
			r.call(t, "PATCH", "/api/v1/projects/default", map[string]any{"sdkConfig": json.RawMessage(`{}`), "scrub": json.RawMessage(`{"off":["email","phone","card"]}`)}, &out)
			actions := []chromedp.Action{chromedp.Navigate(r.URL + "/settings"), waitFor(`document.querySelector('[data-testid=sdk-maskEditable]')`)}
			for _, k := range c.clicks {
				actions = append(actions, chromedp.Click(`[data-testid=sdk-`+k+`]`, chromedp.ByQuery))
			}
			actions = append(actions, chromedp.Click(`[data-testid=recording] button.primary`, chromedp.ByQuery),
				waitFor(contains(`document.querySelector('[data-testid=recording] [data-testid=save-status]').innerText`, "Saved")))
			run(t, dash, "set on the Settings page", actions...)
			var ps struct {
				Projects []struct{ SDKConfig map[string]any }
			}
			r.api(t, "/api/v1/projects", &ps)
			var want map[string]any
			json.Unmarshal([]byte(c.stored), &want)
			if !reflect.DeepEqual(ps.Projects[0].SDKConfig, want) {
				t.Fatalf("the Settings page stored %v, want %s", ps.Projects[0].SDKConfig, c.stored)
			}

			// A new visitor (no cached configuration) types into everything.
			ctx := browser(outer)
			run(t, ctx, "open", chromedp.Navigate(site.URL+"/mask.html"), waitFor(`window.Reel && Reel.getSessionId()`))
			for sel, v := range typed {
				run(t, ctx, "type "+sel, chromedp.SendKeys(sel, v, chromedp.ByQuery))
			}
			run(t, ctx, "type into an editor",
				chromedp.Click("#typed p", chromedp.ByQuery),
				chromedp.KeyEvent("EditorSecret"),
				chromedp.Sleep(300*time.Millisecond),
			)
			id := flushSession(t, ctx, "flush")
			var link string
			run(t, ctx, "link", chromedp.Sleep(300*time.Millisecond), chromedp.Evaluate(`Reel.getSessionURL()`, &link))
			_, raw := sessionEvents(t, r, id)

			u, _ := url.Parse(link)
			frame := `document.querySelector('[data-testid=player] iframe').contentDocument`
			var shown string
			run(t, dash, "replay", chromedp.Navigate(r.URL+u.RequestURI()),
				waitFor(`document.body.dataset.playerReady === "1"`),
				waitFor(frame+`?.getElementById("untouched")`),
				chromedp.Sleep(time.Second),
				chromedp.Evaluate(`(d => [...d.querySelectorAll("input")].map(i => "#" + i.id + "=" + i.value).join("\n") + "\n" + d.body.innerText)(`+frame+`)`, &shown),
			)
			look(t, dash, "sdk-masking-"+strings.NewReplacer(" ", "-", ":", "", ",", "").Replace(c.name)+".png")
			for _, s := range c.shown {
				if !strings.Contains(shown, s) {
					t.Errorf("the player does not show %q; it shows:\n%s", s, shown)
				}
			}
			for _, s := range c.hidden {
				if strings.Contains(shown, s) {
					t.Errorf("the player shows %q:\n%s", s, shown)
				}
				if i := strings.Index(raw, s); i >= 0 {
					t.Errorf("%q reached the server: …%s…", s, raw[max(0, i-150):min(len(raw), i+60)])
				}
			}
			// The field the visitor typed into shows as many asterisks as characters where masked.
			if !strings.Contains(shown, "#password="+strings.Repeat("*", len(typed["#password"]))) {
				t.Errorf("the password field does not show its masked value:\n%s", shown)
			}
		})
	}
}
