package blob_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/reelhq/reel/internal/blob"
	"github.com/reelhq/reel/internal/blob/blobtest"
)

func TestLocalContract(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) blob.Store {
		s, err := blob.NewLocal(t.TempDir())
		if err != nil {
			t.Fatal(err)
		}
		return s
	})
}

// A write cut short by a crash leaves a temporary file: List never reports it as an object,
// and RemoveTemps deletes it once it is older than the cutoff, leaving newer ones (a write
// that may still be running) and every object alone.
func TestLocalTemporaryFiles(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := blob.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Put(ctx, "chunks/day/a.pack.zst", []byte("object")); err != nil {
		t.Fatal(err)
	}
	old := filepath.Join(dir, "chunks", "day", ".tmp-123")
	fresh := filepath.Join(dir, "chunks", ".tmp-456")
	for _, p := range []string{old, fresh} {
		if err := os.WriteFile(p, []byte("half"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.Chtimes(old, time.Now().Add(-2*time.Hour), time.Now().Add(-2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	var keys []string
	if err := s.List(ctx, "", func(key string, _ int64, _ time.Time) error {
		keys = append(keys, key)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(keys, []string{"chunks/day/a.pack.zst"}) {
		t.Fatalf("List = %v, want only the object", keys)
	}
	n, err := s.RemoveTemps(ctx, time.Now().Add(-time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("RemoveTemps = %d, %v; want 1 removed", n, err)
	}
	if _, err := os.Stat(old); !os.IsNotExist(err) {
		t.Fatalf("old temporary file still there: %v", err)
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Fatalf("fresh temporary file removed: %v", err)
	}
	if got, err := s.Get(ctx, "chunks/day/a.pack.zst"); err != nil || string(got) != "object" {
		t.Fatalf("object after RemoveTemps = %q, %v", got, err)
	}
}
