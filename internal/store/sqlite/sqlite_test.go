package sqlite

import (
	"context"
	"database/sql"
	"io/fs"
	"os"
	"path/filepath"
	"sync"
	"testing"

	"github.com/reelhq/reel/internal/store"
	"github.com/reelhq/reel/internal/store/storetest"
)

// TestContract runs the whole contract suite on SQLite, and fails if the suite left a method of
// store.Index uncalled.
func TestContract(t *testing.T) {
	rec := storetest.NewRecorder()
	storetest.All(t, func(t *testing.T) store.Index { return rec.Wrap(openTest(t)) })
	rec.Check(t)
}

// openTest opens a fresh index in a temporary directory.
func openTest(t *testing.T) *DB {
	t.Helper()
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "index.db"))
	if err != nil {
		t.Fatal(err)
	}
	return db
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

// TestConcurrentOpen: processes opening one fresh file at once (nodes or commands starting
// together) all succeed; each migration is applied once, by whichever holds the write lock
// first.
func TestConcurrentOpen(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "index.db")
	dbs := make([]*DB, 4)
	errs := make([]error, len(dbs))
	var wg sync.WaitGroup
	for i := range dbs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dbs[i], errs[i] = Open(ctx, path)
		}()
	}
	wg.Wait()
	for i, db := range dbs {
		if errs[i] != nil {
			t.Fatalf("Open %d: %v", i, errs[i])
		}
		defer db.Close()
	}
	var n int
	if err := dbs[0].read.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations`).Scan(&n); err != nil || n != migrationFiles(t) {
		t.Fatalf("%d migrations recorded, %v; want %d, each once", n, err, migrationFiles(t))
	}
}

// latestVersion is the number of the newest file in migrations/, written out so that a
// migration added without a thought fails here.
const latestVersion = 25

// migrationFiles counts the files in migrations/.
func migrationFiles(t *testing.T) int {
	files, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		t.Fatal(err)
	}
	return len(files)
}

// The planner's statistics exist after the index opens and after Optimize, so searches choose
// their indexes by the data's shape (bench/search measures with them).
func TestOptimizeGathersStatistics(t *testing.T) {
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "index.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.CreateProject(ctx, store.Project{ID: "p", Name: "p", PublicKey: "pk"}); err != nil {
		t.Fatal(err)
	}
	_, err = db.write.ExecContext(ctx, `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 5000)
		INSERT INTO sessions(id, project_id, started_at, ended_at, user_agent, updated_at, browser)
		SELECT 's_' || i, 'p', i, i + 1000, '', i, CASE WHEN i % 7 = 0 THEN 'firefox' ELSE 'chrome' END FROM n`)
	if err != nil {
		t.Fatal(err)
	}
	if err := db.Optimize(ctx); err != nil {
		t.Fatal(err)
	}
	stats := func(d *DB) int {
		var n int
		if err := d.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_stat1 WHERE tbl = 'sessions'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	if n := stats(db); n == 0 {
		t.Fatal("no planner statistics for sessions after Optimize")
	}
	db.Close()
	// Reopening keeps them (and runs Optimize again without error).
	db, err = Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if n := stats(db); n == 0 {
		t.Fatal("statistics lost on reopen")
	}
}

// migratedTo creates an index with only the migrations want accepts, for a migration test to
// fill with data in the old layout; it returns the file's path and a connection to it.
func migratedTo(t *testing.T, want func(version int) bool) (string, *sql.DB) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "index.db")
	old, err := sql.Open("sqlite", "file:"+path+"?_pragma=foreign_keys(1)&_pragma=journal_mode(WAL)")
	if err != nil {
		t.Fatal(err)
	}
	old.SetMaxOpenConns(1)
	if err := migrateOnly(context.Background(), old, want); err != nil {
		t.Fatal(err)
	}
	return path, old
}

// The index files hold every session and the share-link signing key: readable by their owner
// only, whatever the umask, so another local user cannot read them.
func TestIndexFilesPrivate(t *testing.T) {
	path := filepath.Join(t.TempDir(), "index.db")
	db, err := Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, f := range []string{path, path + "-wal"} {
		fi, err := os.Stat(f)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o600 {
			t.Errorf("%s is %s, want -rw-------", filepath.Base(f), fi.Mode().Perm())
		}
	}
}
