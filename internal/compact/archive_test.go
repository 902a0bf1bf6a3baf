package compact_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reelhq/reel/internal/archive"
	"github.com/reelhq/reel/internal/layout"
	"github.com/reelhq/reel/internal/store"
)

// site is a second origin serving a stylesheet without CORS headers, the files its rules
// name and an image, counting requests by path.
type site struct {
	*httptest.Server
	mu   sync.Mutex
	hits map[string]int
}

var (
	fontBytes = "\x00\x01\x00\x00" + strings.Repeat("glyphs", 50)
	pngBytes  = "\x89PNG\r\n\x1a\n" + strings.Repeat("\x00", 40)
)

func newSite(t *testing.T) *site {
	t.Helper()
	s := &site{hits: map[string]int{}}
	files := map[string][2]string{
		"/css/app.css":    {"text/css", `@import "more.css"; body{color:rgb(1,2,3)} @font-face{font-family:T;src:url(../fonts/t.ttf) format("truetype")} .hero{background:url("img/bg.png")}`},
		"/css/more.css":   {"text/css; charset=utf-8", `.more{background:url(/abs.png)}`},
		"/fonts/t.ttf":    {"application/octet-stream", fontBytes},
		"/css/img/bg.png": {"image/png", pngBytes},
		"/abs.png":        {"image/png", pngBytes + "abs"},
		"/logo.png":       {"image/png", pngBytes + "logo"},
		"/attr.png":       {"image/png", pngBytes + "attr"},
	}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.hits[r.URL.Path]++
		s.mu.Unlock()
		f, ok := files[r.URL.Path]
		if !ok {
			http.Error(w, "forbidden", http.StatusForbidden)
			return
		}
		w.Header().Set("Content-Type", f[0])
		io.WriteString(w, f[1])
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *site) count(path string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hits[path]
}

// page is a recorded page that links the site's stylesheet (rrweb could not read it: no
// _cssText), shows its logo, a style attribute naming one of its images, and a stylesheet that
// is forbidden.
func page(s *site, at int64) []json.RawMessage {
	return []json.RawMessage{meta(at, "https://shop.example/"), ev(2, at+1, fmt.Sprintf(`{"node":{"type":0,"id":1,"childNodes":[{"type":2,"tagName":"html","id":2,"attributes":{},"childNodes":[`+
		`{"type":2,"tagName":"link","id":3,"attributes":{"rel":"stylesheet","href":%q},"childNodes":[]},`+
		`{"type":2,"tagName":"link","id":4,"attributes":{"rel":"stylesheet","href":%q},"childNodes":[]},`+
		`{"type":2,"tagName":"img","id":5,"attributes":{"src":%q},"childNodes":[]},`+
		`{"type":2,"tagName":"div","id":6,"attributes":{"style":%q},"childNodes":[]}]}]},"initialOffset":{"left":0,"top":0}}`,
		s.URL+"/css/app.css", s.URL+"/private/auth.css", s.URL+"/logo.png", "background:url("+s.URL+"/attr.png)")), click(at + 500)}
}

// withArchiver has the compactor archive through an archiver whose pool runs until the test
// ends (or the next withArchiver).
func (e *env) withArchiver(t *testing.T, opts archive.Options) *archive.Archiver {
	return e.withArchiverLog(t, opts, slog.New(slog.DiscardHandler))
}

func (e *env) withArchiverLog(t *testing.T, opts archive.Options, log *slog.Logger) *archive.Archiver {
	opts.AllowPrivate = true // the test sites are on 127.0.0.1
	if e.stopArchiver != nil {
		e.stopArchiver()
	}
	e.arch = archive.New(e.db, e.blobs, layout.NewCache(e.blobs, 16<<20), log, opts)
	e.comp.SetArchiver(e.arch)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { e.arch.Run(ctx); close(done) }()
	e.stopArchiver = func() { cancel(); <-done }
	t.Cleanup(e.stopArchiver)
	return e.arch
}

// runAndArchive compacts what is idle and waits for the archiver to be done with it.
func (e *env) runAndArchive(ctx context.Context) (int, error) {
	n, err := e.comp.RunOnce(ctx, time.Now().Add(time.Second))
	if err != nil {
		return n, err
	}
	return n, e.arch.Wait(ctx)
}

// get calls a GET handler of the API as the dashboard would.
func (e *env) get(t *testing.T, h func(http.ResponseWriter, *http.Request) error, id, path string) *httptest.ResponseRecorder {
	t.Helper()
	req := httptest.NewRequest("GET", path, nil)
	req.SetPathValue("id", id)
	rec := httptest.NewRecorder()
	e.api.Handler(h).ServeHTTP(rec, req)
	return rec
}

type archiveList struct {
	Resources []struct {
		URL, Type, Path, Error string
		Size                   int
	}
}

func (e *env) archiveList(t *testing.T, id string) archiveList {
	t.Helper()
	rec := e.get(t, e.api.Archive, id, "/api/v1/sessions/"+id+"/archive")
	var out archiveList
	if rec.Code != 200 || json.Unmarshal(rec.Body.Bytes(), &out) != nil {
		t.Fatalf("archive list = %d %s", rec.Code, rec.Body)
	}
	return out
}

func TestCompactionArchivesExternalResources(t *testing.T) {
	e := newEnv(t)
	e.withArchiver(t, archive.Options{})
	s := newSite(t)
	ctx := context.Background()
	e.mustSend(t, "s_archive01", "t_tab00001", 0, page(s, t0)...)
	before, _ := e.events(t, "s_archive01", "")
	if _, err := e.runAndArchive(ctx); err != nil {
		t.Fatal(err)
	}

	got := map[string]string{}
	paths := map[string]string{}
	for _, r := range e.archiveList(t, "s_archive01").Resources {
		got[strings.TrimPrefix(r.URL, s.URL)] = r.Type + r.Error
		paths[r.URL] = r.Path
	}
	want := map[string]string{
		"/css/app.css": "text/css", "/css/more.css": "text/css", "/fonts/t.ttf": "font/ttf", "/css/img/bg.png": "image/png",
		"/abs.png": "image/png", "/logo.png": "image/png", "/attr.png": "image/png", "/private/auth.css": "HTTP 403",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("archived = %v\nwant %v", got, want)
	}
	// The recorded events are untouched: the player does the pointing.
	if after, _ := e.events(t, "s_archive01", ""); after != before {
		t.Fatalf("events changed by archiving:\n%s\n%s", before, after)
	}

	// The stylesheet is served with its references pointing at their copies.
	rec := e.get(t, e.api.ArchivedFile, "s_archive01", paths[s.URL+"/css/app.css"])
	sheet := rec.Body.String()
	for _, ref := range []string{"/css/more.css", "/fonts/t.ttf", "/css/img/bg.png"} {
		if !strings.Contains(sheet, `"/api/v1/sessions/s_archive01/archive/file?url=`+url.QueryEscape(s.URL+ref)+`"`) {
			t.Errorf("served sheet does not point %s at its copy: %s", ref, sheet)
		}
	}
	if rec.Code != 200 || rec.Header().Get("Content-Type") != "text/css; charset=utf-8" || !strings.Contains(sheet, "body{color:rgb(1,2,3)}") {
		t.Fatalf("sheet = %d %v %s", rec.Code, rec.Header(), sheet)
	}
	// A font comes back byte for byte, with strict headers.
	rec = e.get(t, e.api.ArchivedFile, "s_archive01", paths[s.URL+"/fonts/t.ttf"])
	h := rec.Header()
	if rec.Body.String() != fontBytes || h.Get("Content-Type") != "font/ttf" || h.Get("X-Content-Type-Options") != "nosniff" ||
		!strings.Contains(h.Get("Content-Security-Policy"), "sandbox") || h.Get("Cross-Origin-Resource-Policy") != "same-origin" {
		t.Fatalf("font = %d %v %q", rec.Code, h, rec.Body.String())
	}
	// What was not archived, or never referenced, is a 404.
	for _, u := range []string{s.URL + "/private/auth.css", s.URL + "/never.png"} {
		if rec := e.get(t, e.api.ArchivedFile, "s_archive01", "/x?url="+url.QueryEscape(u)); rec.Code != 404 {
			t.Errorf("%s = %d", u, rec.Code)
		}
	}
}

func TestArchiveFetchesOncePerProject(t *testing.T) {
	e := newEnv(t)
	e.withArchiver(t, archive.Options{})
	s := newSite(t)
	ctx := context.Background()
	e.mustSend(t, "s_once00001", "t_tab00001", 0, page(s, t0)...)
	e.mustSend(t, "s_once00002", "t_tab00001", 0, page(s, t0+10_000)...)
	if _, err := e.runAndArchive(ctx); err != nil {
		t.Fatal(err)
	}
	// Once more after recompaction (a late batch): nothing is fetched again.
	e.mustSend(t, "s_once00001", "t_tab00001", 1, click(t0+900))
	if _, err := e.runAndArchive(ctx); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"/css/app.css", "/css/more.css", "/fonts/t.ttf", "/css/img/bg.png", "/abs.png", "/logo.png", "/attr.png", "/private/auth.css"} {
		if n := s.count(p); n != 1 {
			t.Errorf("%s fetched %d times for two sessions, want once", p, n)
		}
	}
	// Both sessions use the same copies (and remember the same failure).
	a, _ := e.db.SessionArchive(ctx, "s_once00001")
	b, _ := e.db.SessionArchive(ctx, "s_once00002")
	if len(a) != 8 || fmt.Sprint(a) != fmt.Sprint(b) {
		t.Fatalf("the sessions' archives differ:\n%+v\n%+v", a, b)
	}

	// Another project fetches for itself.
	if err := e.db.CreateProject(ctx, store.Project{ID: "other", Name: "o", PublicKey: "pk_other", RetentionDays: 30}); err != nil {
		t.Fatal(err)
	}
	e.sendAs(t, "pk_other", "s_once00003", page(s, t0+20_000))
	if _, err := e.runAndArchive(ctx); err != nil {
		t.Fatal(err)
	}
	if n := s.count("/css/app.css"); n != 2 {
		t.Errorf("stylesheet fetched %d times for two projects, want twice", n)
	}

	// Past the refresh period a URL is fetched again.
	e.withArchiver(t, archive.Options{Refresh: time.Nanosecond, Retry: time.Nanosecond})
	e.mustSend(t, "s_once00004", "t_tab00001", 0, page(s, t0+30_000)...)
	if _, err := e.runAndArchive(ctx); err != nil {
		t.Fatal(err)
	}
	if n := s.count("/fonts/t.ttf"); n != 3 {
		t.Errorf("font fetched %d times after the refresh period, want 3", n)
	}
}

func (e *env) sendAs(t *testing.T, key, session string, events []json.RawMessage) {
	t.Helper()
	body, _ := json.Marshal(map[string]any{"session": session, "tab": "t_tab00001", "seq": 0, "events": events})
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(body)
	zw.Close()
	resp, err := http.Post(e.ingest.URL+"/api/v1/ingest?v=1&key="+key, "text/plain", &buf)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != 200 {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("ingest as %s = %d %s", key, resp.StatusCode, b)
	}
}

func TestArchiveLimitPerSession(t *testing.T) {
	e := newEnv(t)
	lim := archive.DefaultLimits
	lim.Resources = 3
	e.withArchiver(t, archive.Options{Limits: lim})
	s := newSite(t)
	e.mustSend(t, "s_limit0001", "t_tab00001", 0, page(s, t0)...)
	if _, err := e.runAndArchive(context.Background()); err != nil {
		t.Fatal(err)
	}
	list := e.archiveList(t, "s_limit0001")
	if len(list.Resources) != 3 || list.Resources[0].URL != s.URL+"/css/app.css" {
		t.Fatalf("with a cap of 3 the session archived %+v (stylesheets first)", list)
	}
}

func TestArchivedContentGoesWithItsSessions(t *testing.T) {
	e := newEnv(t)
	e.withArchiver(t, archive.Options{})
	s := newSite(t)
	ctx := context.Background()
	// Retention goes by when the server received a session: the first is received before cut,
	// the second after, and a retention pass 30 days after cut takes only the first.
	recent := time.Now().Add(-time.Hour).UnixMilli()
	e.mustSend(t, "s_sweep0001", "t_tab00001", 0, page(s, t0)...)
	cut := afterThisMillisecond()
	e.mustSend(t, "s_sweep0002", "t_tab00001", 0, page(s, recent)...)
	if _, err := e.runAndArchive(ctx); err != nil {
		t.Fatal(err)
	}
	rows, err := e.db.SessionArchive(ctx, "s_sweep0002")
	if err != nil || len(rows) != 8 {
		t.Fatalf("archive rows = %v, %v", rows, err)
	}
	stored := func() (n int) {
		for _, r := range rows {
			if r.Hash != "" {
				if _, err := e.blobs.Get(ctx, layout.ContentKey("default", r.Hash)); err == nil {
					n++
				}
			}
		}
		return n
	}
	if n := stored(); n != 7 {
		t.Fatalf("%d copies stored, want 7", n)
	}

	// The old session expires; the copies it shares with the recent one stay.
	if n, err := e.life.Expire(ctx, cut.Add(30*24*time.Hour)); err != nil || n != 1 {
		t.Fatalf("Expire = %d, %v", n, err)
	}
	if n := stored(); n != 7 {
		t.Fatalf("after the first session went, %d copies are left, want 7", n)
	}
	if rec := e.get(t, e.api.ArchivedFile, "s_sweep0002", "/x?url="+url.QueryEscape(s.URL+"/fonts/t.ttf")); rec.Code != 200 {
		t.Fatalf("the remaining session's font = %d", rec.Code)
	}

	// Once no session uses them, they are swept, and the URLs are forgotten.
	if n, err := e.life.Expire(ctx, time.Now().Add(40*24*time.Hour)); err != nil || n != 1 {
		t.Fatalf("second Expire = %d, %v", n, err)
	}
	if n := stored(); n != 0 {
		t.Fatalf("%d copies left after every session went", n)
	}
	if _, ok, err := e.db.LatestArchived(ctx, "default", s.URL+"/css/app.css"); ok || err != nil {
		t.Fatalf("the URL is still recorded (%v)", err)
	}
	if files := blobFiles(t, e.dir); len(files) != 0 {
		t.Fatalf("blobs left: %v", files)
	}
}
