package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/reelhq/reel/internal/store"
)

func exportTokens(ctx context.Context, tx *sql.Tx, fn func(store.Record) error) error {
	var all []store.Token
	err := each(ctx, tx, `SELECT `+tokenCols+` FROM api_tokens ORDER BY id`, nil, func(r *sql.Rows) error {
		t, err := scanToken(r)
		all = append(all, t)
		return err
	})
	if err != nil {
		return err
	}
	for i := range all {
		if err := fn(store.Record{Token: &all[i]}); err != nil {
			return err
		}
	}
	return nil
}

// exportAudit streams the log by id: it may be long, and nothing else runs on tx meanwhile.
func exportAudit(ctx context.Context, tx *sql.Tx, fn func(store.Record) error) error {
	return each(ctx, tx, `SELECT `+auditCols+` FROM audit_log ORDER BY id`, nil, func(r *sql.Rows) error {
		e, err := scanAudit(r)
		if err != nil {
			return err
		}
		return fn(store.Record{Audit: &e})
	})
}

func importToken(ctx context.Context, tx *sql.Tx, t *store.Token) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO api_tokens(`+tokenCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO NOTHING`,
		t.ID, t.SecretHash, t.Name, t.Scope, projectsJSON(t.Projects), t.CreatedBy, ms(t.CreatedAt), ms(t.ExpiresAt),
		msOrZero(t.RevokedAt), msOrZero(t.LastUsedAt)); err != nil {
		return notFound(err, fmt.Sprintf("token %s", t.ID))
	}
	return nil
}

func importAudit(ctx context.Context, tx *sql.Tx, e *store.AuditEntry) error {
	if _, err := tx.ExecContext(ctx, `INSERT INTO audit_log(`+auditCols+`) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(id) DO NOTHING`,
		e.ID, ms(e.At), e.ActorID, e.Actor, e.TokenID, e.Action, e.Project, e.Target, e.Client, string(e.Detail)); err != nil {
		return fmt.Errorf("audit entry %d: %w", e.ID, err)
	}
	return nil
}
