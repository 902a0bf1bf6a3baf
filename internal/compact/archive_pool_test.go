package compact_test

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reelhq/reel/internal/archive"
	"github.com/reelhq/reel/internal/store"
)

// heldSite serves images, each request held until release is closed, and keeps count: how
// many arrived, how many are being held at once (and the most ever), how many were answered.
type heldSite struct {
	*httptest.Server
	arrived chan string // each request's path as it arrives
	release chan struct{}

	mu                       sync.Mutex
	requests, inFlight, most int
	answered                 int
	byPath                   map[string]int
}

func newHeldSite(t *testing.T) *heldSite {
	t.Helper()
	s := &heldSite{arrived: make(chan string, 1000), release: make(chan struct{}), byPath: map[string]int{}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.requests++
		s.byPath[r.URL.Path]++
		s.inFlight++
		s.most = max(s.most, s.inFlight)
		s.mu.Unlock()
		defer func() {
			s.mu.Lock()
			s.inFlight--
			s.mu.Unlock()
		}()
		s.arrived <- r.URL.Path
		select {
		case <-s.release:
		case <-r.Context().Done():
			return
		}
		s.mu.Lock()
		s.answered++
		s.mu.Unlock()
		w.Header().Set("Content-Type", "image/png")
		fmt.Fprint(w, pngBytes+r.URL.Path)
	}))
	t.Cleanup(func() {
		s.open()
		s.Close()
	})
	return s
}

// open lets every held request, and all later ones, be answered.
func (s *heldSite) open() {
	s.mu.Lock()
	defer s.mu.Unlock()
	select {
	case <-s.release:
	default:
		close(s.release)
	}
}

func (s *heldSite) counts() (requests, inFlight, most, answered int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests, s.inFlight, s.most, s.answered
}

// images is a recorded page showing n images from base, named prefix0.png, prefix1.png, ….
func images(at int64, base, prefix string, n int) []json.RawMessage {
	var nodes []string
	for i := range n {
		nodes = append(nodes, fmt.Sprintf(`{"type":2,"tagName":"img","id":%d,"attributes":{"src":"%s/%s%d.png"},"childNodes":[]}`, 10+i, base, prefix, i))
	}
	return []json.RawMessage{meta(at, "https://shop.example/"), ev(2, at+1, `{"node":{"type":0,"id":1,"childNodes":[{"type":2,"tagName":"html","id":2,"attributes":{},"childNodes":[`+
		strings.Join(nodes, ",")+`]}]},"initialOffset":{"left":0,"top":0}}`), click(at + 500)}
}

// ragePage is a recorded page whose visitor rage-clicks the coupon button.
func ragePage(at int64) []json.RawMessage {
	button := ev(2, at+1, `{"node":{"type":0,"id":1,"childNodes":[{"type":2,"tagName":"button","id":10,"attributes":{"class":"coupon"},"childNodes":[{"type":3,"id":11,"textContent":"Apply coupon"}]}]},"initialOffset":{"left":0,"top":0}}`)
	c := func(at int64) json.RawMessage { return ev(3, at, `{"source":2,"type":2,"id":11,"x":50,"y":60}`) }
	return []json.RawMessage{meta(at, "http://x/cart"), button, c(at + 3000), c(at + 3100), c(at + 3200)}
}

// A session naming 200 images on a server that holds every request used to hold the
// compaction loop for its whole archiving deadline, and every other session waited. Now the
// other session is compacted and analysed (its finding is searchable) while the server still
// holds the first requests, no more than PerHost of them at once; once it answers, all 200
// are archived.
func TestSlowArchivingDoesNotHoldCompaction(t *testing.T) {
	e := newEnv(t)
	lim := archive.DefaultLimits
	lim.Timeout, lim.Deadline = 10*time.Minute, 10*time.Minute // nothing here may time out
	a := e.withArchiver(t, archive.Options{Limits: lim, PerHost: 2})
	slow := newHeldSite(t)
	ctx := context.Background()
	at := time.Now().Add(-time.Hour).UnixMilli()
	e.mustSend(t, "s_slowpage1", "t_tab00001", 0, images(at, slow.URL, "i", 200)...)
	e.mustSend(t, "s_rageafter", "t_tab00001", 0, ragePage(at+1000)...)

	if n, err := e.comp.RunOnce(ctx, time.Now().Add(time.Second)); err != nil || n != 2 {
		t.Fatalf("RunOnce = %d, %v", n, err)
	}
	<-slow.arrived
	<-slow.arrived
	// The server holds two requests and has answered none, and the other session's finding is
	// already in the index and found by search.
	s, err := e.db.GetSession(ctx, "s_rageafter")
	if err != nil || s.RageClicks != 1 {
		t.Fatalf("the other session was not analysed: %+v, %v", s, err)
	}
	rec := httptest.NewRecorder()
	e.api.Handler(e.api.ListSessions).ServeHTTP(rec, httptest.NewRequest("GET", "/api/v1/sessions?q="+url.QueryEscape("rage:>0"), nil))
	if rec.Code != 200 || !strings.Contains(rec.Body.String(), `"s_rageafter"`) {
		t.Fatalf("search rage:>0 = %d %s", rec.Code, rec.Body)
	}
	if _, inFlight, _, answered := slow.counts(); inFlight != 2 || answered != 0 {
		t.Fatalf("the slow server holds %d requests and answered %d; want 2 and 0", inFlight, answered)
	}

	slow.open()
	if err := a.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	list := e.archiveList(t, "s_slowpage1")
	archived := 0
	for _, r := range list.Resources {
		if r.Path != "" {
			archived++
		}
	}
	requests, _, most, _ := slow.counts()
	if archived != 200 || requests != 200 {
		t.Fatalf("archived %d of 200 images in %d requests", archived, requests)
	}
	if most != 2 {
		t.Fatalf("the server had up to %d requests at once, want the per-host bound of 2", most)
	}
}

// A host that did not answer (here: never answers, and the fetch times out) is left alone by
// the project for HostRetry: the session's other URLs there, and the next session's, are
// recorded as not fetched without a request. Another project still tries it.
func TestArchiveLeavesAHostThatDidNotAnswer(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if err := e.db.CreateProject(ctx, store.Project{ID: "other", Name: "o", PublicKey: "pk_other", RetentionDays: 30}); err != nil {
		t.Fatal(err)
	}
	lim := archive.DefaultLimits
	lim.Timeout = 200 * time.Millisecond // the fetch gives up on the silent host
	e.withArchiver(t, archive.Options{Limits: lim, PerHost: 2, HostRetry: time.Hour})
	dead := newHeldSite(t) // never opened: every request is held until the fetch gives up
	at := time.Now().Add(-time.Hour).UnixMilli()

	e.mustSend(t, "s_deadhost1", "t_tab00001", 0, images(at, dead.URL, "a", 20)...)
	if _, err := e.runAndArchive(ctx); err != nil {
		t.Fatal(err)
	}
	first, _, _, _ := dead.counts()
	if first < 1 || first > 2 {
		t.Fatalf("the silent host was asked %d times for 20 images, want at most the 2 fetches in flight when it first failed", first)
	}
	reasons := map[string]int{}
	for _, r := range e.archiveList(t, "s_deadhost1").Resources {
		reasons[r.Error]++
	}
	if reasons["timed out"] != first || reasons["not fetched: the host did not answer a moment ago"] != 20-first {
		t.Fatalf("reasons = %v", reasons)
	}

	// The next session of the project names other URLs on the host: none is asked for.
	e.mustSend(t, "s_deadhost2", "t_tab00001", 0, images(at+10_000, dead.URL, "b", 5)...)
	if _, err := e.runAndArchive(ctx); err != nil {
		t.Fatal(err)
	}
	if n, _, _, _ := dead.counts(); n != first {
		t.Fatalf("the host that did not answer was asked again (%d requests, was %d)", n, first)
	}
	if list := e.archiveList(t, "s_deadhost2"); len(list.Resources) != 5 || list.Resources[0].Error != "not fetched: the host did not answer a moment ago" {
		t.Fatalf("second session's archive = %+v", list)
	}

	// Another project's memory is its own.
	e.sendAs(t, "pk_other", "s_deadhost3", images(at+20_000, dead.URL, "c", 3))
	if _, err := e.runAndArchive(ctx); err != nil {
		t.Fatal(err)
	}
	if n, _, _, _ := dead.counts(); n == first {
		t.Fatal("another project's session did not try the host")
	}
}

// archivedLog reports each session the archiver logs as archived.
type archivedLog struct {
	slog.Handler
	done chan string
}

func (h archivedLog) Enabled(context.Context, slog.Level) bool { return true }

func (h archivedLog) Handle(_ context.Context, r slog.Record) error {
	if r.Message == "archived external resources" {
		r.Attrs(func(a slog.Attr) bool {
			if a.Key == "session" {
				h.done <- a.Value.String()
			}
			return true
		})
	}
	return nil
}

// One project's sessions held by a slow site take at most PerProject of the workers: another
// project's session queued after all of them is archived while they are still held.
func TestArchiveTakesProjectsInTurn(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	if err := e.db.CreateProject(ctx, store.Project{ID: "other", Name: "o", PublicKey: "pk_other", RetentionDays: 30}); err != nil {
		t.Fatal(err)
	}
	done := make(chan string, 10)
	lim := archive.DefaultLimits
	lim.Timeout, lim.Deadline = 10*time.Minute, 10*time.Minute
	a := e.withArchiverLog(t, archive.Options{Limits: lim, Workers: 2, PerProject: 1},
		slog.New(archivedLog{Handler: slog.DiscardHandler, done: done}))
	slow := newHeldSite(t)
	fast := newSite(t)
	at := time.Now().Add(-time.Hour).UnixMilli()

	// Three sessions of the default project, each naming an image on the slow site, are
	// queued first; the first is being fetched.
	for i := range 3 {
		e.mustSend(t, fmt.Sprintf("s_busy%05d", i), "t_tab00001", 0, images(at+int64(i)*1000, slow.URL, fmt.Sprintf("p%d-", i), 1)...)
	}
	if _, err := e.comp.RunOnce(ctx, time.Now().Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	<-slow.arrived
	// Then one of the other project's.
	e.sendAs(t, "pk_other", "s_turn00001", images(at+10_000, fast.URL, "logo", 1))
	if _, err := e.comp.RunOnce(ctx, time.Now().Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if got := <-done; got != "s_turn00001" {
		t.Fatalf("first session archived = %s, want the other project's", got)
	}
	if requests, _, _, answered := slow.counts(); requests != 1 || answered != 0 {
		t.Fatalf("the slow site got %d requests and answered %d; want the first session's one request, held", requests, answered)
	}
	if rows, err := e.db.SessionArchive(ctx, "s_turn00001"); err != nil || len(rows) != 1 || rows[0].Error != "HTTP 403" {
		t.Fatalf("other project's archive = %+v, %v", rows, err)
	}

	slow.open()
	if err := a.Wait(ctx); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if rows, _ := e.db.SessionArchive(ctx, fmt.Sprintf("s_busy%05d", i)); len(rows) != 1 || rows[0].Hash == "" {
			t.Fatalf("busy session %d archive = %+v", i, rows)
		}
	}
}
