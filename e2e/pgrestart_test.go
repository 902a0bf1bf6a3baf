package e2e

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/reelhq/reel/internal/store/pgtest"
)

// TestPostgresOutageLosesNothingAcknowledged: a node on PostgreSQL under load loses its
// database twice, as in a restart: every connection is cut and, for two seconds, new ones are
// refused. Batches that arrive meanwhile are answered 503 with Retry-After (never 500, never a
// false 200); the senders retry them as the SDK does; the node reconnects by itself, and in the
// end every acknowledged batch is there, each once, with every one of its events.
func TestPostgresOutageLosesNothingAcknowledged(t *testing.T) {
	db := pgtest.URL(t)
	r := startReelWith(t, t.TempDir(), "--db", db, "--ingest-rate-per-ip", "0", "--compact-idle", "1h")
	ingest := r.URL + "/api/v1/ingest?v=1&key=" + publicKey(t, r)

	u, err := url.Parse(db)
	if err != nil {
		t.Fatal(err)
	}
	name := strings.TrimPrefix(u.Path, "/")
	admin := *u
	admin.Path = "/postgres"
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, admin.String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	// outage cuts every connection to the node's database and refuses new ones for a while.
	outage := func() {
		t.Helper()
		if _, err := conn.Exec(ctx, `ALTER DATABASE `+pgx.Identifier{name}.Sanitize()+` ALLOW_CONNECTIONS false`); err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Exec(ctx, `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1`, name); err != nil {
			t.Fatal(err)
		}
		time.Sleep(2 * time.Second)
		if _, err := conn.Exec(ctx, `ALTER DATABASE `+pgx.Identifier{name}.Sanitize()+` ALLOW_CONNECTIONS true`); err != nil {
			t.Fatal(err)
		}
	}

	const writers, batches = 8, 40
	acked := make([][]bool, writers)
	refused := make([]int, writers)
	var wg sync.WaitGroup
	client := &http.Client{Timeout: 20 * time.Second}
	start := time.Now().Add(-time.Minute).UnixMilli()
	for w := range writers {
		acked[w] = make([]bool, batches)
		wg.Go(func() {
			session := fmt.Sprintf("s_pgoutage%02d", w)
			for seq := range batches {
				body := gzipBatch(t, session, "t_outagetab", seq, batchEvents(session, seq, 30, start+int64(seq)*100))
				for attempt := 0; ; attempt++ {
					status, answer, err := post(client, ingest, body)
					if err == nil && status == 200 {
						acked[w][seq] = true
						break
					}
					if err != nil || status != http.StatusServiceUnavailable {
						t.Errorf("%s batch %d: %d %s %v; want 200, or 503 while the database is away", session, seq, status, answer, err)
						return
					}
					refused[w]++
					if attempt > 200 {
						t.Errorf("%s batch %d: still refused after %d tries", session, seq, attempt)
						return
					}
					time.Sleep(100 * time.Millisecond)
				}
				time.Sleep(30 * time.Millisecond)
			}
		})
	}
	time.Sleep(700 * time.Millisecond)
	outage()
	time.Sleep(700 * time.Millisecond)
	outage()
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	total := 0
	for _, n := range refused {
		total += n
	}
	if total == 0 {
		t.Fatal("no batch was refused during the outages: the test proves nothing")
	}
	t.Logf("%d answers of 503 during two outages, then every batch acknowledged", total)

	for w := range writers {
		session := fmt.Sprintf("s_pgoutage%02d", w)
		var events []struct {
			Type int
			Data struct {
				Payload struct {
					Session string
					Seq     int
				}
			}
		}
		r.api(t, "/api/v1/sessions/"+session+"/events", &events)
		perSeq := map[int]int{}
		for _, e := range events {
			if e.Type == 5 {
				perSeq[e.Data.Payload.Seq]++
			}
		}
		for seq, ok := range acked[w] {
			if ok && perSeq[seq] != 30 {
				t.Errorf("%s: acknowledged batch %d has %d of its 30 events", session, seq, perSeq[seq])
			}
		}
		if len(perSeq) != batches {
			t.Errorf("%s: %d batches stored, want %d", session, len(perSeq), batches)
		}
	}
}
