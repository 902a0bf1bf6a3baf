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
// all, not once per node: over 3.5 s with an interval of 2 s, polled every second, one pass at
// start and, when the poll after the interval comes in time, one more; each node on its own
// would make three passes at start alone. (Exactly two depended on the machine's load: the
// poll that finds the second pass due can come after the 3.5 s.)
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
	if got := n.Load(); got < 1 || got > 2 {
		t.Fatalf("%d alert passes across 3 nodes in 3.5 s with a 2 s interval, want 1 or 2", got)
	}
}
