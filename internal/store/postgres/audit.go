package postgres

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/reelhq/reel/internal/store"
)

var _ store.Audit = (*DB)(nil)

const auditCols = `id, at, actor_id, actor, token_id, action, project, target, client, detail`

func scanAudit(r pgx.Row) (store.AuditEntry, error) {
	var e store.AuditEntry
	var at int64
	var detail string
	if err := r.Scan(&e.ID, &at, &e.ActorID, &e.Actor, &e.TokenID, &e.Action, &e.Project, &e.Target, &e.Client, &detail); err != nil {
		return e, err
	}
	e.At = fromMS(at)
	if detail != "" {
		e.Detail = []byte(detail)
	}
	return e, nil
}

// AppendAudit adds an entry to the audit log.
func (db *DB) AppendAudit(ctx context.Context, e store.AuditEntry) error {
	if _, err := db.pool.Exec(ctx, `INSERT INTO audit_log(at, actor_id, actor, token_id, action, project, target, client, detail)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`, ms(e.At), e.ActorID, clean(e.Actor), clean(e.TokenID), clean(e.Action),
		clean(e.Project), clean(e.Target), clean(e.Client), clean(string(e.Detail))); err != nil {
		return fmt.Errorf("postgres: append audit: %w", err)
	}
	return nil
}

// ListAudit returns entries newest first; the cursor is the id of the last one returned.
func (db *DB) ListAudit(ctx context.Context, q store.AuditQuery) (store.AuditPage, error) {
	limit := q.Limit
	if limit <= 0 || limit > 1000 {
		limit = 100
	}
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return "$" + strconv.Itoa(len(args))
	}
	if q.Cursor != "" {
		id, err := strconv.ParseInt(q.Cursor, 10, 64)
		if err != nil || id <= 0 {
			return store.AuditPage{}, fmt.Errorf("postgres: list audit: %w", store.ErrBadCursor)
		}
		where = append(where, `id < `+arg(id))
	}
	if q.Action != "" {
		where = append(where, `action = `+arg(clean(q.Action)))
	}
	if q.Actor != "" {
		a := arg(clean(q.Actor))
		where = append(where, `(actor = `+a+` OR token_id = `+a+`)`)
	}
	if q.Project != "" {
		where = append(where, `project = `+arg(clean(q.Project)))
	}
	if !q.Since.IsZero() {
		where = append(where, `at >= `+arg(ms(q.Since)))
	}
	if !q.Until.IsZero() {
		where = append(where, `at < `+arg(ms(q.Until)))
	}
	query := `SELECT ` + auditCols + ` FROM audit_log`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, ` AND `)
	}
	query += ` ORDER BY id DESC LIMIT ` + arg(limit+1)
	rows, _ := db.pool.Query(ctx, query, args...)
	entries, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (store.AuditEntry, error) { return scanAudit(r) })
	if err != nil {
		return store.AuditPage{}, fmt.Errorf("postgres: list audit: %w", err)
	}
	page := store.AuditPage{Entries: entries}
	if page.Entries == nil {
		page.Entries = []store.AuditEntry{}
	}
	if len(page.Entries) > limit {
		page.Entries = page.Entries[:limit]
		page.Next = strconv.FormatInt(page.Entries[limit-1].ID, 10)
	}
	return page, nil
}

// PruneAudit deletes entries older than before.
func (db *DB) PruneAudit(ctx context.Context, before time.Time) (int, error) {
	tag, err := db.pool.Exec(ctx, `DELETE FROM audit_log WHERE at < $1`, ms(before))
	if err != nil {
		return 0, fmt.Errorf("postgres: prune audit: %w", err)
	}
	return int(tag.RowsAffected()), nil
}
