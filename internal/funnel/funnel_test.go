package funnel

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/reelhq/reel/internal/store"
)

var t0 = time.Date(2026, 12, 1, 10, 0, 0, 0, time.UTC)

func page(sec int, path string) store.Step {
	return store.Step{At: t0.Add(time.Duration(sec) * time.Second), Kind: store.StepPage, Path: path}
}

func click(sec int, sel, text string) store.Step {
	return store.Step{At: t0.Add(time.Duration(sec) * time.Second), Kind: store.StepClick, Name: sel, Text: text}
}

func event(sec int, name string, props map[string]string) store.Step {
	return store.Step{At: t0.Add(time.Duration(sec) * time.Second), Kind: store.StepEvent, Name: name, Props: props}
}

// checkout is a funnel over every kind of step.
var checkout = []Step{
	{Path: "/cart"},
	{Kind: "click", Text: "checkout"},
	{Kind: "event", Name: "Order_*", Props: map[string]string{"plan": "pro"}},
}

func TestReach(t *testing.T) {
	cases := []struct {
		name  string
		order string
		done  []store.Step
		want  int
	}{
		{"all in order", Ordered, []store.Step{page(0, "/cart"), click(5, "button#go", `button#go "Checkout"`), event(9, "order_placed", map[string]string{"plan": "pro", "n": "1"})}, 3},
		{"things between count in ordered", Ordered, []store.Step{page(0, "/cart"), page(1, "/help"), click(5, "button#go", `button "Checkout now"`), click(6, "a", "x"), event(9, "order_placed", map[string]string{"plan": "pro"})}, 3},
		{"things between break strict", Strict, []store.Step{page(0, "/cart"), page(1, "/help"), click(5, "button#go", `button "Checkout"`), event(9, "order_placed", map[string]string{"plan": "pro"})}, 1},
		{"strict consecutive", Strict, []store.Step{page(0, "/"), page(1, "/cart"), click(5, "b", `button "CHECKOUT"`), event(9, "order_placed", map[string]string{"plan": "pro"}), page(10, "/thanks")}, 3},
		{"strict takes the longest run", Strict, []store.Step{page(0, "/cart"), page(1, "/x"), page(2, "/cart"), click(3, "b", "checkout")}, 2},
		{"wrong property value", Ordered, []store.Step{page(0, "/cart"), click(5, "b", "checkout"), event(9, "order_placed", map[string]string{"plan": "free"})}, 2},
		{"out of order is not ordered", Ordered, []store.Step{click(1, "b", "checkout"), page(2, "/cart"), event(9, "order_placed", map[string]string{"plan": "pro"})}, 1},
		{"out of order is any", Any, []store.Step{event(1, "order_placed", map[string]string{"plan": "pro"}), click(2, "b", "checkout"), page(3, "/cart")}, 3},
		{"any needs the prefix", Any, []store.Step{page(3, "/cart"), event(4, "order_placed", map[string]string{"plan": "pro"})}, 1},
		{"never entered", Ordered, []store.Step{page(0, "/"), click(1, "b", "checkout")}, 0},
		{"a click is not a page", Ordered, []store.Step{click(0, "/cart", "/cart")}, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			d := Definition{Steps: checkout, Order: c.order}
			if err := d.Validate(); err != nil {
				t.Fatal(err)
			}
			n, at := d.Reach(store.Journey{SessionID: "s", Steps: c.done})
			if n != c.want || len(at) != n {
				t.Fatalf("reached %d (%d times), want %d", n, len(at), c.want)
			}
			for k := 1; k < len(at); k++ {
				if at[k].Before(at[k-1]) {
					t.Errorf("step %d reached at %v, before step %d at %v", k+1, at[k], k, at[k-1])
				}
			}
		})
	}
}

func TestMatches(t *testing.T) {
	cases := []struct {
		step Step
		done store.Step
		want bool
	}{
		{Step{Kind: "page", Path: "/product/*"}, page(0, "/product/42"), true},
		{Step{Kind: "page", Path: "/product/*"}, page(0, "/products"), false},
		{Step{Kind: "click", Selector: `button[data-testid="pay"]`}, click(0, `button[data-testid="pay"]`, ""), true},
		{Step{Kind: "click", Selector: `*[data-testid="pay"]`}, click(0, `form:nth-of-type(1)>button[data-testid="pay"]`, ""), true},
		{Step{Kind: "click", Selector: "#pay", Text: "Pay"}, click(0, "#pay", `button "Cancel"`), false},
		{Step{Kind: "click", Text: "pay now"}, click(0, "", `button#p "Pay Now"`), true},
		{Step{Kind: "event", Name: "signup"}, event(0, "signup", nil), true},
		{Step{Kind: "event", Name: "SignUp"}, event(0, "signup", nil), true},
		{Step{Kind: "event", Name: "signup", Props: map[string]string{"from": "hero"}}, event(0, "signup", nil), false},
	}
	for _, c := range cases {
		if got := c.step.Matches(c.done); got != c.want {
			t.Errorf("%s matches %+v = %v, want %v", c.step.Label(), c.done, got, c.want)
		}
	}
}

func TestParseRefuses(t *testing.T) {
	long := strings.Repeat("a", MaxPattern+1)
	cases := map[string]string{
		"not json":            `{"steps": [`,
		"one step":            `{"steps": [{"path": "/"}]}`,
		"thirteen steps":      `{"steps": [` + strings.Repeat(`{"path":"/"},`, 12) + `{"path":"/"}]}`,
		"empty path":          `{"steps": [{"path": ""}, {"path": "/"}]}`,
		"unknown kind":        `{"steps": [{"kind": "hover", "path": "/"}, {"path": "/"}]}`,
		"unknown order":       `{"steps": [{"path": "/a"}, {"path": "/b"}], "order": "sideways"}`,
		"click without what":  `{"steps": [{"kind": "click"}, {"path": "/"}]}`,
		"event without name":  `{"steps": [{"kind": "event", "props": {"a": "b"}}, {"path": "/"}]}`,
		"page with a name":    `{"steps": [{"path": "/", "name": "x"}, {"path": "/"}]}`,
		"long pattern":        `{"steps": [{"path": "` + long + `"}, {"path": "/"}]}`,
		"steps not a list":    `{"steps": "/a,/b"}`,
		"props not strings":   `{"steps": [{"kind": "event", "name": "a", "props": {"n": 1}}, {"path": "/"}]}`,
		"too many properties": `{"steps": [{"kind": "event", "name": "a", "props": {"a":"","b":"","c":"","d":"","e":"","f":"","g":"","h":"","i":"","j":"","k":""}}, {"path": "/"}]}`,
	}
	for name, raw := range cases {
		if _, err := Parse([]byte(raw)); err == nil {
			t.Errorf("%s: parsed", name)
		}
	}
	d, err := Parse([]byte(`{"steps": [{"path": "/a"}, {"kind": "event", "name": "x"}]}`))
	if err != nil || d.Order != Ordered || d.Steps[0].Kind != "page" {
		t.Errorf("defaults: %+v, %v", d, err)
	}
}

func TestCount(t *testing.T) {
	d := Definition{Steps: []Step{{Path: "/"}, {Path: "/cart"}, {Path: "/thanks"}}}
	if err := d.Validate(); err != nil {
		t.Fatal(err)
	}
	day2 := t0.AddDate(0, 0, 1)
	js := []store.Journey{
		{SessionID: "a", StartedAt: day2, Steps: []store.Step{page(0, "/"), page(10, "/cart"), page(30, "/thanks")}},
		{SessionID: "b", StartedAt: day2, Steps: []store.Step{page(0, "/"), page(20, "/cart")}},
		{SessionID: "c", StartedAt: t0, Steps: []store.Step{page(0, "/")}},
		{SessionID: "d", StartedAt: t0, Steps: []store.Step{page(0, "/about")}},
	}
	since, until := t0.Truncate(24*time.Hour), t0.Truncate(24*time.Hour).AddDate(0, 0, 3)
	r := Count(js, d, Day, since, until)
	got := []int{r.Steps[0].Sessions, r.Steps[1].Sessions, r.Steps[2].Sessions}
	if got[0] != 3 || got[1] != 2 || got[2] != 1 {
		t.Fatalf("sessions per step = %v, want [3 2 1]", got)
	}
	if r.Steps[1].Lost != 1 || r.Steps[1].Dropped[0].SessionID != "c" || r.Steps[2].Dropped[0].SessionID != "b" {
		t.Errorf("dropped = %+v / %+v", r.Steps[1].Dropped, r.Steps[2].Dropped)
	}
	if want := page(20, "/cart").At; !r.Steps[2].Dropped[0].At.Equal(want) {
		t.Errorf("b dropped at %v, want when it reached the cart, %v", r.Steps[2].Dropped[0].At, want)
	}
	if r.Steps[1].MedianMS != 20000 {
		t.Errorf("median to cart = %d ms, want 20000 (the upper of 10 s and 20 s)", r.Steps[1].MedianMS)
	}
	if len(r.Series) != 3 || r.Series[0].Entered != 1 || r.Series[0].Converted != 0 || r.Series[1].Entered != 2 || r.Series[1].Converted != 1 || r.Series[1].Conversion != 0.5 {
		t.Errorf("series = %+v", r.Series)
	}
	w := Count(js, d, Week, since, until)
	entered := 0
	for _, b := range w.Series {
		if b.Start.Weekday() != time.Monday {
			t.Errorf("week bucket starts on %v", b.Start.Weekday())
		}
		entered += b.Entered
	}
	if entered != 3 {
		t.Errorf("weeks count %d entered, want 3", entered)
	}
}

func TestWilson(t *testing.T) {
	cases := []struct {
		k, n      int
		low, high float64
	}{
		// Reference values from the Wilson score formula (z = 1.96).
		{0, 10, 0, 0.2775},
		{5, 10, 0.2366, 0.7634},
		{10, 10, 0.7225, 1},
		{81, 263, 0.2553, 0.3662},
	}
	for _, c := range cases {
		p := Wilson(c.k, c.n)
		if math.Abs(p.Low-c.low) > 1e-4 || math.Abs(p.High-c.high) > 1e-4 {
			t.Errorf("Wilson(%d, %d) = [%.4f, %.4f], want [%.4f, %.4f]", c.k, c.n, p.Low, p.High, c.low, c.high)
		}
		if p.Rate < p.Low || p.Rate > p.High {
			t.Errorf("Wilson(%d, %d): rate %.4f outside its interval", c.k, c.n, p.Rate)
		}
	}
	if p := Wilson(0, 0); p.Low != 0 || p.High != 1 {
		t.Errorf("Wilson(0, 0) = %+v, want the whole 0–1", p)
	}
}
