// Package postgres is the scale-out index backend: the same store.Index as store/sqlite, on
// PostgreSQL through a pgx connection pool, so several reel nodes (ingest, worker, api) can
// share one index. Its behaviour through the interface is the SQLite backend's, proven by the
// contract suites in store/storetest; only the representation differs (docs/storage.md).
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/reelhq/reel/internal/store"
)

var _ store.Index = (*DB)(nil)

//go:embed migrations/*.sql
var migrations embed.FS

// DB is the PostgreSQL index.
type DB struct {
	pool *pgxpool.Pool
}

// Open connects to the database at url (a PostgreSQL connection URL) and migrates it to the
// latest version.
func Open(ctx context.Context, url string) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	// The index's queries are short walks the planner costs as if they ran to the end (a LIMIT
	// stops them after a page), so their estimates pass jit_above_cost and each would spend
	// 10-20 ms compiling what runs in a few; a URL may still turn it on (?jit=on).
	if _, ok := cfg.ConnConfig.RuntimeParams["jit"]; !ok {
		cfg.ConnConfig.RuntimeParams["jit"] = "off"
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	if err := pool.Ping(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	if err := migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, err
	}
	return &DB{pool: pool}, nil
}

// Close closes the pool.
func (db *DB) Close() error {
	db.pool.Close()
	return nil
}

// Optimize refreshes the planner's statistics of the tables searches read. Autovacuum
// analyses them too, but only after a fraction of a table changed; a retention pass that
// deleted many sessions is worth a fresh look at once. ANALYZE samples a fixed number of rows,
// so it costs about the same on any size.
func (db *DB) Optimize(ctx context.Context) error {
	if _, err := db.pool.Exec(ctx, `ANALYZE sessions, session_pages, session_events, session_traits, session_errors, session_event_props, session_signals, session_text_refs`); err != nil {
		return fmt.Errorf("postgres: optimize: %w", err)
	}
	return nil
}

// Checkpoint does nothing: a deleted row is unreachable through PostgreSQL at once, and
// autovacuum reclaims its space; there is no separate log to fold in as SQLite's WAL is.
func (db *DB) Checkpoint(ctx context.Context) error { return nil }

// Version returns the schema version the database is at.
func (db *DB) Version(ctx context.Context) (int, error) {
	var v int
	err := db.pool.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&v)
	return v, err
}

// migrationLock is the pg_advisory_lock key migrations run under, so nodes starting together
// migrate once: the first takes the lock and migrates, the others wait, then find nothing to do.
const migrationLock = 0x7265656c // "reel"

// migrate applies, in order and each in its own transaction, every migration file not yet
// recorded as applied, holding the advisory lock on one connection throughout.
func migrate(ctx context.Context, pool *pgxpool.Pool) error {
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, migrationLock); err != nil {
		return fmt.Errorf("postgres: migrate: lock: %w", err)
	}
	defer conn.Exec(context.Background(), `SELECT pg_advisory_unlock($1)`, migrationLock)
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`); err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	files, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return fmt.Errorf("postgres: migrate: %w", err)
	}
	sort.Strings(files)
	rows, _ := conn.Query(ctx, `SELECT version FROM schema_migrations`)
	versions, err := pgx.CollectRows(rows, pgx.RowTo[int])
	if err != nil {
		return fmt.Errorf("postgres: migrate: read versions: %w", err)
	}
	applied := map[int]bool{}
	for _, v := range versions {
		applied[v] = true
	}
	for _, f := range files {
		name := strings.TrimPrefix(f, "migrations/")
		v, err := strconv.Atoi(strings.SplitN(name, "_", 2)[0])
		if err != nil {
			return fmt.Errorf("postgres: migrate: bad file name %s", name)
		}
		if applied[v] {
			continue
		}
		body, err := migrations.ReadFile(f)
		if err != nil {
			return fmt.Errorf("postgres: migrate %s: %w", name, err)
		}
		err = pgx.BeginFunc(ctx, conn, func(tx pgx.Tx) error {
			if _, err := tx.Exec(ctx, string(body)); err != nil {
				return err
			}
			_, err := tx.Exec(ctx, `INSERT INTO schema_migrations(version) VALUES ($1)`, v)
			return err
		})
		if err != nil {
			return fmt.Errorf("postgres: migrate %s: %w", name, err)
		}
	}
	return nil
}

// Error codes of PostgreSQL (Appendix A of its manual) the driver maps to store's errors.
const (
	codeUniqueViolation     = "23505"
	codeForeignKeyViolation = "23503"
)

func hasCode(err error, code string) bool {
	var pg *pgconn.PgError
	return errors.As(err, &pg) && pg.Code == code
}

func isUniqueViolation(err error) bool     { return hasCode(err, codeUniqueViolation) }
func isForeignKeyViolation(err error) bool { return hasCode(err, codeForeignKeyViolation) }

func ms(t time.Time) int64 { return t.UnixMilli() }

func fromMS(v int64) time.Time { return time.UnixMilli(v).UTC() }

// optMS stores a zero time as 0.
func optMS(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.UnixMilli()
}

func optTime(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return fromMS(v)
}

// querier is what both the pool and a transaction offer.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// scanIDs reads a column of strings; none is a nil slice, as SQLite's backend answers.
func scanIDs(rows pgx.Rows, err error) ([]string, error) {
	if err != nil {
		return nil, err
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if len(ids) == 0 {
		ids = nil
	}
	return ids, err
}
