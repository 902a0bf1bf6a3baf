// Package sqlite is the embedded index backend: one SQLite file in WAL mode, written through a
// single connection and read through a small pool, as PocketBase does. The driver is the
// pure-Go modernc.org/sqlite so `go install` needs no C toolchain (docs/decisions.md).
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"modernc.org/sqlite" // registers the "sqlite" driver
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/reelhq/reel/internal/store"
)

var _ store.Index = (*DB)(nil)

//go:embed migrations/*.sql
var migrations embed.FS

// DB is the SQLite index.
type DB struct {
	write *sql.DB // exactly one connection: SQLite allows one writer at a time anyway
	read  *sql.DB
	stmts statements     // the ingest path's statements, prepared on write
	reads readStatements // the ingest path's per-request reads, prepared on read
	text  textCache      // ids of pieces of on-screen text ingest has seen
}

// Open opens (creating if needed) the index at path and migrates it to the latest version.
func Open(ctx context.Context, path string) (*DB, error) {
	pragmas := url.Values{}
	for _, p := range []string{"busy_timeout(10000)", "journal_mode(WAL)", "synchronous(FULL)", "foreign_keys(1)", "secure_delete(1)"} {
		pragmas.Add("_pragma", p)
	}
	dsn := "file:" + path + "?" + pragmas.Encode()
	w, err := sql.Open("sqlite", dsn+"&_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	w.SetMaxOpenConns(1)
	w.SetConnMaxLifetime(0)
	if err := w.PingContext(ctx); err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	if err := migrate(ctx, w); err != nil {
		w.Close()
		return nil, err
	}
	// The index holds every session and the share-link signing key: readable by its owner
	// only, whatever the umask made of it (SQLite creates files 0644).
	for _, f := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Chmod(f, 0o600); err != nil && !errors.Is(err, fs.ErrNotExist) {
			w.Close()
			return nil, fmt.Errorf("sqlite: restrict %s: %w", f, err)
		}
	}
	db := &DB{write: w}
	if err := db.Optimize(ctx); err != nil {
		w.Close()
		return nil, err
	}
	r, err := sql.Open("sqlite", dsn+"&_pragma=query_only(1)")
	if err != nil {
		w.Close()
		return nil, fmt.Errorf("sqlite: open reader %s: %w", path, err)
	}
	r.SetMaxOpenConns(max(4, runtime.NumCPU()))
	db.read = r
	return db, nil
}

// analysisLimit bounds the rows ANALYZE samples per index: statistics from a sample are as
// good for choosing an index, and on a million sessions a full ANALYZE holds the write lock
// for tens of seconds.
const analysisLimit = 1000

// Optimize refreshes the statistics SQLite's query planner chooses indexes by (search plans
// depend on them: docs/search.md), for tables never analysed or whose size changed a lot
// since. It runs when the index opens and after every retention pass, and samples at most
// analysisLimit rows per index, so it takes milliseconds.
func (db *DB) Optimize(ctx context.Context) error {
	for _, q := range []string{fmt.Sprintf(`PRAGMA analysis_limit=%d`, analysisLimit), `PRAGMA optimize=0x10002`} {
		if _, err := db.write.ExecContext(ctx, q); err != nil {
			return fmt.Errorf("sqlite: optimize: %w", err)
		}
	}
	return nil
}

// Close closes both pools.
func (db *DB) Close() error {
	db.stmts.close()
	db.reads.close()
	return errors.Join(db.read.Close(), db.write.Close())
}

// Checkpoint copies the write-ahead log into the database file and truncates it. With
// secure_delete on, this is what makes deleted rows unreadable on disk after an erasure.
// A reader still holding an old snapshot makes the checkpoint stop short (SQLite answers busy
// after busy_timeout), leaving pages from before the deletion in the log: that is an error, so
// an erasure does not report done while they are readable, and is tried a few times first.
func (db *DB) Checkpoint(ctx context.Context) error {
	// secure_delete zeroes a record where it is deleted, but not the copies a page keeps in its
	// unallocated space when its cells moved earlier (a page split, a defragmentation while
	// rows were added): the kill -9 erasure test found an erased user's error text in such a
	// remnant about once in six runs. VACUUM rebuilds the file from the live rows alone, so
	// nothing deleted survives anywhere in it; it costs a rewrite of the index (seconds per GB)
	// on each erasure, which is rare (docs/storage.md).
	if _, err := db.write.ExecContext(ctx, `VACUUM`); err != nil {
		return fmt.Errorf("sqlite: vacuum after erasure: %w", err)
	}
	for attempt := 0; ; attempt++ {
		var busy, logFrames, done int
		if err := db.write.QueryRowContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &logFrames, &done); err != nil {
			return fmt.Errorf("sqlite: checkpoint: %w", err)
		}
		if busy == 0 {
			return nil
		}
		if attempt == 2 {
			return fmt.Errorf("sqlite: checkpoint: readers kept %d of %d log frames from the database file; try again", logFrames-done, logFrames)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// Version returns the schema version the database is at.
func (db *DB) Version(ctx context.Context) (int, error) {
	var v int
	err := db.read.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v)
	return v, err
}

// migrate applies, in order and each in its own transaction, every migration file not yet
// recorded as applied. Migrations developed side by side may land out of order (0012 before
// 0011), so a lower number missing below a higher applied one is applied too.
func migrate(ctx context.Context, db *sql.DB) error {
	return migrateOnly(ctx, db, func(int) bool { return true })
}

// migrateOnly is migrate limited to the versions want accepts, for tests of a migration's data.
func migrateOnly(ctx context.Context, db *sql.DB, want func(version int) bool) error {
	if _, err := db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)`); err != nil {
		return fmt.Errorf("sqlite: migrate: %w", err)
	}
	files, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return fmt.Errorf("sqlite: migrate: %w", err)
	}
	sort.Strings(files)
	rows, err := db.QueryContext(ctx, `SELECT version FROM schema_migrations`)
	if err != nil {
		return fmt.Errorf("sqlite: migrate: read versions: %w", err)
	}
	applied := map[int]bool{}
	for rows.Next() {
		var v int
		if err := rows.Scan(&v); err != nil {
			rows.Close()
			return fmt.Errorf("sqlite: migrate: read versions: %w", err)
		}
		applied[v] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return fmt.Errorf("sqlite: migrate: read versions: %w", err)
	}
	for _, f := range files {
		name := strings.TrimPrefix(f, "migrations/")
		v, err := strconv.Atoi(strings.SplitN(name, "_", 2)[0])
		if err != nil {
			return fmt.Errorf("sqlite: migrate: bad file name %s", name)
		}
		if applied[v] || !want(v) {
			continue
		}
		body, err := migrations.ReadFile(f)
		if err != nil {
			return fmt.Errorf("sqlite: migrate %s: %w", name, err)
		}
		tx, err := db.BeginTx(ctx, nil)
		if err != nil {
			return fmt.Errorf("sqlite: migrate %s: %w", name, err)
		}
		// Another process opening the same file may have applied it since the versions were
		// read; the transaction holds the write lock, so asking again is the final word.
		var done int
		err = tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE version = ?`, v).Scan(&done)
		if err != nil || done > 0 {
			tx.Rollback()
			if err != nil {
				return fmt.Errorf("sqlite: migrate %s: %w", name, err)
			}
			continue
		}
		if _, err := tx.ExecContext(ctx, string(body)); err != nil {
			tx.Rollback()
			return fmt.Errorf("sqlite: migrate %s: %w", name, err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO schema_migrations(version, applied_at) VALUES (?, strftime('%s','now'))`, v); err != nil {
			tx.Rollback()
			return fmt.Errorf("sqlite: migrate %s: %w", name, err)
		}
		if err := tx.Commit(); err != nil {
			return fmt.Errorf("sqlite: migrate %s: %w", name, err)
		}
	}
	return nil
}

// errorCode is SQLite's extended result code of err, 0 when err did not come from SQLite.
// Errors are told apart by code, never by message text, which SQLite may reword.
func errorCode(err error) int {
	var e *sqlite.Error
	if errors.As(err, &e) {
		return e.Code()
	}
	return 0
}

// isUniqueViolation reports a write refused by a UNIQUE constraint or a primary key (a
// WITHOUT ROWID table's key, such as chunks', reports the latter).
func isUniqueViolation(err error) bool {
	c := errorCode(err)
	return c == sqlite3.SQLITE_CONSTRAINT_UNIQUE || c == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
}

// isForeignKeyViolation reports a write naming a row that does not exist.
func isForeignKeyViolation(err error) bool {
	return errorCode(err) == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
}
