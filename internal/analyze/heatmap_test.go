package analyze

import (
	"encoding/json"
	"fmt"
	"reflect"
	"testing"
)

func (r *rec) heatClick(at int64, selector string, x, y float64, pageX, pageY int) {
	r.add(5, at, fmt.Sprintf(`{"tag":"reel.click","payload":{"selector":%q,"x":%g,"y":%g,"w":120,"h":40,"pageX":%d,"pageY":%d}}`, selector, x, y, pageX, pageY))
}
func (r *rec) depth(at int64, d float64) {
	r.add(5, at, fmt.Sprintf(`{"tag":"reel.scroll","payload":{"depth":%g}}`, d))
}
func (r *rec) meta(at int64, url string) {
	r.add(4, at, fmt.Sprintf(`{"href":%q,"width":390,"height":800}`, url))
}
func (r *rec) navigate(at int64, url string) {
	r.add(5, at, fmt.Sprintf(`{"tag":"reel.navigation","payload":{"url":%q,"kind":"push"}}`, url))
}

func TestHeat(t *testing.T) {
	const cart = "https://shop.example/demo/cart.html"
	const coupon = `button[data-testid="apply-coupon"]`
	tests := []struct {
		name   string
		tabs   []*rec
		clicks []HeatClick
		views  []PageDepth
	}{
		{
			name: "a click keeps its element, its place in the box and the page position",
			tabs: []*rec{func() *rec {
				r := &rec{}
				r.meta(0, cart+"?step=1#top")
				r.heatClick(1000, coupon, 0.25, 0.5, 530, 420)
				return r
			}()},
			clicks: []HeatClick{{At: t0 + 1000, Path: "/demo/cart.html", Selector: coupon, X: 0.25, Y: 0.5, W: 120, H: 40, PageX: 530, PageY: 420}},
		},
		{
			name: "the same button moved between sessions: same selector and box position, other page position",
			tabs: []*rec{
				func() *rec { r := &rec{}; r.meta(0, cart); r.heatClick(1000, coupon, 0.5, 0.5, 900, 300); return r }(),
				func() *rec { r := &rec{}; r.meta(0, cart); r.heatClick(1000, coupon, 0.5, 0.5, 195, 1210); return r }(),
			},
			clicks: []HeatClick{
				{At: t0 + 1000, Path: "/demo/cart.html", Selector: coupon, X: 0.5, Y: 0.5, W: 120, H: 40, PageX: 900, PageY: 300},
				{Tab: 1, At: t0 + 1000, Path: "/demo/cart.html", Selector: coupon, X: 0.5, Y: 0.5, W: 120, H: 40, PageX: 195, PageY: 1210},
			},
		},
		{
			name: "scroll depth is the deepest of a page view; a checkout snapshot of the same page continues it",
			tabs: []*rec{func() *rec {
				r := &rec{}
				r.meta(0, cart)
				r.depth(500, 0.4)
				r.depth(2000, 0.7)
				r.meta(300_000, cart)
				r.depth(301_000, 0.9)
				r.depth(302_000, 0.5)
				return r
			}()},
			views: []PageDepth{{At: t0, Seen: t0 + 302_000, Path: "/demo/cart.html", Depth: 0.9}},
		},
		{
			name: "navigation starts a new page view, its clicks belong to the new path",
			tabs: []*rec{func() *rec {
				r := &rec{}
				r.meta(0, "https://shop.example/demo/")
				r.depth(500, 0.3)
				r.navigate(4000, cart)
				r.depth(4100, 1)
				r.heatClick(5000, "#pay", 0.1, 0.9, 10, 10)
				r.navigate(6000, cart+"#terms")
				r.depth(6100, 0.2)
				return r
			}()},
			clicks: []HeatClick{{At: t0 + 5000, Path: "/demo/cart.html", Selector: "#pay", X: 0.1, Y: 0.9, W: 120, H: 40, PageX: 10, PageY: 10}},
			views:  []PageDepth{{At: t0, Seen: t0 + 500, Path: "/demo/", Depth: 0.3}, {At: t0 + 4000, Seen: t0 + 6100, Path: "/demo/cart.html", Depth: 1}},
		},
		{
			name: "back to a page is another view of it",
			tabs: []*rec{func() *rec {
				r := &rec{}
				r.meta(0, cart)
				r.depth(100, 0.5)
				r.meta(1000, "https://shop.example/demo/")
				r.meta(2000, cart)
				r.depth(2100, 0.6)
				return r
			}()},
			views: []PageDepth{{At: t0, Seen: t0 + 100, Path: "/demo/cart.html", Depth: 0.5}, {At: t0 + 2000, Seen: t0 + 2100, Path: "/demo/cart.html", Depth: 0.6}},
		},
		{
			name: "a depth measured as the SDK started, before the first snapshot, belongs to that page view",
			tabs: []*rec{func() *rec {
				r := &rec{}
				r.depth(-20, 0.4)
				r.meta(0, cart)
				r.heatClick(1000, "#pay", 0.5, 0.5, 1, 1)
				return r
			}()},
			clicks: []HeatClick{{At: t0 + 1000, Path: "/demo/cart.html", Selector: "#pay", X: 0.5, Y: 0.5, W: 120, H: 40, PageX: 1, PageY: 1}},
			views:  []PageDepth{{At: t0, Seen: t0 + 1000, Path: "/demo/cart.html", Depth: 0.4}},
		},
		{
			name: "out-of-range fractions are clamped",
			tabs: []*rec{func() *rec {
				r := &rec{}
				r.meta(0, cart)
				r.heatClick(100, "#a", -0.01, 1.2, 0, 0)
				r.depth(200, 3)
				return r
			}()},
			clicks: []HeatClick{{At: t0 + 100, Path: "/demo/cart.html", Selector: "#a", X: 0, Y: 1, W: 120, H: 40}},
			views:  []PageDepth{{At: t0, Seen: t0 + 200, Path: "/demo/cart.html", Depth: 1}},
		},
		{
			name: "malformed or foreign events are skipped",
			tabs: []*rec{func() *rec {
				r := &rec{}
				r.heatClick(50, "#before-any-page", 0.5, 0.5, 1, 1)
				r.meta(0, cart)
				r.add(5, 100, `{"tag":"reel.click","payload":{"x":0.5,"y":0.5}}`)
				r.add(5, 110, `{"tag":"reel.click","payload":{"selector":"#b","x":"left","y":0.5}}`)
				r.add(5, 120, `{"tag":"reel.click","payload":{"selector":"#c","y":0.5}}`)
				r.add(5, 130, `{"tag":"reel.scroll","payload":{}}`)
				r.add(5, 140, `{"tag":"reel.scroll","payload":{"depth":1e999}}`)
				r.add(5, 150, `{"tag":"shop.click","payload":{"selector":"#d","x":0.5,"y":0.5}}`)
				r.add(5, 160, `{"tag":"reel.click","payload":`)
				r.add(3, 170, `{"source":2,"type":2,"id":4,"x":1,"y":1}`)
				r.heatClick(180, fmt.Sprintf("%0600d", 1), 0.5, 0.5, 1, 1)
				return r
			}()},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var tabs [][]json.RawMessage
			for _, r := range tc.tabs {
				tabs = append(tabs, r.events)
			}
			clicks, views := Heat(tabs)
			if !reflect.DeepEqual(clicks, tc.clicks) {
				t.Errorf("clicks = %+v\nwant %+v", clicks, tc.clicks)
			}
			if !reflect.DeepEqual(views, tc.views) {
				t.Errorf("views = %+v\nwant %+v", views, tc.views)
			}
		})
	}
}

// FuzzHeat: whatever a custom event carries, Heat neither panics nor returns a point outside
// the element's box or a depth outside 0–1.
func FuzzHeat(f *testing.F) {
	f.Add(`{"tag":"reel.click","payload":{"selector":"#a","x":0.5,"y":0.5,"w":10,"h":10,"pageX":1,"pageY":2}}`)
	f.Add(`{"tag":"reel.scroll","payload":{"depth":0.7}}`)
	f.Add(`{"tag":"reel.navigation","payload":{"url":"http://x/b"}}`)
	f.Add(`{"tag":"reel.click","payload":{"selector":"","x":-1e308,"y":"1"}}`)
	f.Fuzz(func(t *testing.T, data string) {
		events := []json.RawMessage{
			json.RawMessage(`{"type":5,"timestamp":1,"data":` + data + `}`),
			json.RawMessage(`{"type":4,"timestamp":2,"data":{"href":"http://x/","width":10,"height":10}}`),
			json.RawMessage(`{"type":5,"timestamp":3,"data":` + data + `}`),
		}
		clicks, views := Heat([][]json.RawMessage{events})
		for _, c := range clicks {
			if c.X < 0 || c.X > 1 || c.Y < 0 || c.Y > 1 || c.Selector == "" || len(c.Selector) > maxSelector {
				t.Fatalf("click %+v", c)
			}
		}
		for _, v := range views {
			if v.Depth < 0 || v.Depth > 1 || v.Path == "" {
				t.Fatalf("view %+v", v)
			}
		}
	})
}
