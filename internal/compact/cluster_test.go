package compact_test

import (
	"bytes"
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reelhq/reel/internal/api"
	"github.com/reelhq/reel/internal/auth"
	"github.com/reelhq/reel/internal/blob"
	"github.com/reelhq/reel/internal/chunk"
	"github.com/reelhq/reel/internal/compact"
	"github.com/reelhq/reel/internal/ingest"
	"github.com/reelhq/reel/internal/layout"
	"github.com/reelhq/reel/internal/lifecycle"
	"github.com/reelhq/reel/internal/store"
	"github.com/reelhq/reel/internal/store/pgtest"
	"github.com/reelhq/reel/internal/store/postgres"
)

// node is one Reel node of a cluster, in-process: its own index handle on the shared
// PostgreSQL database, its own content cache, API, compactor and lifecycle, over the shared
// blob directory.
type node struct {
	db   store.Index
	api  *api.API
	comp *compact.Compactor
	life *lifecycle.Lifecycle
}

func newNode(t *testing.T, url string, blobs blob.Store) *node {
	t.Helper()
	db, err := postgres.Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	log := slog.New(slog.DiscardHandler)
	cache := layout.NewCache(blobs, 64<<20)
	life := lifecycle.New(db, blobs, log, lifecycle.Options{Grace: time.Nanosecond}, cache)
	comp := compact.New(db, blobs, log, compact.Options{Idle: time.Nanosecond, MinContent: 1024, Cache: cache})
	life.SetCompactor(comp)
	return &node{db: db, api: api.New(db, blobs, auth.New(db, log, auth.Options{AdminToken: token}), log, cache, life), comp: comp, life: life}
}

func (n *node) events(id string) *httptest.ResponseRecorder {
	req := httptest.NewRequest("GET", "/api/v1/sessions/"+id+"/events", nil)
	req.SetPathValue("id", id)
	rec := httptest.NewRecorder()
	n.api.Handler(n.api.Events).ServeHTTP(rec, req)
	return rec
}

// cluster is two nodes on one PostgreSQL database and one blob directory; node a also ingests.
type cluster struct {
	dir    string
	blobs  *blob.Local
	a, b   *node
	ingest *env // only its send helpers, pointed at a's ingest endpoint
}

func newCluster(t *testing.T, bBlobs func(blob.Store) blob.Store) *cluster {
	t.Helper()
	url := pgtest.URL(t)
	dir := t.TempDir()
	blobs, err := blob.NewLocal(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	c := &cluster{dir: dir, blobs: blobs, a: newNode(t, url, blobs)}
	if err := c.a.db.CreateProject(context.Background(), store.Project{ID: "default", Name: "d", PublicKey: "pk_test", RetentionDays: 30, CreatedAt: time.Now()}); err != nil {
		t.Fatal(err)
	}
	var bs blob.Store = blobs
	if bBlobs != nil {
		bs = bBlobs(blobs)
	}
	c.b = newNode(t, url, bs)
	srv := httptest.NewServer(ingest.New(c.a.db, blobs, slog.New(slog.DiscardHandler), ingest.Options{}))
	t.Cleanup(srv.Close)
	c.ingest = &env{ingest: srv}
	return c
}

// record ingests one session of user on node a, with a stylesheet of its own (a content item
// once compacted) that holds secret.
func (c *cluster) record(t *testing.T, session, user, secret string) {
	t.Helper()
	sheet := strings.Repeat("#"+strings.ReplaceAll(secret, " ", "_")+"{color:red} ", 40)
	identify := ev(5, t0+2, fmt.Sprintf(`{"tag":"reel.identify","payload":{"userId":%q}}`, user))
	style := ev(2, t0+3, fmt.Sprintf(`{"node":{"type":0,"id":9,"childNodes":[{"type":2,"tagName":"style","id":10,"attributes":{"_cssText":%q},"childNodes":[]}]},"initialOffset":{"left":0,"top":0}}`, sheet))
	c.ingest.mustSend(t, session, "t_tab00001", 0, meta(t0, "http://x/"), full(t0+1, "hello"), identify, style)
}

// leftovers lists the files under the blob directory that hold secret, decompressed.
func (c *cluster) leftovers(t *testing.T, secret string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(c.dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := os.ReadFile(p)
		if raw, derr := chunk.Decompress(b); derr == nil {
			b = raw
		}
		if bytes.Contains(b, []byte(strings.ReplaceAll(secret, " ", "_"))) {
			out = append(out, p)
		}
		return nil
	})
	return out
}

// After node a erases a user, node b, whose content cache holds the user's stylesheet from
// serving the session, serves nothing of it and stores nothing of it again: every way to a
// content item passes through the index (the session, its segments, an archive row), which
// node a changed for every node.
func TestErasureOnOneNodeHoldsOnAnother(t *testing.T) {
	ctx := context.Background()
	c := newCluster(t, nil)
	const secret = "Secret Street 42, Springfield"
	c.record(t, "s_cluster01", "user-1", secret)
	c.record(t, "s_cluster02", "user-2", "Other Road 7")
	if _, err := c.a.comp.RunOnce(ctx, time.Now().Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	// Node b serves the session: its cache now holds the user's stylesheet.
	if rec := c.b.events("s_cluster01"); rec.Code != http.StatusOK || !strings.Contains(rec.Body.String(), strings.ReplaceAll(secret, " ", "_")) {
		t.Fatalf("node b events = %d, want the session with its stylesheet", rec.Code)
	}
	rep, err := c.a.life.EraseUser(ctx, "default", "user-1")
	if err != nil || rep.Sessions != 1 || rep.Content != 1 {
		t.Fatalf("EraseUser on node a = %+v, %v", rep, err)
	}
	if rec := c.b.events("s_cluster01"); rec.Code != http.StatusNotFound || strings.Contains(rec.Body.String(), "Springfield") {
		t.Fatalf("node b events after erasure = %d %.200s, want 404", rec.Code, rec.Body)
	}
	// Node b's background work after the erasure stores nothing of it again.
	if _, err := c.b.comp.RunOnce(ctx, time.Now().Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if rec := c.b.events("s_cluster02"); rec.Code != http.StatusOK {
		t.Fatalf("the other user's session on node b = %d", rec.Code)
	}
	// (Its retention pass a month on also expires the other session.)
	if _, err := c.b.life.Expire(ctx, time.Now().Add(31*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if files := c.leftovers(t, secret); len(files) != 0 {
		t.Fatalf("the erased user's data is still in %v", files)
	}
}

// heldPuts holds node b's first write of a content item until released, so a compaction is
// caught between loading a session and storing its content.
type heldPuts struct {
	blob.Store
	once             sync.Once
	reached, release chan struct{}
}

func (h *heldPuts) Put(ctx context.Context, key string, data []byte) error {
	if strings.HasPrefix(key, "content/") {
		h.once.Do(func() {
			close(h.reached)
			<-h.release
		})
	}
	return h.Store.Put(ctx, key, data)
}

// An erasure on node a while node b is compacting one of the user's sessions: without a
// fence, b (holding the session's events, content resolved, in memory) would store the
// user's stylesheet again after a deleted everything and reported success. The erasure holds
// the sessions' leases, so it waits for b's compaction to commit and then deletes what b
// stored with the rest.
func TestErasureWaitsForCompactionOnAnotherNode(t *testing.T) {
	ctx := context.Background()
	held := &heldPuts{reached: make(chan struct{}), release: make(chan struct{})}
	c := newCluster(t, func(s blob.Store) blob.Store { held.Store = s; return held })
	const secret = "Hidden Lane 9, Shelbyville"
	c.record(t, "s_cluster03", "user-3", secret)

	compacted := make(chan error, 1)
	go func() {
		_, err := c.b.comp.RunOnce(ctx, time.Now().Add(time.Second))
		compacted <- err
	}()
	select {
	case <-held.reached:
	case err := <-compacted:
		t.Fatalf("node b's compaction ended (%v) before storing content", err)
	case <-time.After(30 * time.Second):
		t.Fatal("node b's compaction never stored content")
	}
	type result struct {
		rep lifecycle.ErasureReport
		err error
	}
	erased := make(chan result, 1)
	go func() {
		rep, err := c.a.life.EraseUser(ctx, "default", "user-3")
		erased <- result{rep, err}
	}()
	var r result
	early := false
	select {
	case r = <-erased:
		early = true
		t.Errorf("the erasure finished (%+v, %v) while node b was still compacting the session", r.rep, r.err)
	case <-time.After(500 * time.Millisecond):
	}
	close(held.release)
	if err := <-compacted; err != nil {
		t.Fatalf("node b's compaction: %v", err)
	}
	if !early {
		r = <-erased
	}
	if r.err != nil || r.rep.Sessions != 1 {
		t.Fatalf("EraseUser = %+v, %v", r.rep, r.err)
	}
	if files := c.leftovers(t, secret); len(files) != 0 {
		t.Fatalf("the erased user's data is still in %v", files)
	}
	if ids, err := c.b.db.SessionsOfUser(ctx, "default", "user-3"); err != nil || len(ids) != 0 {
		t.Fatalf("SessionsOfUser after erasure = %v, %v", ids, err)
	}
}

// A compaction on node B that outlives its lease while node A erases the session: the erasure
// takes the lapsed lease and deletes everything; B then stores the content it holds, its
// commit fails because the session is gone, and it sweeps what it stored at once rather than
// leaving the erased person's stylesheet until the next sweep.
func TestCompactionOutlivingItsLeaseCleansUp(t *testing.T) {
	ctx := context.Background()
	held := &heldPuts{reached: make(chan struct{}), release: make(chan struct{})}
	c := newCluster(t, func(s blob.Store) blob.Store { held.Store = s; return held })
	const secret = "Lapsed Lease Road 3, Ogdenville"
	c.record(t, "s_cluster04", "user-4", secret)
	slow := compact.New(c.b.db, held, slog.New(slog.DiscardHandler), compact.Options{Idle: time.Nanosecond, MinContent: 1024, Lease: time.Second})
	compacted := make(chan error, 1)
	go func() {
		_, err := slow.RunOnce(ctx, time.Now().Add(time.Second))
		compacted <- err
	}()
	select {
	case <-held.reached:
	case err := <-compacted:
		t.Fatalf("node b's compaction ended (%v) before storing content", err)
	case <-time.After(30 * time.Second):
		t.Fatal("node b's compaction never stored content")
	}
	rep, err := c.a.life.EraseUser(ctx, "default", "user-4") // waits out the 1 s lease
	if err != nil || rep.Sessions != 1 {
		t.Fatalf("EraseUser = %+v, %v", rep, err)
	}
	close(held.release)
	if err := <-compacted; err != nil {
		t.Fatalf("node b's compaction pass: %v", err)
	}
	if files := c.leftovers(t, secret); len(files) != 0 {
		t.Fatalf("the erased user's data is still in %v", files)
	}
}
