package lifecycle_test

import (
	"context"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/reelhq/reel/internal/blob"
	"github.com/reelhq/reel/internal/blob/s3"
	"github.com/reelhq/reel/internal/blob/s3test"
	"github.com/reelhq/reel/internal/layout"
	"github.com/reelhq/reel/internal/lifecycle"
	"github.com/reelhq/reel/internal/store"
	"github.com/reelhq/reel/internal/store/sqlite"
)

func TestMain(m *testing.M) { s3test.Main(m) }

func openIndex(t *testing.T) *sqlite.DB { return openIndexTB(t, t.TempDir()) }

func openIndexTB(t testing.TB, dir string) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(dir, "index.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// The orphan sweep on local files: old unreferenced objects and old temporary files go;
// referenced objects, fresh ones, and names Reel does not write stay.
func TestOrphanSweepFiles(t *testing.T) {
	dir := t.TempDir()
	blobs, err := blob.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	stale := filepath.Join(dir, "chunks", ".tmp-stale")
	fresh := filepath.Join(dir, "chunks", ".tmp-fresh")
	testOrphanSweep(t, blobs, func(old time.Time) {
		// What a process killed between creating and renaming a file leaves.
		for _, p := range []string{stale, fresh} {
			if err := os.WriteFile(p, []byte("half a pack"), 0o600); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.Chtimes(stale, old, old); err != nil {
			t.Fatal(err)
		}
	})
	if _, err := os.Stat(stale); !os.IsNotExist(err) {
		t.Errorf("stale temporary file still there (%v)", err)
	}
	if _, err := os.Stat(fresh); err != nil {
		t.Errorf("fresh temporary file (a write in progress) removed: %v", err)
	}
}

// The same on a real S3 server (versitygw), where modification times are the server's.
func TestOrphanSweepS3(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	st, err := s3.Open(ctx, s3test.URL(t), s3.Options{})
	if err != nil {
		t.Fatal(err)
	}
	testOrphanSweep(t, st, nil)
}

// testOrphanSweep stores objects of every kind, referenced and not, waits past a short grace
// period, stores fresh unreferenced ones, sweeps, and checks exactly the old unreferenced
// objects are gone. temps, when set, leaves temporary files behind (old being before the
// grace period).
func testOrphanSweep(t *testing.T, blobs blob.Store, temps func(old time.Time)) {
	ctx := context.Background()
	db := openIndex(t)
	if err := db.CreateProject(ctx, store.Project{ID: "p", Name: "p", PublicKey: "pk_p", CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	day := time.Now()
	hash := func(c string) string { return strings.Repeat(c, 64) }
	put := func(key string) {
		t.Helper()
		if err := blobs.Put(ctx, key, []byte("object "+key)); err != nil {
			t.Fatal(err)
		}
	}

	// Referenced: a pack a chunk points into, a content item the project has, and an archived
	// copy (a content item too).
	pack := layout.PackKey(day)
	put(pack)
	b := store.Batch{ProjectID: "p", SentAt: day, Chunk: store.Chunk{SessionID: "s1", Tab: "t", Seq: 0, FirstAt: day, LastAt: day, Events: 1, BlobKey: pack, BlobLength: 5}}
	if err := db.AppendBatch(ctx, b); err != nil {
		t.Fatal(err)
	}
	item, archived := layout.ContentKey("p", hash("a")), layout.ContentKey("p", hash("b"))
	put(item)
	put(archived)
	if _, err := db.NumberContent(ctx, "p", []store.ContentRef{{Hash: hash("a"), Size: 10, Stored: 10, Root: true}, {Hash: hash("b"), Size: 10, Stored: 10}}, time.Now()); err != nil {
		t.Fatal(err)
	}
	// Unreferenced and old: a pack and a compacted object whose index commit never happened,
	// and a content item whose row was swept while its deletion failed (here, another project's
	// key with the same hash as a referenced one).
	orphanPack, orphanSession, orphanItem := layout.PackKey(day), layout.SessionKey("p", "s2"), layout.ContentKey("q", hash("a"))
	for _, k := range []string{orphanPack, orphanSession, orphanItem} {
		put(k)
	}
	// Not a name Reel writes: left alone, whatever its age.
	put("backups/readme.txt")

	grace := 3 * time.Second
	time.Sleep(grace + 1100*time.Millisecond) // S3 times are whole seconds
	if temps != nil {
		temps(time.Now().Add(-grace - time.Minute))
	}
	// Fresh and unreferenced: a write whose index commit is still to come.
	freshPack := layout.PackKey(day)
	put(freshPack)

	life := lifecycle.New(db, blobs, slog.New(slog.DiscardHandler), lifecycle.Options{OrphanGrace: grace})
	rep, err := life.SweepOrphans(ctx, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	if err := blobs.List(ctx, "", func(key string, _ int64, _ time.Time) error {
		left = append(left, key)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	slices.Sort(left)
	want := []string{pack, item, archived, freshPack, "backups/readme.txt"}
	slices.Sort(want)
	if !slices.Equal(left, want) {
		t.Fatalf("after the sweep: %v\nwant %v", left, want)
	}
	if rep.Deleted != 3 || rep.Unknown != 1 || rep.Young != 1 {
		t.Errorf("report = %+v; want 3 deleted, 1 unknown, 1 young", rep)
	}
	if temps != nil && rep.Temps != 1 {
		t.Errorf("report = %+v; want 1 temporary file removed", rep)
	}
}

// SweepCrashLeftovers, which a sole writer runs at start, removes unreferenced objects and
// temporary files however young (a process killed a moment ago left them), and keeps what
// the index references and names Reel does not write.
func TestSweepCrashLeftovers(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	blobs, err := blob.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	db := openIndex(t)
	if err := db.CreateProject(ctx, store.Project{ID: "p", Name: "p", PublicKey: "pk_p", CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	pack, orphan, compacted := layout.PackKey(now), layout.PackKey(now), layout.SessionKey("p", "s2")
	for _, k := range []string{pack, orphan, compacted, "backups/readme.txt"} {
		if err := blobs.Put(ctx, k, []byte("alice@example.test")); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.AppendBatch(ctx, store.Batch{ProjectID: "p", SentAt: now, Chunk: store.Chunk{SessionID: "s1", Tab: "t", FirstAt: now, LastAt: now, Events: 1, BlobKey: pack, BlobLength: 5}}); err != nil {
		t.Fatal(err)
	}
	temp := filepath.Join(dir, "chunks", ".tmp-just-now")
	if err := os.MkdirAll(filepath.Dir(temp), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(temp, []byte("half a pack with alice@example.test"), 0o600); err != nil {
		t.Fatal(err)
	}
	life := lifecycle.New(db, blobs, slog.New(slog.DiscardHandler), lifecycle.Options{OrphanGrace: time.Hour})
	// The periodic sweep keeps all of them: they are younger than its grace period.
	if rep, err := life.SweepOrphans(ctx, time.Now()); err != nil || rep.Deleted != 0 || rep.Temps != 0 {
		t.Fatalf("SweepOrphans = %+v, %v; want nothing deleted within the grace period", rep, err)
	}
	rep, err := life.SweepCrashLeftovers(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var left []string
	if err := blobs.List(ctx, "", func(key string, _ int64, _ time.Time) error {
		left = append(left, key)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	slices.Sort(left)
	want := []string{pack, "backups/readme.txt"}
	slices.Sort(want)
	if !slices.Equal(left, want) {
		t.Fatalf("after the crash sweep: %v\nwant %v", left, want)
	}
	if _, err := os.Stat(temp); !os.IsNotExist(err) {
		t.Errorf("the temporary file is still there (%v)", err)
	}
	if rep.Deleted != 2 || rep.Temps != 1 || rep.Unknown != 1 {
		t.Errorf("report = %+v; want 2 deleted, 1 temporary file, 1 unknown", rep)
	}
}
