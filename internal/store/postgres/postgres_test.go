package postgres

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reelhq/reel/internal/search"

	"github.com/reelhq/reel/internal/store"
	"github.com/reelhq/reel/internal/store/pgtest"
	"github.com/reelhq/reel/internal/store/storetest"
)

// open gives a test a migrated index on a database of its own.
func open(t *testing.T) *DB {
	t.Helper()
	db, err := Open(context.Background(), pgtest.URL(t))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// TestContract runs the whole contract suite, and fails if it left a method of store.Index
// uncalled.
func TestContract(t *testing.T) {
	rec := storetest.NewRecorder()
	storetest.All(t, func(t *testing.T) store.Index { return rec.Wrap(open(t)) })
	rec.Check(t)
}

// TestSearch runs the search contract with every lookup tested session by session (common:
// the planner's estimate is past commonRows), beside TestContract's run that reads each one's
// sessions by id (rare).
func TestSearch(t *testing.T) {
	defer func() { rareRows = 10000 }()
	for _, rare := range []int{0} {
		t.Run(fmt.Sprintf("rareRows=%d", rare), func(t *testing.T) {
			rareRows = rare
			storetest.RunSearch(t, func(t *testing.T) store.Index { return open(t) })
		})
	}
}

func TestText(t *testing.T) {
	defer func() { rareRows = 10000 }()
	for _, rare := range []int{0} {
		t.Run(fmt.Sprintf("rareRows=%d", rare), func(t *testing.T) {
			rareRows = rare
			storetest.RunText(t, func(t *testing.T) store.Index { return open(t) })
		})
	}
}

// TestMigrateConcurrently: two nodes opening one fresh database at the same moment both
// succeed, and each migration is applied once.
func TestMigrateConcurrently(t *testing.T) {
	ctx := context.Background()
	url := pgtest.URL(t)
	var wg sync.WaitGroup
	dbs := make([]*DB, 4)
	errs := make([]error, len(dbs))
	start := make(chan struct{})
	for i := range dbs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			dbs[i], errs[i] = Open(ctx, url)
		}()
	}
	close(start)
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("open %d: %v", i, err)
		}
		defer dbs[i].Close()
	}
	files, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		t.Fatal(err)
	}
	var rows, distinct, latest int
	if err := dbs[0].pool.QueryRow(ctx, `SELECT COUNT(*), COUNT(DISTINCT version), MAX(version) FROM schema_migrations`).Scan(&rows, &distinct, &latest); err != nil {
		t.Fatal(err)
	}
	// Numbers are handed out ahead of merging, so the latest is the highest file's, not the count.
	newest := 0
	for _, f := range files {
		n, err := strconv.Atoi(strings.SplitN(strings.TrimPrefix(f, "migrations/"), "_", 2)[0])
		if err != nil {
			t.Fatal(err)
		}
		newest = max(newest, n)
	}
	if rows != len(files) || distinct != len(files) || latest != newest {
		t.Errorf("schema_migrations has %d rows, %d versions, latest %d; want each of %d once, latest %d", rows, distinct, latest, len(files), newest)
	}
	// Reopening applies nothing and keeps the data.
	if err := dbs[0].CreateProject(ctx, store.Project{ID: "p", Name: "p", PublicKey: "pk"}); err != nil {
		t.Fatal(err)
	}
	db, err := Open(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if v, err := db.Version(ctx); err != nil || v != newest {
		t.Errorf("version after reopen = %d, %v", v, err)
	}
	if _, err := db.ProjectByKey(ctx, "pk"); err != nil {
		t.Errorf("data lost on reopen: %v", err)
	}
}

func textBatch(project, session string, seq int64) store.Batch {
	at := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC).Add(time.Duration(seq) * time.Second)
	return store.Batch{ProjectID: project, Chunk: store.Chunk{SessionID: session, Tab: "tab_0001", Seq: seq, FirstAt: at, LastAt: at, BlobKey: session},
		Pages: []store.Page{{Tab: "tab_0001", At: at, URL: "https://x.test/" + session}}, EventNames: []string{"e"}, Text: []string{"Hello " + session}}
}

// TestLostConnection: when the server ends the connection in the middle of a group commit,
// AppendBatches returns an error for every batch, and nothing of the group is stored.
func TestLostConnection(t *testing.T) {
	ctx := context.Background()
	db := open(t)
	if err := db.CreateProject(ctx, store.Project{ID: "p", Name: "p", PublicKey: "pk"}); err != nil {
		t.Fatal(err)
	}
	// Another session holds s_locked's row, so the group commit stops there and waits, with
	// its earlier batches written but not committed; then its backend is terminated.
	if err := db.AppendBatch(ctx, textBatch("p", "s_locked", 0)); err != nil {
		t.Fatal(err)
	}
	blocker, err := db.pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer blocker.Rollback(ctx)
	if _, err := blocker.Exec(ctx, `SELECT 1 FROM sessions WHERE id = 's_locked' FOR UPDATE`); err != nil {
		t.Fatal(err)
	}
	done := make(chan []error)
	go func() {
		done <- db.AppendBatches(ctx, []store.Batch{textBatch("p", "s_a", 0), textBatch("p", "s_b", 0), textBatch("p", "s_locked", 1)})
	}()
	// Wait until the group commit waits for the lock, then end its connection.
	var pid int
	for deadline := time.Now().Add(10 * time.Second); ; {
		err := db.pool.QueryRow(ctx, `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' LIMIT 1`).Scan(&pid)
		if err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the group commit never waited for the lock: %v", err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, err := db.pool.Exec(ctx, `SELECT pg_terminate_backend($1)`, pid); err != nil {
		t.Fatal(err)
	}
	errs := <-done
	for i, err := range errs {
		if err == nil || errors.Is(err, store.ErrDuplicate) || errors.Is(err, store.ErrConflict) {
			t.Errorf("batch %d: %v, want the connection's error", i, err)
		}
	}
	blocker.Rollback(ctx)
	for _, id := range []string{"s_a", "s_b"} {
		if _, err := db.GetSession(ctx, id); !errors.Is(err, store.ErrNotFound) {
			t.Errorf("session %s of the failed group: %v, want ErrNotFound", id, err)
		}
	}
	if cs, err := db.Chunks(ctx, "s_locked"); err != nil || len(cs) != 1 {
		t.Errorf("s_locked has %d chunks, %v; want its first only", len(cs), err)
	}
	// The pool replaces the lost connection; the retried group commits.
	for i, err := range db.AppendBatches(ctx, []store.Batch{textBatch("p", "s_a", 0), textBatch("p", "s_b", 0), textBatch("p", "s_locked", 1)}) {
		if err != nil {
			t.Errorf("retried batch %d: %v", i, err)
		}
	}
}

// TestConcurrentGroupCommits: group commits of overlapping sessions in opposite orders, with
// and without shared rows (content, error messages, text), neither deadlock nor lose a batch.
func TestConcurrentGroupCommits(t *testing.T) {
	for _, shared := range []bool{false, true} {
		t.Run(fmt.Sprintf("shared=%v", shared), func(t *testing.T) { testConcurrentGroupCommits(t, shared) })
	}
}

func testConcurrentGroupCommits(t *testing.T, shared bool) {
	ctx := context.Background()
	db := open(t)
	if err := db.CreateProject(ctx, store.Project{ID: "p", Name: "p", PublicKey: "pk"}); err != nil {
		t.Fatal(err)
	}
	const workers, rounds, sessions = 4, 10, 8
	var wg sync.WaitGroup
	fails := make(chan error, workers*rounds*sessions)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for r := range rounds {
				var bs []store.Batch
				for k := range sessions {
					s := k
					if w%2 == 1 {
						s = sessions - 1 - k // the opposite order
					}
					b := textBatch("p", fmt.Sprintf("s_%d", s), int64(w*rounds+r))
					b.Text = nil
					if shared {
						b.ErrorMessages = []string{fmt.Sprintf("error %d", (s+r)%3), fmt.Sprintf("error %d", (s+r+1)%3)}
						b.Text = []string{fmt.Sprintf("piece %d", (s+r)%5), fmt.Sprintf("piece %d", (s+r+2)%5)}
						b.Content = []store.ContentRef{{Hash: fmt.Sprintf("%064x", (s+r)%4), Size: 1, Stored: 1, Root: true}, {Hash: fmt.Sprintf("%064x", (s+r+3)%4), Size: 1, Stored: 1, Root: true}}
					}
					bs = append(bs, b)
				}
				for _, err := range db.AppendBatches(ctx, bs) {
					if err != nil {
						fails <- err
					}
				}
			}
		}()
	}
	wg.Wait()
	close(fails)
	for err := range fails {
		t.Error(err)
	}
	for s := range sessions {
		cs, err := db.Chunks(ctx, fmt.Sprintf("s_%d", s))
		if err != nil || len(cs) != workers*rounds {
			t.Errorf("s_%d has %d chunks, %v; want %d", s, len(cs), err, workers*rounds)
		}
	}
}

// TestHostileBatch: strings PostgreSQL's text refuses (NUL, invalid UTF-8) do not fail a
// batch, as they do not with SQLite: they are stored cleaned (docs/decisions.md), and found
// by their cleaned value.
func TestHostileBatch(t *testing.T) {
	ctx := context.Background()
	db := open(t)
	if err := db.CreateProject(ctx, store.Project{ID: "p", Name: "p", PublicKey: "pk"}); err != nil {
		t.Fatal(err)
	}
	bad := "a\x00b\xffc"
	b := textBatch("p", "s_"+bad, 0)
	b.Chunk.Tab, b.UserID, b.UserAgent, b.Referrer = "tab_"+bad, "user_"+bad, bad, "https://ref.test/"+bad
	b.Browser, b.OS, b.Device = bad, bad, bad
	b.Pages = []store.Page{{Tab: bad, At: b.Chunk.FirstAt, URL: "https://x.test/" + bad + "?utm_source=" + bad}, {Tab: bad, At: b.Chunk.FirstAt, URL: "\xff://bad url"}}
	b.ErrorMessages = []string{"boom " + bad, "boom a\x00b\xffc"} // equal once cleaned
	b.EventNames = []string{bad}
	b.Traits = map[string]string{bad: bad}
	b.EventProps = []store.Prop{{Key: bad, Value: bad}}
	b.Text = []string{bad}
	if err := db.AppendBatch(ctx, b); err != nil {
		t.Fatalf("hostile batch: %v", err)
	}
	if ok, err := db.HasChunk(ctx, b.ProjectID, b.Chunk.SessionID, b.Chunk.Tab, 0); err != nil || !ok {
		t.Errorf("HasChunk = %v, %v; want the chunk found by the same strings", ok, err)
	}
	if err := db.AppendBatch(ctx, b); !errors.Is(err, store.ErrDuplicate) {
		t.Errorf("the same batch again = %v, want ErrDuplicate", err)
	}
	s, err := db.GetSession(ctx, b.Chunk.SessionID)
	if err != nil {
		t.Fatal(err)
	}
	want := "ab\uFFFDc"
	if s.ID != "s_"+want || s.UserID != "user_"+want || s.UserAgent != want || len(s.URLs) != 2 {
		t.Errorf("session = %q %q %q %q", s.ID, s.UserID, s.UserAgent, s.URLs)
	}
	for _, q := range []string{`error:"boom ab"`, `user:"user_` + want + `"`, `browser:"` + want + `"`, `event:"` + want + `"`, `text:ab`} {
		plan, err := search.Parse(q)
		if err != nil {
			t.Fatal(err)
		}
		page, err := db.ListSessions(ctx, store.ListQuery{ProjectID: "p", Limit: 10, Query: plan})
		if err != nil || len(page.Sessions) != 1 {
			t.Errorf("%q = %d sessions, %v; want the hostile one", q, len(page.Sessions), err)
		}
	}
}
