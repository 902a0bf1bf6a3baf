package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/reelhq/reel/internal/store"
)

// RunAnalysis runs the contract of store.Analyzer as the API uses it: findings saved at
// compaction, grouped into issues over a window, and page views read back for funnels.
func RunAnalysis(t *testing.T, open func(t *testing.T) store.Index) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Index)
	}{
		{"SaveAnalysis", testSaveAnalysis},
		{"LiveSessions", testLiveSessions},
		{"Issues", testIssues},
		{"Visits", testVisits},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() { s.Close() })
			tc.fn(t, s)
		})
	}
}

func mustAppend(t *testing.T, s store.Store, bs ...store.Batch) {
	t.Helper()
	for _, b := range bs {
		if err := s.AppendBatch(context.Background(), b); err != nil {
			t.Fatalf("AppendBatch %s/%s/%d: %v", b.Chunk.SessionID, b.Chunk.Tab, b.Chunk.Seq, err)
		}
	}
}

func signal(kind, fingerprint string, at time.Time) store.StoredSignal {
	return store.StoredSignal{Kind: kind, At: at, Path: "/cart", Target: "button#buy", Fingerprint: fingerprint, Detail: "detail"}
}

// testSaveAnalysis: a session's scores come from its latest analysis, which replaces the one
// before; friction counts every finding but JavaScript errors.
func testSaveAnalysis(t *testing.T, s store.Index) {
	ctx := context.Background()
	mustProject(t, s, "p")
	mustAppend(t, s, batch("p", "s1", "t", 0, t0, 3))
	a := store.Analysis{SessionID: "s1", Score: 70, Summary: "Rage-clicked Buy twice.", At: t0.Add(time.Hour), ActiveMS: 34_000,
		Counts:  map[string]int{"rage_click": 2, "dead_click": 1, "js_error": 4},
		Signals: []store.StoredSignal{signal("rage_click", "fp-rage", t0), signal("rage_click", "fp-rage", t0.Add(time.Second)), signal("dead_click", "fp-dead", t0)}}
	if err := s.SaveAnalysis(ctx, a); err != nil {
		t.Fatalf("SaveAnalysis: %v", err)
	}
	got, err := s.GetSession(ctx, "s1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Score != 70 || got.Summary != a.Summary || got.Friction != 3 || got.RageClicks != 2 || got.DeadClicks != 1 {
		t.Fatalf("after SaveAnalysis: score %d summary %q friction %d rage %d dead %d; want 70, %q, 3, 2, 1",
			got.Score, got.Summary, got.Friction, got.RageClicks, got.DeadClicks, a.Summary)
	}
	// The whole session's active time replaces the batch-by-batch count.
	if got.ActiveMS != 34_000 {
		t.Fatalf("active time after SaveAnalysis = %d ms, want 34000", got.ActiveMS)
	}
	// Analysing again replaces the findings: the issue of the first analysis is gone.
	if err := s.SaveAnalysis(ctx, store.Analysis{SessionID: "s1", Score: 5, Summary: "Calm.", At: t0.Add(2 * time.Hour), Counts: map[string]int{}}); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.GetSession(ctx, "s1"); got.Score != 5 || got.Friction != 0 || got.RageClicks != 0 {
		t.Fatalf("after a second analysis: %+v", got)
	}
	issues, err := s.Issues(ctx, store.IssueQuery{ProjectID: "p", Since: t0.Add(-time.Hour), Until: t0.Add(time.Hour), Limit: 10})
	if err != nil || len(issues) != 0 {
		t.Fatalf("Issues after the findings were replaced = %+v, %v", issues, err)
	}
	if err := s.SaveAnalysis(ctx, store.Analysis{SessionID: "nope", At: t0}); err == nil {
		t.Fatal("SaveAnalysis of an unknown session succeeded")
	}
}

// testIssues: findings grouped by fingerprint within the window and project, most sessions
// first, with distinct identified users, first and last sighting, a daily trend and the latest
// moments to jump to.
func testIssues(t *testing.T, s store.Index) {
	ctx := context.Background()
	mustProject(t, s, "p")
	mustProject(t, s, "q")
	day := 24 * time.Hour
	b1 := batch("p", "s1", "t", 0, t0, 1)
	b1.UserID = "alice"
	b2 := batch("p", "s2", "t", 0, t0.Add(day), 1)
	b2.UserID = "bob"
	b3 := batch("p", "s3", "t", 0, t0.Add(day), 1)
	b3.UserID = "alice"
	b4 := batch("p", "s4", "t", 0, t0, 1) // anonymous
	mustAppend(t, s, b1, b2, b3, b4, batch("q", "x1", "t", 0, t0, 1))
	save := func(id string, sigs ...store.StoredSignal) {
		t.Helper()
		if err := s.SaveAnalysis(ctx, store.Analysis{SessionID: id, Signals: sigs, At: t0, Counts: map[string]int{}}); err != nil {
			t.Fatal(err)
		}
	}
	save("s1", signal("rage_click", "fp-rage", t0.Add(time.Minute)), signal("rage_click", "fp-rage", t0.Add(2*time.Minute)), signal("dead_click", "fp-dead", t0.Add(time.Minute)))
	save("s2", signal("rage_click", "fp-rage", t0.Add(day+time.Minute)))
	save("s3", signal("rage_click", "fp-rage", t0.Add(day+2*time.Minute)), signal("error_click", "fp-old", t0.Add(-day)))
	save("s4", signal("dead_click", "fp-dead", t0.Add(3*time.Minute)))
	save("x1", signal("rage_click", "fp-rage", t0.Add(time.Minute)))

	q := store.IssueQuery{ProjectID: "p", Since: t0, Until: t0.Add(3 * day), Limit: 10}
	issues, err := s.Issues(ctx, q)
	if err != nil {
		t.Fatalf("Issues: %v", err)
	}
	if len(issues) != 2 {
		t.Fatalf("Issues = %+v; want fp-rage and fp-dead (fp-old is before the window, x1 another project's)", issues)
	}
	rage, dead := issues[0], issues[1]
	if rage.Fingerprint != "fp-rage" || rage.Kind != "rage_click" || rage.Path != "/cart" || rage.Target != "button#buy" {
		t.Fatalf("first issue = %+v; want fp-rage (3 sessions) before fp-dead (2)", rage)
	}
	if rage.Sessions != 3 || rage.Users != 2 {
		t.Fatalf("fp-rage: %d sessions, %d users; want 3 sessions of 2 identified users", rage.Sessions, rage.Users)
	}
	if !rage.FirstSeen.Equal(t0.Add(time.Minute)) || !rage.LastSeen.Equal(t0.Add(day+2*time.Minute)) {
		t.Fatalf("fp-rage seen %v – %v", rage.FirstSeen, rage.LastSeen)
	}
	if fmt.Sprint(rage.Daily) != "[1 2 0]" {
		t.Fatalf("fp-rage daily = %v; want sessions per day [1 2 0]", rage.Daily)
	}
	if len(rage.Samples) != 3 || rage.Samples[0].SessionID != "s3" || !rage.Samples[0].At.Equal(t0.Add(day+2*time.Minute)) ||
		!rage.Samples[0].SessionStarted.Equal(t0.Add(day)) || rage.Samples[2].SessionID != "s1" || !rage.Samples[2].At.Equal(t0.Add(time.Minute)) {
		t.Fatalf("fp-rage samples = %+v; want s3, s2, s1, latest first, each at its first finding", rage.Samples)
	}
	if dead.Fingerprint != "fp-dead" || dead.Sessions != 2 || dead.Users != 1 {
		t.Fatalf("second issue = %+v", dead)
	}
	if one, err := s.Issues(ctx, store.IssueQuery{ProjectID: "p", Since: t0, Until: t0.Add(3 * day), Limit: 1}); err != nil || len(one) != 1 || one[0].Fingerprint != "fp-rage" {
		t.Fatalf("Issues with limit 1 = %+v, %v", one, err)
	}
	// Issues go with their sessions.
	if _, err := s.DeleteSessions(ctx, []string{"s2", "s3"}); err != nil {
		t.Fatal(err)
	}
	issues, err = s.Issues(ctx, q)
	if err != nil || len(issues) != 2 || issues[0].Sessions != 2 || issues[1].Sessions != 1 {
		t.Fatalf("Issues after deleting s2 and s3 = %+v, %v", issues, err)
	}
}

// testVisits: the page views of the sessions that started in the window, by session and time,
// paths without query, the newest limit sessions.
func testVisits(t *testing.T, s store.Index) {
	ctx := context.Background()
	mustProject(t, s, "p")
	mustProject(t, s, "q")
	mustAppend(t, s,
		batch("p", "a", "t", 0, t0, 1, "https://shop.example", "https://shop.example/cart?step=1"),
		batch("p", "a", "t", 1, t0.Add(time.Minute), 1, "https://shop.example/checkout"),
		batch("p", "b", "t", 0, t0.Add(time.Hour), 1, "https://shop.example/product/7"),
		batch("p", "c", "t", 0, t0.Add(-time.Hour), 1, "https://shop.example/early"),
		batch("q", "d", "t", 0, t0, 1, "https://other.example/"),
	)
	visits, err := s.Visits(ctx, "p", t0, t0.Add(2*time.Hour), 10)
	if err != nil {
		t.Fatalf("Visits: %v", err)
	}
	var got []string
	for _, v := range visits {
		got = append(got, fmt.Sprintf("%s@%s%s", v.SessionID, v.At.Sub(t0), v.Path))
	}
	want := "[a@0s/ a@1ms/cart a@1m0s/checkout b@1h0m0s/product/7]"
	if fmt.Sprint(got) != want {
		t.Fatalf("Visits = %v\nwant %s", got, want)
	}
	// The limit keeps the sessions that started last.
	visits, err = s.Visits(ctx, "p", t0.Add(-2*time.Hour), t0.Add(2*time.Hour), 1)
	if err != nil || len(visits) != 1 || visits[0].SessionID != "b" {
		t.Fatalf("Visits limited to one session = %+v, %v; want b's", visits, err)
	}
}

// testLiveSessions: a session is waiting for live analysis while it has uncompacted batches
// that arrived after those its latest analysis read; the analysis's report is kept as saved.
func testLiveSessions(t *testing.T, s store.Index) {
	ctx := context.Background()
	mustProject(t, s, "p")
	live := func(want ...string) []store.LiveSession {
		t.Helper()
		got, err := s.LiveSessions(ctx, 10)
		if err != nil {
			t.Fatalf("LiveSessions: %v", err)
		}
		var ids []string
		for _, l := range got {
			ids = append(ids, l.ID)
		}
		if fmt.Sprint(ids) != fmt.Sprint(want) {
			t.Fatalf("LiveSessions = %v, want %v", ids, want)
		}
		return got
	}
	live()
	if _, err := s.AnalysisReport(ctx, "s1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("AnalysisReport of an unknown session: %v, want ErrNotFound", err)
	}
	mustAppend(t, s, batch("p", "s1", "t", 0, t0, 3))
	time.Sleep(2 * time.Millisecond) // ingest stamps batches with the node's clock, in ms
	mustAppend(t, s, batch("p", "s2", "t", 0, t0, 3))
	got := live("s1", "s2")
	if got[0].LastBatchAt.IsZero() || got[1].LastBatchAt.Before(got[0].LastBatchAt) {
		t.Fatalf("LiveSessions times %v, want s1's batch time then s2's", got)
	}
	if _, err := s.AnalysisReport(ctx, "s1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("AnalysisReport before any analysis: %v, want ErrNotFound", err)
	}
	// An analysis that read s1 up to its last batch takes it off the list.
	report := []byte(`{"signals":[{"kind":"rage_click","at":1}],"summary":"Rage-clicked \u2018Buy\u2019."}`)
	if err := s.SaveAnalysis(ctx, store.Analysis{SessionID: "s1", At: time.Now(), Through: got[0].LastBatchAt, Counts: map[string]int{"rage_click": 1}, Report: report}); err != nil {
		t.Fatal(err)
	}
	live("s2")
	if r, err := s.AnalysisReport(ctx, "s1"); err != nil || string(r) != string(report) {
		t.Fatalf("AnalysisReport = %s, %v; want %s", r, err, report)
	}
	// A later batch puts it back.
	time.Sleep(2 * time.Millisecond)
	mustAppend(t, s, batch("p", "s1", "t", 1, t0.Add(time.Minute), 3))
	live("s2", "s1")
	// Compaction takes a session off the list whatever its analysis read.
	compactAll(t, s, "s2", "sessions/s2")
	live("s1")
	// A live analysis of a session compaction has taken in is refused: compaction's stands.
	if err := s.SaveAnalysis(ctx, store.Analysis{SessionID: "s2", At: time.Now(), Live: true, Counts: map[string]int{}}); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("live SaveAnalysis of a compacted session: %v, want ErrConflict", err)
	}
	if err := s.SaveHeat(ctx, store.Heat{SessionID: "s2", Live: true}); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("live SaveHeat of a compacted session: %v, want ErrConflict", err)
	}
	if err := s.SaveLiveSteps(ctx, "s2", []store.Step{{At: t0, Kind: store.StepEvent, Name: "late"}}); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("live SaveSteps of a compacted session: %v, want ErrConflict", err)
	}
	if err := s.SaveLiveSteps(ctx, "s1", []store.Step{{At: t0, Kind: store.StepEvent, Name: "live"}}); err != nil {
		t.Fatalf("live SaveSteps of a live session: %v", err)
	}
	if err := s.SaveAnalysis(ctx, store.Analysis{SessionID: "s1", At: time.Now(), Live: true, Through: time.Now(), Counts: map[string]int{"rage_click": 2}}); err != nil {
		t.Fatalf("live SaveAnalysis of a live session: %v", err)
	}
	if err := s.SaveHeat(ctx, store.Heat{SessionID: "s1", Live: true}); err != nil {
		t.Fatalf("live SaveHeat of a live session: %v", err)
	}
	if got, _ := s.GetSession(ctx, "s1"); got.RageClicks != 2 {
		t.Fatalf("after a live analysis the session has %d rage clicks, want 2", got.RageClicks)
	}
}
