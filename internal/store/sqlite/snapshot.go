package sqlite

import (
	"context"
	"database/sql"
	"encoding/hex"
	"fmt"
	"net/url"
	"strings"

	"github.com/reelhq/reel/internal/store"
)

// Snapshot writes a consistent copy of the index at src into the new file dst while other
// processes keep writing to src: VACUUM INTO reads inside one read transaction, which in WAL
// mode sees the database as of its start and blocks no writer (docs/decisions.md, "reel
// backup"). It opens its own connection, so it works beside a running server.
func Snapshot(ctx context.Context, src, dst string) error {
	// Not query_only: SQLite counts VACUUM INTO as a write, though src is only read.
	db, err := openPlain(src, false)
	if err != nil {
		return err
	}
	defer db.Close()
	if _, err := db.ExecContext(ctx, `VACUUM INTO ?`, dst); err != nil {
		return fmt.Errorf("sqlite: snapshot %s: %w", src, err)
	}
	return nil
}

// Contents is what a copy of the index holds and points to.
type Contents struct {
	Projects, Sessions, Chunks, Segments int
	Blobs                                []string           // objects chunks and segments point into (a row of the reference counts each)
	Content                              []store.ContentKey // stored content items
}

// Inspect checks a copy of the index (PRAGMA integrity_check and foreign_key_check) and lists
// what it refers to, for a backup to copy and a restore to verify. It never writes.
func Inspect(ctx context.Context, path string) (Contents, error) {
	var c Contents
	db, err := openPlain(path, true)
	if err != nil {
		return c, err
	}
	defer db.Close()
	rows, err := db.QueryContext(ctx, `PRAGMA integrity_check`)
	if err != nil {
		return c, fmt.Errorf("sqlite: integrity check of %s: %w", path, err)
	}
	var problems []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			rows.Close()
			return c, fmt.Errorf("sqlite: integrity check of %s: %w", path, err)
		}
		if s != "ok" {
			problems = append(problems, s)
		}
	}
	rows.Close()
	if len(problems) > 0 {
		return c, fmt.Errorf("sqlite: %s fails its integrity check: %s", path, strings.Join(problems[:min(len(problems), 5)], "; "))
	}
	var fk int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM pragma_foreign_key_check`).Scan(&fk); err != nil {
		return c, fmt.Errorf("sqlite: foreign key check of %s: %w", path, err)
	}
	if fk > 0 {
		return c, fmt.Errorf("sqlite: %s has %d rows whose foreign keys point nowhere", path, fk)
	}
	for q, into := range map[string]*int{
		`SELECT COUNT(*) FROM projects`: &c.Projects,
		`SELECT COUNT(*) FROM sessions`: &c.Sessions,
		`SELECT COUNT(*) FROM chunks`:   &c.Chunks,
		`SELECT COUNT(*) FROM segments`: &c.Segments,
	} {
		if err := db.QueryRowContext(ctx, q).Scan(into); err != nil {
			return c, fmt.Errorf("sqlite: inspect %s: %w", path, err)
		}
	}
	// Every key a chunk or segment names is counted in blobs (migration 0018); the union
	// guards against a count row gone missing.
	rows, err = db.QueryContext(ctx, `SELECT key FROM blobs UNION SELECT blob_key FROM chunks WHERE blob_key <> '' UNION SELECT blob_key FROM segments ORDER BY 1`)
	if err != nil {
		return c, fmt.Errorf("sqlite: inspect %s: %w", path, err)
	}
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			rows.Close()
			return c, fmt.Errorf("sqlite: inspect %s: %w", path, err)
		}
		c.Blobs = append(c.Blobs, k)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return c, fmt.Errorf("sqlite: inspect %s: %w", path, err)
	}
	rows, err = db.QueryContext(ctx, `SELECT project_id, hash FROM content ORDER BY project_id, hash`)
	if err != nil {
		return c, fmt.Errorf("sqlite: inspect %s: %w", path, err)
	}
	defer rows.Close()
	for rows.Next() {
		var k store.ContentKey
		var h []byte
		if err := rows.Scan(&k.ProjectID, &h); err != nil {
			return c, fmt.Errorf("sqlite: inspect %s: %w", path, err)
		}
		k.Hash = hex.EncodeToString(h)
		c.Content = append(c.Content, k)
	}
	return c, rows.Err()
}

// openPlain opens one connection to an index file without migrating it.
func openPlain(path string, readOnly bool) (*sql.DB, error) {
	q := url.Values{}
	q.Add("_pragma", "busy_timeout(10000)")
	if readOnly {
		q.Add("_pragma", "query_only(1)")
	}
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	return db, nil
}
