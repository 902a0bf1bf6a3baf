package sqlite

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/reelhq/reel/internal/store/storetest"
)

func TestArchivesContract(t *testing.T) {
	storetest.RunArchives(t, func(t *testing.T) storetest.ArchiveStore {
		db, err := Open(context.Background(), filepath.Join(t.TempDir(), "index.db"))
		if err != nil {
			t.Fatal(err)
		}
		return db
	})
}
