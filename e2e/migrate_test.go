package e2e

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/reelhq/reel/internal/blob/s3test"
	"github.com/reelhq/reel/internal/store/pgtest"
)

// migrateSession ingests one synthetic visit: a home page with on-screen text, and for some a
// cart with rage clicks and a JS error, a checkout page in a second batch, a track event and an
// identified user.
func migrateSession(t *testing.T, r *reel, key string, i int, t0 int64) string {
	t.Helper()
	id := fmt.Sprintf("s_migrate_%04d", i)
	shop := "https://shop.example"
	var home dom
	// A stylesheet every session shows and a description only every seventh shares: strings
	// of 1 KiB or more become content items, which compacted segments name by number.
	css := home.el("style", nil, home.text(strings.Repeat(".product { color: #333; margin: 0 auto; } ", 40)))
	desc := home.el("p", nil, home.text(fmt.Sprintf("Item %d: ", i%7)+strings.Repeat("handmade, sturdy and warm. ", 60)))
	evs := []string{metaEv(t0, shop+"/demo/"), rrwebFullEv(t0+1, home.page(css, home.el("h1", nil, home.text(fmt.Sprintf("Reel Supply Co. item %d", i%17))), desc))}
	evs = append(evs,
		customEv(t0+2000, "reel.click", map[string]any{"selector": "h1", "x": 0.25, "y": 0.5, "w": 300, "h": 40, "pageX": 80 + i%50, "pageY": 20}),
		customEv(t0+2500, "reel.scroll", map[string]any{"depth": float64(i%10) / 10}))
	if i%3 == 0 {
		var cart dom
		button := cart.el("button", map[string]any{"class": "coupon"}, cart.text("Apply coupon"))
		evs = append(evs, metaEv(t0+4000, shop+"/demo/cart.html"), rrwebFullEv(t0+4001, cart.page(cart.el("h1", nil, cart.text("Your cart")), button)))
		bid := button["id"].(int)
		evs = append(evs, moveEv(t0+4500, 120, 80), clickEv(t0+5000, bid, 120, 80), clickEv(t0+5150, bid, 121, 80), clickEv(t0+5300, bid, 120, 81), clickEv(t0+5450, bid, 122, 81))
		if i%2 == 0 {
			evs = append(evs, customEv(t0+5600, "reel.error", map[string]any{"kind": "error", "message": fmt.Sprintf("TypeError: coupon %d is undefined", i%4)}))
		}
	}
	if i%5 == 0 {
		evs = append(evs, customEv(t0+6000, "reel.track", map[string]any{"name": "signup", "props": map[string]any{"plan": "pro"}}))
		evs = append(evs, customEv(t0+6100, "reel.identify", map[string]any{"userId": fmt.Sprintf("user-%d", i%7), "traits": map[string]any{"plan": "pro"}}))
	}
	evs = append(evs, moveEv(t0+7000, 10, 10))
	send := func(seq int, evs []string) {
		status, body, err := post(http.DefaultClient, r.URL+"/api/v1/ingest?v=1&key="+key, gzipBatchMeta(id, "t_tab00000001", seq, evs))
		if err != nil || status != 200 {
			t.Errorf("ingest %s/%d = %d %s %v", id, seq, status, body, err)
		}
	}
	send(0, evs)
	if i%2 == 1 {
		var co dom
		send(1, []string{metaEv(t0+9000, shop+"/demo/checkout.html"), rrwebFullEv(t0+9001, co.page(co.el("h1", nil, co.text("Checkout")))), moveEv(t0+9500, 30, 30)})
	}
	return id
}

// getRaw is a GET of the REST API with the admin token: its status and body as sent.
func getRaw(t *testing.T, r *reel, path string) []byte {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, r.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+adminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return append([]byte(fmt.Sprintf("%d ", resp.StatusCode)), b...)
}

var nextCursor = regexp.MustCompile(`"nextCursor":"([^"]*)"`)

// answers is what a server says about everything the test ingested, by request.
func answers(t *testing.T, r *reel, ids []string) map[string][]byte {
	t.Helper()
	out := map[string][]byte{}
	for _, q := range []string{"", "error:TypeError", "visited:/demo/checkout.html", "text:coupon", "rage:>0", "sort:longest", "user.plan:pro", "event:signup", "user:user-3"} {
		path := "/api/v1/sessions?limit=37&q=" + url.QueryEscape(q)
		for page := 0; ; page++ {
			b := getRaw(t, r, path)
			out[path] = b
			m := nextCursor.FindSubmatch(b)
			if m == nil || len(m[1]) == 0 || page > 20 {
				break
			}
			path = "/api/v1/sessions?limit=37&q=" + url.QueryEscape(q) + "&cursor=" + url.QueryEscape(string(m[1]))
		}
	}
	out["issues"] = getRaw(t, r, "/api/v1/issues?project=default")
	for _, id := range ids {
		out["session "+id] = getRaw(t, r, "/api/v1/sessions/"+id)
		out["events "+id] = getRaw(t, r, "/api/v1/sessions/"+id+"/events")
	}
	return out
}

// runMigrate runs `reel migrate`; kill > 0 sends SIGKILL once it reports that many sessions
// copied. It returns the output and whether the process was killed.
func runMigrate(t *testing.T, dir, db string, kill int, extra ...string) (string, bool) {
	t.Helper()
	cmd := exec.Command(reelBin, append([]string{"migrate", "--from", dir, "--to", db}, extra...)...)
	cmd.Env = os.Environ()
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	killed := false
	copied := regexp.MustCompile(`^copied (\d+)/`)
	sc := bufio.NewScanner(stdout)
	for sc.Scan() {
		out.WriteString(sc.Text() + "\n")
		if m := copied.FindStringSubmatch(sc.Text()); m != nil && kill > 0 && !killed {
			if n, _ := strconv.Atoi(m[1]); n >= kill {
				cmd.Process.Signal(syscall.SIGKILL)
				killed = true
			}
		}
	}
	err = cmd.Wait()
	if !killed && err != nil {
		t.Fatalf("reel migrate: %v\nstdout:\n%s\nstderr:\n%s", err, out.String(), stderr.String())
	}
	return out.String() + stderr.String(), killed
}

// TestMigrateToPostgres: an embedded install of 205 sessions (200 compacted and analysed, 5
// not), moved into PostgreSQL by `reel migrate` killed once midway and run again, then served
// from PostgreSQL with the same data directory, answers every list, search, issue and session
// exactly as the embedded server did.
func TestMigrateToPostgres(t *testing.T) {
	db := pgtest.URL(t)
	dir := t.TempDir()
	r := startReelWith(t, dir, "--compact-idle", "1s", "--ingest-rate-per-ip", "0", "--archive-assets=false")
	key := publicKey(t, r)
	base := time.Now().Add(-30 * time.Minute).UnixMilli()
	ids := make([]string, 205)
	var wg sync.WaitGroup
	work := make(chan int)
	for range 4 {
		wg.Go(func() {
			for i := range work {
				ids[i] = migrateSession(t, r, key, i, base+int64(i)*5_000)
			}
		})
	}
	for i := range 200 {
		work <- i
	}
	close(work)
	wg.Wait()
	if t.Failed() {
		t.FailNow()
	}
	// Wait until all 200 are compacted (and so analysed).
	deadline := time.Now().Add(3 * time.Minute)
	for {
		var list struct {
			Sessions []struct {
				CompactedAt *time.Time `json:"compactedAt"`
			} `json:"sessions"`
		}
		r.api(t, "/api/v1/sessions?limit=200", &list)
		done := 0
		for _, s := range list.Sessions {
			if s.CompactedAt != nil {
				done++
			}
		}
		if done == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("only %d of 200 sessions compacted after 3 minutes", done)
		}
		time.Sleep(time.Second)
	}
	r.stop(t)

	// Five more, served uncompacted from their packs; and a saved search.
	r = startReelWith(t, dir, "--compact-idle", "1h", "--ingest-rate-per-ip", "0", "--archive-assets=false")
	for i := 200; i < 205; i++ {
		ids[i] = migrateSession(t, r, key, i, base+int64(i)*5_000)
	}
	req, _ := http.NewRequest(http.MethodPost, r.URL+"/api/v1/saved-searches", strings.NewReader(`{"project":"default","name":"Rage","query":"rage:>0","shared":true}`))
	req.Header.Set("Authorization", "Bearer "+adminToken)
	req.Header.Set("Content-Type", "application/json")
	if resp, err := http.DefaultClient.Do(req); err != nil || resp.StatusCode != http.StatusCreated {
		t.Fatalf("saving a search: %v %v", resp, err)
	} else {
		resp.Body.Close()
	}
	// Live analysis reads the five uncompacted sessions within a pass or two (5 s each): the
	// answers to compare are those once it has, when two reads 6 s apart agree.
	want := answers(t, r, ids)
	for range 10 {
		time.Sleep(6 * time.Second)
		again := answers(t, r, ids)
		if maps.EqualFunc(want, again, bytes.Equal) {
			break
		}
		want = again
	}
	want["saved"] = getRaw(t, r, "/api/v1/saved-searches?project=default")
	r.stop(t)

	out, killed := runMigrate(t, dir, db, 20, "--batch", "1")
	if !killed {
		t.Fatalf("the first run finished before it could be killed:\n%s", out)
	}
	t.Logf("first run, killed:\n%s", out)
	out, _ = runMigrate(t, dir, db, 0)
	t.Logf("second run:\n%s", out)
	for _, s := range []string{"continuing the copy", "verified counts:", " sessions=205 ", "sessions' events verified"} {
		if !strings.Contains(out, s) {
			t.Errorf("the resumed run did not say %q", s)
		}
	}
	if out, _ = runMigrate(t, dir, db, 0); !strings.Contains(out, " sessions=205 ") {
		t.Errorf("a third run:\n%s", out)
	}

	pg := startReelWith(t, dir, "--db", db, "--compact-idle", "1h", "--archive-assets=false")
	sameAnswers(t, want, pg, ids)
	pg.stop(t)

	// Into a cluster's storage: the index into another database, the objects into an S3
	// bucket (run twice: the second copies nothing), served by a node whose data directory is
	// empty, so every object comes from the bucket.
	db2, bucket := pgtest.URL(t), s3test.Start(t).PrefixURL(t)
	out, _ = runMigrate(t, dir, db2, 0, "--to-blobs", bucket)
	if !regexp.MustCompile(`objects: [1-9]\d* copied, 0 already there`).MatchString(out) || !strings.Contains(out, "sessions' events verified") {
		t.Errorf("migrate --to-blobs:\n%s", out)
	}
	if out, _ = runMigrate(t, dir, db2, 0, "--to-blobs", bucket); !strings.Contains(out, "objects: 0 copied") {
		t.Errorf("a second migrate --to-blobs copied objects again:\n%s", out)
	}
	node := startReelWith(t, t.TempDir(), "--db", db2, "--blobs", bucket, "--compact-idle", "1h", "--archive-assets=false")
	sameAnswers(t, want, node, ids)
	for _, id := range ids {
		if !bytes.HasPrefix(want["events "+id], []byte("200 [")) && !bytes.HasPrefix(want["events "+id], []byte("200 {")) {
			t.Errorf("events of %s: %.200s", id, want["events "+id])
		}
	}
	if !bytes.Contains(want["issues"], []byte("rage_click")) || !bytes.Contains(want["/api/v1/sessions?limit=37&q=error%3ATypeError"], []byte("s_migrate_")) {
		t.Errorf("the fixture found no issues or errors; the comparison proves little:\n%.400s", want["issues"])
	}
}

// sameAnswers fails t for every answer of r that differs from the embedded server's.
func sameAnswers(t *testing.T, want map[string][]byte, r *reel, ids []string) {
	t.Helper()
	got := answers(t, r, ids)
	got["saved"] = getRaw(t, r, "/api/v1/saved-searches?project=default")
	if len(got) != len(want) {
		t.Errorf("%d answers from PostgreSQL, %d embedded", len(got), len(want))
	}
	bad := 0
	for k, w := range want {
		if g := got[k]; !bytes.Equal(g, w) {
			bad++
			if bad <= 5 {
				t.Errorf("%s differs:\nembedded:   %.600s\npostgresql: %.600s", k, w, g)
			}
		}
	}
	if bad > 0 {
		t.Errorf("%d of %d answers differ", bad, len(want))
	}
}
