package e2e

import (
	"fmt"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/chromedp"
)

const iPhoneUA = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1"

type heatmapJSON struct {
	Clicks   int
	Sessions int
	Elements []struct {
		Selector string
		Clicks   int
	}
	Scroll struct {
		Views   int
		Reached []struct {
			Depth int
			Share float64
		}
	}
	Backdrop *struct{ SessionID, Path string }
}

// heatAt is a JavaScript expression reading the Heatmaps page: the heat canvas's pixel at the
// centre of the coupon button as the replayed snapshot lays it out, and one far from it.
const heatAt = `(() => {
	const st = document.querySelector('[data-testid=heat-stage]');
	const c = st.querySelector('canvas[data-testid=heat-canvas]');
	const d = st.querySelector('iframe').contentDocument;
	const b = d.querySelector('[data-testid=apply-coupon]').getBoundingClientRect();
	const ctx = c.getContext('2d');
	const at = (x, y) => ctx.getImageData(Math.round(x), Math.round(y), 1, 1).data[3];
	return {
		on: at(b.left + b.width / 2, b.top + b.height / 2),
		far: at(b.left > 200 ? 20 : c.width - 20, c.height - 20),
		left: Math.round(b.left), top: Math.round(b.top), frameWidth: c.width,
		found: Number(c.dataset.found), clicks: Number(c.dataset.clicks),
	};
})()`

type heatPixels struct {
	On, Far, Left, Top, FrameWidth, Found, Clicks int
}

// TestHeatmapsPage: visits of the demo shop's cart in headless Chromium at a desktop and a
// phone width, with the SDK, click the coupon button several times; once compacted, the
// Heatmaps page replays a snapshot of the cart and paints the heat on the button wherever that
// width laid it out, filters by device, and shows the scroll-depth shares.
func TestHeatmapsPage(t *testing.T) {
	r := startReelWith(t, t.TempDir(), "--compact-idle", "1s")
	ctx := browser(t)

	var desktopUA string
	run(t, ctx, "log in", append(loginActions(r), chromedp.Evaluate(`navigator.userAgent`, &desktopUA))...)
	// Headless Chromium says so in its User-Agent, which Reel counts as a bot, not a desktop.
	desktopUA = strings.ReplaceAll(desktopUA, "HeadlessChrome", "Chrome")
	run(t, ctx, "heatmaps page without data",
		chromedp.Click(`[data-testid=nav-heatmaps]`, chromedp.ByQuery),
		waitFor(visible(`[data-testid=heat-empty]`)),
		chromedp.SendKeys(`[data-testid=heat-page]`, "/demo/cart.html", chromedp.ByQuery),
		chromedp.Click(`[data-testid=heat-show]`, chromedp.ByQuery),
		waitFor(contains(`document.querySelector('[data-testid=heat-empty]').innerText`, "within a minute")),
	)

	visit := func(name string, width, height int64, mobile bool, scroll bool, clicks int) {
		ua := desktopUA
		if mobile {
			ua = iPhoneUA
		}
		actions := []chromedp.Action{
			emulation.SetDeviceMetricsOverride(width, height, 1, mobile),
			emulation.SetUserAgentOverride(ua),
			chromedp.Navigate(r.URL + "/demo/"),
			waitFor(visible(`[data-testid=add-to-cart]`)),
			chromedp.Click(`[data-testid=add-to-cart]`, chromedp.ByQuery),
			chromedp.Sleep(300 * time.Millisecond),
			chromedp.Navigate(r.URL + "/demo/cart.html"),
			waitFor(visible(`[data-testid=apply-coupon]`)),
			waitFor(`window.Reel && Reel.getSessionId()`),
			chromedp.Sleep(300 * time.Millisecond),
		}
		for range clicks {
			actions = append(actions, chromedp.Click(`[data-testid=apply-coupon]`, chromedp.ByQuery), chromedp.Sleep(150*time.Millisecond))
		}
		if scroll {
			actions = append(actions, chromedp.Evaluate(`window.scrollTo({top: document.documentElement.scrollHeight, behavior: "instant"})`, nil), chromedp.Sleep(400*time.Millisecond))
		}
		// Flush, then leave with a clean slate so the next visit is a session of its own.
		actions = append(actions,
			chromedp.Evaluate(`Reel.flush().then(() => { Reel.stop(); localStorage.clear(); sessionStorage.clear(); return true })`, nil, awaitPromise),
			chromedp.Navigate("about:blank"),
		)
		run(t, ctx, name, actions...)
	}
	// The desktop clicks more, the phone comes last: "All devices" draws over the desktop.
	visit("desktop visit", 1280, 800, false, true, 5)
	visit("phone visit", 390, 844, true, false, 4)
	run(t, ctx, "back to desktop", emulation.ClearDeviceMetricsOverride(), emulation.SetUserAgentOverride(desktopUA))

	// Sessions are analysed as their batches arrive, and again when compacted (a second after
	// they go quiet here).
	var hm heatmapJSON
	deadline := time.Now().Add(90 * time.Second)
	for {
		r.api(t, "/api/v1/heatmaps?page="+url.QueryEscape("/demo/cart.html"), &hm)
		if hm.Clicks >= 9 && hm.Sessions == 2 && hm.Scroll.Views >= 2 || time.Now().After(deadline) {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	if hm.Clicks < 9 || hm.Sessions != 2 || hm.Scroll.Views < 2 || len(hm.Elements) == 0 || hm.Elements[0].Selector != `button[data-testid="apply-coupon"]` || hm.Backdrop == nil {
		var list struct {
			Sessions []struct {
				ID, Device, CompactedAt string
				Clicks                  int
				URLs                    []string
			}
		}
		r.api(t, "/api/v1/sessions", &list)
		t.Fatalf("heatmap of the cart = %+v, want 8 clicks on the coupon button and 2 page views in 2 sessions; sessions: %+v\nreel stderr:\n%s", hm, list.Sessions, r.logs)
	}

	check := func(step, device string) heatPixels {
		q := "/heatmaps?page=" + url.QueryEscape("/demo/cart.html")
		if device != "" {
			q += "&device=" + device
		}
		var px heatPixels
		run(t, ctx, step,
			chromedp.Navigate(r.URL+q),
			waitFor(`document.querySelector('[data-testid=heat-stage]').dataset.status === "ready"`),
			waitFor(`document.querySelector('canvas[data-testid=heat-canvas]') && document.querySelector('canvas[data-testid=heat-canvas]').dataset.painted === "1"`),
			chromedp.Evaluate(heatAt, &px),
		)
		if px.On == 0 || px.Far != 0 || px.Found < 1 {
			t.Fatalf("%s: heat at the coupon button = %+v, want paint on the button and none far from it", step, px)
		}
		return px
	}
	all := check("clicks over the replayed cart", "")
	shoot(t, ctx, "heatmap-clicks.png")
	desk := check("desktop only", "desktop")
	phone := check("phone only", "mobile")
	// The phone's layout puts the button elsewhere; the heat follows it.
	if phone.FrameWidth >= desk.FrameWidth || phone.Left == desk.Left && phone.Top == desk.Top {
		t.Errorf("phone backdrop %+v looks like the desktop one %+v", phone, desk)
	}
	// Every device is drawn over the desktop's layout (most clicks), not the phone's (last), and
	// the page says so.
	if all.FrameWidth != desk.FrameWidth {
		t.Errorf("all devices drawn over a %d px wide page, want the desktop's %d px (the phone's is %d)", all.FrameWidth, desk.FrameWidth, phone.FrameWidth)
	}
	var note string
	var suggested []string
	run(t, ctx, "the backdrop's device and the page suggestions",
		chromedp.Navigate(r.URL+"/heatmaps?page="+url.QueryEscape("/demo/cart.html")),
		waitFor(visible(`[data-testid=heat-backdrop-device]`)),
		chromedp.Evaluate(`document.querySelector('.heat-backdrop').innerText`, &note),
		waitFor(`document.querySelectorAll('[data-testid=heat-pages] option').length >= 2`),
		chromedp.Evaluate(`[...document.querySelectorAll('[data-testid=heat-pages] option')].map(o => o.value)`, &suggested),
	)
	if !strings.Contains(note, "Over a desktop view of /demo/cart.html") {
		t.Errorf("backdrop note = %q, want it to say it is a desktop view", note)
	}
	if !slices.Contains(suggested, "/demo/cart.html") || !slices.Contains(suggested, "/demo/") {
		t.Errorf("page suggestions = %v, want the cart and the home page, both clicked", suggested)
	}
	var count string
	run(t, ctx, "click counts", chromedp.Evaluate(`document.querySelector('[data-testid=heat-count]').innerText`, &count))
	if all.Clicks < 8 {
		t.Errorf("clicks drawn = %d (%s)", all.Clicks, count)
	}

	var shares []string
	run(t, ctx, "scroll depth",
		chromedp.Navigate(r.URL+"/heatmaps?page="+url.QueryEscape("/demo/cart.html")),
		waitFor(`document.querySelector('[data-testid=heat-stage]').dataset.status === "ready"`),
		chromedp.Click(`[data-testid=heat-mode-scroll]`, chromedp.ByQuery),
		waitFor(visible(`[data-testid=heat-depth]`)),
		waitFor(`document.querySelector('canvas[data-testid=heat-canvas]') && document.querySelector('canvas[data-testid=heat-canvas]').dataset.mode === "scroll"`),
		chromedp.Evaluate(`[...document.querySelectorAll('[data-testid=heat-depth-share]')].map(e => e.innerText)`, &shares),
	)
	if len(shares) != 10 || shares[0] != "100%" || shares[9] == "0%" {
		t.Fatalf("scroll depth shares = %v, want 100%% at 10%% down and the desktop visit at the bottom", shares)
	}
	for k, s := range shares {
		if want := fmt.Sprintf("%.0f%%", hm.Scroll.Reached[k+1].Share*100); s != want {
			t.Errorf("share at %d%% down = %s, the API says %s", (k+1)*10, s, want)
		}
	}
	shoot(t, ctx, "heatmap-scroll.png")
	var painted int
	run(t, ctx, "scroll shading", chromedp.Evaluate(`(() => { const c = document.querySelector('canvas[data-testid=heat-canvas]'); return c.getContext('2d').getImageData(10, Math.round(c.height * 0.05), 1, 1).data[3]; })()`, &painted))
	if painted == 0 {
		t.Errorf("scroll mode left the page unshaded")
	}
	t.Logf("heat at the coupon: all %+v, desktop %+v, phone %+v; %s", all, desk, phone, count)
}
