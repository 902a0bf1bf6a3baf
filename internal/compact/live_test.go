package compact_test

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"reflect"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reelhq/reel/internal/analyze"
	"github.com/reelhq/reel/internal/blob"
	"github.com/reelhq/reel/internal/compact"
	"github.com/reelhq/reel/internal/rrweb"
	"github.com/reelhq/reel/internal/rrweb/rrwebtest"
	"github.com/reelhq/reel/internal/search"
	"github.com/reelhq/reel/internal/store"
)

// recordedTab reads one of analyze's recorded sessions (a visit of the demo shop recorded by
// the SDK in Chromium).
func recordedTab(t *testing.T, name string) []json.RawMessage {
	t.Helper()
	f, err := os.Open("../analyze/testdata/sessions/" + name + ".json.gz")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	var evs []json.RawMessage
	if err := json.NewDecoder(zr).Decode(&evs); err != nil {
		t.Fatal(err)
	}
	return evs
}

func storedReport(t *testing.T, e *env, id string) analyze.Report {
	t.Helper()
	raw, err := e.db.AnalysisReport(context.Background(), id)
	if err != nil {
		t.Fatalf("AnalysisReport: %v", err)
	}
	var r analyze.Report
	if err := json.Unmarshal(raw, &r); err != nil {
		t.Fatal(err)
	}
	return r
}

// TestLiveAnalysis sends two recorded visits as two tabs of one session through ingest, batch
// by batch, with a live pass after each: what each pass stores (findings, counts for search,
// issues, the report the player reads, heatmap points) never claims what the whole-session
// pass at compaction does not, and compaction's pass stores the report that analysing the
// whole session gives.
func TestLiveAnalysis(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	live := compact.NewLive(e.comp, e.db, compact.LiveOptions{})
	tabs := map[string][]json.RawMessage{"t_tab_aaaa": recordedTab(t, "demo-07"), "t_tab_bbbb": recordedTab(t, "demo-00")}
	names := []string{"t_tab_aaaa", "t_tab_bbbb"}
	whole := analyze.Analyze([][]json.RawMessage{tabs["t_tab_aaaa"], tabs["t_tab_bbbb"]}, analyze.Facts{}, analyze.Defaults)
	final := map[string]bool{}
	for _, s := range whole.Signals {
		final[fmt.Sprintf("%s@%d %s", s.Kind, s.At, s.Target)] = true
	}
	if whole.Counts[analyze.RageClick] == 0 {
		t.Fatalf("the recording has no rage click to find live: %v", whole.Counts)
	}

	const id = "s_live_analysis_0001"
	cut := map[string][][]json.RawMessage{}
	for _, n := range names {
		cut[n] = rrwebtest.Batches(tabs[n], 3000)
	}
	rageSeen := false
	for b := 0; b < max(len(cut["t_tab_aaaa"]), len(cut["t_tab_bbbb"])); b++ {
		for _, n := range names {
			if b >= len(cut[n]) {
				continue
			}
			e.mustSend(t, id, n, b, cut[n][b]...)
			if n, err := live.RunOnce(ctx); err != nil || n != 1 {
				t.Fatalf("live pass after batch %d = %d sessions, %v; want 1", b, n, err)
			}
			rep := storedReport(t, e, id)
			rage := 0
			for _, s := range rep.Signals {
				if !final[fmt.Sprintf("%s@%d %s", s.Kind, s.At, s.Target)] {
					t.Fatalf("after batch %d the live pass stored %s %s at %d, which the whole-session pass does not find", b, s.Kind, s.Target, s.At)
				}
				if s.Kind == analyze.RageClick {
					rage++
				}
			}
			sess, err := e.db.GetSession(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if sess.RageClicks != rage || sess.Summary != rep.Summary {
				t.Fatalf("session row: %d rage clicks, summary %q; stored report: %d, %q", sess.RageClicks, sess.Summary, rage, rep.Summary)
			}
			if rage > 0 && !rageSeen {
				rageSeen = true
				// Found live: search, issues and the player see it before any compaction.
				plan, err := search.Parse("rage:>0")
				if err != nil {
					t.Fatal(err)
				}
				page, err := e.db.ListSessions(ctx, store.ListQuery{ProjectID: "default", Limit: 10, Query: plan})
				if err != nil || len(page.Sessions) != 1 || page.Sessions[0].ID != id {
					t.Fatalf("rage:>0 while live = %+v, %v", page.Sessions, err)
				}
				issues, err := e.db.Issues(ctx, store.IssueQuery{ProjectID: "default", Since: time.UnixMilli(0), Until: time.Now().Add(time.Hour), Limit: 50})
				if err != nil {
					t.Fatal(err)
				}
				found := false
				for _, is := range issues {
					found = found || is.Kind == "rage_click" && is.Sessions == 1
				}
				if !found {
					t.Fatalf("no rage click issue while live: %+v", issues)
				}
				if sig := signalsEndpoint(t, e, id); !reflect.DeepEqual(sig, rep) {
					t.Fatalf("the player's signals %+v, the stored report %+v", sig, rep)
				}
			}
		}
	}
	if !rageSeen {
		t.Fatal("no live pass stored the rage click")
	}
	// Nothing new: nothing to read.
	if n, err := live.RunOnce(ctx); err != nil || n != 0 {
		t.Fatalf("live pass with no new batch = %d, %v; want 0", n, err)
	}
	liveHeat := heatClicks(t, e)
	liveSteps := journeySteps(t, e, id)
	if len(liveSteps) == 0 {
		t.Fatal("live analysis stored no clicks for funnels")
	}

	// Compaction's whole-session pass is the final word: the report of the whole session.
	if n, err := e.comp.RunOnce(ctx, time.Now()); err != nil || n != 1 {
		t.Fatalf("compaction = %d, %v", n, err)
	}
	sess, err := e.db.GetSession(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	want := compact.Analysis(sess, [][]json.RawMessage{sorted(tabs["t_tab_aaaa"]), sorted(tabs["t_tab_bbbb"])}, analyze.Defaults)
	got, err := e.db.AnalysisReport(ctx, id)
	if err != nil || string(got) != string(want.Report) {
		t.Fatalf("after compaction the stored report is\n%s\nthe whole session gives\n%s", got, want.Report)
	}
	if after := heatClicks(t, e); after != liveHeat || after == 0 {
		t.Fatalf("heatmap clicks: %d live, %d after compaction", liveHeat, after)
	}
	// Funnels read the same clicks and track events from either pass.
	if after := journeySteps(t, e, id); !reflect.DeepEqual(after, liveSteps) {
		t.Fatalf("funnel steps: live\n%+v\nafter compaction\n%+v", liveSteps, after)
	}
	// A compacted session is not live: its analysis is final.
	if n, err := live.RunOnce(ctx); err != nil || n != 0 {
		t.Fatalf("live pass after compaction = %d, %v; want 0", n, err)
	}
}

// sorted orders a tab's events by time, as compaction does.
func sorted(events []json.RawMessage) []json.RawMessage {
	out := append([]json.RawMessage(nil), events...)
	at := func(raw json.RawMessage) int64 { _, t, _ := rrweb.Header(raw); return t }
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && at(out[j]) < at(out[j-1]); j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

func heatClicks(t *testing.T, e *env) int {
	t.Helper()
	h, err := e.db.Heatmap(context.Background(), store.HeatmapQuery{ProjectID: "default", Page: "*", From: time.UnixMilli(0), To: time.Now().Add(time.Hour), Bins: 10})
	if err != nil {
		t.Fatal(err)
	}
	return h.Clicks
}

// signalsEndpoint is the player's GET /api/v1/sessions/{id}/signals.
func signalsEndpoint(t *testing.T, e *env, id string) analyze.Report {
	t.Helper()
	req := httptest.NewRequest("GET", "/api/v1/sessions/"+id+"/signals", nil)
	req.SetPathValue("id", id)
	rec := httptest.NewRecorder()
	e.api.Handler(e.api.Signals).ServeHTTP(rec, req)
	if rec.Code != 200 {
		t.Fatalf("signals = %d %s", rec.Code, rec.Body)
	}
	var r analyze.Report
	if err := json.Unmarshal(rec.Body.Bytes(), &r); err != nil {
		t.Fatal(err)
	}
	return r
}

// journeySteps is the clicks and track events funnels read of session id.
func journeySteps(t *testing.T, e *env, id string) []store.Step {
	t.Helper()
	js, err := e.db.Journeys(context.Background(), "default", time.UnixMilli(0), time.Now().Add(time.Hour), 10)
	if err != nil {
		t.Fatal(err)
	}
	for _, j := range js {
		if j.SessionID == id {
			return j.Steps
		}
	}
	return nil
}

// compactOnFirstGet is a blob store that, on the first read of a batch's chunk, lets
// compaction run to its end first: the moment compaction replaces the chunks a live pass has
// just listed with a segment and deletes them.
type compactOnFirstGet struct {
	*blob.Local
	once sync.Once
	run  func()
}

func (s *compactOnFirstGet) Get(ctx context.Context, key string) ([]byte, error) {
	if strings.HasPrefix(key, "chunks/") {
		s.once.Do(s.run)
	}
	return s.Local.Get(ctx, key)
}

func (s *compactOnFirstGet) GetRange(ctx context.Context, key string, offset, length int64) ([]byte, error) {
	if strings.HasPrefix(key, "chunks/") {
		s.once.Do(s.run)
	}
	return s.Local.GetRange(ctx, key, offset, length)
}

// TestLivePassWhileCompactionDeletesItsChunks: a live pass that lists a session's batches
// just before compaction takes them in reads what is there after (nothing left to analyse)
// instead of failing on a deleted chunk, and compaction's analysis stands.
func TestLivePassWhileCompactionDeletesItsChunks(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	const id = "s_live_race_00001"
	var sent []json.RawMessage
	for b, events := range rrwebtest.Batches(recordedTab(t, "demo-07"), 3000)[:3] {
		e.mustSend(t, id, "t_tab_aaaa", b, events...)
		sent = append(sent, events...)
	}
	compacted := 0
	racing := &compactOnFirstGet{Local: e.blobs, run: func() {
		n, err := e.comp.RunOnce(ctx, time.Now())
		if err != nil {
			t.Errorf("compaction: %v", err)
		}
		compacted = n
	}}
	live := compact.NewLive(compact.New(e.db, racing, slog.New(slog.DiscardHandler), compact.Options{Idle: time.Nanosecond, MinContent: 1024}), e.db, compact.LiveOptions{})
	list, err := e.db.LiveSessions(ctx, 10)
	if err != nil || len(list) != 1 {
		t.Fatalf("LiveSessions = %+v, %v", list, err)
	}
	ok, err := live.Session(ctx, list[0])
	if err != nil || ok {
		t.Fatalf("live pass over a session compacted under it = %v, %v; want nothing stored and no error", ok, err)
	}
	if compacted != 1 {
		t.Fatalf("compaction under the live pass compacted %d sessions, want 1", compacted)
	}
	sess, err := e.db.GetSession(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	want := compact.Analysis(sess, [][]json.RawMessage{sorted(sent)}, analyze.Defaults)
	if got, err := e.db.AnalysisReport(ctx, id); err != nil || string(got) != string(want.Report) {
		t.Fatalf("after the race the stored report is\n%s\ncompaction's is\n%s", got, want.Report)
	}
}
