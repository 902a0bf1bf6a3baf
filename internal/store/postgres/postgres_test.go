package postgres

import (
	"context"
	"testing"

	"github.com/reelhq/reel/internal/store"
	"github.com/reelhq/reel/internal/store/pgtest"
	"github.com/reelhq/reel/internal/store/storetest"
)

// open gives a test a migrated index on a database of its own.
func open(t *testing.T) *DB {
	t.Helper()
	db, err := Open(context.Background(), pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestContract(t *testing.T) {
	storetest.Run(t, func(t *testing.T) store.Store { return open(t) })
}

func TestArchivesContract(t *testing.T) {
	storetest.RunArchives(t, func(t *testing.T) storetest.ArchiveStore { return open(t) })
}

func TestSavedContract(t *testing.T) {
	storetest.RunSaved(t, func(t *testing.T) storetest.SavedStore { return open(t) })
}

func TestHeatmaps(t *testing.T) {
	storetest.RunHeatmaps(t, func(t *testing.T) store.Index { return open(t) })
}

func TestSearch(t *testing.T) {
	storetest.RunSearch(t, func(t *testing.T) store.Index { return open(t) })
}

func TestText(t *testing.T) {
	storetest.RunText(t, func(t *testing.T) store.Index { return open(t) })
}
