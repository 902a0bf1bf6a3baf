package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"testing"
	"time"

	"github.com/reelhq/reel/internal/store"
	"github.com/reelhq/reel/internal/store/storetest"
)

// TestSearch runs the shared search contract with related-table filters compiled as IN
// (rare), as walks (common) and mixed, and expects the same sessions every way, so the probe
// only ever changes speed.
func TestSearch(t *testing.T) {
	defer func() { rareRows = 10000 }()
	for _, rare := range []int{10000, 0, 60} {
		t.Run(fmt.Sprintf("rareRows=%d", rare), func(t *testing.T) {
			rareRows = rare
			storetest.RunSearch(t, func(t *testing.T) store.Index { return openIndex(t) })
		})
	}
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
