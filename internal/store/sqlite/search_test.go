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

// TestSearchBothWays runs each query with related-table filters compiled as IN (rare) and as
// EXISTS (common) and expects the same sessions, so the probe only ever changes speed.
func TestSearchBothWays(t *testing.T) {
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
		b.ProjectID = "p"
		b.Chunk = store.Chunk{SessionID: id, Tab: "tab_0001", Seq: seq, FirstAt: t0.Add(time.Duration(seq) * time.Minute), LastAt: t0.Add(time.Duration(seq+1) * time.Minute), BlobKey: id}
		for i := range b.Pages {
			b.Pages[i].Tab, b.Pages[i].At = "tab_0001", b.Chunk.FirstAt
		}
		if err := db.AppendBatch(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	add("s_one", 0, store.Batch{Pages: []store.Page{{URL: "https://x.test/checkout/pay?x=1"}}, ErrorMessages: []string{"TypeError: boom"}, Errors: 1,
		EventNames: []string{"signup"}, Traits: map[string]string{"plan": "pro"}, Browser: "firefox"})
	add("s_one", 1, store.Batch{Pages: []store.Page{{URL: "https://x.test/thanks"}}, ErrorMessages: []string{"TypeError: boom", "RangeError: 100% [bad]"}, Errors: 2})
	add("s_two", 2, store.Batch{Pages: []store.Page{{URL: "https://x.test/checkout/pay"}}, Traits: map[string]string{"plan": "free"}, Browser: "chrome"})
	add("s_two", 3, store.Batch{Traits: map[string]string{"plan": "pro"}, EventNames: []string{"upgrade"}})
	add("s_three", 4, store.Batch{Pages: []store.Page{{URL: "https://x.test/"}}, Browser: "safari"})

	cases := []struct {
		q    string
		want []string
	}{
		{"visited:/checkout/*", []string{"s_two", "s_one"}},
		{"visited:/checkout/* -visited:/thanks", []string{"s_two"}},
		{"visited:/", []string{"s_three"}},
		{"user.plan:pro", []string{"s_two", "s_one"}}, // the latest trait value counts
		{"user.plan:free", []string{}},
		{"-user.plan:*", []string{"s_three"}},
		{"event:signup OR event:upgrade", []string{"s_two", "s_one"}},
		{`error:"typeerror"`, []string{"s_one"}},
		{`error:"100% [bad"`, []string{"s_one"}},
		{`error:"nothing like it"`, []string{}},
		{`-error:"boom"`, []string{"s_three", "s_two"}},
		{"errors:3 browser:firefox", []string{"s_one"}},
		{"sort:errors", []string{"s_one", "s_two", "s_three"}},
	}
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
			var got []string
			for _, s := range page.Sessions {
				got = append(got, s.ID)
			}
			if !slices.Equal(append([]string{}, got...), tc.want) && !(len(got) == 0 && len(tc.want) == 0) || page.Count != len(tc.want) {
				t.Errorf("rareRows=%d %q = %v (count %d), want %v", rare, tc.q, got, page.Count, tc.want)
			}
		}
	}
	rareRows = 10000
}

// TestEraseRemovesSearchIndex: deleting a session removes what search knew about it, and an
// error message goes with the last session that had it.
func TestEraseRemovesSearchIndex(t *testing.T) {
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
	for i, id := range []string{"s_alice", "s_bob"} {
		msgs := []string{"shared error"}
		if id == "s_alice" {
			msgs = append(msgs, "no account for alice@example.com")
		}
		b := store.Batch{ProjectID: "p", Chunk: store.Chunk{SessionID: id, Tab: "tab_0001", FirstAt: t0.Add(time.Duration(i) * time.Minute), LastAt: t0.Add(time.Duration(i) * time.Minute), BlobKey: id},
			UserID: id, ErrorMessages: msgs, EventNames: []string{"x"}, Traits: map[string]string{"email": id + "@example.com"}}
		if err := db.AppendBatch(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.DeleteSessions(ctx, []string{"s_alice"}); err != nil {
		t.Fatal(err)
	}
	for q, want := range map[string]int{
		`SELECT COUNT(*) FROM session_traits WHERE session_id = 's_alice'`:   0,
		`SELECT COUNT(*) FROM session_events WHERE session_id = 's_alice'`:   0,
		`SELECT COUNT(*) FROM session_errors WHERE session_id = 's_alice'`:   0,
		`SELECT COUNT(*) FROM error_messages WHERE message LIKE '%alice%'`:   0,
		`SELECT COUNT(*) FROM error_messages WHERE message = 'shared error'`: 1,
	} {
		var n int
		if err := db.read.QueryRowContext(ctx, q).Scan(&n); err != nil || n != want {
			t.Errorf("%s = %d, %v; want %d", q, n, err, want)
		}
	}
}
