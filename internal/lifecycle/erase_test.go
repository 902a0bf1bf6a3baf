package lifecycle_test

import (
	"context"
	"errors"
	"log/slog"
	"testing"
	"time"

	"github.com/reelhq/reel/internal/blob"
	"github.com/reelhq/reel/internal/layout"
	"github.com/reelhq/reel/internal/lifecycle"
	"github.com/reelhq/reel/internal/store"
)

// An erasure whose session another worker keeps leased (a compaction that does not finish)
// deletes nothing and says so with ErrBusy; once the lease is over, it goes through.
func TestErasureWaitsForLeases(t *testing.T) {
	ctx := context.Background()
	db := openIndex(t)
	blobs, err := blob.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if err := db.CreateProject(ctx, store.Project{ID: "p", Name: "p", PublicKey: "pk_p", CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	pack := layout.PackKey(now)
	if err := blobs.Put(ctx, pack, []byte("events")); err != nil {
		t.Fatal(err)
	}
	b := store.Batch{ProjectID: "p", SentAt: now, UserID: "u1", Chunk: store.Chunk{SessionID: "s1", Tab: "t", FirstAt: now, LastAt: now, Events: 1, BlobKey: pack}}
	if err := db.AppendBatch(ctx, b); err != nil {
		t.Fatal(err)
	}
	// Another worker holds the session.
	if ok, err := db.ClaimSession(ctx, "s1", time.Second); err != nil || !ok {
		t.Fatalf("ClaimSession = %v, %v", ok, err)
	}
	life := lifecycle.New(db, blobs, slog.New(slog.DiscardHandler), lifecycle.Options{ClaimWait: 300 * time.Millisecond})
	if _, err := life.EraseUser(ctx, "p", "u1"); !errors.Is(err, lifecycle.ErrBusy) {
		t.Fatalf("EraseUser while leased = %v, want ErrBusy", err)
	}
	if _, err := db.GetSession(ctx, "s1"); err != nil {
		t.Fatalf("a refused erasure deleted the session: %v", err)
	}
	time.Sleep(time.Second) // the lease runs out
	rep, err := life.EraseUser(ctx, "p", "u1")
	if err != nil || rep.Sessions != 1 {
		t.Fatalf("EraseUser after the lease = %+v, %v", rep, err)
	}
	if _, err := blobs.Get(ctx, pack); !errors.Is(err, blob.ErrNotFound) {
		t.Fatalf("the erased session's pack is still there (%v)", err)
	}
}
