package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"github.com/reelhq/reel/internal/store"
)

func exportTokens(ctx context.Context, tx pgx.Tx, fn func(store.Record) error) error {
	var all []store.Token
	err := each(ctx, tx, `SELECT `+tokenCols+` FROM api_tokens ORDER BY id`, nil, func(r pgx.Rows) error {
		t, err := scanToken(r)
		all = append(all, t)
		return err
	})
	if err != nil {
		return err
	}
	return emit(all, fn, func(t *store.Token) store.Record { return store.Record{Token: t} })
}

// exportAudit reads the log by id in pages: it may be long.
func exportAudit(ctx context.Context, tx pgx.Tx, fn func(store.Record) error) error {
	var after int64
	for {
		var page []store.AuditEntry
		err := each(ctx, tx, `SELECT `+auditCols+` FROM audit_log WHERE id > $1 ORDER BY id LIMIT 1000`, []any{after}, func(r pgx.Rows) error {
			e, err := scanAudit(r)
			page = append(page, e)
			return err
		})
		if err != nil {
			return err
		}
		if len(page) == 0 {
			return nil
		}
		after = page[len(page)-1].ID
		if err := emit(page, fn, func(e *store.AuditEntry) store.Record { return store.Record{Audit: e} }); err != nil {
			return err
		}
	}
}

func importToken(ctx context.Context, tx pgx.Tx, t *store.Token) error {
	if _, err := tx.Exec(ctx, `INSERT INTO api_tokens(`+tokenCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (id) DO NOTHING`,
		t.ID, t.SecretHash, t.Name, t.Scope, t.Projects, t.CreatedBy, ms(t.CreatedAt), ms(t.ExpiresAt),
		msOrZero(t.RevokedAt), msOrZero(t.LastUsedAt)); err != nil {
		return notFound(err, fmt.Sprintf("token %s", t.ID))
	}
	return nil
}

func importAudit(ctx context.Context, tx pgx.Tx, e *store.AuditEntry) error {
	if _, err := tx.Exec(ctx, `INSERT INTO audit_log(`+auditCols+`) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) ON CONFLICT (id) DO NOTHING`,
		e.ID, ms(e.At), e.ActorID, e.Actor, e.TokenID, e.Action, e.Project, e.Target, e.Client, string(e.Detail)); err != nil {
		return fmt.Errorf("audit entry %d: %w", e.ID, err)
	}
	return nil
}
