package lifecycle_test

import (
	"context"
	"fmt"
	"log/slog"
	"path/filepath"
	"testing"
	"time"

	"github.com/reelhq/reel/internal/blob"
	"github.com/reelhq/reel/internal/layout"
	"github.com/reelhq/reel/internal/lifecycle"
	"github.com/reelhq/reel/internal/store"
)

// BenchmarkSweepCrashLeftovers measures what `reel serve` on the embedded index spends at
// start on the crash sweep: listing the blob directory and asking the index about every
// object, here 10,000 packs all referenced (the common case: nothing to delete). Start-up
// grows by this much per 10,000 objects.
func BenchmarkSweepCrashLeftovers(b *testing.B) {
	ctx := context.Background()
	dir := b.TempDir()
	blobs, err := blob.NewLocal(filepath.Join(dir, "blobs"))
	if err != nil {
		b.Fatal(err)
	}
	db := openIndexTB(b, dir)
	if err := db.CreateProject(ctx, store.Project{ID: "p", Name: "p", PublicKey: "pk_p", CreatedAt: time.Now()}); err != nil {
		b.Fatal(err)
	}
	const objects = 10000
	now := time.Now()
	var group []store.Batch
	for i := range objects {
		key := layout.PackKey(now)
		if err := blobs.Put(ctx, key, []byte("pack")); err != nil {
			b.Fatal(err)
		}
		group = append(group, store.Batch{ProjectID: "p", SentAt: now, Chunk: store.Chunk{SessionID: fmt.Sprintf("s_bench%06d", i), Tab: "t", FirstAt: now, LastAt: now, Events: 1, BlobKey: key, BlobLength: 4}})
		if len(group) == 500 {
			for _, err := range db.AppendBatches(ctx, group) {
				if err != nil {
					b.Fatal(err)
				}
			}
			group = group[:0]
		}
	}
	life := lifecycle.New(db, blobs, slog.New(slog.DiscardHandler), lifecycle.Options{})
	for b.Loop() {
		rep, err := life.SweepCrashLeftovers(ctx)
		if err != nil || rep.Listed != objects || rep.Deleted != 0 {
			b.Fatalf("sweep = %+v, %v", rep, err)
		}
	}
}
