// Command scale measures Reel in scale-out: 1, 2 and 3 `reel serve` nodes on this machine,
// sharing one PostgreSQL database (fresh for each configuration) and one S3 bucket (a
// versitygw the bench starts, behind a reverse proxy in this process that counts the
// requests). Each configuration gets the same workload, sessions varied from recorded ones and
// cut into SDK-shaped batches, from concurrent senders that spread batches round-robin over the
// nodes, as a load balancer would. It prints acknowledged batches per second for each, and
// the S3 PUTs per session-minute of recording: those of ingest (group commits pack several
// batches into one object), then those of compaction, which the nodes are restarted with a
// short --compact-idle to run. Run it with bench/scale.
//
// On a machine with fewer cores than nodes the nodes share the CPUs, so ratio3 (3 nodes ÷ 1)
// says whether coordination through the shared database and bucket collapses, not how well
// Reel scales with machines.
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"log"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/reelhq/reel/bench/internal/corpus"
)

const (
	accessKey = "reelbench"
	secretKey = "reelbench-secret-key"
	bucket    = "reel"
	region    = "us-east-1"
)

type batch struct {
	body []byte
}

func main() {
	log.SetFlags(0)
	dbFlag := flag.String("db", "", "PostgreSQL server (a role that may create databases); default REEL_DB, REEL_TEST_POSTGRES, or postgres on 127.0.0.1")
	sessionsN := flag.Int("sessions", 60, "sessions per round")
	walks := flag.Int("walks", 5, "recorded walks one after another in each session")
	pause := flag.Duration("pause", 30*time.Second, "mean pause between a session's walks (uniform from half to one and a half of it)")
	rounds := flag.Int("rounds", 3, "rounds per configuration (fresh session ids each); the best is taken")
	senders := flag.Int("senders", 32, "concurrent senders")
	flag.Parse()
	db := corpus.DB(*dbFlag)
	if db == "" {
		db = os.Getenv("REEL_TEST_POSTGRES")
	}
	if db == "" {
		db = "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
	}

	_, tmp, bin, recs, cleanup, err := corpus.Setup(log.Printf)
	check(err)
	defer cleanup()

	gw, err := startVersitygw(filepath.Join(tmp, "s3"))
	check(err)
	defer gw.stop()
	proxy := newCountingProxy(gw.endpoint)
	defer proxy.close()

	// The workload: each round is the same visits under fresh session ids.
	rng := rand.New(rand.NewPCG(1, 2))
	start := time.Now().Add(-time.Hour).UnixMilli()
	var visits [][][]json.RawMessage // per session: its batches' events, already varied
	var sessionSeconds float64
	var visitSeconds []float64 // each visit's length
	var rawTotal int
	for i := range *sessionsN {
		// A visit of several recorded walks one after another, a pause to read between them,
		// so sessions last minutes as real ones do, not the seconds one walk takes.
		var evs []json.RawMessage
		at := start + int64(i)*1000
		for w := range *walks {
			part := corpus.Vary(recs[(i*7+w)%len(recs)], at, rng)
			last := int64(0)
			for _, e := range part {
				var ev struct{ Timestamp int64 }
				check(json.Unmarshal(e, &ev))
				last = max(last, ev.Timestamp)
				rawTotal += len(e)
			}
			evs = append(evs, part...)
			at = last + int64(*pause/time.Millisecond)/2 + rng.Int64N(int64(*pause/time.Millisecond))
		}
		var first, last struct{ Timestamp int64 }
		check(json.Unmarshal(evs[0], &first))
		check(json.Unmarshal(evs[len(evs)-1], &last))
		sessionSeconds += float64(last.Timestamp-first.Timestamp) / 1000
		visitSeconds = append(visitSeconds, float64(last.Timestamp-first.Timestamp)/1000)
		visits = append(visits, corpus.Batches(evs))
	}
	nBatches := 0
	for _, v := range visits {
		nBatches += len(v)
	}
	log.Printf("workload: %d sessions, %d batches, %.1f MB of JSON, %.0f session-minutes per round; %d rounds per configuration",
		len(visits), nBatches, float64(rawTotal)/1e6, sessionSeconds/60, *rounds)

	bodies := func(cfg, round int) [][]batch {
		out := make([][]batch, len(visits))
		for i, v := range visits {
			id := fmt.Sprintf("s_scale%d%d%04d", cfg, round, i)
			for seq, evs := range v {
				body, _ := corpus.SDKBody(id, "t_benchtab", seq, evs)
				out[i] = append(out[i], batch{body: body})
			}
		}
		return out
	}

	// The three configurations run side by side, each on its own database and key prefix, and
	// take turns round by round, so a busy moment on a shared machine falls on all of them
	// rather than on whichever ran then.
	clusters := map[int]*cluster{}
	for _, n := range []int{1, 2, 3} {
		c := newCluster(bin, tmp, db, proxy, n, *senders)
		defer c.close()
		clusters[n] = c
	}
	for round := range *rounds {
		for _, n := range []int{1, 2, 3} {
			clusters[n].round(round, bodies(n, round))
		}
	}
	bps := map[int]float64{}
	for _, n := range []int{1, 2, 3} {
		c := clusters[n]
		bps[n] = c.res.bps
		log.Printf("%d node(s): %d requests asked to retry; %d PUTs while ingesting", n, c.retries.Load(), c.res.putsIngest)
		if n != 3 {
			c.stop()
		}
	}
	three := clusters[3].compact()

	// Light load: the group commit packs only batches that arrive together, so at a gentle
	// rate each batch is its own pack and PUT. The 3-node cluster, restarted, takes 20 fresh
	// sessions at lightRate batches per second.
	const lightSessions, lightRate = 20, 10.0
	lightBatches, lightPuts := clusters[3].light(bodies(3, *rounds)[:lightSessions], lightRate)
	var lightSeconds float64
	for _, v := range visitSeconds[:lightSessions] {
		lightSeconds += v
	}
	putsIngest, putsCompact, sessionsCompacted := three.putsIngest, three.putsCompact, three.sessions
	totalSessionSeconds := sessionSeconds * float64(*rounds)
	sm := totalSessionSeconds / 60
	ns := float64(three.sessions)
	fmt.Printf("capacity (3 nodes, per session of %.1f minutes): ingest %.1f ms CPU/session-minute, compaction and analysis %.1f ms CPU/session-minute; PostgreSQL %.0f rows, %.0f KB; S3 %.1f objects, %.0f KB (%.0f KB/session-minute)\n",
		sm/ns, 1000*three.ingestCPU/sm, 1000*three.compactCPU/sm, float64(three.rows)/ns, float64(three.dbBytes)/ns/1e3,
		float64(three.objects)/ns, float64(three.objectBytes)/ns/1e3, float64(three.objectBytes)/sm/1e3)
	per10 := float64(putsIngest+putsCompact) / (totalSessionSeconds / 10)
	fmt.Printf("3 nodes: %d PUTs to ingest and %d to compact %d sessions of %.0f session-minutes: %.3f PUTs per session-minute (ingest %.3f, compaction %.3f)\n",
		putsIngest, putsCompact, sessionsCompacted, totalSessionSeconds/60,
		float64(putsIngest+putsCompact)/(totalSessionSeconds/60), float64(putsIngest)/(totalSessionSeconds/60), float64(putsCompact)/(totalSessionSeconds/60))
	compactPerMin := float64(putsCompact) / (totalSessionSeconds / 60)
	lightIngestPerMin := float64(lightPuts) / (lightSeconds / 60)
	fmt.Printf("light load (3 nodes, %.0f batches/s): %d batches, %d pack PUTs (%.2f batches per PUT): ingest %.3f PUTs per session-minute; with compaction's %.3f, %.3f PUTs per session-10s\n",
		lightRate, lightBatches, lightPuts, float64(lightBatches)/float64(max(lightPuts, 1)), lightIngestPerMin, compactPerMin, (lightIngestPerMin+compactPerMin)/6)
	fmt.Printf("scale: nodes1_bps=%.0f nodes2_bps=%.0f nodes3_bps=%.0f ratio3=%.2f puts_per_session_10s=%.3f\n",
		bps[1], bps[2], bps[3], bps[3]/bps[1], per10)
}

type result struct {
	bps                     float64
	putsIngest, putsCompact int64
	sessions                int
	ingestCPU, compactCPU   float64 // the nodes' CPU seconds for all rounds, and for compaction
	rows, dbBytes           int64   // PostgreSQL after compaction: live rows, bytes over the empty schema of a pg_dump | pg_restore copy
	objects, objectBytes    int64   // S3 after compaction
}

// cluster is n nodes on a database and a key prefix of their own.
type cluster struct {
	bin, tmp, admin string
	proxy           *countingProxy
	n, senders      int
	dbURL, blobs    string
	prefix          string
	drop            func()
	conn            *pgx.Conn
	emptyBytes      int64 // the database with the schema alone
	nodes           []*corpus.Reel
	urls            []string
	client          *http.Client
	next, retries   atomic.Int64
	res             result
}

// newCluster starts n nodes on a fresh database and a fresh key prefix.
func newCluster(bin, tmp, admin string, proxy *countingProxy, n, senders int) *cluster {
	ctx := context.Background()
	c := &cluster{bin: bin, tmp: tmp, admin: admin, proxy: proxy, n: n, senders: senders}
	var err error
	c.dbURL, c.drop, err = corpus.FreshPostgres(ctx, admin)
	check(err)
	c.prefix = fmt.Sprintf("scale-%d-%d", n, time.Now().UnixNano())
	c.blobs = fmt.Sprintf("s3://%s/%s?endpoint=%s&region=%s&use_path_style=true", bucket, c.prefix, proxy.endpoint, region)
	c.start()
	c.conn, err = pgx.Connect(ctx, c.dbURL)
	check(err)
	check(c.conn.QueryRow(ctx, `SELECT pg_database_size(current_database())`).Scan(&c.emptyBytes))
	c.client = &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	return c
}

func (c *cluster) start(extra ...string) {
	env := []string{"AWS_ACCESS_KEY_ID=" + accessKey, "AWS_SECRET_ACCESS_KEY=" + secretKey, "AWS_SESSION_TOKEN="}
	c.nodes = make([]*corpus.Reel, c.n)
	var wg sync.WaitGroup
	for i := range c.nodes {
		wg.Go(func() {
			r, err := corpus.Start(c.bin, filepath.Join(c.tmp, fmt.Sprintf("data-%d-%d-%d", c.n, i, time.Now().UnixNano())), env,
				append([]string{"--db", c.dbURL, "--blobs", c.blobs, "--ingest-rate-per-ip", "0"}, extra...)...)
			check(err)
			c.nodes[i] = r
		})
	}
	wg.Wait()
	key, err := c.nodes[0].PublicKey()
	check(err)
	c.urls = nil
	for _, r := range c.nodes {
		c.urls = append(c.urls, r.URL+"/api/v1/ingest?v=1&key="+key+corpus.SDKQuery)
	}
}

// paced sends sessions' batches at rate batches per second over the whole cluster, each
// session's batches in order, as many visitors at light load send them, and returns how many
// batches it sent and how many pack PUTs ingest made for them.
func (c *cluster) paced(sessions [][]batch, rate float64) (batches int, puts int64) {
	puts0 := c.proxy.kind("chunks")
	tokens := make(chan struct{})
	stop := make(chan struct{})
	go func() {
		tick := time.NewTicker(time.Duration(float64(time.Second) / rate))
		defer tick.Stop()
		for {
			select {
			case <-stop:
				return
			case <-tick.C:
				select {
				case tokens <- struct{}{}:
				case <-stop:
					return
				}
			}
		}
	}()
	var wg sync.WaitGroup
	for _, s := range sessions {
		batches += len(s)
		wg.Go(func() {
			for _, b := range s {
				<-tokens
				c.send(b)
			}
		})
	}
	wg.Wait()
	close(stop)
	return batches, c.proxy.kind("chunks") - puts0
}

// send posts one batch to the next node until it is acknowledged.
func (c *cluster) send(b batch) {
	for {
		u := c.urls[int(c.next.Add(1))%c.n]
		resp, err := c.client.Post(u, "text/plain", bytes.NewReader(b.body))
		check(err)
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		if resp.StatusCode == 200 {
			return
		}
		if resp.StatusCode != 429 && resp.StatusCode != 503 {
			log.Fatalf("ingest = %d", resp.StatusCode)
		}
		c.retries.Add(1)
		time.Sleep(50 * time.Millisecond)
	}
}

func (c *cluster) stop() {
	for _, r := range c.nodes {
		r.Stop()
	}
	c.nodes = nil
}

func (c *cluster) close() {
	c.stop()
	if c.conn != nil {
		c.conn.Close(context.Background())
	}
	c.drop()
}

func (c *cluster) cpu() float64 {
	var s float64
	for _, r := range c.nodes {
		s += r.CPUSeconds()
	}
	return s
}

// round sends one round's sessions from the senders, each session's batches in order and
// each batch to the next node, and records its rate (the best round counts) and PUTs.
func (c *cluster) round(i int, sessions [][]batch) {
	work := make(chan []batch)
	var wg sync.WaitGroup
	for range c.senders {
		wg.Go(func() {
			for s := range work {
				for _, b := range s {
					c.send(b)
				}
			}
		})
	}
	nb := 0
	for _, s := range sessions {
		nb += len(s)
	}
	puts0, cpu0 := c.proxy.puts.Load(), c.cpu()
	t0 := time.Now()
	for _, s := range sessions {
		work <- s
	}
	close(work)
	wg.Wait()
	d := time.Since(t0)
	cpu := c.cpu() - cpu0
	c.res.putsIngest += c.proxy.puts.Load() - puts0
	c.res.ingestCPU += cpu
	c.res.sessions += len(sessions)
	bps := float64(nb) / d.Seconds()
	c.res.bps = max(c.res.bps, bps)
	log.Printf("%d node(s), round %d: %d batches in %.2fs, %.0f batches/s, nodes' CPU %.2fs", c.n, i+1, nb, d.Seconds(), bps, cpu)
}

// light restarts the nodes (compaction at its default, so it stays out of the way), sends
// sessions at rate batches per second and stops them; it returns the batches and pack PUTs.
func (c *cluster) light(sessions [][]batch, rate float64) (int, int64) {
	c.start()
	defer c.stop()
	return c.paced(sessions, rate)
}

// compact restarts the nodes with a short --compact-idle, waits until every session is
// compacted and analysed, and measures what the sessions cost at rest.
func (c *cluster) compact() result {
	ctx := context.Background()
	n, admin, dbURL, conn, emptyBytes, sessions := c.n, c.admin, c.dbURL, c.conn, c.emptyBytes, c.res.sessions
	c.stop()
	// Compaction: the same nodes again, compacting sessions quiet for a second.
	puts1 := c.proxy.puts.Load()
	c.start("--compact-idle", "1s")
	cpu0 := c.cpu()
	deadline := time.Now().Add(10 * time.Minute) // slow on a busy machine, not fatal
	t0 := time.Now()
	for {
		var left int
		check(conn.QueryRow(ctx, `SELECT count(*) FROM sessions WHERE compacted_at < last_batch_at OR analyzed_at = 0`).Scan(&left))
		if left == 0 {
			break
		}
		if time.Now().After(deadline) {
			log.Fatalf("%d node(s): %d sessions not compacted after 10 minutes", n, left)
		}
		time.Sleep(200 * time.Millisecond)
	}
	cpu := c.cpu()
	putsCompact := c.proxy.puts.Load() - puts1
	log.Printf("%d node(s): %d sessions compacted in %.1fs with %d PUTs, nodes' CPU %.2fs (%s)", n, sessions, time.Since(t0).Seconds(), putsCompact, cpu-cpu0, c.proxy.summary())
	c.stop()

	// What a session costs at rest: the index's rows and bytes, the bucket's objects.
	_, err := conn.Exec(ctx, `ANALYZE`)
	check(err)
	var dbBytes, rows int64
	check(conn.QueryRow(ctx, `SELECT pg_database_size(current_database())`).Scan(&dbBytes))
	check(conn.QueryRow(ctx, `SELECT coalesce(sum(n_live_tup), 0)::bigint FROM pg_stat_user_tables`).Scan(&rows))
	var objects, objectBytes int64
	check(filepath.WalkDir(filepath.Join(c.tmp, "s3", bucket, c.prefix), func(_ string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		objects++
		objectBytes += info.Size()
		return nil
	}))
	var items, shared, itemBytes int64
	check(conn.QueryRow(ctx, `SELECT count(*), count(*) FILTER (WHERE n > 1), coalesce(sum(stored), 0)::bigint
		FROM (SELECT c.id, c.stored, count(sc.session_id) AS n FROM content c LEFT JOIN session_content sc ON sc.content_id = c.id GROUP BY c.id, c.stored) x`).Scan(&items, &shared, &itemBytes))
	log.Printf("%d node(s): %d content items (%.1f MB stored), %d of them roots of more than one session", n, items, float64(itemBytes)/1e6, shared)
	// Right after a burst the tables hold the dead versions of rows updated as batches came
	// in and sessions were compacted (a session's row; content items' touched time, once per
	// item a compaction uses), which autovacuum turns into reusable space, and which a shared
	// server's other transactions can keep even VACUUM FULL from dropping. A copy made with
	// pg_dump and pg_restore holds only the data and its indexes: its size is the figure for
	// the capacity model. It is also the backup and restore docs/scale.md describes.
	log.Printf("%d node(s), at rest after compaction: PostgreSQL %d rows, %.1f MB over the empty schema (%.1f MB), dead row versions included; S3 %d objects, %.1f MB",
		n, rows, float64(dbBytes-emptyBytes)/1e6, float64(emptyBytes)/1e6, objects, float64(objectBytes)/1e6)
	_, errDump := exec.LookPath("pg_dump")
	_, errRestore := exec.LookPath("pg_restore")
	if err := errors.Join(errDump, errRestore); err != nil {
		log.Printf("no restored copy (%v); the figure includes dead row versions", err)
	} else if copyURL, dropCopy, err := corpus.FreshPostgres(ctx, admin); err != nil {
		log.Printf("no restored copy: %v", err)
	} else {
		defer dropCopy()
		dump := exec.Command("pg_dump", "--format=custom", "--dbname="+dbURL)
		restore := exec.Command("pg_restore", "--no-owner", "--dbname="+copyURL)
		restore.Stdin, _ = dump.StdoutPipe()
		dump.Stderr, restore.Stderr = os.Stderr, os.Stderr
		if err := errors.Join(restore.Start(), dump.Run(), restore.Wait()); err != nil {
			log.Printf("no restored copy (pg_dump | pg_restore: %v); the figure includes dead row versions", err)
		} else {
			cc, err := pgx.Connect(ctx, copyURL)
			check(err)
			check(cc.QueryRow(ctx, `SELECT pg_database_size(current_database())`).Scan(&dbBytes))
			top, err := cc.Query(ctx, `SELECT relname, pg_total_relation_size(relid) FROM pg_stat_user_tables ORDER BY 2 DESC LIMIT 8`)
			check(err)
			var tables []string
			for top.Next() {
				var name string
				var size int64
				check(top.Scan(&name, &size))
				tables = append(tables, fmt.Sprintf("%s %.2f MB", name, float64(size)/1e6))
			}
			top.Close()
			cc.Close(ctx)
			log.Printf("%d node(s): a pg_dump | pg_restore copy is %.1f MB over the empty schema; largest tables with their indexes: %s",
				n, float64(dbBytes-emptyBytes)/1e6, strings.Join(tables, ", "))
		}
	}
	dbBytes -= emptyBytes
	return result{bps: c.res.bps, putsIngest: c.res.putsIngest, putsCompact: putsCompact, sessions: sessions,
		ingestCPU: c.res.ingestCPU, compactCPU: cpu - cpu0, rows: rows, dbBytes: dbBytes, objects: objects, objectBytes: objectBytes}
}

// countingProxy forwards every request to the S3 server and counts them by method.
type countingProxy struct {
	endpoint string
	srv      *http.Server
	puts     atomic.Int64
	mu       sync.Mutex
	byMethod map[string]int64
	// PUTs by what they write: chunks (ingest's packs), sessions (compacted sessions),
	// content (content items and archived copies), tmp-check (each node's start-up probe).
	putsByKind map[string]int64
}

func newCountingProxy(target string) *countingProxy {
	u, err := url.Parse(target)
	check(err)
	p := &countingProxy{byMethod: map[string]int64{}, putsByKind: map[string]int64{}}
	rp := &httputil.ReverseProxy{Rewrite: func(r *httputil.ProxyRequest) {
		r.SetURL(u)
		r.Out.Host = r.In.Host // the client signed the proxy's host
	}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	check(err)
	p.endpoint = "http://" + ln.Addr().String()
	p.srv = &http.Server{Handler: http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.byMethod[r.Method]++
		if r.Method == http.MethodPut {
			p.puts.Add(1)
			kind := "other"
			for _, k := range []string{"/chunks/", "/sessions/", "/content/", "/.tmp-check"} {
				if strings.Contains(r.URL.Path, k) {
					kind = strings.Trim(k, "/.")
				}
			}
			p.putsByKind[kind]++
		}
		p.mu.Unlock()
		rp.ServeHTTP(w, r)
	})}
	go p.srv.Serve(ln)
	return p
}

// summary is the requests counted so far by method, since start.
func (p *countingProxy) summary() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	var parts []string
	for _, m := range []string{"PUT", "POST", "GET", "HEAD", "DELETE"} {
		parts = append(parts, fmt.Sprintf("%s %d", m, p.byMethod[m]))
	}
	var kinds []string
	for _, k := range []string{"chunks", "sessions", "content", "tmp-check", "other"} {
		kinds = append(kinds, fmt.Sprintf("%s %d", k, p.putsByKind[k]))
	}
	return "S3 requests so far: " + strings.Join(parts, ", ") + "; PUTs of " + strings.Join(kinds, ", ")
}

// kind is the number of PUTs so far of one kind (chunks, sessions, content, tmp-check).
func (p *countingProxy) kind(k string) int64 {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.putsByKind[k]
}

func (p *countingProxy) close() { p.srv.Close() }

type versitygw struct {
	endpoint string
	cmd      *exec.Cmd
}

// startVersitygw runs versitygw (REEL_VERSITYGW, or where scripts/services installs it) on a
// free loopback port, serving dir with one bucket.
func startVersitygw(dir string) (*versitygw, error) {
	bin := os.Getenv("REEL_VERSITYGW")
	if bin == "" {
		home, _ := os.UserHomeDir()
		bin = filepath.Join(home, ".cache", "reel", "bin", "versitygw")
	}
	if _, err := os.Stat(bin); err != nil {
		return nil, fmt.Errorf("versitygw not found at %s (run ./scripts/services, or set REEL_VERSITYGW): %w", bin, err)
	}
	if err := os.MkdirAll(filepath.Join(dir, bucket), 0o700); err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	addr := ln.Addr().String()
	ln.Close()
	cmd := exec.Command(bin, "--access", accessKey, "--secret", secretKey, "--region", region, "--port", addr, "--quiet", "posix", dir)
	cmd.Env = append(os.Environ(), "VGW_LOG_LEVEL=silent")
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	for range 300 {
		if c, err := net.DialTimeout("tcp", addr, 100*time.Millisecond); err == nil {
			c.Close()
			return &versitygw{endpoint: "http://" + addr, cmd: cmd}, nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	cmd.Process.Kill()
	return nil, fmt.Errorf("versitygw did not answer on %s", addr)
}

func (g *versitygw) stop() {
	g.cmd.Process.Kill()
	g.cmd.Wait()
}

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
