package server

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/reelhq/reel/internal/store"
)

// funnelFixture records three sessions through the ingest API: a visitor who bought with
// variant b of the flag "checkout", one of variant a who stopped at the cart, and one of
// variant a who bought. Their clicks and track events are what analysis keeps (SaveSteps).
func funnelFixture(t *testing.T, s *stack) time.Time {
	t.Helper()
	t0 := time.Now().UTC().Add(-time.Hour).Truncate(time.Second)
	ms := func(sec int) int64 { return t0.Add(time.Duration(sec) * time.Second).UnixMilli() }
	meta := func(sec int, path string) string {
		return ev(4, ms(sec), fmt.Sprintf(`{"href":"http://shop.example%s","width":1280,"height":720}`, path))
	}
	flags := func(sec int, variant string) string {
		return ev(5, ms(sec), `{"tag":"reel.flags","payload":{"flags":{"checkout":"`+variant+`","theme":"dark"}}}`)
	}
	lcp := func(sec int, value float64) string {
		return ev(5, ms(sec), fmt.Sprintf(`{"tag":"reel.vitals","payload":{"name":"LCP","value":%g}}`, value))
	}
	visits := []struct {
		id, variant string
		pages       []string
		bought      bool
		lcp         []float64 // per page
	}{
		{"s_funnel00001", "b", []string{"/", "/cart", "/thanks"}, true, []float64{1200, 1800}},
		{"s_funnel00002", "a", []string{"/", "/cart"}, false, []float64{2100, 5200}},
		{"s_funnel00003", "a", []string{"/", "/cart", "/thanks"}, true, nil},
	}
	for i, v := range visits {
		evs := []string{flags(i*100, v.variant)}
		for k, p := range v.pages {
			evs = append(evs, meta(i*100+k*10+1, p))
			if k < len(v.lcp) {
				evs = append(evs, lcp(i*100+k*10+3, v.lcp[k]))
			}
		}
		s.ingest(t, v.id, "t_tabone01", 0, evs...)
		steps := []store.Step{{At: t0.Add(time.Duration(i*100+12) * time.Second), Kind: store.StepClick, Path: "/cart", Name: `button[data-testid="pay"]`, Text: `button "Pay now"`}}
		if v.bought {
			steps = append(steps, store.Step{At: t0.Add(time.Duration(i*100+15) * time.Second), Kind: store.StepEvent, Path: "/cart", Name: "order_placed", Props: map[string]string{"plan": "pro"}})
		}
		if err := s.idx.SaveSteps(context.Background(), v.id, steps); err != nil {
			t.Fatal(err)
		}
	}
	return t0
}

type funnelOutJSON struct {
	Steps []struct {
		Kind, Label, Path string
		Sessions, Lost    int
		Dropped           []string
		Drops             []struct {
			SessionID string
			URL       string
		}
	}
	Series []struct{ Entered, Converted int }
	Order  string
}

func TestFunnelSteps(t *testing.T) {
	s := newStack(t)
	funnelFixture(t, s)
	adm := s.admin(t)
	var out funnelOutJSON
	adm.json("POST", "/api/v1/funnels?project=default&interval=week", `{"steps":[{"path":"/"},{"path":"/cart"},{"kind":"click","text":"pay now"},{"kind":"event","name":"order_*","props":{"plan":"pro"}}]}`, 200, &out)
	got := []int{}
	for _, st := range out.Steps {
		got = append(got, st.Sessions)
	}
	if fmt.Sprint(got) != "[3 3 3 2]" || out.Order != "ordered" {
		t.Fatalf("sessions per step = %v (order %s), want [3 3 3 2] ordered", got, out.Order)
	}
	last := out.Steps[3]
	if last.Lost != 1 || len(last.Drops) != 1 || last.Drops[0].SessionID != "s_funnel00002" || !strings.HasPrefix(last.Drops[0].URL, "/sessions/s_funnel00002?t=") {
		t.Errorf("dropped at the order = %+v, want s_funnel00002 with a replay link", last)
	}
	if last.Label != "Event order_* plan=pro" || out.Steps[2].Label != `Click "pay now"` || out.Steps[0].Path != "/" {
		t.Errorf("labels = %q, %q", out.Steps[2].Label, last.Label)
	}
	entered, converted := 0, 0
	for _, b := range out.Series {
		entered, converted = entered+b.Entered, converted+b.Converted
	}
	if entered != 3 || converted != 2 {
		t.Errorf("series counts %d entered, %d converted; want 3, 2", entered, converted)
	}
	// Strict: the click is not the next thing after the home page.
	adm.json("POST", "/api/v1/funnels?project=default", `{"steps":[{"path":"/"},{"kind":"click","selector":"*pay*"}],"order":"strict"}`, 200, &out)
	if out.Steps[0].Sessions != 3 || out.Steps[1].Sessions != 0 {
		t.Errorf("strict home → click = %d → %d, want 3 → 0", out.Steps[0].Sessions, out.Steps[1].Sessions)
	}
	adm.json("POST", "/api/v1/funnels?project=default", `{"steps":[{"kind":"event","name":"order_placed"},{"path":"/cart"}],"order":"any"}`, 200, &out)
	if out.Steps[0].Sessions != 2 || out.Steps[1].Sessions != 2 {
		t.Errorf("any order = %d → %d, want 2 → 2", out.Steps[0].Sessions, out.Steps[1].Sessions)
	}
}

// TestFunnelRefusesBadInput: malformed, hostile and oversized funnels get a 4xx with a reason.
func TestFunnelRefusesBadInput(t *testing.T) {
	s := newStack(t)
	adm := s.admin(t)
	long := strings.Repeat("x", 513)
	cases := []struct {
		name, path, body string
		status           int
		message          string
	}{
		{"not json", "", `{"steps": [`, 400, "JSON"},
		{"unknown field", "", `{"steps":[{"path":"/"},{"path":"/a"}],"sort":"x"}`, 400, "unknown field"},
		{"one step", "", `{"steps":[{"path":"/"}]}`, 400, "2 to 12 steps"},
		{"thirteen steps", "", `{"steps":[` + strings.Repeat(`{"path":"/"},`, 12) + `{"path":"/"}]}`, 400, "2 to 12 steps"},
		{"long pattern", "", `{"steps":[{"path":"` + long + `"},{"path":"/"}]}`, 400, "at most 512"},
		{"unknown kind", "", `{"steps":[{"kind":"hover","path":"/"},{"path":"/"}]}`, 400, "kind must be"},
		{"unknown order", "", `{"steps":[{"path":"/"},{"path":"/a"}],"order":"random"}`, 400, "order must be"},
		{"click without target", "", `{"steps":[{"kind":"click"},{"path":"/"}]}`, 400, "selector or a text"},
		{"number property", "", `{"steps":[{"kind":"event","name":"a","props":{"n":1}},{"path":"/"}]}`, 400, "JSON"},
		{"sql in a pattern counts nothing", "", `{"steps":[{"path":"/'; DROP TABLE sessions; --"},{"path":"/"}]}`, 200, ""},
		{"bad interval", "&interval=month", `{"steps":[{"path":"/"},{"path":"/a"}]}`, 400, "interval"},
		{"bad days", "&days=0", `{"steps":[{"path":"/"},{"path":"/a"}]}`, 400, "days"},
		{"oversized", "", `{"steps":[{"path":"/` + strings.Repeat("a", 20<<10) + `"},{"path":"/"}]}`, 413, "larger"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := adm.do("POST", "/api/v1/funnels?project=default"+c.path, c.body)
			if r.Status != c.status || !strings.Contains(string(r.Body), c.message) {
				t.Errorf("= %d %s, want %d with %q", r.Status, r.Body, c.status, c.message)
			}
		})
	}
	if r := adm.do("GET", "/api/v1/sessions/s_nothing000", ""); r.Status != 404 {
		t.Errorf("the index after hostile funnels: %d", r.Status)
	}
}

type savedFunnelOut struct {
	ID         int64
	Name       string
	Shared     bool
	Mine       bool
	URL        string
	Definition struct {
		Order string
		Steps []struct{ Kind, Path string }
	}
}

func TestSavedFunnels(t *testing.T) {
	s := newStack(t)
	alice, bob := s.member(t, "alice@reel.local"), s.member(t, "bob@reel.local")
	var f savedFunnelOut
	alice.json("POST", "/api/v1/saved-funnels", `{"name":"Checkout","definition":{"steps":[{"path":"/cart"},{"kind":"event","name":"paid"}],"order":"strict"}}`, 201, &f)
	if f.ID == 0 || f.Shared || !f.Mine || f.Definition.Order != "strict" || f.Definition.Steps[0].Kind != "page" || f.URL != fmt.Sprintf("/funnels?project=default&funnel=%d", f.ID) {
		t.Fatalf("created = %+v", f)
	}
	var list struct{ Funnels []savedFunnelOut }
	bob.json("GET", "/api/v1/saved-funnels?project=default", "", 200, &list)
	if len(list.Funnels) != 0 {
		t.Fatalf("bob sees alice's private funnel: %+v", list)
	}
	if r := bob.do("GET", fmt.Sprintf("/api/v1/saved-funnels/%d", f.ID), ""); r.Status != 404 {
		t.Fatalf("bob GET private = %d", r.Status)
	}
	alice.json("PATCH", fmt.Sprintf("/api/v1/saved-funnels/%d", f.ID), `{"shared":true}`, 200, &f)
	bob.json("GET", "/api/v1/saved-funnels?project=default", "", 200, &list)
	if len(list.Funnels) != 1 || list.Funnels[0].Mine || !list.Funnels[0].Shared {
		t.Fatalf("bob's list after sharing = %+v", list)
	}
	if r := bob.do("PATCH", fmt.Sprintf("/api/v1/saved-funnels/%d", f.ID), `{"name":"Mine now"}`); r.Status != 403 {
		t.Errorf("bob renaming alice's funnel = %d %s, want 403", r.Status, r.Body)
	}
	if r := bob.do("DELETE", fmt.Sprintf("/api/v1/saved-funnels/%d", f.ID), ""); r.Status != 403 {
		t.Errorf("bob deleting alice's funnel = %d, want 403", r.Status)
	}
	for name, body := range map[string]string{
		"no definition":      `{"name":"x"}`,
		"empty name":         `{"name":"  ","definition":{"steps":[{"path":"/"},{"path":"/a"}]}}`,
		"bad definition":     `{"name":"x","definition":{"steps":[{"path":"/"}]}}`,
		"unknown field":      `{"name":"x","definition":{"steps":[{"path":"/"},{"path":"/a"}]},"owner":1}`,
		"control characters": `{"name":"a\u0000b","definition":{"steps":[{"path":"/"},{"path":"/a"}]}}`,
	} {
		if r := alice.do("POST", "/api/v1/saved-funnels", body); r.Status != 400 {
			t.Errorf("%s: = %d %s, want 400", name, r.Status, r.Body)
		}
	}
	big := `{"name":"x","definition":{"steps":[{"path":"/` + strings.Repeat("a", 20<<10) + `"},{"path":"/"}]}}`
	if r := alice.do("POST", "/api/v1/saved-funnels", big); r.Status != 413 {
		t.Errorf("an oversized funnel = %d, want 413", r.Status)
	}
	if r := alice.do("POST", "/api/v1/saved-funnels", `{"project":"elsewhere","name":"x","definition":{"steps":[{"path":"/"},{"path":"/a"}]}}`); r.Status != 404 {
		t.Errorf("a funnel in a missing project = %d, want 404", r.Status)
	}
	if r := alice.do("PATCH", fmt.Sprintf("/api/v1/saved-funnels/%d", f.ID), `{"project":"other"}`); r.Status != 400 {
		t.Errorf("moving a funnel to another project = %d, want 400", r.Status)
	}
	if r := alice.do("PATCH", fmt.Sprintf("/api/v1/saved-funnels/%d", f.ID), `{"definition":{"steps":[],"order":"any"}}`); r.Status != 400 {
		t.Errorf("patch to an empty funnel = %d, want 400", r.Status)
	}
	if r := alice.do("GET", "/api/v1/saved-funnels/abc", ""); r.Status != 400 {
		t.Errorf("GET /saved-funnels/abc = %d, want 400", r.Status)
	}
	if r := alice.do("DELETE", fmt.Sprintf("/api/v1/saved-funnels/%d", f.ID), ""); r.Status != 204 {
		t.Fatalf("delete = %d", r.Status)
	}
	if r := alice.do("GET", fmt.Sprintf("/api/v1/saved-funnels/%d", f.ID), ""); r.Status != 404 {
		t.Errorf("deleted funnel = %d, want 404", r.Status)
	}
}

func TestFlagsAndExperiment(t *testing.T) {
	s := newStack(t)
	funnelFixture(t, s)
	adm := s.admin(t)
	var flags struct {
		Flags []struct {
			Name     string
			Variants []struct {
				Variant  string
				Sessions int
			}
		}
	}
	adm.json("GET", "/api/v1/flags?project=default", "", 200, &flags)
	if len(flags.Flags) != 2 || flags.Flags[0].Name != "checkout" || fmt.Sprint(flags.Flags[0].Variants) != "[{a 2} {b 1}]" {
		t.Fatalf("flags = %+v", flags)
	}
	var found struct{ Sessions []struct{ ID string } }
	adm.json("GET", "/api/v1/sessions?project=default&q="+url.QueryEscape("flag.checkout:a -flag.checkout:b"), "", 200, &found)
	if len(found.Sessions) != 2 {
		t.Errorf("flag.checkout:a finds %+v, want the two sessions of a", found.Sessions)
	}
	adm.json("GET", "/api/v1/sessions?project=default&q="+url.QueryEscape("flag.theme:*"), "", 200, &found)
	if len(found.Sessions) != 3 {
		t.Errorf("flag.theme:* finds %d sessions, want 3", len(found.Sessions))
	}

	var f savedFunnelOut
	adm.json("POST", "/api/v1/saved-funnels", `{"name":"Buy","shared":true,"definition":{"steps":[{"path":"/cart"},{"kind":"event","name":"order_placed"}]}}`, 201, &f)
	var ex struct {
		Flag     string
		Funnel   struct{ Name string }
		Variants []struct {
			Variant    string
			Sessions   int
			Query      string
			Conversion *struct {
				Count, Of       int
				Rate, Low, High float64
			}
			Friction, Errors struct {
				Count, Of int
				Query     string
			}
			Vitals []struct {
				Metric  string
				P75     *float64
				Rating  string
				NotGood struct {
					Count, Of int
					Query     string
				}
			}
		}
	}
	adm.json("GET", fmt.Sprintf("/api/v1/experiments?project=default&flag=checkout&funnel=%d", f.ID), "", 200, &ex)
	if ex.Flag != "checkout" || ex.Funnel.Name != "Buy" || len(ex.Variants) != 2 {
		t.Fatalf("experiment = %+v", ex)
	}
	a, b := ex.Variants[0], ex.Variants[1]
	if a.Variant != "a" || a.Sessions != 2 || a.Conversion == nil || a.Conversion.Count != 1 || a.Conversion.Of != 2 || a.Query != "flag.checkout:a" {
		t.Errorf("variant a = %+v", a)
	}
	if c := a.Conversion; c == nil || c.Rate != 0.5 || c.Low > 0.1 || c.High < 0.9 {
		t.Errorf("a's interval = %+v, want 0.5 within about [0.09, 0.91]", c)
	}
	if b.Variant != "b" || b.Sessions != 1 || b.Conversion.Count != 1 || b.Friction.Of != 1 || b.Errors.Query != "flag.checkout:b errors:>0" {
		t.Errorf("variant b = %+v", b)
	}
	// Web vitals: each session by its worst page view, among the sessions that measured it.
	vital := func(v int, metric string) string {
		for _, x := range ex.Variants[v].Vitals {
			if x.Metric == metric {
				p75 := "null"
				if x.P75 != nil {
					p75 = fmt.Sprint(*x.P75)
				}
				return fmt.Sprintf("p75=%s %s %d/%d %s", p75, x.Rating, x.NotGood.Count, x.NotGood.Of, x.NotGood.Query)
			}
		}
		return "missing"
	}
	for _, c := range []struct {
		variant      int
		metric, want string
	}{
		{0, "lcp", "p75=5200 poor 1/1 flag.checkout:a vitals.lcp:>2500"},
		{1, "lcp", "p75=1800 good 0/1 flag.checkout:b vitals.lcp:>2500"},
		{0, "inp", "p75=null  0/0 flag.checkout:a vitals.inp:>200"},
		{1, "cls", "p75=null  0/0 flag.checkout:b vitals.cls:>0.1"},
	} {
		if got := vital(c.variant, c.metric); got != c.want {
			t.Errorf("variant %s %s: %s, want %s", ex.Variants[c.variant].Variant, c.metric, got, c.want)
		}
	}
	adm.json("GET", "/api/v1/sessions?project=default&q="+url.QueryEscape("flag.checkout:a vitals.lcp:>2500"), "", 200, &found)
	if len(found.Sessions) != 1 || found.Sessions[0].ID != "s_funnel00002" {
		t.Errorf("the slow sessions of a: %+v, want s_funnel00002", found.Sessions)
	}
	// Without a funnel, conversion is null.
	r := adm.do("GET", "/api/v1/experiments?project=default&flag=checkout", "")
	if r.Status != 200 || !strings.Contains(string(r.Body), `"conversion":null`) {
		t.Errorf("experiment without a funnel = %d %s", r.Status, r.Body)
	}
	for q, want := range map[string]int{
		"":                                  400,
		"&flag=" + strings.Repeat("f", 129): 400,
		"&flag=a%20b":                       400,
		"&flag=checkout&funnel=x":           400,
		"&flag=checkout&funnel=-1":          400,
		"&flag=checkout&funnel=999":         404,
		"&flag=checkout&days=9999":          400,
	} {
		if r := adm.do("GET", "/api/v1/experiments?project=default"+q, ""); r.Status != want {
			t.Errorf("experiments%s = %d %s, want %d", q, r.Status, r.Body, want)
		}
	}
}
