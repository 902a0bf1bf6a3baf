package compact_test

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reelhq/reel/internal/api"
	"github.com/reelhq/reel/internal/blob"
	"github.com/reelhq/reel/internal/layout"
	"github.com/reelhq/reel/internal/lifecycle"
)

// gatedBlobs holds back the first read of one byte range until the test lets it go, and says
// when a reader has got there.
type gatedBlobs struct {
	blob.Store
	key     string
	offset  int64
	reached chan struct{}
	release chan struct{}
	once    sync.Once
}

func (g *gatedBlobs) wait(key string, offset int64) {
	if key != g.key || offset != g.offset {
		return
	}
	g.once.Do(func() {
		close(g.reached)
		<-g.release
	})
}

func (g *gatedBlobs) Get(ctx context.Context, key string) ([]byte, error) {
	g.wait(key, 0)
	return g.Store.Get(ctx, key)
}

func (g *gatedBlobs) GetRange(ctx context.Context, key string, offset, length int64) ([]byte, error) {
	g.wait(key, offset)
	return g.Store.GetRange(ctx, key, offset, length)
}

// TestEventsStreamAndResumeAcrossCompaction: a one-tab session's events are answered as they
// are read: the first pages reach the client while a later chunk is still being read. A
// compaction that deletes that chunk under the stream does not break the answer: the rest
// comes from the new segments, every event exactly once, in order. Seeking (from) and the
// live tail (after) answer the same events as before streaming.
func TestEventsStreamAndResumeAcrossCompaction(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	const t0 = 1764237600000
	batches := [][]json.RawMessage{
		{meta(t0, "http://shop.example/"), full(t0+1, "home page"), click(t0 + 100), click(t0 + 200)},
		{click(t0 + 1000), click(t0 + 1000), click(t0 + 1500)},
		{meta(t0+2000, "http://shop.example/cart"), full(t0+2001, "cart page"), click(t0 + 2100)},
		{click(t0 + 3000), click(t0 + 3500)},
	}
	var all []json.RawMessage
	for seq, b := range batches {
		e.mustSend(t, "s_stream001", "t_tab00001", seq, b...)
		all = append(all, b...)
	}
	chunks, err := e.db.Chunks(ctx, "s_stream001")
	if err != nil || len(chunks) != len(batches) {
		t.Fatalf("chunks = %d, %v", len(chunks), err)
	}
	last := chunks[len(chunks)-1]
	gate := &gatedBlobs{Store: e.blobs, key: last.BlobKey, offset: last.BlobOffset, reached: make(chan struct{}), release: make(chan struct{})}
	log := slog.New(slog.DiscardHandler)
	cache := layout.NewCache(gate, 64<<20)
	a := api.New(e.db, gate, e.authn, log, cache, lifecycle.New(e.db, gate, log, lifecycle.Options{}, cache))
	mux := http.NewServeMux()
	mux.Handle("GET /api/v1/sessions/{id}/events", a.Handler(a.Events))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	res, err := http.Get(srv.URL + "/api/v1/sessions/s_stream001/events")
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	body := bufio.NewReader(res.Body)
	// The handler is held at the last chunk: what it read before is already here.
	select {
	case <-gate.reached:
	case <-time.After(10 * time.Second):
		t.Fatal("the handler never read the last chunk")
	}
	var got strings.Builder
	early := make(chan error, 1)
	go func() {
		for !strings.Contains(got.String(), "cart page") {
			b, err := body.ReadByte()
			if err != nil {
				early <- fmt.Errorf("the stream ended before the third chunk's events: %w (%q)", err, got.String())
				return
			}
			got.WriteByte(b)
		}
		early <- nil
	}()
	select {
	case err := <-early:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(10 * time.Second):
		close(gate.release)
		t.Fatal("no events arrived while the last chunk was being read: the answer is not streamed")
	}
	// Compact now: the chunk the handler is about to read is deleted.
	if ok, err := e.comp.Session(ctx, "s_stream001"); err != nil || !ok {
		t.Fatalf("compact = %v, %v", ok, err)
	}
	if _, err := e.blobs.GetRange(ctx, last.BlobKey, last.BlobOffset, last.BlobLength); err == nil {
		t.Fatal("compaction left the chunk's blob behind: the test would not exercise the resume")
	}
	close(gate.release)
	rest, err := io.ReadAll(body)
	if err != nil {
		t.Fatal(err)
	}
	got.Write(rest)
	want, _ := json.Marshal(all)
	if !jsonEqual(t, got.String(), string(want)) {
		t.Fatalf("streamed answer across a compaction:\n%s\nwant\n%s", got.String(), want)
	}

	// Seeking and the live tail, on the compacted layout, through the streaming path.
	for _, tc := range []struct {
		query     string
		want      []json.RawMessage
		seekStart string
	}{
		{fmt.Sprintf("from=%d", t0+2500), all[7:], fmt.Sprint(t0 + 2000)},
		{fmt.Sprintf("from=%d", t0+1200), all[0:], fmt.Sprint(t0)},
		{fmt.Sprintf("after=%d", t0+1000), all[6:], ""},
		{fmt.Sprintf("after=%d", t0+3500), nil, ""},
		{fmt.Sprintf("from=%d&to=%d", t0+2500, t0+2100), all[7:10], fmt.Sprint(t0 + 2000)},
		{fmt.Sprintf("to=%d", t0+1000), all[:6], ""},
		{fmt.Sprintf("after=%d&to=%d", t0+200, t0+1500), all[4:7], ""},
		{fmt.Sprintf("to=%d", t0-1), nil, ""},
		{"tab=t_tab00001", all, ""},
		{"tab=t_nosuch01", nil, ""},
	} {
		res, err := http.Get(srv.URL + "/api/v1/sessions/s_stream001/events?" + tc.query)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		want, _ := json.Marshal(tc.want)
		if tc.want == nil {
			want = []byte("[]")
		}
		if res.StatusCode != 200 || !jsonEqual(t, string(b), string(want)) || res.Header.Get("X-Reel-Seek-Start") != tc.seekStart {
			t.Errorf("events?%s = %d seek start %q\n%s\nwant seek start %q\n%s", tc.query, res.StatusCode, res.Header.Get("X-Reel-Seek-Start"), b, tc.seekStart, want)
		}
	}
}

// TestEventsToAcrossTabs: to= bounds every tab's events when several are merged.
func TestEventsToAcrossTabs(t *testing.T) {
	e := newEnv(t)
	const t0 = 1764237600000
	one := []json.RawMessage{meta(t0, "http://shop.example/"), full(t0+1, "home page"), click(t0 + 100), click(t0 + 900)}
	two := []json.RawMessage{meta(t0+50, "http://shop.example/help"), full(t0+51, "help page"), click(t0 + 400), click(t0 + 1200)}
	e.mustSend(t, "s_stream002", "t_tab00001", 0, one...)
	e.mustSend(t, "s_stream002", "t_tab00002", 0, two...)
	got, _ := e.events(t, "s_stream002", fmt.Sprintf("from=%d&to=%d", t0+500, t0+500))
	want, _ := json.Marshal([]json.RawMessage{one[0], one[1], two[0], two[1], one[2], two[2]})
	if !jsonEqual(t, got, string(want)) {
		t.Fatalf("from=to=t0+500 over two tabs: %d bytes, want the %d of both tabs' pages and the clicks up to t0+500", len(got), len(want))
	}
}

func jsonEqual(t *testing.T, a, b string) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal([]byte(a), &x); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, a)
	}
	if err := json.Unmarshal([]byte(b), &y); err != nil {
		t.Fatal(err)
	}
	xb, _ := json.Marshal(x)
	yb, _ := json.Marshal(y)
	return string(xb) == string(yb)
}
