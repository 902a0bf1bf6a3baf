package sqlite

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/reelhq/reel/internal/store"
)

// A snapshot taken while the index is open holds what was committed, passes Inspect with the
// right counts, and a page of it overwritten fails the integrity check by name.
func TestSnapshotAndInspect(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := Open(ctx, filepath.Join(dir, "index.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, id := range []string{"alpha", "beta"} {
		if err := db.CreateProject(ctx, store.Project{ID: id, Name: id, PublicKey: "pk_" + id, CreatedAt: time.Now()}); err != nil {
			t.Fatal(err)
		}
	}
	snap := filepath.Join(dir, "snap.db")
	if err := Snapshot(ctx, filepath.Join(dir, "index.db"), snap); err != nil {
		t.Fatal(err)
	}
	// Written after the snapshot: not in it.
	if err := db.CreateProject(ctx, store.Project{ID: "gamma", Name: "gamma", PublicKey: "pk_gamma", CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	c, err := Inspect(ctx, snap)
	if err != nil {
		t.Fatal(err)
	}
	if c.Projects != 2 || c.Sessions != 0 || len(c.Blobs) != 0 || len(c.Content) != 0 {
		t.Fatalf("contents = %+v, want the two projects committed before the snapshot", c)
	}
	if err := Snapshot(ctx, filepath.Join(dir, "index.db"), snap); err == nil {
		t.Fatal("a snapshot over an existing file succeeded")
	}

	// Overwrite the middle of the file: SQLite's own check must say so.
	b, err := os.ReadFile(snap)
	if err != nil {
		t.Fatal(err)
	}
	page := 4096
	for i := 2 * page; i < len(b) && i < 2*page+page; i++ {
		b[i] = 0xA5
	}
	bad := filepath.Join(dir, "bad.db")
	if err := os.WriteFile(bad, b, 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := Inspect(ctx, bad); err == nil || !(strings.Contains(err.Error(), "integrity check") || strings.Contains(err.Error(), "malformed")) {
		t.Fatalf("Inspect of a damaged copy: %v", err)
	}
}
