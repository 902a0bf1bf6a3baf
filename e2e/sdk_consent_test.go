package e2e

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// signalScripts define, before any page script runs, what Brave and Firefox expose when the
// visitor turned the signal on (Chromium has no switch for either).
var signalScripts = map[string]string{
	"gpc": `Object.defineProperty(Navigator.prototype, "globalPrivacyControl", { get: () => true, configurable: true })`,
	"dnt": `Object.defineProperty(Navigator.prototype, "doNotTrack", { get: () => "1", configurable: true })`,
}

// ingests returns the ingest requests the proxy saw.
func ingests(p *ingestProxy) []proxied {
	var out []proxied
	for _, r := range p.seen() {
		if r.query.Get("key") != "" && r.body != "" {
			out = append(out, r)
		}
	}
	return out
}

// TestSdkHonoursPrivacySignals opens the test page in a browser that sends Global Privacy
// Control or Do Not Track: by default nothing reaches the server (no session, no batch, not
// even after the project's configuration arrived); with privacySignals turned off by the site
// (init option) or by the project (remote configuration, switched off on the dashboard's
// Settings page) the page is recorded.
func TestSdkHonoursPrivacySignals(t *testing.T) {
	r := startReel(t, t.TempDir())
	key := publicKey(t, r)
	proxy := newIngestProxy(t, r.URL)
	site := sdkSite(t, proxy.URL, key)

	cases := []struct {
		name, signal, opts, remote string
		records                    bool
	}{
		{name: "GPC records nothing", signal: "gpc", opts: `{}`},
		{name: "DNT records nothing", signal: "dnt", opts: `{}`},
		{name: "GPC with the init option off records", signal: "gpc", opts: `{"privacySignals": false}`, records: true},
		{name: "DNT with the project option off records", signal: "dnt", opts: `{}`, remote: `{"privacySignals":false}`, records: true},
		{name: "no signal records", signal: "", opts: `{}`, records: true},
	}
	dash := browser(t)
	run(t, dash, "login", loginActions(r)...)
	outer := t
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out map[string]any
			r.call(t, "PATCH", "/api/v1/projects/default", map[string]any{"sdkConfig": json.RawMessage(`{}`)}, &out)
			if c.remote != "" {
				// The project turns the option off where an admin would: the Settings page.
				run(t, dash, "switch off on the Settings page",
					chromedp.Navigate(r.URL+"/settings"),
					waitFor(`document.querySelector('[data-testid=sdk-privacySignals]')?.checked === true`),
					chromedp.Click(`[data-testid=sdk-privacySignals]`, chromedp.ByQuery),
					chromedp.Click(`[data-testid=recording] button.primary`, chromedp.ByQuery),
				)
				deadline := time.Now().Add(30 * time.Second)
				for {
					var ps struct {
						Projects []struct{ SDKConfig json.RawMessage }
					}
					r.api(t, "/api/v1/projects", &ps)
					if string(ps.Projects[0].SDKConfig) == c.remote {
						break
					}
					if time.Now().After(deadline) {
						t.Fatalf("the Settings page saved %s, want %s", ps.Projects[0].SDKConfig, c.remote)
					}
					time.Sleep(100 * time.Millisecond)
				}
			}
			before := len(ingests(proxy))
			ctx := browser(outer)
			if c.signal != "" {
				run(t, ctx, "signal", chromedp.ActionFunc(func(ctx context.Context) error {
					_, err := page.AddScriptToEvaluateOnNewDocument(signalScripts[c.signal]).Do(ctx)
					return err
				}))
			}
			run(t, ctx, "open",
				chromedp.Navigate(sdkPage(site, "sdk.html", c.opts)),
				waitFor(`window.Reel && document.readyState === "complete"`),
			)
			// A second page of the site starts from the cached remote configuration.
			run(t, ctx, "reload",
				chromedp.Reload(),
				waitFor(`window.Reel && document.readyState === "complete"`),
				chromedp.Click("#name", chromedp.ByQuery),
				chromedp.SendKeys("#name", "typed", chromedp.ByQuery),
			)
			if c.records {
				id := flushSession(t, ctx, "flush")
				got := ingests(proxy)[before:]
				if len(got) == 0 || !strings.Contains(got[len(got)-1].body, id) {
					t.Fatalf("recording on: %d ingest requests, none for session %s", len(got), id)
				}
				return
			}
			// Give the SDK every chance to start: the configuration fetch (3 s at most), the
			// page's load, a flush.
			var state string
			run(t, ctx, "wait",
				chromedp.Sleep(4*time.Second),
				chromedp.Evaluate(`Reel.flush().then(() => JSON.stringify({
					id: Reel.getSessionId(),
					keys: Object.keys(localStorage).filter(k => k.startsWith("reel:") && k !== "reel:config"),
					gpc: navigator.globalPrivacyControl === true, dnt: navigator.doNotTrack,
				}))`, &state, awaitPromise),
			)
			want := `{"id":null,"keys":[],`
			if !strings.HasPrefix(state, want) {
				t.Errorf("page state %s, want it to start with %s", state, want)
			}
			if got := ingests(proxy)[before:]; len(got) != 0 {
				t.Errorf("the server received %d ingest requests from a visitor sending %s; first: %.300s", len(got), c.signal, got[0].body)
			}
		})
	}
}

// TestSdkRequireConsent opens a page with requireConsent: nothing is sent while the visitor has
// not answered, the session starts when the page calls Reel.consent(true), and it plays in the
// dashboard with the page's text.
func TestSdkRequireConsent(t *testing.T) {
	r := startReel(t, t.TempDir())
	key := publicKey(t, r)
	proxy := newIngestProxy(t, r.URL)
	site := sdkSite(t, proxy.URL, key)
	ctx := browser(t)

	var state string
	run(t, ctx, "open without consent",
		chromedp.Navigate(sdkPage(site, "sdk.html", `{"requireConsent": true}`)),
		waitFor(`window.Reel && document.readyState === "complete"`),
		chromedp.Click("#name", chromedp.ByQuery),
		chromedp.SendKeys("#name", "before consent", chromedp.ByQuery),
		chromedp.Sleep(3*time.Second),
		chromedp.Evaluate(`Reel.flush().then(() => JSON.stringify({ id: Reel.getSessionId(), batches: Object.keys(localStorage).filter(k => k.startsWith("reel:b:")).length }))`, &state, awaitPromise),
	)
	if state != `{"id":null,"batches":0}` {
		t.Errorf("before consent: %s", state)
	}
	if got := ingests(proxy); len(got) != 0 {
		t.Fatalf("before consent the server received %d ingest requests; first: %.300s", len(got), got[0].body)
	}

	run(t, ctx, "consent",
		chromedp.Evaluate(`Reel.consent(true)`, nil),
		waitFor(`Reel.getSessionId()`),
		chromedp.Sleep(300*time.Millisecond),
		chromedp.Click("#name", chromedp.ByQuery),
	)
	id := flushSession(t, ctx, "flush after consent")
	got := ingests(proxy)
	if len(got) == 0 || !strings.Contains(got[0].body, id) || !strings.Contains(got[0].body, "VisibleParagraphText") {
		t.Fatalf("after consent: %d ingest requests, want the page's snapshot in session %s", len(got), id)
	}

	// The next page of the site remembers the answer.
	run(t, ctx, "next page",
		chromedp.Navigate(sdkPage(site, "sdk.html", `{"requireConsent": true}`)),
		waitFor(`window.Reel && Reel.getSessionId() === `+jsString(id)),
	)

	dash := browser(t)
	run(t, dash, "login", loginActions(r)...)
	run(t, dash, "list",
		chromedp.Navigate(r.URL+"/"),
		waitFor(`[...document.querySelectorAll('[data-testid=session-row]')].some(e => e.dataset.sessionId === `+jsString(id)+`)`),
	)
	run(t, dash, "play",
		chromedp.Navigate(r.URL+"/sessions/"+id),
		waitFor(contains(frameText, "VisibleParagraphText")),
	)
}
