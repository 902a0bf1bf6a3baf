package storetest

import (
	"context"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/reelhq/reel/internal/search"
	"github.com/reelhq/reel/internal/store"
)

// RunVitals runs the contract of store.Vitals: each vital a batch reports is filed under its
// page view (TTFB under the next one, as the SDK reports it just before the recording starts),
// a later report of a metric replaces the earlier, vitals.<metric>: search finds sessions by any
// page view's value, the Performance page's samples stay inside one project and period, and
// deleting a session deletes its vitals.
func RunVitals(t *testing.T, open func(t *testing.T) store.Index) {
	ctx := context.Background()
	db := open(t)
	t.Cleanup(func() { db.Close() })
	for _, p := range []string{"p", "other"} {
		if err := db.CreateProject(ctx, store.Project{ID: p, Name: p, PublicKey: "pk_" + p}); err != nil {
			t.Fatal(err)
		}
	}
	t0 := time.Date(2026, 11, 3, 10, 0, 0, 0, time.UTC)
	at := func(d time.Duration) time.Time { return t0.Add(d) }
	page := func(tab string, d time.Duration, url string) store.Page {
		return store.Page{Tab: tab, At: at(d), URL: url}
	}
	vital := func(tab string, d time.Duration, metric string, v float64) store.Vital {
		return store.Vital{Tab: tab, At: at(d), Metric: metric, Value: v}
	}
	seqs := map[string]int64{}
	add := func(project, id string, pages []store.Page, vitals []store.Vital, userID string) {
		t.Helper()
		first, last := at(time.Hour), at(-time.Hour)
		span := func(t time.Time) {
			if t.Before(first) {
				first = t
			}
			if t.After(last) {
				last = t
			}
		}
		for _, p := range pages {
			span(p.At)
		}
		for _, v := range vitals {
			span(v.At)
		}
		seqs[id]++
		b := store.Batch{ProjectID: project, Pages: pages, Vitals: vitals, UserID: userID,
			Chunk: store.Chunk{SessionID: id, Tab: "tab_a", Seq: seqs[id], FirstAt: first, LastAt: last, BlobKey: id}}
		if err := db.AppendBatch(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	// s_slow: TTFB just before the first page view, then FCP and LCP on /home; an SPA route
	// (/product); a reload to /cart whose TTFB again comes first; a layout shift and a slow
	// interaction on /cart; a vital of a tab with no page view (dropped); NaN (dropped).
	add("p", "s_slow", []store.Page{page("tab_a", 0, "https://shop.example/home"), page("tab_a", 20*time.Second, "https://shop.example/product?id=1")},
		[]store.Vital{vital("tab_a", -5*time.Millisecond, "ttfb", 950), vital("tab_a", 300*time.Millisecond, "fcp", 1900),
			vital("tab_a", 4*time.Second, "lcp", 2000), vital("tab_b", 5*time.Second, "lcp", 7000), vital("tab_a", 6*time.Second, "inp", nan())}, "alice")
	// A later batch: LCP reported again for /home (it replaces the first), the reload.
	add("p", "s_slow", []store.Page{page("tab_a", 60*time.Second, "https://shop.example/cart")},
		[]store.Vital{vital("tab_a", 5*time.Second, "lcp", 4200), vital("tab_a", 59990*time.Millisecond, "ttfb", 300),
			vital("tab_a", 80*time.Second, "cls", 0.3), vital("tab_a", 80*time.Second, "inp", 650), vital("tab_a", 80*time.Second, "lcp", 1500)}, "")
	add("p", "s_fast", []store.Page{page("tab_a", time.Hour, "https://shop.example/home")},
		[]store.Vital{vital("tab_a", time.Hour+time.Second, "lcp", 1200), vital("tab_a", time.Hour+time.Second, "cls", 0.1)}, "")
	add("p", "s_none", []store.Page{page("tab_a", 2*time.Hour, "https://shop.example/home")}, nil, "")
	add("other", "s_other", []store.Page{page("tab_a", 0, "https://shop.example/home")},
		[]store.Vital{vital("tab_a", time.Second, "lcp", 9000)}, "")

	got, err := db.SessionVitals(ctx, "s_slow")
	if err != nil {
		t.Fatal(err)
	}
	want := []store.PageVitals{
		{SessionID: "s_slow", Tab: "tab_a", PageAt: at(0), URL: "https://shop.example/home", Path: "/home",
			Values: map[string]float64{"ttfb": 950, "fcp": 1900, "lcp": 4200}},
		{SessionID: "s_slow", Tab: "tab_a", PageAt: at(60 * time.Second), URL: "https://shop.example/cart", Path: "/cart",
			Values: map[string]float64{"ttfb": 300, "cls": 0.3, "inp": 650, "lcp": 1500}},
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("SessionVitals(s_slow) =\n%+v\nwant\n%+v", got, want)
	}
	if got, err := db.SessionVitals(ctx, "s_none"); err != nil || len(got) != 0 {
		t.Errorf("SessionVitals of a session without vitals = %v, %v; want none", got, err)
	}

	samples := func(q store.VitalQuery) []string {
		t.Helper()
		got, err := db.VitalSamples(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		var out []string
		for _, s := range got {
			out = append(out, s.SessionID+s.Path+"="+strings.TrimRight(strings.TrimRight(fmtFloat(s.Value), "0"), "."))
		}
		if !q.Slowest {
			slices.Sort(out)
		}
		return out
	}
	day := store.VitalQuery{ProjectID: "p", Metric: "lcp", From: at(-time.Hour), To: at(24 * time.Hour), Limit: 100}
	if got, want := samples(day), []string{"s_fast/home=1200", "s_slow/cart=1500", "s_slow/home=4200"}; !slices.Equal(got, want) {
		t.Errorf("VitalSamples(p, lcp) = %v, want %v", got, want)
	}
	slow := day
	slow.Slowest, slow.Path = true, "/home"
	if got, want := samples(slow), []string{"s_slow/home=4200", "s_fast/home=1200"}; !slices.Equal(got, want) {
		t.Errorf("VitalSamples(p, lcp, /home, slowest) = %v, want %v", got, want)
	}
	slow.Limit = 1
	if got, want := samples(slow), []string{"s_slow/home=4200"}; !slices.Equal(got, want) {
		t.Errorf("VitalSamples(limit 1) = %v, want %v", got, want)
	}
	early := day
	early.To = at(30 * time.Minute)
	if got, want := samples(early), []string{"s_slow/cart=1500", "s_slow/home=4200"}; !slices.Equal(got, want) {
		t.Errorf("VitalSamples before 10:30 = %v, want %v (s_fast's page view is later)", got, want)
	}
	cls := day
	cls.Metric = "cls"
	if got, want := samples(cls), []string{"s_fast/home=0.1", "s_slow/cart=0.3"}; !slices.Equal(got, want) {
		t.Errorf("VitalSamples(cls) = %v, want %v", got, want)
	}
	full, err := db.VitalSamples(ctx, slow)
	if err != nil || len(full) != 1 || full[0].UserID != "alice" || !full[0].SessionStarted.Equal(at(-5*time.Millisecond)) || full[0].URL != "https://shop.example/home" {
		t.Errorf("slowest sample = %+v, %v; want s_slow's, user alice, started at its first event", full, err)
	}
	if _, err := db.VitalSamples(ctx, store.VitalQuery{ProjectID: "p", Metric: "fid", To: at(time.Hour), Limit: 1}); err == nil {
		t.Error("VitalSamples of an unknown metric: no error")
	}

	for _, tc := range []searchCase{
		{"vitals.lcp:>2500", "s_slow"},
		{"vitals.lcp:>=1200", "s_fast s_slow"},
		{"vitals.lcp:<1500", "s_fast"},
		{"vitals.lcp:=4.2s", "s_slow"},
		{"-vitals.lcp:>2500", "s_none s_fast"},
		{"vitals.cls:>0.25", "s_slow"},
		{"vitals.cls:>=0.1", "s_fast s_slow"},
		{"vitals.cls:>0.3", ""},
		{"vitals.inp:>500", "s_slow"},
		{"vitals.ttfb:>800 vitals.fcp:>1800", "s_slow"},
		{"vitals.ttfb:>800 OR vitals.cls:0.1", "s_fast s_slow"},
	} {
		plan, err := search.Parse(tc.q)
		if err != nil {
			t.Fatalf("%q: %v", tc.q, err)
		}
		want := strings.Fields(tc.want)
		if got := searchPages(t, db, store.ListQuery{ProjectID: "p", Limit: 10, Query: plan, Count: true}, len(want)); !slices.Equal(got, want) {
			t.Errorf("%q = %v, want %v", tc.q, got, want)
		}
	}

	// Deleting (erasing) a session takes its vitals with it.
	if _, err := db.DeleteSessions(ctx, []string{"s_slow"}); err != nil {
		t.Fatal(err)
	}
	if got, err := db.SessionVitals(ctx, "s_slow"); err != nil || len(got) != 0 {
		t.Errorf("SessionVitals after deletion = %v, %v; want none", got, err)
	}
	if got, want := samples(day), []string{"s_fast/home=1200"}; !slices.Equal(got, want) {
		t.Errorf("VitalSamples after deletion = %v, want %v", got, want)
	}
}

func nan() float64 { var z float64; return z / z }

func fmtFloat(v float64) string { return strconv.FormatFloat(v, 'f', 3, 64) }
