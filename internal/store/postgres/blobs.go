package postgres

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"slices"

	"github.com/jackc/pgx/v5"
)

// blobRefs is what one transaction changes in the reference counts of blobs (migration 0002),
// by key: +1 for each chunk row that comes to point into a blob and for each session whose
// segments come to be in one, -1 for each that stops (SQLite counts the same way, so counts
// move between the backends unchanged). Counting first and writing once per key at the end
// takes the blobs' row locks in key order, after the session rows, in every transaction.
type blobRefs map[string]int

// add counts n references to key; the empty key (a compacted chunk's) is no blob.
func (r blobRefs) add(key string, n int) {
	if key != "" && n != 0 {
		r[key] += n
	}
}

// apply writes the counts and returns the keys whose last reference this transaction removed.
// Their rows are deleted here, so no other transaction can return them too; the caller deletes
// the blobs once this transaction has committed. The decrement takes the row's lock and, when
// another transaction changed the row meanwhile, PostgreSQL re-reads the committed count
// before applying it (READ COMMITTED), so of two transactions removing the last two
// references exactly the second sees zero.
func (r blobRefs) apply(ctx context.Context, tx pgx.Tx) ([]string, error) {
	var freed []string
	for _, key := range slices.Sorted(maps.Keys(r)) {
		switch d := r[key]; {
		case d > 0:
			if _, err := tx.Exec(ctx, `INSERT INTO blobs(key, refs) VALUES ($1, $2)
				ON CONFLICT (key) DO UPDATE SET refs = blobs.refs + excluded.refs`, key, d); err != nil {
				return nil, fmt.Errorf("blob %s: %w", key, err)
			}
		case d < 0:
			var left int
			err := tx.QueryRow(ctx, `UPDATE blobs SET refs = GREATEST(refs + $1, 0) WHERE key = $2 RETURNING refs`, d, key).Scan(&left)
			if errors.Is(err, pgx.ErrNoRows) {
				// No count for a blob something pointed into: nothing else counted it either,
				// so nothing else can free it; it goes now.
				freed = append(freed, key)
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("blob %s: %w", key, err)
			}
			if left > 0 {
				continue
			}
			if _, err := tx.Exec(ctx, `DELETE FROM blobs WHERE key = $1 AND refs = 0`, key); err != nil {
				return nil, fmt.Errorf("blob %s: %w", key, err)
			}
			freed = append(freed, key)
		}
	}
	return freed, nil
}
