package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/reelhq/reel/internal/store"
)

var _ store.Audit = (*DB)(nil)

const auditCols = `id, at, actor_id, actor, token_id, action, project, target, client, detail`

func scanAudit(r rowScanner) (store.AuditEntry, error) {
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
	if _, err := db.write.ExecContext(ctx, `INSERT INTO audit_log(at, actor_id, actor, token_id, action, project, target, client, detail)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, ms(e.At), e.ActorID, e.Actor, e.TokenID, e.Action, e.Project, e.Target, e.Client, string(e.Detail)); err != nil {
		return fmt.Errorf("sqlite: append audit: %w", err)
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
	if q.Cursor != "" {
		id, err := strconv.ParseInt(q.Cursor, 10, 64)
		if err != nil || id <= 0 {
			return store.AuditPage{}, fmt.Errorf("sqlite: list audit: %w", store.ErrBadCursor)
		}
		where, args = append(where, `id < ?`), append(args, id)
	}
	if q.Action != "" {
		where, args = append(where, `action = ?`), append(args, q.Action)
	}
	if q.Actor != "" {
		where, args = append(where, `(actor = ? OR token_id = ?)`), append(args, q.Actor, q.Actor)
	}
	if q.Project != "" {
		where, args = append(where, `project = ?`), append(args, q.Project)
	}
	if !q.Since.IsZero() {
		where, args = append(where, `at >= ?`), append(args, ms(q.Since))
	}
	if !q.Until.IsZero() {
		where, args = append(where, `at < ?`), append(args, ms(q.Until))
	}
	query := `SELECT ` + auditCols + ` FROM audit_log`
	if len(where) > 0 {
		query += ` WHERE ` + strings.Join(where, ` AND `)
	}
	query += ` ORDER BY id DESC LIMIT ?`
	args = append(args, limit+1)
	page := store.AuditPage{Entries: []store.AuditEntry{}}
	err := each(ctx, db.read, query, args, func(r *sql.Rows) error {
		e, err := scanAudit(r)
		page.Entries = append(page.Entries, e)
		return err
	})
	if err != nil {
		return store.AuditPage{}, fmt.Errorf("sqlite: list audit: %w", err)
	}
	if len(page.Entries) > limit {
		page.Entries = page.Entries[:limit]
		page.Next = strconv.FormatInt(page.Entries[limit-1].ID, 10)
	}
	return page, nil
}

// PruneAudit deletes entries older than before.
func (db *DB) PruneAudit(ctx context.Context, before time.Time) (int, error) {
	res, err := db.write.ExecContext(ctx, `DELETE FROM audit_log WHERE at < ?`, ms(before))
	if err != nil {
		return 0, fmt.Errorf("sqlite: prune audit: %w", err)
	}
	n, _ := res.RowsAffected()
	return int(n), nil
}
