package lifecycle_test

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/reelhq/reel/internal/blob"
	"github.com/reelhq/reel/internal/lifecycle"
	"github.com/reelhq/reel/internal/store"
	"github.com/reelhq/reel/internal/store/pgtest"
	"github.com/reelhq/reel/internal/store/postgres"
)

// counted counts the calls that show which job ran: ExpiredSessions (retention), Optimize,
// and List (the orphan sweep), over every node.
type counted struct {
	store.Index
	expired, optimized *atomic.Int32
}

func (c counted) ExpiredSessions(ctx context.Context, now time.Time, limit int) ([]string, error) {
	c.expired.Add(1)
	return c.Index.ExpiredSessions(ctx, now, limit)
}

func (c counted) Optimize(ctx context.Context) error {
	c.optimized.Add(1)
	return c.Index.Optimize(ctx)
}

type countedBlobs struct {
	blob.Store
	listed *atomic.Int32
}

func (c countedBlobs) List(ctx context.Context, prefix string, fn func(string, int64, time.Time) error) error {
	c.listed.Add(1)
	return c.Store.List(ctx, prefix, fn)
}

// Three nodes on one PostgreSQL database and one blob directory, each asking at once and
// again and again whether its jobs are due, run each job once in all; after the interval,
// once more.
func TestJobsRunOnceAcrossNodes(t *testing.T) {
	ctx := context.Background()
	url := pgtest.URL(t)
	local, err := blob.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	var expired, optimized, listed atomic.Int32
	// Long enough that no round, however slow the machine, reaches the next turn; the turn
	// after is brought about by moving the recorded runs back, not by waiting.
	interval := time.Hour
	var nodes []*lifecycle.Lifecycle
	for range 3 {
		db, err := postgres.Open(ctx, url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		idx := counted{Index: db, expired: &expired, optimized: &optimized}
		nodes = append(nodes, lifecycle.New(idx, countedBlobs{Store: local, listed: &listed}, slog.New(slog.DiscardHandler),
			lifecycle.Options{Interval: interval, OrphanInterval: interval}))
	}
	round := func() {
		var wg sync.WaitGroup
		for _, n := range nodes {
			wg.Go(func() {
				for range 3 {
					n.RunDue(ctx)
				}
			})
		}
		wg.Wait()
	}
	check := func(step string, want int32) {
		t.Helper()
		// A retention pass asks ExpiredSessions once when nothing has expired.
		if e, o, l := expired.Load(), optimized.Load(), listed.Load(); e != want || o != want || l != want {
			t.Fatalf("%s: retention ran %d times, optimize %d, orphan sweep %d; want %d each", step, e, o, l, want)
		}
	}
	round()
	check("first rounds", 1)
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `UPDATE jobs SET ran_at = ran_at - $1`, (interval + time.Minute).Milliseconds()); err != nil {
		t.Fatal(err)
	}
	round()
	check("after the interval", 2)
}
