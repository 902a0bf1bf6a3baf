package sqlite

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/reelhq/reel/internal/store"
)

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
