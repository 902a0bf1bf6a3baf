package e2e

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// TestPlayerNeverRunsRecordedScripts replays a hostile recording (script tags, inline event
// handlers, javascript: links, srcdoc frames, handlers added by later mutations) and proves that
// none of it runs: not in the dashboard, not in the replay frame.
func TestPlayerNeverRunsRecordedScripts(t *testing.T) {
	r := startReel(t, t.TempDir())
	ctx := browser(t)

	// Every payload tries to reach the dashboard (parent/top) and to mark its own frame.
	const hit = `(function(){try{top.__pwned=(top.__pwned||0)+1}catch(e){}try{parent.__pwned=(parent.__pwned||0)+1}catch(e){}try{window.__pwned=1;document.title='PWNED'}catch(e){}})()`
	var d dom
	doc := d.page(
		d.el("h1", map[string]any{"id": "title"}, d.text("Hostile page")),
		d.el("script", nil, d.text(hit)),
		d.el("script", map[string]any{"src": "data:text/javascript," + hit}),
		d.el("img", map[string]any{"src": "data:image/png;base64,AAAA", "onerror": hit}),
		d.el("svg", map[string]any{"onload": hit}),
		d.el("a", map[string]any{"id": "js-link", "href": "javascript:" + hit}, d.text("click me")),
		d.el("button", map[string]any{"id": "handler", "onclick": hit, "onmouseover": hit}, d.text("button")),
		d.el("iframe", map[string]any{"srcdoc": "<script>" + hit + "</script><img src=x onerror=\"" + hit + "\">"}),
		d.el("form", map[string]any{"action": "javascript:" + hit}, d.el("input", map[string]any{"autofocus": "", "onfocus": hit})),
		d.el("object", map[string]any{"data": "data:text/html,<script>" + hit + "</script>"}),
		d.el("meta", map[string]any{"http-equiv": "refresh", "content": "0;url=javascript:" + hit}),
	)
	button, bodyID := 0, bodyOf(doc)["id"].(int)
	for _, n := range bodyOf(doc)["childNodes"].([]node) {
		if n["tagName"] == "button" {
			button = n["id"].(int)
		}
	}
	t0 := time.Now().Add(-time.Minute).UnixMilli()
	later := d.next + 100
	events := []string{
		metaEv(t0, "https://evil.example/"),
		fullEv(t0+1, doc),
		// A mutation that adds a script and an element with a handler, later on.
		evJSON(3, t0+500, map[string]any{"source": 0, "texts": []any{}, "removes": []any{},
			"attributes": []any{map[string]any{"id": button, "attributes": map[string]any{"onclick": hit, "onfocus": hit}}},
			"adds": []any{
				map[string]any{"parentId": bodyID, "nextId": nil, "node": map[string]any{"type": 2, "tagName": "script", "attributes": map[string]any{}, "childNodes": []any{}, "id": later}},
				map[string]any{"parentId": later, "nextId": nil, "node": map[string]any{"type": 3, "textContent": hit, "id": later + 1}},
				map[string]any{"parentId": bodyID, "nextId": nil, "node": map[string]any{"type": 2, "tagName": "img", "attributes": map[string]any{"src": "x:", "onerror": hit}, "childNodes": []any{}, "id": later + 2}},
			}}),
		clickEv(t0+800, button, 20, 200),
		moveEv(t0+1500, 40, 220),
	}
	ingest(t, r, "s_hostile0001", "t_tab00000001", 0, events)

	// The dashboard is served with a strict CSP.
	res, err := http.Get(r.URL + "/sessions/s_hostile0001")
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	csp := res.Header.Get("Content-Security-Policy")
	if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline' *; img") && strings.Contains(csp, "script-src 'self' 'unsafe") {
		t.Fatalf("CSP = %q", csp)
	}

	// Count every CSP violation and every console message in the dashboard.
	var violations []string
	chromedp.ListenTarget(ctx, func(ev any) {
		if e, ok := ev.(*runtime.EventConsoleAPICalled); ok {
			for _, a := range e.Args {
				if strings.Contains(string(a.Value), "PWNED") || strings.Contains(string(a.Value), "__pwned") {
					violations = append(violations, "console: "+string(a.Value))
				}
			}
		}
	})
	// Every document, the list's included, counts CSP violations from its start.
	run(t, ctx, "watch CSP violations", chromedp.ActionFunc(func(ctx context.Context) error {
		_, err := page.AddScriptToEvaluateOnNewDocument(`window.__csp = []; document.addEventListener("securitypolicyviolation", e => window.__csp.push(e.violatedDirective + " " + e.blockedURI))`).Do(ctx)
		return err
	}))
	run(t, ctx, "log in", loginActions(r)...)

	// The session list's thumbnail rebuilds the hostile first page under the same rules.
	const thumb = `document.querySelector('[data-testid=session-row][data-session-id=s_hostile0001] [data-testid=preview]')`
	var preview struct {
		State, Sandbox, Title, Heading, Focused string
		Pwned, FramePwned                       any
		Scripts                                 int
		CSP                                     []string
	}
	run(t, ctx, "the list's preview of the hostile page",
		waitFor(thumb+` && `+thumb+`.dataset.state === "ready"`),
		// The recorded page's images have failed to load (so their onerror had its chance).
		waitFor(`[...`+thumb+`.querySelector('iframe').contentDocument.images].every(i => i.complete)`),
		chromedp.Evaluate(`document.activeElement ? document.activeElement.tagName : ""`, &preview.Focused),
		chromedp.Evaluate(`(() => {
			const p = `+thumb+`;
			const f = p.querySelector('iframe');
			const doc = f.contentDocument;
			for (const el of doc.querySelectorAll('button, a, img, svg, input')) {
				try { el.click && el.click(); } catch (e) {}
				try { el.focus && el.focus(); } catch (e) {}
			}
			return true;
		})()`, nil),
		chromedp.Evaluate(`(() => {
			const p = `+thumb+`;
			const f = p.querySelector('iframe');
			return {
				state: p.dataset.state,
				sandbox: f.getAttribute('sandbox') || "",
				title: f.contentDocument.title,
				heading: f.contentDocument.querySelector('#title')?.textContent || "",
				pwned: window.__pwned === undefined ? null : window.__pwned,
				framePwned: f.contentWindow.__pwned === undefined ? null : f.contentWindow.__pwned,
				scripts: f.contentDocument.querySelectorAll('script').length,
				csp: window.__csp || [],
			};
		})()`, &preview),
	)
	if preview.Heading != "Hostile page" || preview.Sandbox != "allow-same-origin" {
		t.Fatalf("preview of the hostile page = %+v", preview)
	}
	if preview.Pwned != nil || preview.FramePwned != nil || strings.Contains(preview.Title, "PWNED") || preview.Scripts != 0 || len(violations) > 0 {
		t.Fatalf("a recorded script ran in the list's preview: %+v %v", preview, violations)
	}
	if preview.Focused == "IFRAME" {
		t.Fatalf("the recorded page took the dashboard's focus (autofocus) in the preview: %+v", preview)
	}
	for _, v := range preview.CSP {
		if strings.HasPrefix(v, "script-src") {
			t.Fatalf("a recorded script in the preview tried to run and was stopped only by CSP: %v", preview.CSP)
		}
	}
	run(t, ctx, "open the hostile session",
		chromedp.Navigate(r.URL+"/sessions/s_hostile0001"),
		waitFor(`document.body.dataset.playerReady === "1"`),
		waitFor(contains(frameText, "Hostile page")),
		chromedp.Evaluate(`window.__csp = []; document.addEventListener("securitypolicyviolation", e => window.__csp.push(e.violatedDirective + " " + e.blockedURI))`, nil),
	)
	// Let playback run past the mutation and the click, then poke every payload directly.
	run(t, ctx, "play through and poke the payloads",
		chromedp.Sleep(2500*time.Millisecond),
		chromedp.Evaluate(`(() => {
			const f = document.querySelector('[data-testid=player] iframe');
			const doc = f.contentDocument;
			for (const el of doc.querySelectorAll('button, a, img, svg, input')) {
				try { el.click && el.click(); } catch (e) {}
				try { el.dispatchEvent(new MouseEvent('mouseover', {bubbles: true})); } catch (e) {}
				try { el.focus && el.focus(); } catch (e) {}
			}
			return true;
		})()`, nil),
		chromedp.Sleep(800*time.Millisecond),
	)
	var state struct {
		Pwned      any
		FrameTitle string
		FramePwned any
		Sandbox    string
		Scripts    int
		Href       string
		Inner      []any
	}
	run(t, ctx, "read the state", chromedp.Evaluate(`(() => {
		const f = document.querySelector('[data-testid=player] iframe');
		const inner = [...f.contentDocument.querySelectorAll('iframe')].map(i => { try { return i.contentWindow.__pwned || (i.contentDocument && i.contentDocument.title) || null } catch (e) { return "cross-origin" } });
		return {
			pwned: window.__pwned === undefined ? null : window.__pwned,
			frameTitle: f.contentDocument.title,
			framePwned: f.contentWindow.__pwned === undefined ? null : f.contentWindow.__pwned,
			sandbox: f.getAttribute('sandbox'),
			scripts: f.contentDocument.querySelectorAll('script').length,
			href: location.href,
			inner,
		};
	})()`, &state))
	if state.Pwned != nil || state.FramePwned != nil || strings.Contains(state.FrameTitle, "PWNED") || len(violations) > 0 {
		t.Fatalf("recorded script ran: %+v %v", state, violations)
	}
	for _, v := range state.Inner {
		if v != nil && v != "" {
			t.Fatalf("srcdoc frame ran script: %+v", state)
		}
	}
	if strings.Contains(state.Sandbox, "allow-scripts") || state.Sandbox == "" {
		t.Fatalf("replay frame sandbox = %q", state.Sandbox)
	}
	if !strings.HasSuffix(state.Href, "/sessions/s_hostile0001") {
		t.Fatalf("dashboard navigated to %s", state.Href)
	}
	var csp2 []string
	run(t, ctx, "read CSP violations", chromedp.Evaluate(`window.__csp || []`, &csp2))
	for _, v := range csp2 {
		if strings.HasPrefix(v, "script-src") {
			t.Fatalf("a recorded script tried to run and was stopped only by CSP: %v", csp2)
		}
	}
	// Control: the payload is live code; evaluated by the dashboard itself, it does hit.
	var control float64
	run(t, ctx, "control", chromedp.Evaluate(hit+`; window.__pwned`, &control))
	if control < 1 {
		t.Fatalf("control payload did not run: %v", control)
	}
	fmt.Fprintf(testWriter{t}, "sandbox=%q scripts in frame=%d csp reports=%v\n", state.Sandbox, state.Scripts, csp2)
}

type testWriter struct{ t *testing.T }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}
