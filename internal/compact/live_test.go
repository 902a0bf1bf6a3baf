package compact_test

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"net/http/httptest"
	"os"
	"reflect"
	"testing"
	"time"

	"github.com/reelhq/reel/internal/analyze"
	"github.com/reelhq/reel/internal/compact"
	"github.com/reelhq/reel/internal/rrweb"
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

// cutEvery cuts a tab's events into batches of everyMS of the recording, as the SDK sends them.
func cutEvery(events []json.RawMessage, everyMS int64) [][]json.RawMessage {
	var out [][]json.RawMessage
	var start int64 = -1
	for _, raw := range events {
		_, at, _ := rrweb.Header(raw)
		if start < 0 || at-start >= everyMS {
			out = append(out, nil)
			start = at
		}
		out[len(out)-1] = append(out[len(out)-1], raw)
	}
	return out
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
		cut[n] = cutEvery(tabs[n], 3000)
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
