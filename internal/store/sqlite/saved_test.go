package sqlite

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/reelhq/reel/internal/store/storetest"
)

func TestSavedContract(t *testing.T) {
	storetest.RunSaved(t, func(t *testing.T) storetest.SavedStore {
		db, err := Open(context.Background(), filepath.Join(t.TempDir(), "index.db"))
		if err != nil {
			t.Fatal(err)
		}
		return db
	})
}
