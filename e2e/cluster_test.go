package e2e

import (
	"bufio"
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/reelhq/reel/internal/blob/s3"
	"github.com/reelhq/reel/internal/blob/s3test"
	"github.com/reelhq/reel/internal/layout"
	"github.com/reelhq/reel/internal/store/pgtest"
)

// The cluster test's workload: sessions × tabs × batches per tab, every fifth session with a
// rage click on its first tab.
const (
	clSessions = 60
	clTabs     = 3
	clSeqs     = 4
	clMarks    = 12 // marker events per batch
)

// startNode runs `reel serve` on addr with args, like startReelWith, but returns an error
// instead of failing, so nodes can start from goroutines (all at once on an empty database).
func startNode(t *testing.T, addr string, args ...string) (*reel, error) {
	cmd := exec.Command(reelBin, append([]string{"serve", "--addr", addr, "--log-level", "warn"}, args...)...)
	cmd.Env = append(os.Environ(), "REEL_ADMIN_PASSWORD="+adminPassword, "REEL_ADMIN_TOKEN="+adminToken)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	logs := &syncBuilder{}
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	r := &reel{cmd: cmd, logs: &strings.Builder{}}
	t.Cleanup(func() {
		r.stop(t)
		if t.Failed() {
			t.Logf("node %s stderr:\n%s", r.URL, logs)
		}
	})
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := dashboardLine.FindStringSubmatch(sc.Text() + " "); m != nil {
				found <- m[1]
			}
		}
	}()
	select {
	case r.URL = <-found:
		return r, nil
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		return nil, fmt.Errorf("node on %s did not print its address; stderr:\n%s", addr, logs)
	}
}

// syncBuilder is a strings.Builder a process may write to while the test reads it.
type syncBuilder struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuilder) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuilder) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

type clBatch struct {
	session, tab string
	seq          int
	body         []byte
}

// clusterBatch makes one batch of a session's tab. Seq 0 opens the tab with a Meta event and a
// full snapshot holding a coupon button, tab 1's seq 2 clicks it once, a rage session's tab 0
// clicks it four times in 450 ms in seq 1; every batch carries clMarks marker events naming
// (session, tab, seq, i) at times that interleave the tabs (tab k's batch seq starts at
// base + seq·1000 + k·7 ms and steps 50 ms), so the merged answer's order is known exactly.
func clusterBatch(session string, tab, seq int, base int64, rage bool) clBatch {
	tabID := fmt.Sprintf("t_cltab%04d", tab)
	at := base + int64(seq)*1000 + int64(tab)*7
	var evs []string
	var d dom
	button := d.el("button", map[string]any{"class": "coupon"}, d.text("Apply coupon"))
	doc := d.page(d.el("h1", nil, d.text("Cluster shop")), button)
	if seq == 0 {
		evs = append(evs, metaEv(at, "https://shop.example/cart.html"), rrwebFullEv(at+1, doc))
	}
	for i := range clMarks {
		ts := at + 2 + int64(i)*50
		evs = append(evs, customEv(ts, "test.mark", map[string]any{"session": session, "tab": tabID, "seq": seq, "i": i}))
		if i%4 == 1 {
			evs = append(evs, moveEv(ts+1, 100+i, 80))
		}
	}
	if tab == 1 && seq == 2 { // one ordinary click in every session
		evs = append(evs, clickEv(at+300, button["id"].(int), 118, 79))
	}
	if rage && tab == 0 && seq == 1 {
		id := button["id"].(int)
		t0 := at + 700
		evs = append(evs, clickEv(t0, id, 120, 80), clickEv(t0+150, id, 121, 80), clickEv(t0+300, id, 120, 81), clickEv(t0+450, id, 122, 81))
	}
	return clBatch{session: session, tab: tabID, seq: seq, body: gzipBatchMeta(session, tabID, seq, evs)}
}

// TestClusterSurvivesKill9 runs three `reel serve` nodes on one PostgreSQL database and one S3
// bucket, each with an empty data directory of its own. Concurrent senders spread the batches
// of many sessions round-robin over the nodes, retrying as the SDK does (429, 503, a broken
// connection: the next node, as a load balancer would pick); one node is killed with SIGKILL
// mid-load and restarted on its address. Then every node must answer every acknowledged batch,
// once, in order; every session must be compacted and analysed once (rage clicks found, not
// doubled); a batch stored through one node must reach a live view on another within 2 s; and
// after the orphan sweep (from the merged cluster branch) no object may be left in the bucket
// that the index does not reference, while everything referenced is kept; and no node may
// have left anything in its data directory.
func TestClusterSurvivesKill9(t *testing.T) {
	db := pgtest.URL(t)
	gw := s3test.Start(t)
	endpoint, bucketDir := gw.Endpoint, gw.BucketDir()
	s3test.SetCredentials(t) // AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY, for the nodes too
	blobs := fmt.Sprintf("s3://%s/cluster?endpoint=%s&region=%s&use_path_style=true", s3test.Bucket, endpoint, s3test.Region)
	var dataDirs []string
	args := func() []string {
		dir := t.TempDir()
		dataDirs = append(dataDirs, dir)
		return []string{"--data", dir, "--db", db, "--blobs", blobs, "--compact-idle", "1s", "--compact-lease", "15s"}
	}

	// Three nodes started at once on the empty database: migrations and first-run setup race.
	nodes := make([]*reel, 3)
	errs := make([]error, 3)
	var wg sync.WaitGroup
	for i := range nodes {
		wg.Go(func() { nodes[i], errs[i] = startNode(t, "127.0.0.1:0", args()...) })
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		t.Fatal(err)
	}
	key := publicKey(t, nodes[0])
	for _, n := range nodes[1:] {
		if k := publicKey(t, n); k != key {
			t.Fatalf("nodes disagree on the default project's key: %s and %s", key, k)
		}
	}
	var urlsMu sync.RWMutex
	urls := []string{nodes[0].URL, nodes[1].URL, nodes[2].URL}
	nodeURL := func(i int) string {
		urlsMu.RLock()
		defer urlsMu.RUnlock()
		return urls[i%len(urls)]
	}

	// The workload: every (session, tab) is one stream of batches sent in order, as one
	// browser tab's SDK does; streams go in parallel.
	base := time.Now().Add(-5 * time.Minute).UnixMilli()
	var streams [][]clBatch
	rageSession := map[string]bool{}
	var sessions []string
	for s := range clSessions {
		id := fmt.Sprintf("s_cluster%04d", s)
		sessions = append(sessions, id)
		rage := s%5 == 0
		rageSession[id] = rage
		for tab := range clTabs {
			var st []clBatch
			for seq := range clSeqs {
				st = append(st, clusterBatch(id, tab, seq, base+int64(s)*100, rage))
			}
			streams = append(streams, st)
		}
	}
	total := clSessions * clTabs * clSeqs

	var (
		ackMu   sync.Mutex
		acked   = map[string]bool{} // session/tab/seq
		ackN    atomic.Int64
		retries atomic.Int64
		next    atomic.Int64 // round-robin over the nodes
	)
	client := &http.Client{Timeout: 15 * time.Second}
	send := func(b clBatch) {
		deadline := time.Now().Add(90 * time.Second)
		backoff := 100 * time.Millisecond
		node := int(next.Add(1))
		for time.Now().Before(deadline) {
			status, body, err := post(client, nodeURL(node)+"/api/v1/ingest?v=1&key="+key, b.body)
			if err == nil && status == 200 {
				ackMu.Lock()
				acked[fmt.Sprintf("%s/%s/%d", b.session, b.tab, b.seq)] = true
				ackMu.Unlock()
				ackN.Add(1)
				return
			}
			if err == nil && status != 429 && status != 503 {
				t.Errorf("ingest %s/%s/%d = %d %s (the client must not retry)", b.session, b.tab, b.seq, status, body)
				return
			}
			// 429/503 or a dead node: back off and try the next node, as the SDK behind a
			// load balancer ends up doing.
			retries.Add(1)
			time.Sleep(backoff)
			backoff = min(2*backoff, time.Second)
			node++
		}
		t.Errorf("ingest %s/%s/%d: never acknowledged", b.session, b.tab, b.seq)
	}
	work := make(chan []clBatch)
	for range 16 {
		wg.Go(func() {
			for st := range work {
				for _, b := range st {
					send(b)
					time.Sleep(20 * time.Millisecond) // the SDK's batches are seconds apart; here a little
				}
			}
		})
	}
	feedDone := make(chan struct{})
	go func() {
		for _, st := range streams {
			work <- st
		}
		close(work)
		close(feedDone)
	}()

	// kill -9 node 1 once a quarter of the batches is in, then restart it on its address.
	for ackN.Load() < int64(total/4) {
		time.Sleep(10 * time.Millisecond)
	}
	victim := nodes[1]
	victim.cmd.Process.Signal(syscall.SIGKILL)
	victim.cmd.Wait()
	killedAt := ackN.Load()
	time.Sleep(500 * time.Millisecond)
	addr := strings.TrimPrefix(victim.URL, "http://")
	restarted, err := startNode(t, addr, args()...)
	if err != nil {
		t.Fatalf("restart the killed node on %s: %v", addr, err)
	}
	nodes[1] = restarted
	t.Logf("node 1 killed after %d of %d batches were acknowledged, restarted on %s", killedAt, total, addr)
	<-feedDone
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	if int(ackN.Load()) != total {
		t.Fatalf("%d of %d batches acknowledged", ackN.Load(), total)
	}
	t.Logf("%d batches acknowledged, %d retries (429, 503 or the dead node)", total, retries.Load())

	// Every session compacted and analysed: no chunk left uncompacted, every session analysed
	// after its last batch.
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	waitCompacted(t, ctx, conn)

	// Through every node: every acknowledged batch's events present once, in order.
	type mark struct {
		Type      int
		Timestamp int64
		Data      struct {
			Tag     string
			Payload struct {
				Session, Tab string
				Seq, I       int
			}
		}
	}
	counts := map[string]string{} // each session's signal counts as node 0 answers them
	for ni, n := range nodes {
		for _, id := range sessions {
			var evs []mark
			n.api(t, "/api/v1/sessions/"+id+"/events", &evs)
			var got []string
			last := int64(0)
			for _, e := range evs {
				if e.Timestamp < last {
					t.Fatalf("node %d, %s: events out of time order (%d after %d)", ni, id, e.Timestamp, last)
				}
				last = e.Timestamp
				if e.Type == 5 && e.Data.Tag == "test.mark" {
					p := e.Data.Payload
					if p.Session != id {
						t.Fatalf("node %d, %s holds an event of %s", ni, id, p.Session)
					}
					got = append(got, fmt.Sprintf("%s/%d/%d", p.Tab, p.Seq, p.I))
				}
			}
			// Expected: ordered by time, which interleaves the tabs within each seq.
			var want []string
			for seq := range clSeqs {
				for i := range clMarks {
					for tab := range clTabs {
						tabID := fmt.Sprintf("t_cltab%04d", tab)
						if !acked[fmt.Sprintf("%s/%s/%d", id, tabID, seq)] {
							t.Fatalf("%s/%s/%d was never acknowledged", id, tabID, seq)
						}
						want = append(want, fmt.Sprintf("%s/%d/%d", tabID, seq, i))
					}
				}
			}
			if !slices.Equal(got, want) {
				t.Fatalf("node %d, %s: %d marker events, want %d in time order\ngot  %v\nwant %v", ni, id, len(got), len(want), head(got), head(want))
			}
			var sig struct {
				Counts map[string]int
			}
			n.api(t, "/api/v1/sessions/"+id+"/signals", &sig)
			if ni == 0 {
				counts[id] = fmt.Sprint(sig.Counts)
			} else if got := fmt.Sprint(sig.Counts); got != counts[id] {
				t.Fatalf("%s: node %d answers signals %s, node 0 %s", id, ni, got, counts[id])
			}
			want1 := 0
			if rageSession[id] {
				want1 = 1
			}
			if sig.Counts["rage_click"] != want1 {
				t.Fatalf("node %d, %s: %d rage clicks found, want %d (signals %v)", ni, id, sig.Counts["rage_click"], want1, sig.Counts)
			}
		}
	}
	// The analysis stored once per session, whichever node compacted it.
	var rageRows int
	if err := conn.QueryRow(ctx, `SELECT count(*) FROM session_signals WHERE kind = 'rage_click'`).Scan(&rageRows); err != nil {
		t.Fatal(err)
	}
	if rageRows != clSessions/5 {
		t.Fatalf("%d rage_click rows in session_signals, want %d", rageRows, clSessions/5)
	}

	// Live view: a batch stored through node A shows in node B's tail within 2 s.
	for a := range nodes {
		b := (a + 1) % len(nodes)
		id := fmt.Sprintf("s_clusterlive%d", a)
		liveBase := time.Now().Add(-time.Minute).UnixMilli()
		first := clusterBatch(id, 0, 0, liveBase, false)
		if status, body, err := post(client, nodes[a].URL+"/api/v1/ingest?v=1&key="+key, first.body); err != nil || status != 200 {
			t.Fatalf("live batch 0 on node %d = %d %s %v", a, status, body, err)
		}
		var tail []mark
		nodes[b].api(t, "/api/v1/sessions/"+id+"/events", &tail)
		after := tail[len(tail)-1].Timestamp
		second := clusterBatch(id, 0, 1, liveBase, false)
		sent := time.Now()
		if status, body, err := post(client, nodes[a].URL+"/api/v1/ingest?v=1&key="+key, second.body); err != nil || status != 200 {
			t.Fatalf("live batch 1 on node %d = %d %s %v", a, status, body, err)
		}
		for {
			var evs []mark
			nodes[b].api(t, fmt.Sprintf("/api/v1/sessions/%s/events?after=%d", id, after), &evs)
			n := 0
			for _, e := range evs {
				if e.Data.Tag == "test.mark" && e.Data.Payload.Seq == 1 {
					n++
				}
			}
			if n == clMarks {
				t.Logf("node %d's batch in node %d's live tail after %v", a, b, time.Since(sent).Round(time.Millisecond))
				break
			}
			if time.Since(sent) > 2*time.Second {
				t.Fatalf("node %d's live tail shows %d of the %d events node %d stored 2 s ago", b, n, clMarks, a)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}

	// The live sessions compacted too, so no compaction runs while the sweep is judged.
	waitCompacted(t, ctx, conn)

	// The orphan sweep: what a node killed between its PUT and its commit leaves, plus one pack
	// and one content item planted as such a node would have left them, all made older than
	// the grace period (versitygw's posix backend keeps each object as a file: its mtime is
	// the object's Last-Modified). The sweep is made due and a node restarted; it runs once
	// across the cluster at start, and must delete every orphan and nothing referenced.
	store, err := s3.Open(ctx, blobs, s3.Options{})
	if err != nil {
		t.Fatal(err)
	}
	planted := []string{layout.PackKey(time.Now()), layout.ContentKey("default", strings.Repeat("ab", 32))}
	for _, k := range planted {
		if err := store.Put(ctx, k, []byte("left by a node that died before its commit")); err != nil {
			t.Fatal(err)
		}
	}
	orphans := orphanObjects(t, ctx, conn, store)
	t.Logf("%d objects in the bucket that the index does not reference before the sweep (2 planted): %v", len(orphans), head(orphans))
	if len(orphans) < len(planted) {
		t.Fatalf("the planted orphans are not listed: %v", orphans)
	}
	old := time.Now().Add(-2 * time.Hour)
	objects := 0
	if err := filepath.WalkDir(bucketDir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		objects++
		return os.Chtimes(path, old, old)
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `UPDATE jobs SET ran_at = 0 WHERE name = 'orphans'`); err != nil {
		t.Fatal(err)
	}
	nodes[2].stop(t)
	nodes[2], err = startNode(t, strings.TrimPrefix(nodes[2].URL, "http://"), args()...)
	if err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(30 * time.Second); ; {
		orphans = orphanObjects(t, ctx, conn, store)
		if len(orphans) == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("30 s after the orphan sweep was due, %d unreferenced objects remain: %v", len(orphans), head(orphans))
		}
		time.Sleep(200 * time.Millisecond)
	}
	t.Logf("the sweep left no orphan among %d objects", objects)
	// …and took nothing still referenced: every session reads back whole.
	for _, id := range sessions {
		var evs []mark
		nodes[2].api(t, "/api/v1/sessions/"+id+"/events", &evs)
		n := 0
		for _, e := range evs {
			if e.Data.Tag == "test.mark" {
				n++
			}
		}
		if n != clTabs*clSeqs*clMarks {
			t.Fatalf("after the sweep, %s has %d of its %d marker events", id, n, clTabs*clSeqs*clMarks)
		}
	}
	// Nothing durable lives on a node: every data directory, the killed node's included, is
	// still empty.
	for _, dir := range dataDirs {
		entries, err := os.ReadDir(dir)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			t.Errorf("a node on PostgreSQL and S3 left %s in its data directory", e.Name())
		}
	}
}

// waitCompacted waits until every chunk is compacted and every session compacted and analysed
// after its last batch, on whichever node.
func waitCompacted(t *testing.T, ctx context.Context, conn *pgx.Conn) {
	t.Helper()
	waitUntil := time.Now().Add(90 * time.Second)
	for {
		var left, unanalysed int
		if err := conn.QueryRow(ctx, `SELECT count(*) FROM chunks WHERE NOT compacted`).Scan(&left); err != nil {
			t.Fatal(err)
		}
		if err := conn.QueryRow(ctx, `SELECT count(*) FROM sessions WHERE compacted_at < last_batch_at OR analyzed_at = 0`).Scan(&unanalysed); err != nil {
			t.Fatal(err)
		}
		if left == 0 && unanalysed == 0 {
			return
		}
		if time.Now().After(waitUntil) {
			var rows []string
			if r, err := conn.Query(ctx, `SELECT id, compacted_at, last_batch_at, analyzed_at FROM sessions WHERE compacted_at < last_batch_at OR analyzed_at = 0`); err == nil {
				for r.Next() {
					var id string
					var c, l, a int64
					r.Scan(&id, &c, &l, &a)
					rows = append(rows, fmt.Sprintf("%s compacted_at=%d last_batch_at=%d analyzed_at=%d", id, c, l, a))
				}
				r.Close()
			}
			t.Fatalf("after 90 s, %d chunks not compacted and %d sessions not compacted or analysed: %v", left, unanalysed, rows)
		}
		time.Sleep(250 * time.Millisecond)
	}
}

// orphanObjects lists the bucket and returns the keys the index references nowhere: not a
// pack or compacted session in blobs, not a content item. The nodes' start-up probe objects
// (.tmp-check-…) are never listed.
func orphanObjects(t *testing.T, ctx context.Context, conn *pgx.Conn, store *s3.Store) []string {
	t.Helper()
	referenced := map[string]bool{}
	rows, err := conn.Query(ctx, `SELECT key FROM blobs`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var k string
		rows.Scan(&k)
		referenced[k] = true
	}
	rows.Close()
	rows, err = conn.Query(ctx, `SELECT project_id, hash FROM content`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var p string
		var h []byte
		rows.Scan(&p, &h)
		referenced[layout.ContentKey(p, hex.EncodeToString(h))] = true
	}
	rows.Close()
	var orphans []string
	if err := store.List(ctx, "", func(key string, _ int64, _ time.Time) error {
		if !referenced[key] {
			orphans = append(orphans, key)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	return orphans
}

func head(s []string) []string {
	if len(s) > 8 {
		return s[:8]
	}
	return s
}
