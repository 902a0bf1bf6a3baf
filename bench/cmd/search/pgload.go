package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/reelhq/reel/internal/store/postgres"
)

// pgColumns are the columns each of the load's tables goes to in PostgreSQL's schema
// (internal/store/postgres/migrations), in the order the generator writes a row's values.
// Tables the generator writes that PostgreSQL does not have (SQLite's full-text shadow of the
// text rows) are nil: PostgreSQL indexes the rows' piece arrays themselves.
var pgColumns = [nTables]struct {
	table string
	cols  []string
}{
	tSessions: {"sessions", strings.Split("id project_id started_at ended_at pages entry_url exit_url clicks events tabs user_agent vp_width vp_height updated_at user_id last_batch_at browser browser_version os device country errors failed_requests entry_path exit_path utm_source referrer_host score friction rage_clicks dead_clicks analyzed_at text_bytes", " ")},
	tPages:    {"session_pages", strings.Split("session_id tab at url path", " ")},
	tEvents:   {"session_events", strings.Split("session_id name", " ")},
	tTraits:   {"session_traits", strings.Split("session_id key value", " ")},
	tErrors:   {"session_errors", strings.Split("session_id message_id", " ")},
	tProps:    {"session_event_props", strings.Split("session_id key value hash", " ")},
	tSignals:  {"session_signals", strings.Split("session_id project_id kind at path target fingerprint detail", " ")},
	tPieces:   {"text_pieces", strings.Split("id hash text words", " ")},
	tText:     {"session_text_refs", strings.Split("id session_id pieces", " ")},
}

// loadPostgres writes n sessions into the PostgreSQL database at url, whose schema the store has
// created, as load does for SQLite: the same generator and rows, written with COPY, secondary
// indexes dropped for the load and built after it from the loaded rows, then the planner's
// statistics gathered (ANALYZE), all counted in the build time.
func loadPostgres(ctx context.Context, url string, n int, now time.Time) error {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	phase := time.Now()
	lap := func(what string) {
		fmt.Fprintf(os.Stderr, "load: %s %.1fs\n", what, time.Since(phase).Seconds())
		phase = time.Now()
	}
	// The rows are generated consistent (every row's session is written in the same chunk), so
	// the load skips the foreign keys' per-row checks, as pg_restore --disable-triggers does:
	// each is a lookup in sessions' key, some ten million of them.
	if _, err := conn.Exec(ctx, `SET session_replication_role = replica`); err != nil {
		return err
	}
	// Secondary indexes (not the primary keys and unique constraints the rows are checked
	// against) are dropped for the load and rebuilt after it, as a restore would.
	rows, err := conn.Query(ctx, `SELECT i.indexname, i.indexdef FROM pg_indexes i
		JOIN pg_class c ON c.relname = i.indexname JOIN pg_index x ON x.indexrelid = c.oid
		WHERE i.schemaname = current_schema() AND NOT x.indisunique AND NOT x.indisprimary
		ORDER BY i.indexname`)
	if err != nil {
		return err
	}
	indexes, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (index, error) {
		var i index
		return i, r.Scan(&i.name, &i.def)
	})
	if err != nil {
		return err
	}
	for _, i := range indexes {
		if _, err := conn.Exec(ctx, `DROP INDEX `+pgx.Identifier{i.name}.Sanitize()); err != nil {
			return err
		}
	}
	var msgs [][]any
	for i, m := range errorPool() {
		msgs = append(msgs, []any{int64(i + 1), postgres.MessageHash(m), m})
	}
	if _, err := conn.CopyFrom(ctx, pgx.Identifier{"error_messages"}, []string{"id", "hash", "message"}, pgx.CopyFromRows(msgs)); err != nil {
		return fmt.Errorf("error messages: %w", err)
	}

	gctx, cancel := context.WithCancel(ctx)
	defer cancel()
	chunks := make(chan *chunk, 2)
	go func() {
		defer close(chunks)
		generate(gctx, n, now, chunks)
	}()
	for c := range chunks {
		if err := copyChunk(ctx, conn, c); err != nil {
			return err
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	lap("rows")
	for _, t := range []string{"error_messages", "text_pieces", "session_text_refs"} {
		if _, err := conn.Exec(ctx, fmt.Sprintf(`SELECT setval(pg_get_serial_sequence('%s', 'id'), (SELECT COALESCE(MAX(id), 0) + 1 FROM %s), false)`, t, t)); err != nil {
			return fmt.Errorf("sequence of %s: %w", t, err)
		}
	}
	if err := buildIndexes(ctx, url, indexes); err != nil {
		return err
	}
	lap("indexes")
	if _, err := conn.Exec(ctx, `ANALYZE`); err != nil {
		return err
	}
	lap("analyze")
	return nil
}

type index struct{ name, def string }

// buildIndexes creates the indexes on two connections at once (the machine the bench is
// specified for has two cores, and PostgreSQL 15 builds a GIN or hash index on one), biggest
// tables first so the two finish together, and prints each one's time.
func buildIndexes(ctx context.Context, url string, indexes []index) error {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	// Largest table first: the longest builds start at once and the short ones fill in.
	size := map[string]int64{}
	rows, err := conn.Query(ctx, `SELECT indexname, pg_relation_size(quote_ident(tablename)) FROM pg_indexes WHERE schemaname = current_schema()`)
	if err != nil {
		return err
	}
	for rows.Next() {
		var name string
		var n int64
		if err := rows.Scan(&name, &n); err != nil {
			return err
		}
		size[name] = n
	}
	if err := rows.Err(); err != nil {
		return err
	}
	todo := make(chan index, len(indexes))
	for _, i := range slices.SortedStableFunc(slices.Values(indexes), func(a, b index) int { return cmp.Compare(size[b.name], size[a.name]) }) {
		todo <- i
	}
	close(todo)
	errs := make(chan error, 2)
	for range 2 {
		go func() {
			errs <- func() error {
				conn, err := pgx.Connect(ctx, url)
				if err != nil {
					return err
				}
				defer conn.Close(ctx)
				// Each build sorts in memory (the box has room for two at once) and on its
				// own connection's core.
				if _, err := conn.Exec(ctx, `SET maintenance_work_mem = '1GB'; SET max_parallel_maintenance_workers = 0`); err != nil {
					return err
				}
				for i := range todo {
					t := time.Now()
					if _, err := conn.Exec(ctx, i.def); err != nil {
						return fmt.Errorf("rebuild %s: %w", i.name, err)
					}
					fmt.Fprintf(os.Stderr, "load: index %s %.1fs\n", i.name, time.Since(t).Seconds())
				}
				return nil
			}()
		}()
	}
	return errors.Join(<-errs, <-errs)
}

// copyChunk writes one chunk's rows in one transaction, a COPY per table. Rows the SQLite load
// inserts "OR IGNORE" (a session's repeated track event, trait, error or property) are left
// out here the same way, by the table's key within the session.
func copyChunk(ctx context.Context, conn *pgx.Conn, c *chunk) error {
	tx, err := conn.Begin(ctx)
	if err != nil {
		return err
	}
	defer tx.Rollback(ctx)
	for t, args := range c {
		cols := pgColumns[t].cols
		if cols == nil {
			continue
		}
		width := inserts[t].cols
		var out [][]any
		seen := map[string]bool{}
		for i := 0; i+width <= len(args); i += width {
			row := append([]any(nil), args[i:i+width]...)
			switch t {
			case tEvents, tTraits, tErrors, tProps:
				key := fmt.Sprint(row...) // the whole row, or for traits (session, key)
				if t == tTraits {
					key = fmt.Sprint(row[:2]...)
				}
				if seen[key] {
					continue
				}
				seen[key] = true
				if t == tProps {
					row = append(row, postgres.PropHash(row[1].(string), row[2].(string)))
				}
			case tPieces:
				text, hash, words := postgres.TextRow(row[2].(string))
				row = []any{row[0], hash, text, words}
			case tText:
				row[2] = pieceIDs(row[2].(string))
			}
			out = append(out, row)
		}
		if len(out) == 0 {
			continue
		}
		if t == tPieces {
			// COPY's binary form has no encoder for tsvector here: the words go in as text,
			// cast by the server, as the driver writes them.
			if err := insertPieces(ctx, tx, out); err != nil {
				return err
			}
			continue
		}
		if _, err := tx.CopyFrom(ctx, pgx.Identifier{pgColumns[t].table}, cols, pgx.CopyFromRows(out)); err != nil {
			return fmt.Errorf("copy %s: %w", pgColumns[t].table, err)
		}
	}
	return tx.Commit(ctx)
}

// insertPieces writes rows of text_pieces (id, hash, text, words).
func insertPieces(ctx context.Context, tx pgx.Tx, rows [][]any) error {
	ids, hashes, texts, words := make([]int64, len(rows)), make([][]byte, len(rows)), make([]string, len(rows)), make([]string, len(rows))
	for i, r := range rows {
		ids[i], hashes[i], texts[i], words[i] = r[0].(int64), r[1].([]byte), r[2].(string), r[3].(string)
	}
	_, err := tx.Exec(ctx, `INSERT INTO text_pieces(id, hash, text, words)
		SELECT i, h, t, w::tsvector FROM unnest($1::bigint[], $2::bytea[], $3::text[], $4::text[]) AS u(i, h, t, w)`, ids, hashes, texts, words)
	if err != nil {
		return fmt.Errorf("insert text pieces: %w", err)
	}
	return nil
}

// pieceIDs reads the generator's JSON list of piece ids ("[1,2,3]").
func pieceIDs(list string) []int64 {
	var ids []int64
	for _, f := range strings.Split(strings.Trim(list, "[]"), ",") {
		if id, err := strconv.ParseInt(f, 10, 64); err == nil {
			ids = append(ids, id)
		}
	}
	return ids
}
