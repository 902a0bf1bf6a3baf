package ingest

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reelhq/reel/internal/blob"
	"github.com/reelhq/reel/internal/layout"
	"github.com/reelhq/reel/internal/store"
	"github.com/reelhq/reel/internal/store/sqlite"
)

type env struct {
	dir   string // the data directory: index.db and blobs/
	h     *Handler
	srv   *httptest.Server
	db    *sqlite.DB
	blobs *blob.Local
}

func newEnv(t *testing.T, opts Options) *env {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	db, err := sqlite.Open(ctx, filepath.Join(dir, "index.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	for _, p := range []store.Project{
		{ID: "default", Name: "Default", PublicKey: "pk_test"},
		{ID: "locked", Name: "Locked", PublicKey: "pk_locked", AllowedOrigins: []string{"https://shop.example"}},
	} {
		if err := db.CreateProject(ctx, p); err != nil {
			t.Fatal(err)
		}
	}
	blobs, err := blob.NewLocal(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	h := New(db, blobs, slog.New(slog.DiscardHandler), opts)
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &env{dir: dir, h: h, srv: srv, db: db, blobs: blobs}
}

func gz(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	return buf.Bytes()
}

const (
	metaEv  = `{"type":4,"timestamp":1764237600000,"data":{"href":"http://127.0.0.1/demo/","width":1280,"height":720}}`
	fullEv  = `{"type":2,"timestamp":1764237600010,"data":{"node":{"type":0,"childNodes":[],"id":1},"initialOffset":{"left":0,"top":0}}}`
	clickEv = `{"type":3,"timestamp":1764237601000,"data":{"source":2,"type":2,"id":5,"x":10,"y":20}}`
	moveEv  = `{"type":3,"timestamp":1764237602000,"data":{"source":1,"positions":[{"x":1,"y":2,"id":5,"timeOffset":0}]}}`
)

func batchJSON(session, tab string, seq int, events ...string) []byte {
	return []byte(fmt.Sprintf(`{"session":%q,"tab":%q,"seq":%d,"sentAt":1764237603000,"meta":{"sdk":"reel-js/test","userAgent":"Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0"},"events":[%s]}`,
		session, tab, seq, strings.Join(events, ",")))
}

type reply struct {
	Status int
	Code   string
	Body   string
	Header http.Header
}

func (e *env) post(t *testing.T, query string, body []byte, header ...string) reply {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/api/v1/ingest?"+query, bytes.NewReader(body))
	req.Header.Set("Content-Type", "text/plain")
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var e2 struct {
		Error struct{ Code string } `json:"error"`
	}
	json.Unmarshal(b, &e2)
	return reply{Status: resp.StatusCode, Code: e2.Error.Code, Body: string(b), Header: resp.Header}
}

func TestIngestStoresBatch(t *testing.T) {
	e := newEnv(t, Options{})
	r := e.post(t, "v=1&key=pk_test", gz(t, batchJSON("s_session01", "t_tab00001", 0, metaEv, fullEv, clickEv, moveEv)))
	if r.Status != 200 || !strings.Contains(r.Body, `"duplicate":false`) || !strings.Contains(r.Body, `"events":4`) {
		t.Fatalf("ingest = %d %s", r.Status, r.Body)
	}
	ctx := context.Background()
	s, err := e.db.GetSession(ctx, "s_session01")
	if err != nil {
		t.Fatal(err)
	}
	if s.ProjectID != "default" || s.Clicks != 1 || s.Pages != 1 || s.Events != 4 || s.EntryURL != "http://127.0.0.1/demo/" ||
		s.Viewport != (store.Viewport{Width: 1280, Height: 720}) || !strings.Contains(s.UserAgent, "Chrome/156") ||
		s.Duration().Milliseconds() != 2000 {
		t.Fatalf("session row = %+v", s)
	}
	chunks, _ := e.db.Chunks(ctx, "s_session01")
	if len(chunks) != 1 {
		t.Fatalf("chunks = %+v", chunks)
	}
	arr, err := layout.ReadChunk(ctx, e.blobs, chunks[0])
	if err != nil {
		t.Fatal(err)
	}
	var events []json.RawMessage
	err = json.Unmarshal(arr, &events)
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []string{metaEv, fullEv, clickEv, moveEv} {
		if string(events[i]) != want {
			t.Fatalf("event %d stored as %s, want %s", i, events[i], want)
		}
	}
}

func TestIngestDuplicateBatchIgnored(t *testing.T) {
	e := newEnv(t, Options{})
	body := gz(t, batchJSON("s_session01", "t_tab00001", 0, metaEv, clickEv))
	for i, wantDup := range []bool{false, true, true} {
		r := e.post(t, "v=1&key=pk_test", body)
		if r.Status != 200 || strings.Contains(r.Body, `"duplicate":true`) != wantDup {
			t.Fatalf("delivery %d = %d %s", i, r.Status, r.Body)
		}
	}
	// The same seq from another tab is a different batch.
	if r := e.post(t, "v=1&key=pk_test", gz(t, batchJSON("s_session01", "t_tab00002", 0, clickEv))); r.Status != 200 || strings.Contains(r.Body, `"duplicate":true`) {
		t.Fatalf("other tab = %d %s", r.Status, r.Body)
	}
	s, _ := e.db.GetSession(context.Background(), "s_session01")
	if s.Clicks != 2 || s.Events != 3 || s.Tabs != 2 {
		t.Fatalf("after duplicates: %+v", s)
	}
}

func TestIngestConcurrentRetriesStoreOnce(t *testing.T) {
	e := newEnv(t, Options{})
	body := gz(t, batchJSON("s_session01", "t_tab00001", 7, metaEv, clickEv))
	var wg sync.WaitGroup
	for range 12 {
		wg.Go(func() {
			if r := e.post(t, "v=1&key=pk_test", body); r.Status != 200 {
				t.Errorf("concurrent delivery = %d %s", r.Status, r.Body)
			}
		})
	}
	wg.Wait()
	ctx := context.Background()
	s, _ := e.db.GetSession(ctx, "s_session01")
	chunks, _ := e.db.Chunks(ctx, "s_session01")
	if s.Clicks != 1 || len(chunks) != 1 {
		t.Fatalf("12 concurrent deliveries stored %d chunks, %d clicks", len(chunks), s.Clicks)
	}
	if _, err := layout.ReadChunk(ctx, e.blobs, chunks[0]); err != nil {
		t.Fatalf("winning chunk's data is gone: %v", err)
	}
}

func TestIngestRefusesBadInput(t *testing.T) {
	e := newEnv(t, Options{Limits: Limits{MaxCompressed: 64 << 10, MaxDecompressed: 256 << 10, MaxEvents: 50, MaxDepth: 64, MaxIDLength: 64, MaxString: 8 << 10}})
	good := batchJSON("s_session01", "t_tab00001", 0, metaEv)
	truncated := gz(t, good)
	truncated = truncated[:len(truncated)/2]
	bomb := gz(t, bytes.Repeat([]byte(" "), 10<<20)) // 10 MiB of spaces, ~10 KiB compressed
	deep := []byte(`{"session":"s_session01","tab":"t_tab00001","seq":0,"events":[{"type":5,"timestamp":1,"data":{"x":` + strings.Repeat("[", 100) + strings.Repeat("]", 100) + `}}]}`)
	many := make([]string, 51)
	for i := range many {
		many[i] = clickEv
	}
	random := make([]byte, 80<<10)
	for i := range random {
		random[i] = byte(i*7 + i/3)
	}
	cases := []struct {
		name   string
		query  string
		body   []byte
		header []string
		status int
		code   string
	}{
		{"missing version", "key=pk_test", gz(t, good), nil, 400, "unsupported_version"},
		{"future version", "v=2&key=pk_test", gz(t, good), nil, 400, "unsupported_version"},
		{"missing key", "v=1", gz(t, good), nil, 401, "invalid_key"},
		{"wrong key", "v=1&key=pk_nope", gz(t, good), []string{"Origin", "https://shop.example"}, 401, "invalid_key"},
		{"huge key", "v=1&key=" + strings.Repeat("k", 5000), gz(t, good), nil, 401, "invalid_key"},
		{"origin not allowed", "v=1&key=pk_locked", gz(t, good), []string{"Origin", "https://evil.example"}, 403, "origin_not_allowed"},
		{"not gzip", "v=1&key=pk_test", good, nil, 400, "not_gzip"},
		{"empty body", "v=1&key=pk_test", nil, nil, 400, "not_gzip"},
		{"gzip magic then garbage", "v=1&key=pk_test", []byte{0x1f, 0x8b, 1, 2, 3, 4}, nil, 400, "bad_gzip"},
		{"truncated gzip", "v=1&key=pk_test", truncated, nil, 400, "bad_gzip"},
		{"oversized body", "v=1&key=pk_test", random, nil, 413, "too_large"},
		{"decompression bomb", "v=1&key=pk_test", bomb, nil, 413, "too_large"},
		{"malformed json", "v=1&key=pk_test", gz(t, []byte(`{"session":`)), nil, 400, "bad_json"},
		{"json array not object", "v=1&key=pk_test", gz(t, []byte(`[1,2,3]`)), nil, 400, "invalid_batch"},
		{"trailing data", "v=1&key=pk_test", gz(t, append(append([]byte{}, good...), []byte(`{}`)...)), nil, 400, "bad_json"},
		{"seq is a string", "v=1&key=pk_test", gz(t, []byte(`{"session":"s_session01","tab":"t_tab00001","seq":"0","events":[`+metaEv+`]}`)), nil, 400, "invalid_batch"},
		{"seq missing", "v=1&key=pk_test", gz(t, []byte(`{"session":"s_session01","tab":"t_tab00001","events":[`+metaEv+`]}`)), nil, 400, "invalid_batch"},
		{"negative seq", "v=1&key=pk_test", gz(t, batchJSON("s_session01", "t_tab00001", -1, metaEv)), nil, 400, "invalid_batch"},
		{"session id too short", "v=1&key=pk_test", gz(t, batchJSON("s_1", "t_tab00001", 0, metaEv)), nil, 400, "invalid_batch"},
		{"session id with path", "v=1&key=pk_test", gz(t, batchJSON("../../etc/passwd", "t_tab00001", 0, metaEv)), nil, 400, "invalid_batch"},
		{"tab id too long", "v=1&key=pk_test", gz(t, batchJSON("s_session01", strings.Repeat("t", 65), 0, metaEv)), nil, 400, "invalid_batch"},
		{"no events", "v=1&key=pk_test", gz(t, batchJSON("s_session01", "t_tab00001", 0)), nil, 400, "invalid_batch"},
		{"too many events", "v=1&key=pk_test", gz(t, batchJSON("s_session01", "t_tab00001", 0, many...)), nil, 413, "too_large"},
		{"too deep", "v=1&key=pk_test", gz(t, deep), nil, 400, "too_deep"},
		{"string too long", "v=1&key=pk_test", gz(t, batchJSON("s_session01", "t_tab00001", 0, `{"type":5,"timestamp":1,"data":{"x":"`+strings.Repeat("a", 9000)+`"}}`)), nil, 413, "too_large"},
		{"event type out of range", "v=1&key=pk_test", gz(t, batchJSON("s_session01", "t_tab00001", 0, `{"type":9,"timestamp":1,"data":{}}`)), nil, 400, "invalid_events"},
		{"event without timestamp", "v=1&key=pk_test", gz(t, batchJSON("s_session01", "t_tab00001", 0, `{"type":3,"data":{"source":2}}`)), nil, 400, "invalid_events"},
		{"event data not object", "v=1&key=pk_test", gz(t, batchJSON("s_session01", "t_tab00001", 0, `{"type":3,"timestamp":1,"data":"x"}`)), nil, 400, "invalid_events"},
		{"event is a number", "v=1&key=pk_test", gz(t, batchJSON("s_session01", "t_tab00001", 0, `42`)), nil, 400, "invalid_events"},
		{"incremental without source", "v=1&key=pk_test", gz(t, batchJSON("s_session01", "t_tab00001", 0, `{"type":3,"timestamp":1,"data":{}}`)), nil, 400, "invalid_events"},
		{"one bad event among good", "v=1&key=pk_test", gz(t, batchJSON("s_session01", "t_tab00001", 0, metaEv, clickEv, `{"type":"3","timestamp":1,"data":{}}`)), nil, 400, "invalid_events"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := e.post(t, tc.query, tc.body, tc.header...)
			if r.Status != tc.status || r.Code != tc.code {
				t.Fatalf("got %d %s, want %d %s", r.Status, r.Body, tc.status, tc.code)
			}
			if tc.header != nil && (r.Header.Get("Access-Control-Allow-Origin") != tc.header[1] || r.Header.Get("Access-Control-Expose-Headers") != "Retry-After") {
				t.Fatalf("error not readable cross-origin: Access-Control-Allow-Origin %q", r.Header.Get("Access-Control-Allow-Origin"))
			}
			if !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
				t.Fatalf("error content type %q", r.Header.Get("Content-Type"))
			}
		})
	}
	// Nothing of any refused batch was stored.
	page, err := e.db.ListSessions(context.Background(), store.ListQuery{Limit: 10})
	if err != nil || len(page.Sessions) != 0 {
		t.Fatalf("refused batches left sessions: %+v %v", page.Sessions, err)
	}
	// And the endpoint still works for a good batch afterwards.
	if r := e.post(t, "v=1&key=pk_test", gz(t, good)); r.Status != 200 {
		t.Fatalf("good batch after bad ones = %d %s", r.Status, r.Body)
	}
}

func TestIngestSessionOfAnotherProjectRefused(t *testing.T) {
	e := newEnv(t, Options{})
	if r := e.post(t, "v=1&key=pk_test", gz(t, batchJSON("s_session01", "t_tab00001", 0, metaEv))); r.Status != 200 {
		t.Fatal(r.Body)
	}
	r := e.post(t, "v=1&key=pk_locked", gz(t, batchJSON("s_session01", "t_tab00002", 0, clickEv)), "Origin", "https://shop.example")
	if r.Status != 409 || r.Code != "session_conflict" {
		t.Fatalf("cross-project write = %d %s", r.Status, r.Body)
	}
	s, _ := e.db.GetSession(context.Background(), "s_session01")
	if s.Clicks != 0 || s.Tabs != 1 {
		t.Fatalf("victim session changed: %+v", s)
	}
}

func TestIngestCORS(t *testing.T) {
	e := newEnv(t, Options{})
	req, _ := http.NewRequest(http.MethodOptions, e.srv.URL+"/api/v1/ingest?v=1&key=pk_locked", nil)
	req.Header.Set("Origin", "https://shop.example")
	req.Header.Set("Access-Control-Request-Method", "POST")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 204 || resp.Header.Get("Access-Control-Allow-Origin") != "https://shop.example" {
		t.Fatalf("preflight = %d, allow-origin %q", resp.StatusCode, resp.Header.Get("Access-Control-Allow-Origin"))
	}
	r := e.post(t, "v=1&key=pk_test", gz(t, batchJSON("s_session01", "t_tab00001", 0, metaEv)), "Origin", "https://anything.example")
	if r.Status != 200 || r.Header.Get("Access-Control-Allow-Origin") != "https://anything.example" {
		t.Fatalf("open project post = %d, allow-origin %q", r.Status, r.Header.Get("Access-Control-Allow-Origin"))
	}
}

func TestIngestAtCapacityAsksToRetry(t *testing.T) {
	limits := Limits{MaxCompressed: 256 << 10, MaxDecompressed: 256 << 10, MaxEvents: 100, MaxDepth: 64, MaxIDLength: 64}
	e := newEnv(t, Options{Limits: limits, MemoryBudget: 1, QueueWait: 50 * time.Millisecond}) // budget rounds up to 1 MiB
	// Three uploads that have sent 200 KiB of their 256 KiB and stall hold 768 KiB of it: what
	// a request holds is what it has received, never what it announced.
	var writers []*io.PipeWriter
	for range 3 {
		pr, pw := io.Pipe()
		writers = append(writers, pw)
		req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/api/v1/ingest?v=1&key=pk_test", pr)
		req.ContentLength = 256 << 10
		go func() {
			if resp, err := http.DefaultClient.Do(req); err == nil {
				resp.Body.Close()
			}
		}()
		go pw.Write(append([]byte{0x1f, 0x8b}, make([]byte, 200<<10)...))
	}
	defer func() {
		for _, pw := range writers {
			pw.CloseWithError(io.ErrUnexpectedEOF)
		}
	}()
	// A batch of 200 KB of JSON needs more than the 256 KiB left.
	large := gz(t, batchJSON("s_session01", "t_tab00001", 0, `{"type":5,"timestamp":1764237600000,"data":{"tag":"note","payload":"`+strings.Repeat("a", 200_000)+`"}}`))
	// Wait until the handler has read their bytes: less than 256 KiB of the budget is left.
	for i := 0; e.h.mem.TryAcquire(256<<10 + 1); i++ {
		e.h.mem.Release(256<<10 + 1)
		if i == 3000 {
			t.Fatal("the stalled uploads never reached the handler")
		}
		time.Sleep(10 * time.Millisecond)
	}
	r := e.post(t, "v=1&key=pk_test", large)
	if r.Status != 503 || r.Code != "unavailable" || r.Header.Get("Retry-After") == "" {
		t.Fatalf("at capacity = %d %s (Retry-After %q)", r.Status, r.Body, r.Header.Get("Retry-After"))
	}
	for _, pw := range writers {
		pw.CloseWithError(io.ErrUnexpectedEOF)
	}
	// Once the uploads are gone the budget is back.
	for i := 0; !e.h.mem.TryAcquire(e.h.budget); i++ {
		if i == 3000 {
			t.Fatal("the ended uploads never gave the budget back")
		}
		time.Sleep(10 * time.Millisecond)
	}
	e.h.mem.Release(e.h.budget)
	if r := e.post(t, "v=1&key=pk_test", large); r.Status != 200 {
		t.Fatalf("after the uploads ended = %d %s", r.Status, r.Body)
	}
}

func TestIngestRateLimits(t *testing.T) {
	cases := []struct {
		name   string
		opts   Options
		header string
	}{
		{"per address", Options{PerIP: RateLimit{PerSecond: 1, Burst: 3}, PerKey: RateLimit{PerSecond: -1}}, "address"},
		{"per project", Options{PerKey: RateLimit{PerSecond: 1, Burst: 3}, PerIP: RateLimit{PerSecond: -1}}, "project"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, tc.opts)
			for i := range 3 {
				if r := e.post(t, "v=1&key=pk_test", gz(t, batchJSON("s_session01", "t_tab00001", i, metaEv))); r.Status != 200 {
					t.Fatalf("request %d within burst = %d %s", i, r.Status, r.Body)
				}
			}
			r := e.post(t, "v=1&key=pk_test", gz(t, batchJSON("s_session01", "t_tab00001", 3, metaEv)))
			if r.Status != 429 || r.Code != "rate_limited" || r.Header.Get("Retry-After") == "" || !strings.Contains(r.Body, tc.header) {
				t.Fatalf("over the limit = %d %s (Retry-After %q)", r.Status, r.Body, r.Header.Get("Retry-After"))
			}
		})
	}
}

func TestIngestSessionLengthLimit(t *testing.T) {
	e := newEnv(t, Options{Limits: Limits{MaxCompressed: 1 << 20, MaxDecompressed: 4 << 20, MaxEvents: 100, MaxDepth: 64, MaxIDLength: 64, MaxSession: time.Hour}})
	at := func(ms int64) string {
		return fmt.Sprintf(`{"type":3,"timestamp":%d,"data":{"source":1,"positions":[]}}`, ms)
	}
	const t0 = 1764237600000
	// A session's first batch is held to the span too.
	if r := e.post(t, "v=1&key=pk_test", gz(t, batchJSON("s_wide00001", "t_tab00001", 0, at(t0), at(t0+61*60*1000)))); r.Status != 413 || r.Code != "too_large" {
		t.Fatalf("a first batch spanning 61 minutes = %d %s", r.Status, r.Body)
	}
	if _, err := e.db.GetSession(context.Background(), "s_wide00001"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the refused first batch left a session: %v", err)
	}
	if r := e.post(t, "v=1&key=pk_test", gz(t, batchJSON("s_session01", "t_tab00001", 0, at(t0)))); r.Status != 200 {
		t.Fatal(r.Body)
	}
	if r := e.post(t, "v=1&key=pk_test", gz(t, batchJSON("s_session01", "t_tab00001", 1, at(t0+59*60*1000)))); r.Status != 200 {
		t.Fatalf("59 minutes in = %d %s", r.Status, r.Body)
	}
	r := e.post(t, "v=1&key=pk_test", gz(t, batchJSON("s_session01", "t_tab00001", 2, at(t0+61*60*1000))))
	if r.Status != 413 || r.Code != "too_large" {
		t.Fatalf("61 minutes in = %d %s", r.Status, r.Body)
	}
	if s, _ := e.db.GetSession(context.Background(), "s_session01"); s.Events != 2 {
		t.Fatalf("refused batch changed the session: %+v", s)
	}
}
