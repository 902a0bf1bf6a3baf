package sqlite

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/reelhq/reel/internal/store"
)

// TestContentMigration: migration 0014 numbers content items and turns the references and
// edges that named them by hash into ids; the sweep then keeps exactly what sessions reach,
// per project, and erasing a session frees what only it reached.
func TestContentMigration(t *testing.T) {
	ctx := context.Background()
	path, old := migratedTo(t, func(v int) bool { return v <= 13 })
	hash := func(c string) []byte { b, _ := hashBytes(strings.Repeat(c, 64)); return b }
	t0 := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := old.ExecContext(ctx, q, args...); err != nil {
			t.Fatal(err)
		}
	}
	for _, p := range []string{"p", "q"} {
		exec(`INSERT INTO projects(id, name, public_key, allowed_origins, created_at) VALUES (?, ?, ?, '[]', 0)`, p, p, "pk_"+p)
	}
	// s1 (project p) uses tree a, which holds b; s2 (project q) uses its own copy of a; c is
	// p's and used by no session.
	exec(`INSERT INTO sessions(id, project_id, started_at, ended_at, user_agent, updated_at) VALUES ('s1', 'p', 0, 0, '', 0), ('s2', 'q', 0, 0, '', 0)`)
	for _, c := range []struct {
		project, hash string
	}{{"p", "a"}, {"p", "b"}, {"p", "c"}, {"q", "a"}} {
		exec(`INSERT INTO content(project_id, hash, size, stored, touched_at) VALUES (?, ?, 10, 5, ?)`, c.project, hash(c.hash), ms(t0))
	}
	exec(`INSERT INTO content_children(project_id, parent, child) VALUES ('p', ?, ?)`, hash("a"), hash("b"))
	exec(`INSERT INTO session_content(session_id, hash) VALUES ('s1', ?), ('s2', ?)`, hash("a"), hash("a"))
	old.Close()

	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	count := func(q string) int {
		t.Helper()
		var n int
		if err := db.read.QueryRowContext(ctx, q).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := count(`SELECT COUNT(*) FROM content`); n != 4 {
		t.Errorf("content items after migrating = %d, want 4", n)
	}
	// Each session names its project's a (and 0017 packed the reference).
	for _, s := range []struct{ session, project string }{{"s1", "p"}, {"s2", "q"}} {
		var packed []byte
		if err := db.read.QueryRowContext(ctx, `SELECT ids FROM session_content WHERE session_id = ?`, s.session).Scan(&packed); err != nil {
			t.Fatal(err)
		}
		ids, err := unpackIDs(packed)
		if err != nil || len(ids) != 1 {
			t.Fatalf("%s's references = %v, %v", s.session, ids, err)
		}
		var project string
		var h []byte
		if err := db.read.QueryRowContext(ctx, `SELECT project_id, hash FROM content WHERE id = ?`, ids[0]).Scan(&project, &h); err != nil || project != s.project || !slices.Equal(h, hash("a")) {
			t.Errorf("%s references %s's %x, %v; want %s's a", s.session, project, h, err, s.project)
		}
	}
	if n := count(`SELECT COUNT(*) FROM content_children e JOIN content p ON p.id = e.parent JOIN content c ON c.id = e.child
		WHERE p.project_id = 'p' AND c.project_id = 'p'`); n != 1 {
		t.Errorf("edges after migrating = %d, want a -> b in p", n)
	}
	if missing, err := db.MissingContent(ctx, "p", []string{strings.Repeat("a", 64), strings.Repeat("d", 64)}); err != nil || !slices.Equal(missing, []string{strings.Repeat("d", 64)}) {
		t.Errorf("MissingContent = %v, %v", missing, err)
	}

	// Within the grace period nothing goes; after it, only c.
	if gone, err := db.SweepContent(ctx, t0); err != nil || len(gone) != 0 {
		t.Errorf("sweep within the grace period = %v, %v", gone, err)
	}
	gone, err := db.SweepContent(ctx, t0.Add(time.Hour))
	if err != nil || len(gone) != 1 || gone[0].ProjectID != "p" || gone[0].Hash != strings.Repeat("c", 64) {
		t.Errorf("sweep = %+v, %v; want p's c", gone, err)
	}

	// Erasing s1 frees p's a and b, not q's a.
	if _, err := db.DeleteSessions(ctx, []string{"s1"}); err != nil {
		t.Fatal(err)
	}
	gone, err = db.SweepContent(ctx, t0.Add(time.Hour))
	if err != nil || len(gone) != 2 || gone[0].ProjectID != "p" || gone[1].ProjectID != "p" {
		t.Errorf("sweep after erasing s1 = %+v, %v; want p's a and b", gone, err)
	}
	if n := count(`SELECT COUNT(*) FROM content_children`); n != 0 {
		t.Errorf("edges left = %d, want none", n)
	}
	if n := count(`SELECT COUNT(*) FROM content WHERE project_id = 'q'`); n != 1 {
		t.Errorf("q's items = %d, want its a", n)
	}
}

// TestClusteredMigration: migration 0015 rebuilds segments and chunks without rowids and 0016
// packs a session's segments into one row; they read back as they were, and deleting the
// session still deletes them.
func TestClusteredMigration(t *testing.T) {
	ctx := context.Background()
	path, old := migratedTo(t, func(v int) bool { return v <= 14 })
	for _, q := range []string{
		`INSERT INTO projects(id, name, public_key, allowed_origins, created_at) VALUES ('p', 'p', 'pk_p', '[]', 0)`,
		`INSERT INTO sessions(id, project_id, started_at, ended_at, user_agent, updated_at) VALUES ('s1', 'p', 0, 0, '', 0)`,
		`INSERT INTO chunks(session_id, tab, seq, first_at, last_at, events, raw_bytes, stored_bytes, blob_key, sent_at, created_at, snapshot_at, compacted, blob_offset, blob_length)
			VALUES ('s1', 't', 0, 1000, 2000, 3, 300, 100, 'pack', 1000, 1000, 1000, 1, 10, 100), ('s1', 't', 1, 2000, 3000, 2, 200, 80, '', 2000, 2000, 0, 1, 0, 0)`,
		`INSERT INTO segments(session_id, tab, idx, first_at, last_at, blob_key, offset, length, events, raw_bytes)
			VALUES ('s1', 't', 1, 2000, 3000, 's1-compact', 50, 60, 2, 200), ('s1', 't', 0, 1000, 2000, 's1-compact', 0, 50, 3, 300)`,
	} {
		if _, err := old.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	old.Close()

	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	segs, err := db.Segments(ctx, "s1")
	if err != nil || len(segs) != 2 || segs[0].Index != 0 || segs[1].Offset != 50 || segs[1].BlobKey != "s1-compact" || segs[0].RawBytes != 300 {
		t.Errorf("segments after migrating = %+v, %v", segs, err)
	}
	chunks, err := db.Chunks(ctx, "s1")
	if err != nil || len(chunks) != 2 || chunks[0].BlobKey != "pack" || chunks[0].BlobOffset != 10 || chunks[0].BlobLength != 100 || chunks[1].Seq != 1 {
		t.Errorf("chunks after migrating = %+v, %v", chunks, err)
	}
	keys, err := db.DeleteSessions(ctx, []string{"s1"})
	if err != nil || !slices.Equal(keys, []string{"pack", "s1-compact"}) {
		t.Errorf("DeleteSessions = %v, %v; want the pack and the compacted blob", keys, err)
	}
	for _, table := range []string{"segments", "chunks"} {
		var n int
		if err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM `+table).Scan(&n); err != nil || n != 0 {
			t.Errorf("%s rows after deleting the session = %d, %v", table, n, err)
		}
	}
}

func TestPackSegments(t *testing.T) {
	t0 := time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)
	segs := []store.Segment{
		{SessionID: "s", Tab: "a", Index: 0, FirstAt: t0, LastAt: t0.Add(time.Minute), BlobKey: "k", Offset: 0, Length: 500, Events: 10, RawBytes: 4000},
		{SessionID: "s", Tab: "a", Index: 1, FirstAt: t0.Add(time.Minute), LastAt: t0.Add(2 * time.Minute), BlobKey: "k", Offset: 500, Length: 70, Events: 1, RawBytes: 90},
		{SessionID: "s", Tab: "b", Index: 0, FirstAt: t0.Add(-time.Hour), LastAt: t0.Add(-time.Hour), BlobKey: "k", Offset: 570, Length: 1 << 40, Events: 0, RawBytes: 0},
	}
	data := packSegments(segs)
	got, err := unpackSegments("s", "k", data)
	if err != nil || !slices.Equal(got, segs) {
		t.Fatalf("round trip = %+v, %v", got, err)
	}
	for i := range data {
		if _, err := unpackSegments("s", "k", data[:i]); err == nil {
			t.Errorf("truncated to %d bytes: no error", i)
		}
	}
}

func FuzzUnpackSegments(f *testing.F) {
	f.Add(packSegments([]store.Segment{{Tab: "a", Index: 3, FirstAt: time.UnixMilli(5), LastAt: time.UnixMilli(9), Offset: 1, Length: 2, Events: 3, RawBytes: 4}}))
	f.Add([]byte{1, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		segs, err := unpackSegments("s", "k", data)
		if err != nil {
			return
		}
		again, err := unpackSegments("s", "k", packSegments(segs))
		if err != nil || len(again) != len(segs) {
			t.Fatalf("repacked: %v", err)
		}
	})
}

// TestBlobRefsMigration: migration 0018 counts the references an existing index holds, so the
// first deletions after the upgrade free each blob exactly when its last reference goes.
func TestBlobRefsMigration(t *testing.T) {
	ctx := context.Background()
	path, old := migratedTo(t, func(v int) bool { return v <= 17 })
	for _, q := range []string{
		`INSERT INTO projects(id, name, public_key, allowed_origins, created_at) VALUES ('p', 'p', 'pk_p', '[]', 0)`,
		`INSERT INTO sessions(id, project_id, started_at, ended_at, user_agent, updated_at) VALUES ('s1', 'p', 0, 0, '', 0), ('s2', 'p', 0, 0, '', 0)`,
		`INSERT INTO chunks(session_id, tab, seq, first_at, last_at, events, raw_bytes, stored_bytes, blob_key, sent_at, created_at)
			VALUES ('s1', 't', 0, 0, 0, 1, 1, 1, 'pack', 0, 0), ('s2', 't', 0, 0, 0, 1, 1, 1, 'pack', 0, 0), ('s1', 't', 1, 0, 0, 1, 1, 1, '', 0, 0)`,
		`INSERT INTO segments(session_id, blob_key, data) VALUES ('s1', 's1-compact', x'')`,
	} {
		if _, err := old.ExecContext(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	old.Close()
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var counts string
	if err := db.read.QueryRowContext(ctx, `SELECT group_concat(key || '=' || refs, ' ') FROM (SELECT * FROM blobs ORDER BY key)`).Scan(&counts); err != nil || counts != "pack=2 s1-compact=1" {
		t.Fatalf("blobs after migrating = %q, %v", counts, err)
	}
	if keys, err := db.DeleteSessions(ctx, []string{"s1"}); err != nil || !slices.Equal(keys, []string{"s1-compact"}) {
		t.Fatalf("deleting s1 freed %v, %v; want only its compacted blob", keys, err)
	}
	if keys, err := db.DeleteSessions(ctx, []string{"s2"}); err != nil || !slices.Equal(keys, []string{"pack"}) {
		t.Fatalf("deleting s2 freed %v, %v; want the pack", keys, err)
	}
	if n := 0; db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM blobs`).Scan(&n) != nil || n != 0 {
		t.Fatalf("%d blob rows left", n)
	}
}
