package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

type heatmapJSON struct {
	Page     string
	Device   string
	Clicks   int
	Sessions int
	Elements []struct {
		Selector string
		Clicks   int
		Bins     []struct {
			X, Y         float64
			Clicks       int
			PageX, PageY int
		}
	}
	Scroll struct {
		Views   int
		Reached []struct {
			Depth, Views int
			Share        float64
		}
	}
	Backdrop *struct {
		SessionID        string
		Tab              string
		Path             string
		At               int64
		SessionStartedAt int64
		URL              string
		Device           string
	}
}

func (s *stack) heatmap(t *testing.T, params url.Values) (resp, heatmapJSON) {
	t.Helper()
	r := do(t, http.DefaultClient, "GET", s.srv.URL+"/api/v1/heatmaps?"+params.Encode(), nil, "Authorization", "Bearer "+adminToken)
	var out heatmapJSON
	if r.Status == 200 {
		if err := json.Unmarshal(r.Body, &out); err != nil {
			t.Fatalf("heatmap %s: %v", r.Body, err)
		}
	}
	return r, out
}

// TestHeatmapsFromCompactedSessions: the SDK's reel.click and reel.scroll events, sent through
// the real ingest endpoint and analysed at compaction, come back from GET /api/v1/heatmaps over
// HTTP, grouped by element, filtered by device, with the depth distribution and a backdrop.
func TestHeatmapsFromCompactedSessions(t *testing.T) {
	s := newAnalysedStack(t)
	t0 := time.Now().Add(-time.Hour).UnixMilli()
	const (
		desktop = `{"userAgent":"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Safari/537.36"}`
		phone   = `{"userAgent":"Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1"}`
		coupon  = `button[data-testid="apply-coupon"]`
	)
	heatClick := func(at int64, x, y float64, px, py int) string {
		return reel(at, "reel.click", fmt.Sprintf(`{"selector":%q,"x":%g,"y":%g,"w":120,"h":40,"pageX":%d,"pageY":%d}`, coupon, x, y, px, py))
	}
	depth := func(at int64, d float64) string { return reel(at, "reel.scroll", fmt.Sprintf(`{"depth":%g}`, d)) }
	// The desktop shows the button at the right of the cart, the phone below it: the clicks
	// land in the same place of the button at different page positions.
	s.postMeta(t, "s_heat_desk", desktop, 0, viewport(t0, "https://shop.example/demo/cart.html", 1280, 800), depth(t0+100, 0.62),
		heatClick(t0+1000, 0.5, 0.5, 1000, 300), heatClick(t0+1200, 0.52, 0.45, 1002, 298), depth(t0+2000, 0.81))
	s.postMeta(t, "s_heat_phone", phone, 0, viewport(t0+60_000, "https://shop.example/demo/cart.html?coupon=1", 390, 800), depth(t0+60_100, 0.3),
		heatClick(t0+61_000, 0.5, 0.5, 195, 1210), viewport(t0+70_000, "https://shop.example/demo/", 390, 800), depth(t0+70_100, 1))
	if _, err := s.comp.RunOnce(context.Background(), time.Now().Add(time.Second)); err != nil {
		t.Fatal(err)
	}

	r, hm := s.heatmap(t, url.Values{"page": {"/demo/cart*"}})
	if r.Status != 200 {
		t.Fatalf("heatmap = %d %s", r.Status, r.Body)
	}
	if hm.Clicks != 3 || hm.Sessions != 2 || len(hm.Elements) != 1 || hm.Elements[0].Selector != coupon || hm.Elements[0].Clicks != 3 || hm.Device != "all" {
		t.Fatalf("heatmap = %s", r.Body)
	}
	if b := hm.Elements[0].Bins[0]; b.Clicks != 2 || b.X != 0.525 || b.Y != 0.525 {
		t.Errorf("most clicked cell = %+v, want 2 clicks at (0.525, 0.525)", b)
	}
	if len(hm.Scroll.Reached) != 11 || hm.Scroll.Views != 2 || hm.Scroll.Reached[3].Share != 1 || hm.Scroll.Reached[5].Share != 0.5 ||
		hm.Scroll.Reached[8].Views != 1 || hm.Scroll.Reached[9].Views != 0 {
		t.Errorf("scroll = %+v, want 2 views, both past 30%%, one past 80%%", hm.Scroll)
	}
	// Every device: drawn over the desktop's view (2 of the 3 clicks), not the phone's, which
	// came last.
	if b := hm.Backdrop; b == nil || b.SessionID != "s_heat_desk" || b.Device != "desktop" || b.Path != "/demo/cart.html" || b.Tab != "tab_000001" ||
		!strings.HasPrefix(b.URL, "/sessions/s_heat_desk?t=") {
		t.Errorf("backdrop = %+v, want the desktop's cart view", hm.Backdrop)
	}
	_, hm = s.heatmap(t, url.Values{"page": {"/demo/cart*"}, "device": {"mobile"}})
	if b := hm.Backdrop; b == nil || b.SessionID != "s_heat_phone" || b.Device != "mobile" || b.At != t0+61_000 {
		t.Errorf("phone backdrop = %+v, want the phone's cart view at its last click", hm.Backdrop)
	}
	// The pages with heat, for the page picker's suggestions: the cart in two sessions first.
	var pages struct {
		Pages []struct {
			Path     string
			Sessions int
		}
	}
	r = do(t, http.DefaultClient, "GET", s.srv.URL+"/api/v1/heatmaps/pages", nil, "Authorization", "Bearer "+adminToken)
	if err := json.Unmarshal(r.Body, &pages); r.Status != 200 || err != nil || len(pages.Pages) != 2 ||
		pages.Pages[0].Path != "/demo/cart.html" || pages.Pages[0].Sessions != 2 || pages.Pages[1].Path != "/demo/" || pages.Pages[1].Sessions != 1 {
		t.Errorf("heat pages = %d %s, want the cart (2 sessions) then the home page (1)", r.Status, r.Body)
	}

	_, hm = s.heatmap(t, url.Values{"page": {"https://shop.example/demo/cart.html"}, "device": {"desktop"}})
	if hm.Clicks != 2 || hm.Scroll.Views != 1 || hm.Backdrop == nil || hm.Backdrop.SessionID != "s_heat_desk" || hm.Page != "/demo/cart.html" {
		t.Errorf("desktop heatmap = %+v", hm)
	}
	_, hm = s.heatmap(t, url.Values{"page": {"/demo/cart.html"}, "device": {"tablet"}})
	if hm.Clicks != 0 || hm.Elements == nil || hm.Backdrop != nil || hm.Scroll.Reached[0].Share != 0 {
		t.Errorf("tablet heatmap = %+v, want an empty heatmap", hm)
	}
	day := time.UnixMilli(t0).UTC().Format(time.DateOnly)
	_, hm = s.heatmap(t, url.Values{"page": {"/demo/"}, "from": {day}, "to": {day}})
	if hm.Scroll.Views != 1 || hm.Scroll.Reached[10].Share != 1 {
		t.Errorf("home heatmap over one day = %+v", hm)
	}
	_, hm = s.heatmap(t, url.Values{"page": {"*"}, "to": {fmt.Sprint(t0 - 1)}})
	if hm.Clicks != 0 || hm.Scroll.Views != 0 {
		t.Errorf("heatmap before any session = %+v", hm)
	}
}

// TestHeatmapsRefuseBadInput: malformed or hostile parameters get a clear JSON 400, and the
// endpoint needs a login.
func TestHeatmapsRefuseBadInput(t *testing.T) {
	s := newStack(t)
	if r := do(t, http.DefaultClient, "GET", s.srv.URL+"/api/v1/heatmaps?page=/", nil); r.Status != 401 {
		t.Fatalf("anonymous = %d %s", r.Status, r.Body)
	}
	cases := map[string]url.Values{
		"page is required":     {},
		"page must start with": {"page": {"pricing"}},
		"at most 512":          {"page": {"/" + strings.Repeat("a", 600)}},
		"printable":            {"page": {"/a\x00b"}},
		"device must be":       {"page": {"/"}, "device": {"watch"}},
		"to must be":           {"page": {"/"}, "to": {"yesterday"}},
		"from must be a date":  {"page": {"/"}, "from": {"-5"}},
		"from must be before":  {"page": {"/"}, "from": {"2026-11-02"}, "to": {"2026-11-01"}},
		"project must be":      {"page": {"/"}, "project": {strings.Repeat("p", 100)}},
	}
	for want, params := range cases {
		r, _ := s.heatmap(t, params)
		if r.Status != 400 || r.code() != "bad_request" || !strings.Contains(string(r.Body), want) {
			t.Errorf("%v = %d %s, want 400 saying %q", params, r.Status, r.Body, want)
		}
	}
	if r, _ := s.heatmap(t, url.Values{"page": {"/[?]*"}, "device": {"all"}}); r.Status != 200 {
		t.Errorf("pattern with GLOB specials = %d %s", r.Status, r.Body)
	}
}
