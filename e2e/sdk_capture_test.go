package e2e

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestSdkCapturesWhatADebuggerNeeds drives every capture kind on a test page served from its
// own origin and checks each arrives at a real Reel server as the wire format describes it.
func TestSdkCapturesWhatADebuggerNeeds(t *testing.T) {
	r := startReel(t, t.TempDir())
	key := publicKey(t, r)
	site := sdkSite(t, r.URL, key)
	ctx := browser(t)

	opts := `{"network":{"allowUrls":["` + site.URL + `/echo"],"redactKeys":["x-private"]}}`
	var sessionURL string
	run(t, ctx, "exercise the page",
		chromedp.Navigate(sdkPage(site, "sdk.html", opts)),
		waitFor(`window.Reel && Reel.getSessionId()`),
		chromedp.Sleep(300*time.Millisecond),
		chromedp.Evaluate(`(() => {
			const cyc = { name: "cyclic" }; cyc.self = cyc;
			const huge = {}; for (let i = 0; i < 500; i++) huge["k" + i] = "v".repeat(50);
			console.log("hello", 42, cyc, document.getElementById("out"));
			console.info("an info"); console.debug("a debug"); console.warn("a warning");
			console.log(huge, "x".repeat(100000));
			console.error(new TypeError("bad thing"));
			setTimeout(() => { throw new RangeError("thrown later") }, 0);
			Promise.reject(new Error("rejected promise"));
			const sheet = new CSSStyleSheet(); sheet.replaceSync(".adopted-rule { color: rgb(1, 2, 3) }");
			document.adoptedStyleSheets = [sheet];
			document.getElementById("out").textContent = "changed";
			return true;
		})()`, nil),
		chromedp.Evaluate(`(async () => {
			await fetch("/echo?token=query-secret", { method: "POST", headers: { "Authorization": "Bearer auth-secret", "X-Private": "private-secret", "Content-Type": "application/json" }, body: JSON.stringify({ password: "body-secret", item: 7 }) });
			await fetch("/fail");
			await fetch("http://127.0.0.1:1/nothing").catch(() => {});
			await new Promise((res) => { const x = new XMLHttpRequest(); x.open("GET", "/echo?via=xhr"); x.onloadend = res; x.send(); });
			history.pushState({}, "", "/spa/step-2");
			history.replaceState({}, "", "/spa/step-3");
			location.hash = "#section";
			await new Promise((res) => setTimeout(res, 100));
			Reel.identify("user-42", { plan: "gold" });
			Reel.track("checkout_started", { items: 3 });
			return true;
		})()`, nil, awaitPromise),
		chromedp.Sleep(1200*time.Millisecond), // canvas frames are sampled at 2 fps
		chromedp.Evaluate(`Reel.getSessionURL()`, &sessionURL),
	)
	id := flushSession(t, ctx, "flush")
	if !strings.HasPrefix(sessionURL, r.URL+"/sessions/"+id+"?t=") {
		t.Errorf("getSessionURL = %q, want %s/sessions/%s?t=…", sessionURL, r.URL, id)
	}
	evs, raw := sessionEvents(t, r, id)

	byType := map[int]int{}
	for _, e := range evs {
		byType[e.Type]++
	}
	if byType[2] < 1 || byType[4] < 1 {
		t.Fatalf("no full snapshot / meta: %v", byType)
	}

	t.Run("console", func(t *testing.T) {
		c := customs(evs, "reel.console")
		levels := map[string]bool{}
		var joined string
		for _, p := range c {
			levels[p["level"].(string)] = true
			b, _ := json.Marshal(p)
			joined += string(b) + "\n"
		}
		for _, l := range []string{"log", "info", "debug", "warn", "error"} {
			if !levels[l] {
				t.Errorf("no console.%s event", l)
			}
		}
		for _, want := range []string{`[Circular]`, `\u003cdiv#out\u003e`, `more]`, `TypeError: bad thing`} {
			if !strings.Contains(joined, want) {
				t.Errorf("console events lack %q:\n%.2000s", want, joined)
			}
		}
		if len(joined) > 60000 {
			t.Errorf("console payloads not truncated: %d bytes", len(joined))
		}
	})
	t.Run("errors", func(t *testing.T) {
		e := customs(evs, "reel.error")
		var thrown, rejected bool
		for _, p := range e {
			if p["kind"] == "error" && strings.Contains(p["message"].(string), "thrown later") && p["stack"] != nil && p["line"] != nil {
				thrown = true
			}
			if p["kind"] == "unhandledrejection" && p["message"] == "rejected promise" && p["stack"] != nil {
				rejected = true
			}
		}
		if !thrown || !rejected {
			t.Errorf("errors: thrown=%v rejected=%v in %v", thrown, rejected, e)
		}
	})
	t.Run("network", func(t *testing.T) {
		n := customs(evs, "reel.network")
		var echo, fail, refused, xhr bool
		for _, p := range n {
			u := p["url"].(string)
			switch {
			case strings.Contains(u, "/echo?token="):
				echo = p["method"] == "POST" && p["status"] == 200.0 && p["requestBody"] != nil && p["responseBody"] != nil
				if rh, _ := p["requestHeaders"].(map[string]any); rh["authorization"] != "[redacted]" || rh["x-private"] != "[redacted]" {
					t.Errorf("request headers not redacted: %v", rh)
				}
			case strings.HasSuffix(u, "/fail"):
				fail = p["status"] == 500.0 && p["requestHeaders"] == nil
			case strings.Contains(u, "127.0.0.1:1/"):
				refused = p["failure"] == "network"
			case strings.Contains(u, "via=xhr"):
				xhr = p["status"] == 200.0 && p["method"] == "GET" && p["responseBody"] != nil
			}
			if strings.Contains(u, "/api/v1/") {
				t.Errorf("Reel's own request recorded: %s", u)
			}
		}
		if !echo || !fail || !refused || !xhr {
			t.Errorf("network: echo=%v fail=%v refused=%v xhr=%v in %v", echo, fail, refused, xhr, n)
		}
		for _, secret := range []string{"auth-secret", "private-secret", "body-secret", "query-secret", "cookie-secret-value", "response-token-secret"} {
			if strings.Contains(raw, secret) {
				t.Errorf("%q reached the server", secret)
			}
		}
	})
	t.Run("navigation", func(t *testing.T) {
		kinds := map[string]string{}
		for _, p := range customs(evs, "reel.navigation") {
			kinds[p["kind"].(string)] = p["url"].(string)
		}
		if !strings.HasSuffix(kinds["push"], "/spa/step-2") || !strings.HasSuffix(kinds["replace"], "/spa/step-3") || !strings.HasSuffix(kinds["hash"], "#section") {
			t.Errorf("navigation events: %v", kinds)
		}
	})
	t.Run("identify and track", func(t *testing.T) {
		id := customs(evs, "reel.identify")
		tr := customs(evs, "reel.track")
		if len(id) != 1 || id[0]["userId"] != "user-42" || len(tr) != 1 || tr[0]["name"] != "checkout_started" {
			t.Errorf("identify %v, track %v", id, tr)
		}
	})
	t.Run("vitals", func(t *testing.T) {
		names := map[string]bool{}
		for _, p := range customs(evs, "reel.vitals") {
			names[p["name"].(string)] = true
			if v, ok := p["value"].(float64); !ok || v < 0 {
				t.Errorf("vital without a value: %v", p)
			}
		}
		if !names["TTFB"] || !names["FCP"] {
			t.Errorf("vitals: %v", names)
		}
	})
	t.Run("canvas and stylesheets", func(t *testing.T) {
		if !strings.Contains(raw, `"source":9`) {
			t.Errorf("no canvas frame recorded")
		}
		if !strings.Contains(raw, "adopted-rule") {
			t.Errorf("adopted stylesheet not recorded")
		}
		if !strings.Contains(raw, "grid-template-columns") {
			t.Errorf("inline stylesheet not recorded")
		}
	})
}
