package sqlite

import (
	"context"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/reelhq/reel/internal/search"
	"github.com/reelhq/reel/internal/store"
)

// TestSearchMoreBothWays runs the filters of migration 0007 with related-table terms compiled
// as IN (rare) and as a walk (common), and expects the same sessions either way.
func TestSearchMoreBothWays(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "index.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.CreateProject(ctx, store.Project{ID: "p", Name: "p", PublicKey: "pk"}); err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	add := func(id string, seq int64, b store.Batch) {
		t.Helper()
		b.ProjectID = "p"
		b.Chunk = store.Chunk{SessionID: id, Tab: "tab_0001", Seq: seq, FirstAt: t0.Add(time.Duration(seq) * time.Minute), LastAt: t0.Add(time.Duration(seq+1) * time.Minute), BlobKey: id}
		for i := range b.Pages {
			b.Pages[i].Tab, b.Pages[i].At = "tab_0001", b.Chunk.FirstAt
		}
		if err := db.AppendBatch(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	add("s_one", 0, store.Batch{Pages: []store.Page{{URL: "https://x.test/?utm_source=Ads"}}, Referrer: "https://google.com/?q=secret",
		EventProps: []store.Prop{{Key: "plan", Value: "pro"}, {Key: "step", Value: "2"}}})
	add("s_two", 1, store.Batch{Pages: []store.Page{{URL: "https://x.test/a"}}, EventProps: []store.Prop{{Key: "plan", Value: "free"}}})
	add("s_three", 2, store.Batch{Pages: []store.Page{{URL: "https://x.test/b"}}})
	// A late batch carries an earlier page of s_two: it becomes the entry page, with its
	// referrer and UTM parameters.
	late := store.Batch{Pages: []store.Page{{URL: "https://x.test/?utm_source=mail"}}, Referrer: "https://mail.example/"}
	late.ProjectID, late.Chunk = "p", store.Chunk{SessionID: "s_two", Tab: "tab_0001", Seq: 9, FirstAt: t0.Add(30 * time.Second), LastAt: t0.Add(30 * time.Second), BlobKey: "late"}
	late.Pages[0].Tab, late.Pages[0].At = "tab_0001", late.Chunk.FirstAt
	if err := db.AppendBatch(ctx, late); err != nil {
		t.Fatal(err)
	}
	for id, kinds := range map[string][]string{"s_one": {"rage_click", "rage_click", "dead_click"}, "s_two": {"quick_back"}} {
		a := store.Analysis{SessionID: id, Counts: map[string]int{}, At: t0}
		for _, k := range kinds {
			a.Counts[k]++
			a.Signals = append(a.Signals, store.StoredSignal{Kind: k, At: t0, Path: "/", Target: "button", Fingerprint: k + "|/|button"})
		}
		if err := db.SaveAnalysis(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
	cases := []struct {
		q    string
		want []string
	}{
		{"event.plan:pro", []string{"s_one"}},
		{"event.plan:*", []string{"s_two", "s_one"}},
		{"-event.plan:*", []string{"s_three"}},
		{"event.step:2 OR event.plan:free", []string{"s_two", "s_one"}},
		{"issue:rage_click|/|button", []string{"s_one"}},
		{"issue:*", []string{"s_two", "s_one"}},
		{"-issue:quick_back*", []string{"s_three", "s_one"}},
		{"friction.rage_click:2", []string{"s_one"}},
		{"friction.rage_click:<2", []string{"s_three", "s_two"}},
		{"friction.quick_back:>0", []string{"s_two"}},
		{"referrer:google.com utm_source:ads", []string{"s_one"}},
		{"referrer:mail.example utm_source:mail", []string{"s_two"}},
		{"sort:friction", []string{"s_one", "s_two", "s_three"}},
	}
	defer func() { rareRows = 10000 }()
	for _, rare := range []int{10000, 0} {
		rareRows = rare
		for _, tc := range cases {
			plan, err := search.Parse(tc.q)
			if err != nil {
				t.Fatal(err)
			}
			page, err := db.ListSessions(ctx, store.ListQuery{ProjectID: "p", Limit: 10, Query: plan, Count: true})
			if err != nil {
				t.Fatalf("%q: %v", tc.q, err)
			}
			got := []string{}
			for _, s := range page.Sessions {
				got = append(got, s.ID)
			}
			if !slices.Equal(got, tc.want) || page.Count != len(tc.want) {
				t.Errorf("rareRows=%d %q = %v (count %d), want %v", rare, tc.q, got, page.Count, tc.want)
			}
		}
	}
	var ref string
	if err := db.read.QueryRowContext(ctx, `SELECT referrer FROM sessions WHERE id = 's_one'`).Scan(&ref); err != nil || ref != "https://google.com/" {
		t.Errorf("referrer = %q, %v; want it without its query", ref, err)
	}
}

// TestEventPropsBounded: a page sending a fresh property value with every event stops adding
// rows at the session's bound.
func TestEventPropsBounded(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "index.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.CreateProject(ctx, store.Project{ID: "p", Name: "p", PublicKey: "pk"}); err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	for seq := range 10 {
		var props []store.Prop
		for i := range 50 {
			props = append(props, store.Prop{Key: "k", Value: time.Duration(seq*50 + i).String()})
		}
		b := store.Batch{ProjectID: "p", EventProps: props, Chunk: store.Chunk{SessionID: "s_noisy", Tab: "tab_0001", Seq: int64(seq), FirstAt: t0, LastAt: t0, BlobKey: "k"}}
		if err := db.AppendBatch(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	var n int
	if err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM session_event_props WHERE session_id = 's_noisy'`).Scan(&n); err != nil || n != maxSessionProps {
		t.Errorf("rows = %d, %v; want %d", n, err, maxSessionProps)
	}
}
