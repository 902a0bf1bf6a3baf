package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/reelhq/reel/internal/search"
	"github.com/reelhq/reel/internal/store"
)

// RunFunnels runs the contract of store.Funnels.
func RunFunnels(t *testing.T, open func(t *testing.T) store.Index) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Index)
	}{
		{"Journeys", testJourneys},
		{"Flags", testFlags},
		{"SavedFunnels", testSavedFunnels},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() { s.Close() })
			tc.fn(t, s)
		})
	}
}

// testJourneys: a session's pages (from ingest) and steps (from analysis) come back merged in
// time order; saving steps again replaces them; the window and the limit choose sessions.
func testJourneys(t *testing.T, s store.Index) {
	ctx := context.Background()
	mustProject(t, s, "default")
	mustProject(t, s, "other")
	mustAppend(t, s,
		batch("default", "s_old", "t1", 0, t0, 5, "https://shop.example/"),
		batch("default", "s_new", "t1", 0, t0.Add(time.Hour), 5, "https://shop.example/", "https://shop.example/cart?x=1"),
		batch("other", "s_elsewhere", "t1", 0, t0.Add(time.Hour), 5, "https://shop.example/"),
	)
	at := func(ms int) time.Time { return t0.Add(time.Hour + time.Duration(ms)*time.Millisecond) }
	steps := []store.Step{
		{At: at(0), Kind: store.StepClick, Path: "/", Name: `a[data-testid="cart"]`, Text: `a "Cart"`},
		{At: at(5), Kind: store.StepEvent, Path: "/cart", Name: "cart_viewed", Props: map[string]string{"items": "2", "note": `"quoted" ünïcode`}},
	}
	if err := s.SaveSteps(ctx, "s_new", append([]store.Step{{At: at(3), Kind: store.StepEvent, Name: "replaced"}}, steps...)); err != nil {
		t.Fatalf("SaveSteps: %v", err)
	}
	if err := s.SaveSteps(ctx, "s_new", steps); err != nil {
		t.Fatalf("SaveSteps again: %v", err)
	}
	if err := s.SaveSteps(ctx, "s_nobody", steps); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("SaveSteps of an unknown session = %v, want ErrNotFound", err)
	}
	js, err := s.Journeys(ctx, "default", t0, t0.Add(24*time.Hour), 10)
	if err != nil {
		t.Fatalf("Journeys: %v", err)
	}
	if len(js) != 2 || js[0].SessionID != "s_new" || js[1].SessionID != "s_old" || !js[0].StartedAt.Equal(t0.Add(time.Hour)) {
		t.Fatalf("journeys = %+v, want s_new then s_old", js)
	}
	got := ""
	for _, st := range js[0].Steps {
		got += fmt.Sprintf("%s:%s:%s:%s;", st.Kind, st.Path, st.Name, st.Text)
	}
	// The page at +0 ms comes before the click of the same moment; the cart page (+1 ms) before
	// the event (+5 ms).
	if want := `page:/::;click:/:a[data-testid="cart"]:a "Cart";page:/cart::;event:/cart:cart_viewed:;`; got != want {
		t.Errorf("s_new did\n %s\nwant\n %s", got, want)
	}
	if p := js[0].Steps[3].Props; p["items"] != "2" || p["note"] != `"quoted" ünïcode` {
		t.Errorf("event properties = %v", p)
	}
	if js, _ := s.Journeys(ctx, "default", t0, t0.Add(24*time.Hour), 1); len(js) != 1 || js[0].SessionID != "s_new" {
		t.Errorf("limit 1 = %+v, want the newest", js)
	}
	if js, _ := s.Journeys(ctx, "default", t0.Add(2*time.Hour), t0.Add(3*time.Hour), 10); len(js) != 0 {
		t.Errorf("an empty window = %+v", js)
	}
	// Deleting a session deletes its steps with it.
	if _, err := s.DeleteSessions(ctx, []string{"s_new"}); err != nil {
		t.Fatal(err)
	}
	if js, _ := s.Journeys(ctx, "default", t0, t0.Add(24*time.Hour), 10); len(js) != 1 {
		t.Errorf("after deleting s_new: %+v", js)
	}
}

// testFlags: flag variants arrive with batches, each pair once with its earliest time; the
// first variant decides the exposure; flag.<name>: finds sessions by any variant they had.
func testFlags(t *testing.T, s store.Index) {
	ctx := context.Background()
	mustProject(t, s, "default")
	fl := func(name, variant string, sec int) store.SessionFlag {
		return store.SessionFlag{Name: name, Variant: variant, FirstAt: t0.Add(time.Duration(sec) * time.Second)}
	}
	b1 := batch("default", "s_a", "t1", 1, t0.Add(10*time.Second), 5, "https://shop.example/")
	b1.Flags = []store.SessionFlag{fl("checkout", "b", 12), fl("theme", "dark", 10)}
	b0 := batch("default", "s_a", "t1", 0, t0, 5) // arrives late, with an earlier variant
	b0.Flags = []store.SessionFlag{fl("checkout", "a", 2), fl("theme", "dark", 1)}
	b0.Errors = 2
	c := batch("default", "s_c", "t1", 0, t0.Add(time.Minute), 5, "https://shop.example/")
	c.Flags = []store.SessionFlag{fl("checkout", "b", 61)}
	// Vitals: s_a's worst LCP over its page views, and a CLS; s_c measured only LCP.
	vital := func(sec int, metric string, v float64) store.Vital {
		return store.Vital{Tab: "t1", At: t0.Add(time.Duration(sec) * time.Second), Metric: metric, Value: v}
	}
	b1.Vitals = []store.Vital{vital(11, "lcp", 3100), vital(12, "cls", 0.2)}
	b1.Pages = append(b1.Pages, store.Page{Tab: "t1", At: t0.Add(20 * time.Second), URL: "https://shop.example/cart"})
	b1.Vitals = append(b1.Vitals, vital(21, "lcp", 900))
	c.Vitals = []store.Vital{vital(62, "lcp", 1000)}
	mustAppend(t, s, b1, b0, c, batch("default", "s_none", "t1", 0, t0, 5))

	got, err := s.SessionFlags(ctx, "s_a")
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != fmt.Sprint([]store.SessionFlag{fl("theme", "dark", 1), fl("checkout", "a", 2), fl("checkout", "b", 12)}) {
		t.Errorf("SessionFlags(s_a) = %v", got)
	}
	counts, err := s.FlagCounts(ctx, "default", t0, t0.Add(time.Hour))
	if err != nil || fmt.Sprint(counts) != "[{checkout a 1} {checkout b 2} {theme dark 1}]" {
		t.Errorf("FlagCounts = %v, %v", counts, err)
	}
	ex, err := s.Exposures(ctx, "default", "checkout", t0, t0.Add(time.Hour), 10)
	if err != nil || len(ex) != 2 || ex[0].SessionID != "s_c" || ex[0].Variant != "b" || ex[1].SessionID != "s_a" || ex[1].Variant != "a" || ex[1].Errors != 2 {
		t.Errorf("Exposures = %+v, %v; want s_c in b, then s_a in a (its first variant) with 2 errors", ex, err)
	} else if fmt.Sprint(ex[0].Vitals) != "map[lcp:1000]" || fmt.Sprint(ex[1].Vitals) != "map[cls:0.2 lcp:3100]" {
		t.Errorf("Exposures' vitals: s_c %v, s_a %v; want map[lcp:1000] and the worst page view of s_a, map[cls:0.2 lcp:3100]", ex[0].Vitals, ex[1].Vitals)
	}
	if ex, _ := s.Exposures(ctx, "default", "nope", t0, t0.Add(time.Hour), 10); len(ex) != 0 {
		t.Errorf("Exposures of an unknown flag = %+v", ex)
	}
	for q, want := range map[string]string{
		"flag.checkout:b":                  "s_c,s_a",
		"flag.checkout:a":                  "s_a",
		"flag.checkout:* -flag.checkout:a": "s_c",
		"flag.theme:d*":                    "s_a",
		"-flag.checkout:*":                 "s_none",
		"flag.Checkout:b":                  "",
	} {
		plan, err := search.Parse(q)
		if err != nil {
			t.Fatal(err)
		}
		page, err := s.ListSessions(ctx, store.ListQuery{ProjectID: "default", Limit: 10, Query: plan})
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		ids := names(page.Sessions, func(x store.Session) string { return x.ID })
		if ids != want {
			t.Errorf("%s finds %q, want %q", q, ids, want)
		}
	}
	// A page that sets flags without end stops adding pairs at MaxFlags.
	for i := range 3 {
		b := batch("default", "s_noisy", "t1", int64(i), t0, 1)
		for k := range store.MaxFlags / 2 {
			b.Flags = append(b.Flags, fl(fmt.Sprintf("f%d_%d", i, k), "on", 0))
		}
		mustAppend(t, s, b)
	}
	if got, _ := s.SessionFlags(ctx, "s_noisy"); len(got) != store.MaxFlags {
		t.Errorf("a noisy session keeps %d flag pairs, want %d", len(got), store.MaxFlags)
	}
}

func testSavedFunnels(t *testing.T, s store.Index) {
	ctx := context.Background()
	mustProject(t, s, "default")
	mustProject(t, s, "other")
	mk := func(project, name string, owner int64, shared bool) store.Funnel {
		t.Helper()
		f, err := s.CreateFunnel(ctx, store.Funnel{ProjectID: project, Name: name, Definition: `{"steps":[]}`, OwnerID: owner, Shared: shared, CreatedAt: t0})
		if err != nil || f.ID == 0 || !f.UpdatedAt.Equal(t0) {
			t.Fatalf("CreateFunnel %s = %+v, %v", name, f, err)
		}
		return f
	}
	mine := mk("default", "b mine", alice, false)
	mk("default", "A shared", bob, true)
	mk("default", "bob private", bob, false)
	mk("other", "elsewhere", alice, true)
	if _, err := s.CreateFunnel(ctx, store.Funnel{ProjectID: "missing", Name: "x", Definition: "{}", CreatedAt: t0}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a funnel of a missing project = %v, want ErrNotFound", err)
	}
	byName := func(x store.Funnel) string { return x.Name }
	if got, err := s.SavedFunnels(ctx, "default", alice); err != nil || names(got, byName) != "A shared,b mine" {
		t.Fatalf("alice sees %q, %v", names(got, byName), err)
	}
	if n, _ := s.CountFunnels(ctx, "default"); n != 3 {
		t.Errorf("CountFunnels = %d, want 3", n)
	}
	if _, err := s.SavedFunnel(ctx, mine.ID, bob); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("bob reads alice's private funnel: %v", err)
	}
	mine.Name, mine.Definition, mine.Shared, mine.UpdatedAt = "Checkout", `{"steps":[{"path":"/"}]}`, true, t0.Add(time.Hour)
	if err := s.UpdateFunnel(ctx, mine); err != nil {
		t.Fatal(err)
	}
	got, err := s.SavedFunnel(ctx, mine.ID, bob)
	if err != nil || got.Name != "Checkout" || got.Definition != `{"steps":[{"path":"/"}]}` || !got.Shared || !got.UpdatedAt.Equal(t0.Add(time.Hour)) || !got.CreatedAt.Equal(t0) || got.OwnerID != alice {
		t.Errorf("after update bob reads %+v, %v", got, err)
	}
	if err := s.DeleteFunnel(ctx, mine.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteFunnel(ctx, mine.ID); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("deleting twice = %v", err)
	}
	if err := s.UpdateFunnel(ctx, mine); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("updating a deleted funnel = %v", err)
	}
}
