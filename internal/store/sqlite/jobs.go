package sqlite

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"
)

// TryJob claims a run of the background job name if none started within every, on the
// database's clock (store.Maintenance). It is one upsert on the write connection: a caller in
// another process sharing the file waits for the write lock and then sees the winner's row.
func (db *DB) TryJob(ctx context.Context, name string, every time.Duration) (bool, error) {
	if name == "" || every <= 0 {
		return false, errors.New("sqlite: try job: a name and a positive interval are needed")
	}
	res, err := db.write.ExecContext(ctx, `INSERT INTO jobs(name, ran_at) VALUES (?1, CAST(unixepoch('subsec') * 1000 AS INTEGER))
		ON CONFLICT(name) DO UPDATE SET ran_at = excluded.ran_at
		WHERE jobs.ran_at <= excluded.ran_at - ?2 OR jobs.ran_at > excluded.ran_at + ?2`, name, every.Milliseconds())
	if err != nil {
		return false, fmt.Errorf("sqlite: try job %s: %w", name, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("sqlite: try job %s: %w", name, err)
	}
	return n == 1, nil
}

// ReferencedBlobs returns which keys have a row in blobs (migration 0018), that is, which
// objects a chunk or segment row points into.
func (db *DB) ReferencedBlobs(ctx context.Context, keys []string) (map[string]bool, error) {
	out := make(map[string]bool, len(keys))
	if len(keys) == 0 {
		return out, nil
	}
	list, err := json.Marshal(keys)
	if err != nil {
		return nil, fmt.Errorf("sqlite: referenced blobs: %w", err)
	}
	rows, err := db.read.QueryContext(ctx, `SELECT key FROM blobs WHERE key IN (SELECT value FROM json_each(?))`, string(list))
	if err != nil {
		return nil, fmt.Errorf("sqlite: referenced blobs: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, fmt.Errorf("sqlite: referenced blobs: %w", err)
		}
		out[k] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("sqlite: referenced blobs: %w", err)
	}
	return out, nil
}

// Clock is the database's current time (store.Maintenance): with SQLite, one process on one
// machine, that is this machine's clock, read through SQLite as leases and jobs read it.
func (db *DB) Clock(ctx context.Context) (time.Time, error) {
	var ms int64
	if err := db.read.QueryRowContext(ctx, `SELECT CAST(unixepoch('subsec') * 1000 AS INTEGER)`).Scan(&ms); err != nil {
		return time.Time{}, fmt.Errorf("sqlite: clock: %w", err)
	}
	return time.UnixMilli(ms).UTC(), nil
}
