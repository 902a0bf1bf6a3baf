package e2e

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/png"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// visitFlagged records one visitor of the SDK test page in a browser of its own: the site sets
// a flag variant with Reel.setFlags, the visitor clicks "Pay now", and a buyer's order is
// tracked. It returns the session id.
func visitFlagged(t *testing.T, site string, variant string, buys bool) string {
	t.Helper()
	ctx := browser(t)
	track := ""
	if buys {
		track = `Reel.track("order_placed", {plan: "pro", total: 42});`
	}
	run(t, ctx, "visit as "+variant,
		chromedp.Navigate(site),
		waitFor(`window.Reel && Reel.getSessionId()`),
		chromedp.Evaluate(`Reel.setFlags({checkout: "`+variant+`", theme: "dark"});
			document.body.insertAdjacentHTML("beforeend", '<button id="pay" data-testid="pay">Pay now</button>'); 1`, nil),
		chromedp.Sleep(300*time.Millisecond),
		chromedp.Click(`#pay`, chromedp.ByQuery),
		chromedp.Sleep(200*time.Millisecond),
		chromedp.Evaluate(track+`1`, nil),
	)
	id := flushSession(t, ctx, "flush "+variant)
	chromedp.Cancel(ctx)
	return id
}

// TestFunnelsAndExperiments: flags set in the page reach the session and search at once; after
// analysis a funnel over a page, a click and a custom event counts the visits; the funnel page
// saves it, and the Experiments page compares the flag's variants, each one click from its
// sessions. Both pages are checked by their visible text and by pixels of their screenshots.
func TestFunnelsAndExperiments(t *testing.T) {
	r := startReelWith(t, t.TempDir(), "--compact-idle", "1s")
	key := publicKey(t, r)
	site := sdkSite(t, r.URL, key)
	page := sdkPage(site, "sdk.html", `{"flushIntervalMs": 500}`)
	ids := map[string]string{
		"a1": visitFlagged(t, page, "a", true),
		"a2": visitFlagged(t, page, "a", false),
		"b1": visitFlagged(t, page, "b", true),
	}

	// setFlags reaches the session: its reel.flags event, and search by variant at once.
	evs, _ := sessionEvents(t, r, ids["b1"])
	if fl := customs(evs, "reel.flags"); len(fl) != 1 || fmt.Sprint(fl[0]["flags"]) != "map[checkout:b theme:dark]" {
		t.Fatalf("reel.flags events of b1 = %v", fl)
	}
	var list struct{ Sessions []struct{ ID string } }
	r.api(t, "/api/v1/sessions?q="+url.QueryEscape("flag.checkout:a"), &list)
	if len(list.Sessions) != 2 || (list.Sessions[0].ID != ids["a1"] && list.Sessions[0].ID != ids["a2"]) {
		t.Fatalf("flag.checkout:a finds %+v, want a1 and a2", list.Sessions)
	}
	r.api(t, "/api/v1/sessions?q="+url.QueryEscape("flag.checkout:b flag.theme:dark"), &list)
	if len(list.Sessions) != 1 || list.Sessions[0].ID != ids["b1"] {
		t.Fatalf("flag.checkout:b flag.theme:dark finds %+v, want b1", list.Sessions)
	}

	// Analysis keeps the clicks and events (compaction after 1 s of quiet).
	def := `{"steps":[{"path":"/sdk.html"},{"kind":"click","text":"pay now"},{"kind":"event","name":"order_placed","props":{"plan":"pro"}}]}`
	var out struct{ Steps []struct{ Sessions int } }
	deadline := time.Now().Add(90 * time.Second)
	for {
		apiPost(t, r, "/api/v1/funnels?project=default", def, &out)
		if out.Steps[1].Sessions == 3 && out.Steps[2].Sessions == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("funnel after 90s = %+v, want 3 → 3 → 2", out.Steps)
		}
		time.Sleep(time.Second)
	}

	ctx := browser(t)
	run(t, ctx, "log in", loginActions(r)...)
	steps := `[...document.querySelectorAll('[data-testid=funnel-step]')].map(s => s.dataset.sessions).join(",")`
	u := "/funnels?days=7&step=%2Fsdk.html&step=" + url.QueryEscape("click:?text=Pay now") + "&step=" + url.QueryEscape("event:order_placed?plan=pro")
	run(t, ctx, "funnel of a page, a click and an event",
		chromedp.Navigate(r.URL+u),
		waitFor(steps+` === "3,3,2"`),
		waitFor(`document.querySelectorAll('[data-testid=funnel-click-text]').length === 1`),
	)
	var text string
	run(t, ctx, "read", chromedp.Evaluate(`document.querySelector('[data-testid=funnel]').innerText`, &text))
	for _, want := range []string{"67%", "of 3 sessions converted", "Pay now", "order_placed plan=pro", "1 dropped", "Conversion over time"} {
		if !strings.Contains(text, want) {
			t.Errorf("funnel page does not show %q:\n%s", want, text)
		}
	}
	// The dropped visitor is one click from the replay, where it reached the click.
	var href string
	run(t, ctx, "dropped link", chromedp.Evaluate(`document.querySelector('[data-testid=dropped-link]').getAttribute("href")`, &href))
	if !strings.HasPrefix(href, "/sessions/"+ids["a2"]+"?t=") {
		t.Errorf("dropped link = %q, want a2's replay", href)
	}
	// Save it, shared, under a name.
	run(t, ctx, "save",
		chromedp.SendKeys(`[data-testid=funnel-name]`, "Pay and order", chromedp.ByQuery),
		chromedp.Click(`[data-testid=funnel-save]`, chromedp.ByQuery),
		waitFor(`(document.querySelector('[data-testid=funnel-note]')||{}).innerText?.includes("shared with the project")`),
		waitFor(`new URLSearchParams(location.search).get("funnel") !== null`),
	)
	var funnelID string
	run(t, ctx, "funnel id", chromedp.Evaluate(`new URLSearchParams(location.search).get("funnel")`, &funnelID))
	checkPixels(t, ctx, "funnels-steps.png", map[string][3]uint8{"bars": {0x50, 0x7a, 0xde}}, `[data-testid=funnel]`)

	// Web vitals: a2 had a slow page in another tab, b1 a fast one (a local page's own vitals,
	// which the SDK may also report, are all good).
	now := time.Now().UnixMilli()
	ingest(t, r, ids["a2"], "t_tab00000009", 0, []string{metaEv(now, site.URL+"/slow.html"), vitalEv(now+100, "LCP", 5200)})
	ingest(t, r, ids["b1"], "t_tab00000009", 0, []string{metaEv(now, site.URL+"/fast.html"), vitalEv(now+100, "LCP", 1200)})

	// Experiments: the flag's variants on the saved funnel, friction, errors and web vitals.
	lcpRows := `[...document.querySelectorAll('[data-testid=exp-vital-lcp] [data-testid=exp-row]')].map(r => r.dataset.variant + ":" + r.dataset.count).join(",")`
	run(t, ctx, "experiments",
		chromedp.Navigate(r.URL+"/experiments?days=7&flag=checkout&funnel="+funnelID),
		waitFor(`document.querySelectorAll('[data-testid=exp-conversion] [data-testid=exp-row]').length === 2`),
		waitFor(lcpRows+` === "a:1,b:0"`),
	)
	run(t, ctx, "read experiment", chromedp.Evaluate(`document.querySelector('[data-testid=experiment]').innerText`, &text))
	for _, want := range []string{"Converted through “Pay and order”", "2 sessions", "1 session", "1/2", "1/1", "Sessions with friction", "Sessions with errors",
		"Largest Contentful Paint slower than good", "p75 5.20 s"} {
		if !strings.Contains(text, want) {
			t.Errorf("experiment page does not show %q:\n%s", want, text)
		}
	}
	shoot(t, ctx, "experiments.png")
	checkPixels(t, ctx, "experiments.png", map[string][3]uint8{"variant a": {0x2f, 0x6f, 0xde}, "variant b": {0xe0, 0x74, 0x2b}}, `[data-testid=experiment]`)
	// The slow side of LCP is one click from its slow sessions.
	run(t, ctx, "variant a's slow sessions",
		chromedp.Click(`[data-testid=exp-vital-lcp] [data-testid=exp-row][data-variant=a] [data-testid=exp-link]`, chromedp.ByQuery),
		waitFor(`new URLSearchParams(location.search).get("q") === "flag.checkout:a vitals.lcp:>2500"`),
		waitFor(`document.querySelectorAll('[data-testid=session-row]').length === 1`),
	)
	run(t, ctx, "back to the experiment", chromedp.NavigateBack(), waitFor(`document.querySelectorAll('[data-testid=exp-variant]').length === 2`))
	// Each side is one click from its sessions.
	run(t, ctx, "variant a's sessions",
		chromedp.Click(`[data-testid=exp-variant][data-variant=a]`, chromedp.ByQuery),
		waitFor(`location.pathname === "/" && new URLSearchParams(location.search).get("q") === "flag.checkout:a"`),
		waitFor(`document.querySelectorAll('[data-testid=session-row]').length === 2`),
	)
}

// checkPixels screenshots the element, keeps it for people to look at (look), and fails
// unless every named colour covers at least 30 of its pixels: what a person sees drawn.
func checkPixels(t *testing.T, ctx context.Context, name string, colours map[string][3]uint8, sel string) {
	t.Helper()
	look(t, ctx, name)
	var shot []byte
	run(t, ctx, "screenshot "+name, chromedp.Screenshot(sel, &shot, chromedp.ByQuery))
	img, err := png.Decode(bytes.NewReader(shot))
	if err != nil {
		t.Fatal(err)
	}
	for what, c := range colours {
		if n := countNear(img, c); n < 30 {
			t.Errorf("%s: %d pixels of %s (#%02x%02x%02x), want it drawn", name, n, what, c[0], c[1], c[2])
		}
	}
}

func countNear(img image.Image, c [3]uint8) int {
	n := 0
	b := img.Bounds()
	for y := b.Min.Y; y < b.Max.Y; y++ {
		for x := b.Min.X; x < b.Max.X; x++ {
			r, g, bl, _ := img.At(x, y).RGBA()
			if near(r>>8, c[0]) && near(g>>8, c[1]) && near(bl>>8, c[2]) {
				n++
			}
		}
	}
	return n
}

func near(v uint32, want uint8) bool {
	d := int(v) - int(want)
	return d > -40 && d < 40
}
