package analyze

import (
	"encoding/json"
	"fmt"
	"testing"
)

const t0 = int64(1764237600000)

// rec builds a recording of the shop's cart page: a coupon button, a paragraph, a coupon field,
// a quantity stepper, a link, and a form of two fields (name, email) with a submit button.
type rec struct{ events []json.RawMessage }

func (r *rec) add(typ int, at int64, data string) {
	r.events = append(r.events, json.RawMessage(fmt.Sprintf(`{"type":%d,"timestamp":%d,"data":%s}`, typ, t0+at, data)))
}

func el(id int, tag, attrs, text string) string {
	return fmt.Sprintf(`{"type":2,"id":%d,"tagName":%q,"attributes":%s,"childNodes":[{"type":3,"id":%d,"textContent":%q}]}`, id, tag, attrs, id+1, text)
}

func visit(url string, at int64) *rec {
	r := &rec{}
	r.add(4, at, fmt.Sprintf(`{"href":%q,"width":1280,"height":800}`, url))
	body := `{"type":2,"id":2,"tagName":"body","attributes":{},"childNodes":[` +
		el(10, "button", `{"class":"coupon"}`, "Apply coupon") + "," +
		el(20, "p", `{}`, "Free shipping on orders over $75, read the terms below.") + "," +
		el(30, "input", `{"type":"text","name":"coupon"}`, "") + "," +
		el(40, "button", `{"aria-label":"Increase quantity"}`, "+") + "," +
		el(50, "a", `{"href":"/demo/"}`, "Continue shopping") + "," +
		`{"type":2,"id":79,"tagName":"form","attributes":{},"childNodes":[` +
		el(80, "input", `{"type":"text","name":"name"}`, "") + "," +
		el(90, "input", `{"type":"email","name":"email"}`, "") + "," +
		el(60, "button", `{"type":"submit"}`, "Pay now") + "]}," +
		el(70, "input", `{"type":"number"}`, "") + "]}"
	r.add(2, at+1, `{"node":{"type":0,"id":1,"childNodes":[`+body+`]},"initialOffset":{"left":0,"top":0}}`)
	return r
}

func (r *rec) click(at int64, id int, x, y float64) {
	r.add(3, at, fmt.Sprintf(`{"source":2,"type":2,"id":%d,"x":%g,"y":%g}`, id, x, y))
}
func (r *rec) mutation(at int64) {
	r.add(3, at, `{"source":0,"texts":[{"id":11,"value":"x"}],"attributes":[],"removes":[],"adds":[]}`)
}
func (r *rec) jsError(at int64) {
	r.add(5, at, `{"tag":"reel.error","payload":{"kind":"error","message":"TypeError: x is undefined"}}`)
}
func (r *rec) selection(at int64) { r.add(3, at, `{"source":14,"ranges":[]}`) }
func (r *rec) scrollTo(at int64, y float64) {
	r.add(3, at, fmt.Sprintf(`{"source":3,"id":1,"x":0,"y":%g}`, y))
}
func (r *rec) focus(at int64, id int) {
	r.add(3, at, fmt.Sprintf(`{"source":2,"type":5,"id":%d,"x":0,"y":0}`, id))
}
func (r *rec) typed(at int64, id int) {
	r.add(3, at, fmt.Sprintf(`{"source":5,"id":%d,"text":"***","isChecked":false}`, id))
}
func (r *rec) moves(at int64, pts ...[2]float64) {
	s := "["
	for i, p := range pts {
		if i > 0 {
			s += ","
		}
		s += fmt.Sprintf(`{"x":%g,"y":%g,"id":1,"timeOffset":%d}`, p[0], p[1], i*40)
	}
	r.add(3, at, `{"source":1,"positions":`+s+`]}`)
}
func (r *rec) then(o *rec) *rec { r.events = append(r.events, o.events...); return r }

func kinds(sigs []Signal, k Kind) []Signal {
	var out []Signal
	for _, s := range sigs {
		if s.Kind == k {
			out = append(out, s)
		}
	}
	return out
}

func TestDetectors(t *testing.T) {
	cases := []struct {
		name  string
		build func() *rec
		kind  Kind
		want  int
	}{
		// Rage clicks.
		{"rage: 4 fast clicks on the coupon button", func() *rec {
			r := visit("http://shop/cart", 0)
			for i := range 4 {
				r.click(1000+int64(i)*150, 10, 100+float64(i), 200)
			}
			return r
		}, RageClick, 1},
		{"rage near-miss: 2 clicks", func() *rec {
			r := visit("http://shop/cart", 0)
			r.click(1000, 10, 100, 200)
			r.click(1200, 10, 100, 200)
			return r
		}, RageClick, 0},
		{"rage near-miss: 3 clicks over 1.5 s", func() *rec {
			r := visit("http://shop/cart", 0)
			for i := range 3 {
				r.click(1000+int64(i)*700, 10, 100, 200)
			}
			return r
		}, RageClick, 0},
		{"rage near-miss: 3 fast clicks 100 px apart", func() *rec {
			r := visit("http://shop/cart", 0)
			for i := range 3 {
				r.click(1000+int64(i)*150, 10, 100+float64(i)*100, 200)
			}
			return r
		}, RageClick, 0},
		{"rage near-miss: triple-click selecting a paragraph", func() *rec {
			r := visit("http://shop/cart", 0)
			for i := range 3 {
				r.click(1000+int64(i)*120, 21, 300, 400)
			}
			r.selection(1300)
			return r
		}, RageClick, 0},
		{"rage near-miss: clicks in a text field", func() *rec {
			r := visit("http://shop/cart", 0)
			for i := range 4 {
				r.click(1000+int64(i)*120, 30, 300, 400)
			}
			return r
		}, RageClick, 0},
		{"rage near-miss: quantity stepper", func() *rec {
			r := visit("http://shop/cart", 0)
			for i := range 5 {
				r.click(1000+int64(i)*150, 41, 500, 220)
				r.mutation(1050 + int64(i)*150)
			}
			return r
		}, RageClick, 0},
		{"rage near-miss: number spinner", func() *rec {
			r := visit("http://shop/cart", 0)
			for i := range 4 {
				r.click(1000+int64(i)*150, 70, 500, 260)
			}
			return r
		}, RageClick, 0},
		// Dead clicks.
		{"dead: coupon button, nothing happens", func() *rec {
			r := visit("http://shop/cart", 0)
			r.click(1000, 11, 100, 200)
			r.mutation(5000)
			return r
		}, DeadClick, 1},
		{"dead near-miss: the page reacts within 3 s", func() *rec {
			r := visit("http://shop/cart", 0)
			r.click(1000, 10, 100, 200)
			r.mutation(3500)
			return r
		}, DeadClick, 0},
		{"dead near-miss: click on plain text", func() *rec {
			r := visit("http://shop/cart", 0)
			r.click(1000, 21, 300, 400)
			return r
		}, DeadClick, 0},
		{"dead near-miss: click into a field", func() *rec {
			r := visit("http://shop/cart", 0)
			r.click(1000, 30, 300, 400)
			return r
		}, DeadClick, 0},
		{"dead near-miss: the link navigates", func() *rec {
			return visit("http://shop/cart", 0).then(func() *rec {
				r := &rec{}
				r.click(1000, 51, 10, 10)
				return r
			}()).then(visit("http://shop/", 1400))
		}, DeadClick, 0},
		// Error clicks.
		{"error: the click's handler threw, 300 ms later", func() *rec {
			r := visit("http://shop/cart", 0)
			r.click(1000, 50, 10, 10)
			r.add(5, 1300, `{"tag":"reel.error","payload":{"kind":"error","message":"TypeError: x is undefined","stack":"TypeError: x is undefined\n    at async HTMLAnchorElement.go (http://shop/app.js:3:1)"}}`)
			return r
		}, ErrorClick, 1},
		{"error near-miss: an error without a stack 300 ms after a click is no click's", func() *rec {
			r := visit("http://shop/cart", 0)
			r.click(1000, 50, 10, 10)
			r.jsError(1300)
			return r
		}, ErrorClick, 0},
		{"error near-miss: error 3 s later", func() *rec {
			r := visit("http://shop/cart", 0)
			r.click(1000, 50, 10, 10)
			r.jsError(4000)
			return r
		}, ErrorClick, 0},
		// Thrashed cursor.
		{"thrash: 24 reversals in under 2 s", func() *rec {
			r := visit("http://shop/cart", 0)
			var pts [][2]float64
			for i := range 25 {
				pts = append(pts, [2]float64{float64(100 + (i%2)*60), 300})
			}
			r.moves(1000, pts...)
			return r
		}, ThrashedCursor, 1},
		{"thrash near-miss: a long straight move", func() *rec {
			r := visit("http://shop/cart", 0)
			var pts [][2]float64
			for i := range 40 {
				pts = append(pts, [2]float64{float64(10 * i), float64(5 * i)})
			}
			r.moves(1000, pts...)
			return r
		}, ThrashedCursor, 0},
		// Quick back.
		{"quick back: cart → product (a look, the mouse moves) → cart in 2 s", func() *rec {
			r := visit("http://shop/cart", 0).then(visit("http://shop/product?id=3", 5000))
			r.moves(6000, [2]float64{420, 300}, [2]float64{380, 280})
			return r.then(visit("http://shop/cart", 7000))
		}, QuickBack, 1},
		{"quick back near-miss: cart → product untouched → cart in 2 s (a redirect)", func() *rec {
			return visit("http://shop/cart", 0).then(visit("http://shop/product?id=3", 5000)).then(visit("http://shop/cart", 7000))
		}, QuickBack, 0},
		{"quick back near-miss: stayed 30 s", func() *rec {
			return visit("http://shop/cart", 0).then(visit("http://shop/product?id=3", 5000)).then(visit("http://shop/cart", 35000))
		}, QuickBack, 0},
		// Excessive scrolling.
		{"scroll: up and down the page 8 times", func() *rec {
			r := visit("http://shop/cart", 0)
			for i := range 9 {
				r.scrollTo(1000+int64(i)*500, float64((i%2)*1200))
			}
			return r
		}, ExcessiveScroll, 1},
		{"scroll near-miss: reading down the page", func() *rec {
			r := visit("http://shop/cart", 0)
			for i := range 20 {
				r.scrollTo(1000+int64(i)*500, float64(i*300))
			}
			return r
		}, ExcessiveScroll, 0},
		// Forms.
		{"abandon: typed, then left without paying", func() *rec {
			r := visit("http://shop/checkout", 0)
			r.typed(1000, 80)
			r.typed(1500, 80)
			return r.then(visit("http://shop/", 4000))
		}, FormAbandon, 1},
		{"abandon: left by a link, the field's last value recorded just after the click", func() *rec {
			r := visit("http://shop/checkout", 0)
			r.typed(1000, 80)
			r.typed(1500, 90)
			r.click(2000, 51, 10, 10) // "Continue shopping"; the blur sends the email field's value
			r.typed(2006, 90)
			return r.then(visit("http://shop/", 2400))
		}, FormAbandon, 1},
		{"abandon near-miss: a click into the last field, a short value, Enter", func() *rec {
			r := visit("http://shop/checkout", 0)
			r.typed(1000, 80)
			r.click(1800, 90, 10, 10)
			r.typed(1900, 90)
			return r.then(visit("http://shop/thanks", 2300))
		}, FormAbandon, 0},
		{"dead near-miss: Pay now, and the next page takes 4 s to come", func() *rec {
			r := visit("http://shop/checkout", 0)
			r.click(1000, 61, 10, 10)
			return r.then(visit("http://shop/thanks", 5000))
		}, DeadClick, 0},
		{"abandon near-miss: typed only the coupon field (a lone field is not a form)", func() *rec {
			r := visit("http://shop/checkout", 0)
			r.typed(1000, 30)
			return r.then(visit("http://shop/", 4000))
		}, FormAbandon, 0},
		{"abandon near-miss: typed, then clicked Pay now", func() *rec {
			r := visit("http://shop/checkout", 0)
			r.typed(1000, 80)
			r.click(2000, 61, 10, 10)
			return r.then(visit("http://shop/thanks", 2500))
		}, FormAbandon, 0},
		{"hesitation: 12 s between focus and typing", func() *rec {
			r := visit("http://shop/checkout", 0)
			r.focus(1000, 80)
			r.typed(13000, 80)
			r.click(14000, 61, 1, 1)
			return r
		}, FieldHesitation, 1},
		{"hesitation near-miss: typed after 2 s", func() *rec {
			r := visit("http://shop/checkout", 0)
			r.focus(1000, 30)
			r.typed(3000, 30)
			return r
		}, FieldHesitation, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sigs := Detect(Build(tc.build().events), Defaults)
			got := kinds(sigs, tc.kind)
			if len(got) != tc.want {
				t.Fatalf("%s: got %d (%+v), want %d; all signals %+v", tc.kind, len(got), got, tc.want, sigs)
			}
		})
	}
}

func TestSignalsNameTheElement(t *testing.T) {
	r := visit("http://shop/cart", 0)
	for i := range 3 {
		r.click(1000+int64(i)*100, 11, 100, 200)
	}
	sigs := kinds(Detect(Build(r.events), Defaults), RageClick)
	if len(sigs) != 1 || sigs[0].Target != `button.coupon "Apply coupon"` || sigs[0].URL != "http://shop/cart" || sigs[0].Count != 3 {
		t.Fatalf("rage click = %+v", sigs)
	}
}

func TestBuildSurvivesGarbage(t *testing.T) {
	events := []json.RawMessage{json.RawMessage(`{}`), json.RawMessage(`{"type":3,"timestamp":1,"data":{"source":2,"type":"x"}}`), json.RawMessage(`[]`)}
	if sigs := Detect(Build(events), Defaults); len(sigs) != 0 {
		t.Fatalf("signals from garbage: %+v", sigs)
	}
}

func TestReportSummaryAndScore(t *testing.T) {
	shop := visit("http://shop/", 0).then(visit("http://shop/cart", 3000))
	for i := range 4 {
		shop.click(4000+int64(i)*150, 11, 100, 200)
	}
	shop.then(visit("http://shop/checkout", 9000))
	shop.typed(10000, 80)
	shop.jsError(11000)
	shop.then(visit("http://shop/", 16000))
	rep := Analyze([][]json.RawMessage{shop.events}, Facts{UserID: "u-42", Browser: "Firefox 131", OS: "macOS", DurationMS: 20000}, Defaults)
	want := "User u-42 on Firefox/macOS visited 4 pages, rage-clicked ‘Apply coupon’ on /cart, hit “TypeError: x is undefined” and left /checkout without submitting the form."
	if rep.Summary != want {
		t.Fatalf("summary =\n%s\nwant\n%s", rep.Summary, want)
	}
	calm := visit("http://shop/", 0)
	calm.scrollTo(2000, 400)
	calmRep := Analyze([][]json.RawMessage{calm.events}, Facts{Browser: "Chrome 156", OS: "Windows", DurationMS: 60000}, Defaults)
	// Rage 12, form abandonment 10, one error 12, a journey of four pages 5 (the rage burst's
	// clicks are no longer also dead clicks).
	if calmRep.Score >= rep.Score || rep.Score != 39 || calmRep.Score != 0 {
		t.Fatalf("scores: troubled %d, calm %d", rep.Score, calmRep.Score)
	}
	if calmRep.Summary != "An anonymous visitor on Chrome/Windows stayed on /." {
		t.Fatalf("calm summary = %q", calmRep.Summary)
	}
}

// FuzzBuild feeds arbitrary event data to the timeline builder and the detectors: stored
// events are trusted to be valid rrweb, but analysis must never crash on what a client sent.
func FuzzBuild(f *testing.F) {
	f.Add(`{"node":{"type":0,"childNodes":[{"type":2,"tagName":"BUTTON","attributes":{"class":"x","disabled":true},"childNodes":[{"type":3,"textContent":"Go\u00e9","id":3}],"id":2}],"id":1}}`)
	f.Add(`{"node":{"childNodes":[[[[`)
	f.Add(`{"source":0,"adds":[{"parentId":1,"node":{"type":2,"tagName":"a","id":9,"childNodes":[]}}],"removes":[],"texts":[],"attributes":[]}`)
	f.Fuzz(func(t *testing.T, data string) {
		events := []json.RawMessage{
			json.RawMessage(`{"type":4,"timestamp":1,"data":{"href":"http://x/","width":10,"height":10}}`),
			json.RawMessage(`{"type":2,"timestamp":2,"data":` + data + `}`),
			json.RawMessage(`{"type":3,"timestamp":3,"data":` + data + `}`),
			json.RawMessage(`{"type":3,"timestamp":4,"data":{"source":2,"type":2,"id":2,"x":1,"y":1}}`),
		}
		Analyze([][]json.RawMessage{events}, Facts{}, Defaults)
	})
}

// Snapshots whose nodes end with a number, true or null (Go's key order, rr_scrollTop) still
// name the clicked element.
func TestSnapshotWithScalarLastInObjects(t *testing.T) {
	r := &rec{}
	r.add(4, 0, `{"height":800,"href":"http://shop/cart","width":1280}`)
	r.add(2, 1, `{"initialOffset":{"left":0,"top":0},"node":{"childNodes":[{"attributes":{"class":"coupon","rr_scrollTop":12},"childNodes":[{"id":11,"textContent":"Apply coupon","type":3}],"id":10,"tagName":"button","type":2}],"id":1,"type":0}}`)
	for i := range 3 {
		r.click(1000+int64(i)*100, 11, 10, 10)
	}
	sigs := kinds(Detect(Build(r.events), Defaults), RageClick)
	if len(sigs) != 1 || sigs[0].Target != `button.coupon "Apply coupon"` {
		t.Fatalf("rage click = %+v", sigs)
	}
}

func TestProjectThresholds(t *testing.T) {
	r := visit("http://shop/cart", 0)
	for i := range 3 {
		r.click(1000+int64(i)*100, 11, 100, 200)
	}
	strict, err := Defaults.Override([]byte(`{"rageClicks": 4, "deadWaitMs": 7000}`))
	if err != nil {
		t.Fatal(err)
	}
	if strict.RageClicks != 4 || strict.DeadWaitMS != 7000 || strict.RageWindowMS != Defaults.RageWindowMS {
		t.Fatalf("override = %+v", strict)
	}
	tl := Build(r.events)
	if n := len(kinds(Detect(tl, Defaults), RageClick)); n != 1 {
		t.Fatalf("3 clicks with the defaults: %d rage clicks, want 1", n)
	}
	if n := len(kinds(Detect(tl, strict), RageClick)); n != 0 {
		t.Fatalf("3 clicks when the project asks for 4: %d rage clicks, want 0", n)
	}

	for _, bad := range []string{
		`{"rageClick": 4}`,        // typo: never silently the default
		`{"rageClicks": 1}`,       // below the range
		`{"deadWaitMs": 1e12}`,    // above it
		`{"rageRadiusPx": -3}`,    // negative
		`{"rageClicks": "three"}`, // wrong type
		`[1,2]`, `{"rageClicks": 4} {}`, `{`,
	} {
		if _, err := Defaults.Override([]byte(bad)); err == nil {
			t.Errorf("Override(%s) accepted", bad)
		}
	}
	if got, err := Defaults.Override(nil); err != nil || got != Defaults {
		t.Fatalf("no overrides = %+v, %v", got, err)
	}
}

// TestFormAbandonCountsFields: a field typed into is sent several times a second, and the
// abandoned form's count is its fields, not those events.
func TestFormAbandonCountsFields(t *testing.T) {
	r := visit("http://shop/checkout", 0)
	for i := range 12 {
		r.typed(1000+int64(i)*250, 80)
	}
	for i := range 5 {
		r.typed(5000+int64(i)*250, 90)
	}
	sigs := kinds(Detect(Build(r.then(visit("http://shop/", 9000)).events), Defaults), FormAbandon)
	if len(sigs) != 1 || sigs[0].Count != 2 {
		t.Fatalf("form abandonment signals %+v, want one counting 2 fields", sigs)
	}
}

// TestSummaryQuotesTheText: a summary names a clicked element by its text, also when its
// selector has quotes of its own (a test id).
func TestSummaryQuotesTheText(t *testing.T) {
	for target, want := range map[string]string{
		`button[data-testid="apply-coupon"] "Apply coupon"`: "‘Apply coupon’",
		`button#pay "Pay now"`:                              "‘Pay now’",
		`img.hero`:                                          "img.hero",
		`a[data-testid="cart-link"]`:                        `a[data-testid="cart-link"]`,
	} {
		if got := quote(target); got != want {
			t.Errorf("quote(%s) = %s, want %s", target, got, want)
		}
	}
}
