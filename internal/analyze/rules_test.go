package analyze

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"
	"testing"
)

var cos, sin = math.Cos, math.Sin

// app is a page with the controls the friction corpus taught the rules on: a broken button
// (10), a ticking countdown (20), a hover menu trigger inside a list item with a nested list
// (30), a link opening a new tab (40), a download link (50), a search box (60), a lone
// newsletter field in its own form (70), a styled div (80), a zoom button (90) and a link
// to the product page (100).
func app(url string, at int64) *rec {
	r := &rec{}
	r.add(4, at, fmt.Sprintf(`{"href":%q,"width":1280,"height":800}`, url))
	body := `{"type":2,"id":2,"tagName":"body","attributes":{},"childNodes":[` +
		el(10, "button", `{"id":"next-step"}`, "Continue") + "," +
		el(20, "span", `{"id":"countdown"}`, "09:59") + "," +
		`{"type":2,"id":29,"tagName":"li","attributes":{},"childNodes":[` + el(30, "button", `{"class":"menu-trigger"}`, "Categories") + `,{"type":2,"id":33,"tagName":"ul","attributes":{},"childNodes":[]}]},` +
		el(40, "a", `{"href":"/guide","target":"_blank"}`, "Size guide") + "," +
		el(50, "a", `{"href":"/spec.pdf"}`, "Spec sheet") + "," +
		el(60, "input", `{"type":"search","name":"q"}`, "") + "," +
		`{"type":2,"id":69,"tagName":"form","attributes":{},"childNodes":[` + el(70, "input", `{"type":"email","name":"nl"}`, "") + "]}," +
		el(80, "div", `{"class":"card tile"}`, "Gift wrapping") + "," +
		el(90, "button", `{"id":"zoom-in"}`, "Zoom in") + "," +
		el(100, "a", `{"href":"/p"}`, "Back to the product") + "]}"
	r.add(2, at+1, `{"node":{"type":0,"id":1,"childNodes":[`+body+`]},"initialOffset":{"left":0,"top":0}}`)
	return r
}

func (r *rec) changeText(at int64, textID int) {
	r.add(3, at, fmt.Sprintf(`{"source":0,"texts":[{"id":%d,"value":"x"}],"attributes":[],"removes":[],"adds":[]}`, textID))
}

func (r *rec) vital(at int64, name string, value float64) {
	r.add(5, at, fmt.Sprintf(`{"tag":"reel.vitals","payload":{"name":%q,"value":%g}}`, name, value))
}

func (r *rec) stackError(at int64, stack string) {
	r.add(5, at, fmt.Sprintf(`{"tag":"reel.error","payload":{"kind":"error","message":"TypeError: boom","stack":%q}}`, stack))
}

// ticking adds a countdown tick every second from `from` to `to`.
func (r *rec) ticking(from, to int64) {
	for at := from; at <= to; at += 1000 {
		r.changeText(at, 21)
	}
}

func TestRulesFromTheCorpus(t *testing.T) {
	cases := []struct {
		name  string
		build func() *rec
		want  map[Kind]int
	}{
		{"a ticking countdown does not answer a broken button", func() *rec {
			r := app("http://shop/p", 0)
			r.ticking(500, 9500)
			r.click(3200, 11, 10, 10)
			return r
		}, map[Kind]int{DeadClick: 1}},
		{"a new change answers a button on a ticking page", func() *rec {
			r := app("http://shop/p", 0)
			r.ticking(500, 9500)
			r.click(3200, 91, 10, 10)
			r.changeText(3205, 81)
			return r
		}, map[Kind]int{}},
		{"the handler's change recorded just before its click answers it", func() *rec {
			r := app("http://shop/p", 0)
			r.changeText(2990, 81)
			r.click(3000, 91, 10, 10)
			return r
		}, map[Kind]int{}},
		{"working zoom clicked fast is not rage", func() *rec {
			r := app("http://shop/p", 0)
			for i := range 5 {
				r.click(1000+int64(i)*120, 91, 10, 10)
				r.changeText(1010+int64(i)*120, 81)
			}
			return r
		}, map[Kind]int{}},
		{"broken Continue clicked fast is rage, once, not also dead", func() *rec {
			r := app("http://shop/p", 0)
			r.ticking(500, 6500)
			for i := range 4 {
				r.click(1000+int64(i)*150, 11, 10, 10)
			}
			return r
		}, map[Kind]int{RageClick: 1}},
		{"an autoplay change just before a click in a burst answers one click, not two", func() *rec {
			r := app("http://shop/p", 0)
			r.changeText(500, 81) // the slide changed by itself once before
			for i := range 4 {
				r.click(1000+int64(i)*150, 11, 10, 10)
			}
			r.changeText(1295, 81) // and again 5 ms before the third click
			return r
		}, map[Kind]int{RageClick: 1}},
		{"two clicks on a broken button are one dead click", func() *rec {
			r := app("http://shop/p", 0)
			r.click(1000, 11, 10, 10)
			r.click(1300, 11, 10, 10)
			return r
		}, map[Kind]int{DeadClick: 1}},
		{"hover menu trigger, new-tab link, download link and a label are not dead", func() *rec {
			r := app("http://shop/p", 0)
			r.click(1000, 31, 10, 10)
			r.click(5000, 41, 10, 10)
			r.click(9000, 51, 10, 10)
			return r
		}, map[Kind]int{}},
		{"a link whose page takes 4 s to load is not dead", func() *rec {
			r := app("http://shop/orders", 0)
			r.ticking(500, 5500)
			r.click(1000, 101, 10, 10)
			return r.then(app("http://shop/p", 5000))
		}, map[Kind]int{}},
		{"a link that goes nowhere, then another page, is dead", func() *rec {
			r := app("http://shop/orders", 0)
			r.ticking(500, 5500)
			r.click(1000, 101, 10, 10)
			return r.then(app("http://shop/other", 5000))
		}, map[Kind]int{DeadClick: 1}},
		{"a busy control's own change 350 ms after its click (a loaded machine) answers it", func() *rec {
			r := app("http://shop/p", 0)
			r.changeText(500, 91) // the control changes by itself now and then
			r.changeText(2500, 91)
			r.click(5000, 91, 10, 10)
			r.changeText(5350, 91)
			return r
		}, map[Kind]int{}},
		{"a styled div that does nothing is dead", func() *rec {
			r := app("http://shop/p", 0)
			r.click(1000, 81, 10, 10)
			return r
		}, map[Kind]int{DeadClick: 1}},
		{"a timer's error after a click on a broken button: dead, not an error click", func() *rec {
			r := app("http://shop/p", 0)
			r.click(1000, 11, 10, 10)
			r.stackError(1600, "Error: inventory sync failed\n    at syncInventory (http://shop/p:40:3)")
			return r
		}, map[Kind]int{DeadClick: 1}},
		{"a handler's synchronous error: an error click, not dead", func() *rec {
			r := app("http://shop/p", 0)
			r.click(1000, 11, 10, 10)
			r.stackError(1003, "TypeError: boom\n    at HTMLButtonElement.onShare (http://shop/p:12:9)")
			return r
		}, map[Kind]int{ErrorClick: 1}},
		{"a timer's error 60 ms after a click on a working button is not an error click", func() *rec {
			r := app("http://shop/p", 0)
			r.click(1000, 91, 10, 10)
			r.changeText(1005, 81)
			r.stackError(1060, "Error: status poll failed: 503\n    at pollStatus (http://shop/p:24:69)")
			return r
		}, map[Kind]int{}},
		{"a handler's error in Firefox's stack format (no receivers) in the same moment is an error click", func() *rec {
			r := app("http://shop/p", 0)
			r.click(1000, 11, 10, 10)
			r.stackError(1003, "onShare@http://shop/p:12:9\n")
			return r
		}, map[Kind]int{ErrorClick: 1}},
		{"a handler's error with its stack cut at 10 frames in the same moment is an error click", func() *rec {
			r := app("http://shop/p", 0)
			r.click(1000, 11, 10, 10)
			r.stackError(1003, "TypeError: boom"+strings.Repeat("\n    at render (http://shop/app.js:1:1)", 10))
			return r
		}, map[Kind]int{ErrorClick: 1}},
		{"a handler's async error 2.9 s later belongs to it", func() *rec {
			r := app("http://shop/p", 0)
			r.click(1000, 11, 10, 10)
			r.stackError(3900, "TypeError: boom\n    at async HTMLButtonElement.loadReviews (http://shop/p:14:9)")
			return r
		}, map[Kind]int{ErrorClick: 1}},
		{"an async error goes to the click whose handler threw, not a later one", func() *rec {
			r := app("http://shop/p", 0)
			r.click(1000, 11, 10, 10)
			r.stackError(1002, "TypeError: boom\n    at HTMLButtonElement.onShare (http://shop/p:12:9)")
			r.click(2200, 91, 10, 10)
			r.changeText(2210, 81)
			return r
		}, map[Kind]int{ErrorClick: 1}},
		{"search box and a lone newsletter field typed and left are not abandoned forms", func() *rec {
			r := app("http://shop/p", 0)
			r.typed(1000, 60)
			r.typed(2000, 70)
			return r.then(app("http://shop/next", 6000))
		}, map[Kind]int{}},
		{"in-page tabs by fragment are not quick backs", func() *rec {
			return app("http://shop/p#specs", 0).then(app("http://shop/p#reviews", 1500)).then(app("http://shop/p#specs", 3000))
		}, map[Kind]int{}},
		{"a page that redirects back by itself is not a quick back", func() *rec {
			return app("http://shop/p", 0).then(app("http://shop/login", 5000)).then(app("http://shop/p", 5400))
		}, map[Kind]int{}},
		{"a redirect slowed down by a busy machine is not a quick back", func() *rec {
			return app("http://shop/p", 0).then(app("http://shop/login", 5000)).then(app("http://shop/p", 6550))
		}, map[Kind]int{}},
		{"a glance and back is a quick back though the page back loads slowly", func() *rec {
			r := app("http://shop/p", 0).then(app("http://shop/orders", 5000))
			r.moves(5800, [2]float64{420, 300})
			r.vital(11500, "TTFB", 3000) // the visitor left by 8500
			r.then(app("http://shop/p", 11600))
			r.vital(12000, "FCP", 3400) // by 8600
			return r
		}, map[Kind]int{QuickBack: 1}},
		{"a click on a link back is when the visitor left, however slowly the page back loads", func() *rec {
			r := app("http://shop/p", 0).then(app("http://shop/orders", 5000))
			r.click(8600, 101, 10, 10)
			return r.then(app("http://shop/p", 11000))
		}, map[Kind]int{QuickBack: 1}},
		{"a page read for 6 s is no quick back, whatever the next page's timing says", func() *rec {
			r := app("http://shop/p", 0).then(app("http://shop/orders", 5000))
			r.moves(5800, [2]float64{420, 300})
			r.moves(10800, [2]float64{300, 300}) // still on the page at 10800
			r.vital(11500, "TTFB", 5000)         // would say it was left by 6500
			return r.then(app("http://shop/p", 11600))
		}, map[Kind]int{}},
		{"a page glanced at (the mouse moved) and left in 1.6 s is a quick back", func() *rec {
			r := app("http://shop/p", 0).then(app("http://shop/orders", 5000))
			r.moves(5800, [2]float64{420, 300})
			return r.then(app("http://shop/p", 6600))
		}, map[Kind]int{QuickBack: 1}},
		{"reading with short look-backs is not excessive scrolling", func() *rec {
			r := app("http://shop/p", 0)
			y := 0.0
			for i := range 24 {
				if i%4 == 3 {
					y -= 250
				} else {
					y += 400
				}
				r.scrollTo(1000+int64(i)*300, y)
			}
			return r
		}, map[Kind]int{}},
		{"a 3 s shake on both axes is one thrashed cursor", func() *rec {
			r := app("http://shop/p", 0)
			var pts [][2]float64
			for i := range 75 { // 3 s at 40 ms, 4 shakes a second
				w := sin(float64(i) * 0.04 * 4 * 2 * 3.14159)
				pts = append(pts, [2]float64{600 + 60*w, 400 + 50*w})
			}
			r.moves(1000, pts...)
			return r
		}, map[Kind]int{ThrashedCursor: 1}},
		{"circling slowly is not a thrashed cursor", func() *rec {
			r := app("http://shop/p", 0)
			var pts [][2]float64
			for i := range 75 { // 3 s at 40 ms, 1.2 turns a second
				a := float64(i) * 0.04 * 1.2 * 2 * 3.14159
				pts = append(pts, [2]float64{600 + 80*cos(a), 400 + 80*sin(a)})
			}
			r.moves(1000, pts...)
			return r
		}, map[Kind]int{}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			events := tc.build().events
			// Recordings are in time order; the cases add background ticks first.
			sort.SliceStable(events, func(i, j int) bool {
				var a, b struct{ Timestamp int64 }
				json.Unmarshal(events[i], &a)
				json.Unmarshal(events[j], &b)
				return a.Timestamp < b.Timestamp
			})
			sigs := Detect(Build(events), Defaults)
			got := map[Kind]int{}
			for _, s := range sigs {
				got[s.Kind]++
			}
			for _, k := range []Kind{RageClick, DeadClick, ErrorClick, ThrashedCursor, QuickBack, ExcessiveScroll, FormAbandon, FieldHesitation} {
				if got[k] != tc.want[k] {
					t.Fatalf("%s: got %d, want %d; all signals %+v", k, got[k], tc.want[k], sigs)
				}
			}
		})
	}
}
