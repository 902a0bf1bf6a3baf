package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// TryJob claims a run of the background job name if none started within every, on the
// server's clock (store.Maintenance). It is one conditional upsert: of callers racing for one
// name, the first to write the row wins; the others wait for its row lock and, under READ
// COMMITTED, re-check the WHERE against the row it committed, which now fails. The time is
// clock_timestamp() taken once per statement, so a loser's own time may be a little earlier
// than the winner's; the clock-set-back clause therefore asks for more than an interval
// ahead, never merely "later".
func (db *DB) TryJob(ctx context.Context, name string, every time.Duration) (bool, error) {
	if name == "" || every <= 0 {
		return false, errors.New("postgres: try job: a name and a positive interval are needed")
	}
	tag, err := db.pool.Exec(ctx, `INSERT INTO jobs(name, ran_at) VALUES ($1, (extract(epoch FROM clock_timestamp()) * 1000)::bigint)
		ON CONFLICT (name) DO UPDATE SET ran_at = EXCLUDED.ran_at
		WHERE jobs.ran_at <= EXCLUDED.ran_at - $2 OR jobs.ran_at > EXCLUDED.ran_at + $2`, name, every.Milliseconds())
	if err != nil {
		return false, fmt.Errorf("postgres: try job %s: %w", name, err)
	}
	return tag.RowsAffected() == 1, nil
}

// ReferencedBlobs returns which keys have a row in blobs (migration 0002), that is, which
// objects a chunk or segment row points into.
func (db *DB) ReferencedBlobs(ctx context.Context, keys []string) (map[string]bool, error) {
	out := make(map[string]bool, len(keys))
	if len(keys) == 0 {
		return out, nil
	}
	rows, err := db.pool.Query(ctx, `SELECT key FROM blobs WHERE key = ANY($1)`, keys)
	if err != nil {
		return nil, fmt.Errorf("postgres: referenced blobs: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, fmt.Errorf("postgres: referenced blobs: %w", err)
		}
		out[k] = true
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("postgres: referenced blobs: %w", err)
	}
	return out, nil
}

// Clock is the server's current time (store.Maintenance).
func (db *DB) Clock(ctx context.Context) (time.Time, error) {
	var ms int64
	if err := db.pool.QueryRow(ctx, `SELECT `+nowMS).Scan(&ms); err != nil {
		return time.Time{}, fmt.Errorf("postgres: clock: %w", err)
	}
	return time.UnixMilli(ms).UTC(), nil
}
