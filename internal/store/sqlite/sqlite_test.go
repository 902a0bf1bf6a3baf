package sqlite

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/reelhq/reel/internal/store"
	"github.com/reelhq/reel/internal/store/storetest"
)

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store {
		db, err := Open(context.Background(), filepath.Join(t.TempDir(), "index.db"))
		if err != nil {
			t.Fatal(err)
		}
		return db
	})
}

func TestMigrateFromEmptyAndReopen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "index.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	v, err := db.Version(ctx)
	if err != nil || v != latestVersion {
		t.Fatalf("version after first open = %d, %v", v, err)
	}
	if err := db.CreateProject(ctx, store.Project{ID: "p", Name: "p", PublicKey: "pk"}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	// Reopening applies nothing twice and keeps the data.
	db, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if v, _ := db.Version(ctx); v != latestVersion {
		t.Fatalf("version after reopen = %d", v)
	}
	if _, err := db.ProjectByKey(ctx, "pk"); err != nil {
		t.Fatalf("data lost on reopen: %v", err)
	}
	var mode string
	if err := db.read.QueryRowContext(ctx, `PRAGMA journal_mode`).Scan(&mode); err != nil || mode != "wal" {
		t.Fatalf("journal_mode = %q, %v", mode, err)
	}
}

// latestVersion is the number of the newest file in migrations/.
const latestVersion = 9
