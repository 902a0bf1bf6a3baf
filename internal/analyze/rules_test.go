package analyze

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"testing"
)

var cos, sin = math.Cos, math.Sin

// app is a page with the controls the friction corpus taught the rules on: a broken button
// (10), a ticking countdown (20), a hover menu trigger inside a list item with a nested list
// (30), a link opening a new tab (40), a download link (50), a search box (60), a lone
// newsletter field in its own form (70), a styled div (80) and a zoom button (90).
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
		el(90, "button", `{"id":"zoom-in"}`, "Zoom in") + "]}"
	r.add(2, at+1, `{"node":{"type":0,"id":1,"childNodes":[`+body+`]},"initialOffset":{"left":0,"top":0}}`)
	return r
}

func (r *rec) changeText(at int64, textID int) {
	r.add(3, at, fmt.Sprintf(`{"source":0,"texts":[{"id":%d,"value":"x"}],"attributes":[],"removes":[],"adds":[]}`, textID))
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
