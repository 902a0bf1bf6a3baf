package compact_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/reelhq/reel/internal/api"
	"github.com/reelhq/reel/internal/archive"
	"github.com/reelhq/reel/internal/auth"
	"github.com/reelhq/reel/internal/blob"
	"github.com/reelhq/reel/internal/chunk"
	"github.com/reelhq/reel/internal/compact"
	"github.com/reelhq/reel/internal/content"
	"github.com/reelhq/reel/internal/ingest"
	"github.com/reelhq/reel/internal/layout"
	"github.com/reelhq/reel/internal/lifecycle"
	"github.com/reelhq/reel/internal/search"
	"github.com/reelhq/reel/internal/store"
	"github.com/reelhq/reel/internal/store/sqlite"
)

const token = "compact-test-admin-token"

type env struct {
	dir    string
	db     *sqlite.DB
	blobs  *blob.Local
	ingest *httptest.Server
	api    *api.API
	authn  *auth.Auth
	comp   *compact.Compactor
	life   *lifecycle.Lifecycle

	arch         *archive.Archiver // see withArchiver
	stopArchiver func()
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	db, err := sqlite.Open(ctx, filepath.Join(dir, "index.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.CreateProject(ctx, store.Project{ID: "default", Name: "d", PublicKey: "pk_test", RetentionDays: 30}); err != nil {
		t.Fatal(err)
	}
	blobs, err := blob.NewLocal(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	srv := httptest.NewServer(ingest.New(db, blobs, log, ingest.Options{}))
	t.Cleanup(srv.Close)
	authn := auth.New(db, log, auth.Options{AdminToken: token})
	cache := layout.NewCache(blobs, 64<<20)
	life := lifecycle.New(db, blobs, log, lifecycle.Options{Grace: time.Nanosecond}, cache)
	a := api.New(db, blobs, authn, log, cache, life)
	return &env{dir: dir, db: db, blobs: blobs, ingest: srv, api: a, authn: authn, life: life,
		comp: compact.New(db, blobs, log, compact.Options{Idle: time.Nanosecond, MinContent: 1024})}
}

func (e *env) send(t *testing.T, batch map[string]any) (int, string) {
	t.Helper()
	b, _ := json.Marshal(batch)
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	zw.Close()
	resp, err := http.Post(e.ingest.URL+"/api/v1/ingest?v=1&key=pk_test", "text/plain", &buf)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

func (e *env) mustSend(t *testing.T, session, tab string, seq int, events ...json.RawMessage) {
	t.Helper()
	if status, body := e.send(t, map[string]any{"session": session, "tab": tab, "seq": seq, "events": events}); status != 200 {
		t.Fatalf("ingest = %d %s", status, body)
	}
}

// events fetches a session's events through the API handler, as the dashboard would.
func (e *env) events(t *testing.T, id, query string) (string, http.Header) {
	t.Helper()
	req := httptest.NewRequest("GET", "/api/v1/sessions/"+id+"/events?"+query, nil)
	req.SetPathValue("id", id)
	rec := httptest.NewRecorder()
	e.api.Handler(e.api.Events).ServeHTTP(rec, req)
	if rec.Code != 200 {
		t.Fatalf("events = %d %s", rec.Code, rec.Body)
	}
	return rec.Body.String(), rec.Header()
}

var css = strings.Repeat(".product-card{display:grid;gap:8px;padding:16px;border-radius:12px} ", 60)

func ev(typ int, at int64, data string) json.RawMessage {
	return json.RawMessage(fmt.Sprintf(`{"type":%d,"timestamp":%d,"data":%s}`, typ, at, data))
}

func meta(at int64, href string) json.RawMessage {
	return ev(4, at, fmt.Sprintf(`{"href":%q,"width":1280,"height":720}`, href))
}

func full(at int64, text string) json.RawMessage {
	return ev(2, at, fmt.Sprintf(`{"node":{"type":0,"id":1,"childNodes":[{"type":2,"tagName":"style","id":2,"attributes":{"_cssText":%q},"childNodes":[]},{"type":3,"id":3,"textContent":%q}]},"initialOffset":{"left":0,"top":0}}`, css, text))
}

func click(at int64) json.RawMessage { return ev(3, at, `{"source":2,"type":2,"id":3,"x":5,"y":6}`) }

func blobFiles(t *testing.T, dir string) []string {
	var out []string
	filepath.WalkDir(filepath.Join(dir, "blobs"), func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(filepath.Join(dir, "blobs"), p)
			out = append(out, rel)
		}
		return nil
	})
	return out
}

const t0 = int64(1764237600000)

func TestCompactionKeepsEventsAndSeeks(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	e.mustSend(t, "s_compact01", "t_tab00001", 0, meta(t0, "http://x/"), full(t0+1, "home"), click(t0+500))
	e.mustSend(t, "s_compact01", "t_tab00001", 1, click(t0+1000), meta(t0+2000, "http://x/cart"), full(t0+2001, "cart"))
	e.mustSend(t, "s_compact01", "t_tab00001", 2, click(t0+3000))
	e.mustSend(t, "s_compact01", "t_tab00002", 0, meta(t0+1500, "http://x/other"), full(t0+1501, "other tab"))

	before, _ := e.events(t, "s_compact01", "")
	seekBefore, hBefore := e.events(t, "s_compact01", fmt.Sprintf("tab=t_tab00001&from=%d", t0+2500))
	tailBefore, _ := e.events(t, "s_compact01", fmt.Sprintf("after=%d", t0+2001))
	previewBefore, _ := e.events(t, "s_compact01", "until=first-snapshot")

	n, err := e.comp.RunOnce(ctx, time.Now().Add(time.Second))
	if err != nil || n != 1 {
		t.Fatalf("RunOnce = %d, %v", n, err)
	}
	segs, _ := e.db.Segments(ctx, "s_compact01")
	if len(segs) != 3 { // tab 1: home, cart; tab 2: other
		t.Fatalf("segments = %+v", segs)
	}
	files := blobFiles(t, e.dir)
	var sessionBlobs, contentBlobs int
	for _, f := range files {
		switch {
		case strings.HasPrefix(f, "sessions/"):
			sessionBlobs++
		case strings.HasPrefix(f, "content/"):
			contentBlobs++
		}
	}
	if sessionBlobs != 1 || contentBlobs != 1 {
		t.Fatalf("after compaction blobs = %v; want one session blob and one stylesheet", files)
	}

	after, _ := e.events(t, "s_compact01", "")
	if after != before {
		t.Fatalf("compaction changed the events:\nbefore %s\nafter  %s", before, after)
	}
	seekAfter, hAfter := e.events(t, "s_compact01", fmt.Sprintf("tab=t_tab00001&from=%d", t0+2500))
	if seekAfter != seekBefore || hAfter.Get("X-Reel-Seek-Start") != fmt.Sprint(t0+2000) || hBefore.Get("X-Reel-Seek-Start") != fmt.Sprint(t0+2000) {
		t.Fatalf("seek differs or starts wrong: before %s (%s) after %s (%s)", seekBefore, hBefore.Get("X-Reel-Seek-Start"), seekAfter, hAfter.Get("X-Reel-Seek-Start"))
	}
	if !strings.HasPrefix(seekAfter, `[{"type":4,"timestamp":`+fmt.Sprint(t0+2000)) || strings.Contains(seekAfter, `"home"`) {
		t.Fatalf("seek answer does not start at the cart snapshot: %.120s", seekAfter)
	}
	tailAfter, _ := e.events(t, "s_compact01", fmt.Sprintf("after=%d", t0+2001))
	// The preview of the first page reads the first segment: the home snapshot, nothing after.
	previewAfter, _ := e.events(t, "s_compact01", "until=first-snapshot")
	if previewAfter != previewBefore || previewAfter != "["+string(meta(t0, "http://x/"))+","+string(full(t0+1, "home"))+"]" {
		t.Fatalf("first snapshot after compaction = %.200s (before %.200s)", previewAfter, previewBefore)
	}
	if tailAfter != tailBefore || tailAfter != "["+string(click(t0+3000))+"]" {
		t.Fatalf("live tail = %s (before compaction %s)", tailAfter, tailBefore)
	}

	// A retry of a compacted batch is still recognised; a late new batch is served and compacted again.
	if status, body := e.send(t, map[string]any{"session": "s_compact01", "tab": "t_tab00001", "seq": 1, "events": []json.RawMessage{click(t0 + 1000)}}); status != 200 || !strings.Contains(body, `"duplicate":true`) {
		t.Fatalf("retry after compaction = %d %s", status, body)
	}
	e.mustSend(t, "s_compact01", "t_tab00001", 3, click(t0+4000))
	withLate, _ := e.events(t, "s_compact01", "")
	if !strings.HasSuffix(withLate, string(click(t0+4000))+"]") {
		t.Fatalf("late batch missing: %.80s…", withLate[len(withLate)-200:])
	}
	if n, err := e.comp.RunOnce(ctx, time.Now().Add(time.Second)); err != nil || n != 1 {
		t.Fatalf("second RunOnce = %d, %v", n, err)
	}
	again, _ := e.events(t, "s_compact01", "")
	if again != withLate {
		t.Fatal("recompaction changed the events")
	}
	if files := blobFiles(t, e.dir); len(files) != 2 {
		t.Fatalf("after recompaction blobs = %v, want the new session blob and the stylesheet", files)
	}
}

func TestContentIsStoredOncePerProject(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	for i := range 5 {
		id := fmt.Sprintf("s_shared%03d", i)
		e.mustSend(t, id, "t_tab00001", 0, meta(t0, "http://x/"), full(t0+1, fmt.Sprintf("visitor %d", i)), click(t0+10))
	}
	if _, err := e.comp.RunOnce(ctx, time.Now().Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	contentBlobs := 0
	for _, f := range blobFiles(t, e.dir) {
		if strings.HasPrefix(f, "content/") {
			contentBlobs++
		}
	}
	if contentBlobs != 1 {
		t.Fatalf("the stylesheet of 5 sessions is stored %d times", contentBlobs)
	}
	got, _ := e.events(t, "s_shared003", "")
	if !strings.Contains(got, css[:200]) || !strings.Contains(got, "visitor 3") {
		t.Fatal("events lost the stylesheet or the text")
	}
	// At rest a segment names the stylesheet by its number, not by its 64-character hash.
	segs, err := e.db.Segments(ctx, "s_shared003")
	if err != nil || len(segs) == 0 {
		t.Fatalf("segments: %v %v", segs, err)
	}
	data, err := e.blobs.GetRange(ctx, segs[0].BlobKey, segs[0].Offset, segs[0].Length)
	if err != nil {
		t.Fatal(err)
	}
	arr, err := chunk.DecodeArray(data)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(arr), `"\u0000reel:i:`) || strings.Contains(string(arr), `reel:a:`) {
		t.Fatalf("segment at rest: %.400s", arr)
	}
	// Recompacting (a late batch) reads the numbered segment back and writes it anew.
	e.mustSend(t, "s_shared003", "t_tab00001", 1, click(t0+20))
	if _, err := e.comp.RunOnce(ctx, time.Now().Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	again, _ := e.events(t, "s_shared003", "")
	if !strings.Contains(again, css[:200]) || strings.Count(again, `"source":2`) != 2 {
		t.Fatalf("after recompaction: %.300s", again)
	}
}

func TestWireAssets(t *testing.T) {
	e := newEnv(t)
	hash := content.Hash(css)
	marker := `"\u0000reel:a:` + hash + `"`
	fullWithMarker := ev(2, t0+1, `{"node":{"type":0,"id":1,"childNodes":[{"type":2,"tagName":"style","id":2,"attributes":{"_cssText":`+marker+`},"childNodes":[]}]},"initialOffset":{"left":0,"top":0}}`)

	// Referencing an asset the server lacks is refused with the hashes to send.
	status, body := e.send(t, map[string]any{"session": "s_assets01", "tab": "t_tab00001", "seq": 0, "events": []json.RawMessage{meta(t0, "http://x/"), fullWithMarker}})
	if status != 409 || !strings.Contains(body, `"missing_content"`) || !strings.Contains(body, hash) {
		t.Fatalf("unknown asset = %d %s", status, body)
	}
	// A lying hash is refused.
	status, body = e.send(t, map[string]any{"session": "s_assets01", "tab": "t_tab00001", "seq": 0, "assets": map[string]string{hash: css + "x"}, "events": []json.RawMessage{meta(t0, "http://x/"), fullWithMarker}})
	if status != 400 || !strings.Contains(body, "bad_asset") {
		t.Fatalf("wrong hash = %d %s", status, body)
	}
	// With the asset it is stored, and later batches and sessions may just refer to it.
	status, body = e.send(t, map[string]any{"session": "s_assets01", "tab": "t_tab00001", "seq": 0, "assets": map[string]string{hash: css}, "events": []json.RawMessage{meta(t0, "http://x/"), fullWithMarker}})
	if status != 200 {
		t.Fatalf("with asset = %d %s", status, body)
	}
	e.mustSend(t, "s_assets02", "t_tab00001", 0, meta(t0, "http://x/"), fullWithMarker)
	for _, id := range []string{"s_assets01", "s_assets02"} {
		got, _ := e.events(t, id, "")
		if strings.Contains(got, `reel:a:`) || !strings.Contains(got, css) {
			t.Fatalf("%s events are not resolved: %.200s", id, got)
		}
	}
}

func TestRetentionAndErasure(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	secret := "Secret Street 42, Springfield"
	identify := func(at int64, user string) json.RawMessage {
		return ev(5, at, fmt.Sprintf(`{"tag":"reel.identify","payload":{"userId":%q,"traits":{"plan":"pro"}}}`, user))
	}
	uniqueCSS := strings.Repeat("#"+strings.ReplaceAll(secret, " ", "_")+"{color:red} ", 40)
	// Both sessions also show a piece of text the other shows (stored once, docs/search.md).
	const shared = "Free returns within 30 days"
	e.mustSend(t, "s_erase0001", "t_tab00001", 0, meta(t0, "http://x/"), full(t0+1, secret), identify(t0+2, "user-1"),
		ev(2, t0+3, fmt.Sprintf(`{"node":{"type":0,"id":9,"childNodes":[{"type":2,"tagName":"style","id":10,"attributes":{"_cssText":%q},"childNodes":[]}]},"initialOffset":{"left":0,"top":0}}`, uniqueCSS)),
		full(t0+4, shared))
	e.mustSend(t, "s_erase0002", "t_tab00001", 0, meta(t0, "http://x/"), full(t0+1, "someone else"), identify(t0+2, "user-2"), full(t0+4, shared))
	textSearch := func(q string) []string {
		t.Helper()
		plan, err := search.Parse(q)
		if err != nil {
			t.Fatal(err)
		}
		page, err := e.db.ListSessions(ctx, store.ListQuery{ProjectID: "default", Limit: 10, Query: plan})
		if err != nil {
			t.Fatal(err)
		}
		var ids []string
		for _, s := range page.Sessions {
			ids = append(ids, s.ID)
		}
		return ids
	}
	if got := textSearch(`text:"free returns"`); len(got) != 2 {
		t.Fatalf("shared text found in %v, want both sessions", got)
	}
	if got := textSearch("text:springfield"); !slices.Equal(got, []string{"s_erase0001"}) {
		t.Fatalf("the erased user's text found in %v", got)
	}
	if s, _ := e.db.GetSession(ctx, "s_erase0001"); s.UserID != "user-1" {
		t.Fatalf("identify not indexed: %+v", s)
	}
	if _, err := e.comp.RunOnce(ctx, time.Now().Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	rep, err := e.life.EraseUser(ctx, "default", "user-1")
	if err != nil || rep.Sessions != 1 || rep.Content != 1 {
		t.Fatalf("EraseUser = %+v, %v (want 1 session and its one unique stylesheet)", rep, err)
	}
	if _, err := e.db.GetSession(ctx, "s_erase0001"); err == nil {
		t.Fatal("erased session still indexed")
	}
	// The other user's session is whole, shared stylesheet included, and its text, shared text
	// included, still searchable; the erased user's text is not.
	other, _ := e.events(t, "s_erase0002", "")
	if !strings.Contains(other, css[:100]) || !strings.Contains(other, "someone else") {
		t.Fatal("erasure damaged another user's session")
	}
	if got := textSearch(`text:"free returns"`); !slices.Equal(got, []string{"s_erase0002"}) {
		t.Errorf("shared text found in %v after erasure, want the other session", got)
	}
	if got := textSearch("text:someone"); !slices.Equal(got, []string{"s_erase0002"}) {
		t.Errorf("the other session's own text found in %v after erasure", got)
	}
	if got := textSearch("text:springfield"); len(got) != 0 {
		t.Errorf("the erased user's text still found in %v", got)
	}
	// Nothing readable on disk still holds the erased user's data.
	filepath.WalkDir(e.dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, _ := os.ReadFile(p)
		if raw, derr := chunk.Decompress(b); derr == nil {
			b = raw
		}
		// Its words as the full-text index keeps them (lowercased) included.
		if bytes.Contains(b, []byte(secret)) || bytes.Contains(b, []byte(strings.ReplaceAll(secret, " ", "_"))) || bytes.Contains(b, []byte("springfield")) {
			t.Errorf("%s still contains the erased user's data", p)
		}
		return nil
	})

	// Retention: sessions the server received longer ago than the project's retention go, with
	// their blobs; one received after cut stays at 30 days after cut, its events timed 29 days
	// ago or not.
	cut := afterThisMillisecond()
	recent := time.Now().Add(-29 * 24 * time.Hour).UnixMilli()
	e.mustSend(t, "s_recent001", "t_tab00001", 0, meta(recent, "http://x/"), full(recent+1, "recent"))
	n, err := e.life.Expire(ctx, cut.Add(30*24*time.Hour))
	if err != nil || n != 1 {
		t.Fatalf("Expire = %d, %v", n, err)
	}
	if _, err := e.db.GetSession(ctx, "s_recent001"); err != nil {
		t.Fatalf("a session received after the cut was removed by 30-day retention: %v", err)
	}
	if _, err := e.life.EraseUser(ctx, "default", "nobody"); err != nil {
		t.Fatal(err)
	}
	ids, _ := e.db.DeleteSessions(ctx, []string{"s_recent001"})
	for _, k := range ids {
		e.blobs.Delete(ctx, k)
	}
	e.life.Expire(ctx, time.Now())
	if files := blobFiles(t, e.dir); len(files) != 0 {
		t.Fatalf("blobs left after every session was deleted: %v", files)
	}
}

// Batches ingested together share a pack; erasing one user must not leave their bytes in it.
func TestErasureFreesSharedPacks(t *testing.T) {
	e := newEnv(t)
	e.life.SetCompactor(e.comp)
	ctx := context.Background()
	secret := "Erase-Me Lane 7"
	mk := func(session, user, text string) (store.Batch, []byte) {
		arr := "[" + string(meta(t0, "http://x/")) + "," + string(full(t0+1, text)) + "," +
			string(ev(5, t0+2, fmt.Sprintf(`{"tag":"reel.identify","payload":{"userId":%q}}`, user))) + "]"
		data := chunk.EncodeArray([]byte(arr))
		return store.Batch{ProjectID: "default", UserID: user, Chunk: store.Chunk{SessionID: session, Tab: "t_tab00001", Seq: 0,
			FirstAt: time.UnixMilli(t0), LastAt: time.UnixMilli(t0 + 2), Events: 3, RawBytes: len(arr), StoredBytes: len(data)}}, data
	}
	b1, d1 := mk("s_pack00001", "user-1", secret)
	b2, d2 := mk("s_pack00002", "user-2", "another visitor")
	const key = "chunks/2026-11-27/shared.pack.zst"
	if err := e.blobs.Put(ctx, key, append(append([]byte{}, d1...), d2...)); err != nil {
		t.Fatal(err)
	}
	b1.Chunk.BlobKey, b1.Chunk.BlobOffset, b1.Chunk.BlobLength = key, 0, int64(len(d1))
	b2.Chunk.BlobKey, b2.Chunk.BlobOffset, b2.Chunk.BlobLength = key, int64(len(d1)), int64(len(d2))
	for i, err := range e.db.AppendBatches(ctx, []store.Batch{b1, b2}) {
		if err != nil {
			t.Fatalf("batch %d: %v", i, err)
		}
	}
	if got, _ := e.events(t, "s_pack00001", ""); !strings.Contains(got, secret) {
		t.Fatal("batch in a shared pack not readable")
	}
	if rep, err := e.life.EraseUser(ctx, "default", "user-1"); err != nil || rep.Sessions != 1 {
		t.Fatalf("EraseUser = %+v, %v", rep, err)
	}
	if got, _ := e.events(t, "s_pack00002", ""); !strings.Contains(got, "another visitor") {
		t.Fatal("the other visitor's session was damaged")
	}
	filepath.WalkDir(e.dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			b, _ := os.ReadFile(p)
			if bytes.Contains(b, []byte(secret)) {
				t.Errorf("%s still holds the erased user's text", p)
			}
			if raw, derr := chunk.Decompress(b); derr == nil && bytes.Contains(raw, []byte(secret)) {
				t.Errorf("%s still holds the erased user's text (compressed)", p)
			}
		}
		return nil
	})
}

func TestIssuesAndFunnelsFromCompactedSessions(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	now := time.Now().Add(-time.Hour).UnixMilli()
	couponPage := func(at int64) json.RawMessage {
		return ev(2, at, `{"node":{"type":0,"id":1,"childNodes":[{"type":2,"tagName":"button","id":10,"attributes":{"class":"coupon"},"childNodes":[{"type":3,"id":11,"textContent":"Apply coupon"}]}]},"initialOffset":{"left":0,"top":0}}`)
	}
	clickAt := func(at int64) json.RawMessage { return ev(3, at, `{"source":2,"type":2,"id":11,"x":50,"y":60}`) }
	jsErr := func(at int64, msg string) json.RawMessage {
		return ev(5, at, fmt.Sprintf(`{"tag":"reel.error","payload":{"kind":"error","message":%q}}`, msg))
	}
	for i := range 4 {
		id := fmt.Sprintf("s_insight%02d", i)
		at := now + int64(i)*60_000
		evs := []json.RawMessage{meta(at, "http://x/"), couponPage(at + 1), meta(at+2000, "http://x/cart"), couponPage(at + 2001)}
		if i < 3 { // three sessions rage-click the coupon button
			evs = append(evs, clickAt(at+3000), clickAt(at+3100), clickAt(at+3200))
		}
		if i < 2 { // two reach checkout, one of them hits an error there
			evs = append(evs, meta(at+8000, "http://x/checkout"), couponPage(at+8001), jsErr(at+9000, fmt.Sprintf("Cannot read properties of undefined (reading 'item%d')", i)))
		}
		e.mustSend(t, id, "t_tab00001", 0, evs...)
	}
	if _, err := e.comp.RunOnce(ctx, time.Now().Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	s, _ := e.db.GetSession(ctx, "s_insight00")
	calm, _ := e.db.GetSession(ctx, "s_insight03")
	if s.RageClicks != 1 || s.Friction < 1 || s.Score <= calm.Score || !strings.Contains(s.Summary, "rage-clicked") {
		t.Fatalf("analysis not in the index: %+v (calm %+v)", s, calm)
	}
	// The search language filters and sorts by it.
	rec0 := httptest.NewRecorder()
	req := httptest.NewRequest("GET", "/api/v1/sessions?q="+url.QueryEscape("rage:>0 sort:interesting"), nil)
	e.api.Handler(e.api.ListSessions).ServeHTTP(rec0, req)
	var list struct {
		Sessions []struct {
			ID    string
			Score int
		}
	}
	if err := json.Unmarshal(rec0.Body.Bytes(), &list); err != nil || rec0.Code != 200 || len(list.Sessions) != 3 || list.Sessions[0].Score < list.Sessions[2].Score {
		t.Fatalf("rage:>0 sort:interesting = %d %s", rec0.Code, rec0.Body)
	}

	rec := httptest.NewRecorder()
	e.api.Handler(e.api.Issues).ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/issues?project=default&days=7", nil))
	var issues struct {
		Issues []struct {
			Kind, Path, Target string
			Sessions           int
			Daily              []int
			Samples            []struct{ SessionID, URL string }
		}
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &issues); err != nil || rec.Code != 200 {
		t.Fatalf("issues = %d %s", rec.Code, rec.Body)
	}
	byKind := map[string]int{}
	for _, is := range issues.Issues {
		byKind[is.Kind] = is.Sessions
		if is.Kind == "rage_click" && (is.Path != "/cart" || !strings.Contains(is.Target, "Apply coupon") || len(is.Samples) != 3 || !strings.HasPrefix(is.Samples[0].URL, "/sessions/s_insight")) {
			t.Fatalf("rage issue = %+v", is)
		}
		if len(is.Daily) != 7 {
			t.Fatalf("trend has %d days", len(is.Daily))
		}
	}
	// Two messages differing only in a quoted name are one error issue.
	if byKind["rage_click"] != 3 || byKind["js_error"] != 2 {
		t.Fatalf("issues by kind = %v (%s)", byKind, rec.Body)
	}

	rec = httptest.NewRecorder()
	e.api.Handler(e.api.Funnel).ServeHTTP(rec, httptest.NewRequest("POST", "/api/v1/funnels?project=default",
		strings.NewReader(`{"steps":[{"path":"/"},{"path":"/ca*"},{"path":"/checkout"}]}`)))
	var funnel struct {
		Steps []struct {
			Sessions   int
			Conversion float64
			Dropped    []string
			MedianMS   int64 `json:"medianMsFromPrevious"`
		}
	}
	if err := json.Unmarshal(rec.Body.Bytes(), &funnel); err != nil || rec.Code != 200 || len(funnel.Steps) != 3 {
		t.Fatalf("funnel = %d %s", rec.Code, rec.Body)
	}
	if funnel.Steps[0].Sessions != 4 || funnel.Steps[1].Sessions != 4 || funnel.Steps[2].Sessions != 2 || funnel.Steps[2].Conversion != 0.5 ||
		len(funnel.Steps[2].Dropped) != 2 || funnel.Steps[1].MedianMS != 2000 {
		t.Fatalf("funnel = %s", rec.Body)
	}
	for _, bad := range []string{`{"steps":[{"path":"/"}]}`, `{"steps":`, `{"steps":[{"path":""},{"path":"/x"}]}`} {
		rec = httptest.NewRecorder()
		e.api.Handler(e.api.Funnel).ServeHTTP(rec, httptest.NewRequest("POST", "/api/v1/funnels", strings.NewReader(bad)))
		if rec.Code != 400 {
			t.Fatalf("funnel %s = %d", bad, rec.Code)
		}
	}
}

// racingIndex is the index with one batch landing right after the compactor has read the
// session's chunks, as the next batch of a visit can while its first ones are being compacted.
type racingIndex struct {
	*sqlite.DB
	land func()
}

func (r *racingIndex) Chunks(ctx context.Context, sessionID string) ([]store.Chunk, error) {
	chunks, err := r.DB.Chunks(ctx, sessionID)
	if land := r.land; land != nil {
		r.land = nil
		land()
	}
	return chunks, err
}

func heatClick(at int64) json.RawMessage {
	return ev(5, at, `{"tag":"reel.click","payload":{"selector":"#coupon","x":0.5,"y":0.5,"w":120,"h":40,"pageX":60,"pageY":20}}`)
}

// TestBatchDuringCompaction: a batch that lands while its session is being compacted is not in
// that compaction; the next pass compacts and analyses it, so its clicks reach the heatmap
// (TestHeatmapsPage lost a visit's cart page this way).
func TestBatchDuringCompaction(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	idx := &racingIndex{DB: e.db, land: func() {
		e.mustSend(t, "s_racing001", "t_tab00001", 1, meta(t0+2000, "http://x/cart"), heatClick(t0+2500), heatClick(t0+2600))
	}}
	comp := compact.New(idx, e.blobs, slog.New(slog.DiscardHandler), compact.Options{Idle: time.Nanosecond})
	e.mustSend(t, "s_racing001", "t_tab00001", 0, meta(t0, "http://x/"), full(t0+1, "home"), heatClick(t0+500))
	for pass := range 2 {
		if n, err := comp.RunOnce(ctx, time.Now().Add(time.Second)); err != nil || n != 1 {
			t.Fatalf("pass %d: RunOnce = %d, %v; want the session compacted", pass+1, n, err)
		}
	}
	chunks, _ := e.db.Chunks(ctx, "s_racing001")
	for _, ch := range chunks {
		if !ch.Compacted {
			t.Errorf("chunk %d left uncompacted", ch.Seq)
		}
	}
	q := store.HeatmapQuery{ProjectID: "default", Page: "/cart", From: time.UnixMilli(t0), To: time.UnixMilli(t0 + 10000), Bins: 20}
	if hm, err := e.db.Heatmap(ctx, q); err != nil || hm.Clicks != 2 || hm.Sessions != 1 {
		t.Fatalf("heatmap of /cart = %d clicks in %d sessions, %v; want the 2 clicks of the batch that landed during compaction", hm.Clicks, hm.Sessions, err)
	}
}

// afterThisMillisecond returns a time whose millisecond (the precision the index keeps receive
// times in) has no batch received before it nor after it: a batch received earlier is in an
// earlier millisecond, one received later in a later one.
func afterThisMillisecond() time.Time {
	start := time.Now().Truncate(time.Millisecond)
	for !time.Now().After(start.Add(time.Millisecond)) {
		time.Sleep(100 * time.Microsecond)
	}
	cut := time.Now()
	for !time.Now().After(cut.Truncate(time.Millisecond).Add(time.Millisecond)) {
		time.Sleep(100 * time.Microsecond)
	}
	return cut
}
