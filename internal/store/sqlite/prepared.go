package sqlite

import (
	"context"
	"database/sql"
	"sync"
)

// querier is what the write path's helpers run statements through: a transaction, or a
// transaction that reuses prepared statements (preparedTx).
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// statements caches statements prepared on the single writer connection, so the dozen
// statements every ingested batch runs are parsed once per process instead of once per
// batch (parsing was a tenth of ingest's CPU).
//
// A statement cannot be prepared while a transaction holds the only connection (the pool
// would wait for itself), so a statement first seen inside a transaction runs unprepared
// there and is prepared before the next transaction begins.
type statements struct {
	mu       sync.Mutex
	prepared map[string]*sql.Stmt
	wanted   map[string]bool
}

// get returns the prepared statement for query, or nil (and remembers to prepare it).
func (s *statements) get(query string) *sql.Stmt {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st := s.prepared[query]; st != nil {
		return st
	}
	if s.wanted == nil {
		s.wanted = map[string]bool{}
	}
	s.wanted[query] = true
	return nil
}

// prepareWanted prepares the statements asked for since the last call. It must run outside
// any transaction on w. A statement that fails to prepare is simply not cached.
func (s *statements) prepareWanted(ctx context.Context, w *sql.DB) {
	s.mu.Lock()
	wanted := s.wanted
	s.wanted = nil
	s.mu.Unlock()
	for q := range wanted {
		st, err := w.PrepareContext(ctx, q)
		if err != nil {
			continue
		}
		s.mu.Lock()
		if s.prepared == nil {
			s.prepared = map[string]*sql.Stmt{}
		}
		if old := s.prepared[q]; old != nil {
			old.Close()
		}
		s.prepared[q] = st
		s.mu.Unlock()
	}
}

func (s *statements) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, st := range s.prepared {
		st.Close()
	}
	s.prepared = nil
}

// readStatements caches statements prepared on the read pool for the queries ingest runs on
// every request (the project's key, the duplicate check), which were otherwise parsed each
// time; database/sql prepares a pool statement on each connection as it first uses it.
type readStatements struct {
	mu sync.Mutex
	m  map[string]*sql.Stmt
}

func (s *readStatements) get(ctx context.Context, pool *sql.DB, query string) (*sql.Stmt, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if st := s.m[query]; st != nil {
		return st, nil
	}
	st, err := pool.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	if s.m == nil {
		s.m = map[string]*sql.Stmt{}
	}
	s.m[query] = st
	return st, nil
}

// queryRow runs a query through the cache, or unprepared if it cannot be prepared.
func (s *readStatements) queryRow(ctx context.Context, pool *sql.DB, query string, args ...any) *sql.Row {
	if st, err := s.get(ctx, pool, query); err == nil {
		return st.QueryRowContext(ctx, args...)
	}
	return pool.QueryRowContext(ctx, query, args...)
}

func (s *readStatements) close() {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, st := range s.m {
		st.Close()
	}
	s.m = nil
}

// preparedTx runs statements of a write transaction through the cache. A statement the cache
// does not hold yet is prepared on the transaction, once for the rest of it: a group commit's
// first transaction runs the same dozen statements for each of its batches, and parsing them
// again for each was 6% of a fresh server's ingest CPU once groups held twenty batches.
type preparedTx struct {
	*sql.Tx
	cache *statements
	local map[string]*sql.Stmt // prepared on this transaction; closed with it
}

func newPreparedTx(tx *sql.Tx, cache *statements) preparedTx {
	return preparedTx{Tx: tx, cache: cache, local: map[string]*sql.Stmt{}}
}

// stmt returns query's statement for this transaction, or nil if it cannot be prepared.
func (t preparedTx) stmt(ctx context.Context, query string) *sql.Stmt {
	if st := t.cache.get(query); st != nil {
		return t.Tx.StmtContext(ctx, st)
	}
	if st := t.local[query]; st != nil {
		return st
	}
	st, err := t.Tx.PrepareContext(ctx, query)
	if err != nil {
		return nil
	}
	t.local[query] = st
	return st
}

func (t preparedTx) ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error) {
	if st := t.stmt(ctx, query); st != nil {
		return st.ExecContext(ctx, args...)
	}
	return t.Tx.ExecContext(ctx, query, args...)
}

func (t preparedTx) QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	if st := t.stmt(ctx, query); st != nil {
		return st.QueryContext(ctx, args...)
	}
	return t.Tx.QueryContext(ctx, query, args...)
}

func (t preparedTx) QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row {
	if st := t.stmt(ctx, query); st != nil {
		return st.QueryRowContext(ctx, args...)
	}
	return t.Tx.QueryRowContext(ctx, query, args...)
}
