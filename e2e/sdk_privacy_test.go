package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestSdkPrivacy types secrets into every kind of field, with the default options and with
// masking turned off, and checks what reached the server: nothing typed by default, and never
// a password, email, phone or card number whatever the options say.
func TestSdkPrivacy(t *testing.T) {
	r := startReel(t, t.TempDir())
	key := publicKey(t, r)
	site := sdkSite(t, r.URL, key)
	var ctx context.Context

	type field struct{ sel, value string }
	sensitive := []field{
		{"#password", "PwSecret-9431"},
		{"#email", "mail-secret@example.com"},
		{"#tel", "+4915551234987"},
		{"#cc", "4111111111119876"},
	}
	plain := []field{
		{"#name", "NameSecret-Ada"},
		{"#notes", "NotesSecret-text"},
	}
	typeAll := func(step string, fields []field) {
		for _, f := range fields {
			run(t, ctx, step+" "+f.sel, chromedp.SendKeys(f.sel, f.value, chromedp.ByQuery))
		}
		run(t, ctx, step+" select and contenteditable",
			chromedp.SetValue("#plan", "gold-secret-plan", chromedp.ByQuery),
			chromedp.Evaluate(`document.getElementById("plan").dispatchEvent(new Event("change", {bubbles: true}))`, nil),
			chromedp.Click("#editor", chromedp.ByQuery),
			chromedp.KeyEvent("EditorSecret"),
			chromedp.Sleep(200*time.Millisecond),
		)
	}

	cases := []struct {
		name      string
		opts      string
		hidden    []string // must not appear anywhere in what the server stored
		visible   []string // must appear (the page is still recorded)
		typePlain bool
	}{
		{
			name:      "defaults mask every field",
			opts:      `{}`,
			hidden:    []string{"PwSecret", "mail-secret", "5551234987", "4111111111119876", "NameSecret", "NotesSecret", `"text":"gold-secret-plan"`, `"value":"gold-secret-plan","id"`, "EditorSecret", "MaskedClassText", "BlockedClassText"},
			visible:   []string{"VisibleParagraphText"},
			typePlain: true,
		},
		{
			name:      "masking off still hides sensitive fields",
			opts:      `{"maskAllInputs": false}`,
			hidden:    []string{"PwSecret", "mail-secret", "5551234987", "4111111111119876", "MaskedClassText", "BlockedClassText"},
			visible:   []string{"VisibleParagraphText", "NameSecret-Ada", "EditorSecret"},
			typePlain: true,
		},
		{
			name:    "maskAllText hides page text",
			opts:    `{"maskAllText": true}`,
			hidden:  []string{"VisibleParagraphText", "PwSecret", "MaskedClassText"},
			visible: []string{"grid-template-columns"},
		},
	}
	outer := t
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			// The outer test owns the browser: its profile directory is removed once Chromium exited.
			ctx = browser(outer)
			run(t, ctx, "open",
				chromedp.Navigate(sdkPage(site, "sdk.html", c.opts)),
				waitFor(`window.Reel && Reel.getSessionId()`),
				chromedp.Sleep(200*time.Millisecond),
			)
			typeAll("type", sensitive)
			if c.typePlain {
				typeAll("type", plain)
			}
			id := flushSession(t, ctx, "flush")
			_, raw := sessionEvents(t, r, id)
			for _, s := range c.hidden {
				if strings.Contains(raw, s) {
					i := strings.Index(raw, s)
					t.Errorf("%q reached the server: …%s…", s, raw[max(0, i-200):min(len(raw), i+100)])
				}
			}
			for _, s := range c.visible {
				if !strings.Contains(raw, s) {
					t.Errorf("%q missing: the page was not recorded as expected", s)
				}
			}
		})
	}
}
