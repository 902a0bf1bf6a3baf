package sqlite

import (
	"context"
	"database/sql"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestContentMigration: migration 0014 numbers content items and turns the references and
// edges that named them by hash into ids; the sweep then keeps exactly what sessions reach,
// per project, and erasing a session frees what only it reached.
func TestContentMigration(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "index.db")
	old, err := sql.Open("sqlite", "file:"+path+"?_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)")
	if err != nil {
		t.Fatal(err)
	}
	old.SetMaxOpenConns(1)
	if err := migrateOnly(ctx, old, func(v int) bool { return v <= 13 }); err != nil {
		t.Fatal(err)
	}
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
	if n := count(`SELECT COUNT(*) FROM session_content r JOIN content c ON c.id = r.content_id WHERE c.hash = x'` + strings.Repeat("a", 64) + `'`); n != 2 {
		t.Errorf("references to a = %d, want 2 (one per project)", n)
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
