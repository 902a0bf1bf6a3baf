package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"slices"
)

// blobRefs is what one transaction changes in the reference counts of blobs (migration 0018),
// by key: +1 for each chunk or segment row that comes to point into a blob, -1 for each that
// stops. Counting first and writing once per key at the end keeps to one statement per blob
// (a group commit's batches share one pack) and takes the blobs' row locks in key order, after
// the session rows, in every transaction: the order a PostgreSQL backend needs to never
// deadlock.
type blobRefs map[string]int

// add counts n references to key; the empty key (a compacted chunk's) is no blob.
func (r blobRefs) add(key string, n int) {
	if key != "" {
		r[key] += n
	}
}

// apply writes the counts and returns the keys whose last reference this transaction removed:
// their rows are deleted here, so no other transaction can return them too, and the caller
// deletes the blobs once this transaction has committed. On PostgreSQL the same statements
// take the row's lock and re-read the committed count (UPDATE … RETURNING), so two
// transactions removing the last two references serialise on the row and exactly the second
// sees zero.
func (r blobRefs) apply(ctx context.Context, tx querier) ([]string, error) {
	var freed []string
	for _, key := range slices.Sorted(maps.Keys(r)) {
		switch d := r[key]; {
		case d > 0:
			if _, err := tx.ExecContext(ctx, `INSERT INTO blobs(key, refs) VALUES (?, ?)
				ON CONFLICT(key) DO UPDATE SET refs = refs + excluded.refs`, key, d); err != nil {
				return nil, fmt.Errorf("blob %s: %w", key, err)
			}
		case d < 0:
			var left int
			err := tx.QueryRowContext(ctx, `UPDATE blobs SET refs = MAX(refs + ?, 0) WHERE key = ? RETURNING refs`, d, key).Scan(&left)
			if errors.Is(err, sql.ErrNoRows) {
				// No count for a blob something pointed into: nothing else counted it either, so
				// nothing else can free it; it goes now, as before counts existed.
				freed = append(freed, key)
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("blob %s: %w", key, err)
			}
			if left > 0 {
				continue
			}
			if _, err := tx.ExecContext(ctx, `DELETE FROM blobs WHERE key = ? AND refs = 0`, key); err != nil {
				return nil, fmt.Errorf("blob %s: %w", key, err)
			}
			freed = append(freed, key)
		}
	}
	return freed, nil
}
