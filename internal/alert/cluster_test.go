package alert

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/reelhq/reel/internal/store"
	"github.com/reelhq/reel/internal/store/pgtest"
	"github.com/reelhq/reel/internal/store/postgres"
)

// passes counts alert passes (each reads the rules once), over every node.
type passes struct {
	*postgres.DB
	n *atomic.Int32
}

func (p passes) Alerts(ctx context.Context, projectID string) ([]store.AlertRule, error) {
	p.n.Add(1)
	return p.DB.Alerts(ctx, projectID)
}

// Three nodes running the evaluator on one PostgreSQL database evaluate once per interval in
// all, not once per node: over 3.5 intervals of 2 s, polled every second, one pass at start and
// one after the interval (each node alone would make two: eight more).
func TestRunOncePerIntervalAcrossNodes(t *testing.T) {
	url := pgtest.URL(t)
	var n atomic.Int32
	ctx, cancel := context.WithTimeout(context.Background(), 3500*time.Millisecond)
	defer cancel()
	var wg sync.WaitGroup
	for range 3 {
		db, err := postgres.Open(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		e := New(passes{DB: db, n: &n}, "http://reel.example", slog.New(slog.DiscardHandler), Options{})
		wg.Go(func() { e.Run(ctx, 2*time.Second) })
	}
	wg.Wait()
	if got := n.Load(); got != 2 {
		t.Fatalf("%d alert passes across 3 nodes in 3.5 s with a 2 s interval, want 2", got)
	}
}
