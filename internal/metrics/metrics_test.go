package metrics

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"

	"github.com/reelhq/reel/internal/blob"
)

// A nil *Metrics is what tests and commands without /metrics pass: every hook does nothing.
func TestNilRecordsNothing(t *testing.T) {
	var m *Metrics
	m.GroupCommitted(3, 100, time.Millisecond)
	m.CompactionPass(2, time.Second)
	m.Compacted(time.Second, time.Millisecond, nil)
	m.ArchiveFetched("stored")
	m.Searched(true, false, time.Millisecond)
	m.WatchingLive("s", "v")
	h := http.NotFoundHandler()
	if m.Route("GET /x", h) == nil {
		t.Fatal("Route of nil metrics dropped the handler")
	}
	local, _ := blob.NewLocal(t.TempDir())
	if m.Blobs(local) != blob.Store(local) {
		t.Fatal("Blobs of nil metrics wrapped the store")
	}
}

// The timed object store times each operation by result, and still clears the temporary files
// of interrupted writes, which the orphan sweep reaches through an interface the wrapper must
// keep.
func TestTimedBlobsKeepRemoveTemps(t *testing.T) {
	dir := t.TempDir()
	local, err := blob.NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	m := New()
	s := m.Blobs(local)
	ctx := context.Background()
	if err := s.Put(ctx, "chunks/2026-12-07/a.pack", []byte("x")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, "chunks/2026-12-07/missing.pack"); !errors.Is(err, blob.ErrNotFound) {
		t.Fatalf("Get missing = %v", err)
	}
	if n := testutil.CollectAndCount(m.blobSeconds); n != 2 {
		t.Fatalf("%d blob series, want put/ok and get/not_found", n)
	}
	tmp := filepath.Join(dir, "chunks", ".tmp-left-by-a-crash")
	os.WriteFile(tmp, []byte("partial"), 0o600)
	old := time.Now().Add(-2 * time.Hour)
	os.Chtimes(tmp, old, old)
	tr, ok := s.(interface {
		RemoveTemps(ctx context.Context, cutoff time.Time) (int, error)
	})
	if !ok {
		t.Fatal("the timed store hides RemoveTemps")
	}
	if n, err := tr.RemoveTemps(ctx, time.Now().Add(-time.Hour)); err != nil || n != 1 {
		t.Fatalf("RemoveTemps = %d, %v; want the crash's temporary file removed", n, err)
	}
}

// Requests are timed per route and code; the ingest route also counts by code and bytes.
func TestRouteCountsIngestByCode(t *testing.T) {
	m := New()
	ingest := m.Route("POST /api/v1/ingest", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Query().Get("key") == "" {
			http.Error(w, `{"error":{"code":"invalid_key"}}`, http.StatusUnauthorized)
		}
	}))
	for _, url := range []string{"/api/v1/ingest?key=pk", "/api/v1/ingest?key=pk", "/api/v1/ingest"} {
		ingest.ServeHTTP(httptest.NewRecorder(), httptest.NewRequest("POST", url, strings.NewReader("12345")))
	}
	if got := testutil.ToFloat64(m.ingestBatches.WithLabelValues("200")); got != 2 {
		t.Errorf("200s = %v", got)
	}
	if got := testutil.ToFloat64(m.ingestBatches.WithLabelValues("401")); got != 1 {
		t.Errorf("401s = %v", got)
	}
	if got := testutil.ToFloat64(m.ingestBytes); got != 15 {
		t.Errorf("bytes = %v, want 15", got)
	}
}

// Live viewers are those who polled within the window, each person and session once.
func TestLiveViewersWindow(t *testing.T) {
	v := &viewers{seen: map[string]time.Time{}}
	now := time.Now()
	v.saw("s1\x00alice", now.Add(-20*time.Second))
	v.saw("s1\x00bob", now.Add(-5*time.Second))
	v.saw("s1\x00bob", now)
	v.saw("s2\x00bob", now)
	if n := v.count(now); n != 2 {
		t.Fatalf("live viewers = %d, want bob on two sessions (alice left 20 s ago)", n)
	}
}

// The Grafana dashboard in docs/ draws only series this package exports: a renamed metric
// would leave an empty panel on every operator's screen.
func TestDashboardUsesExportedSeries(t *testing.T) {
	b, err := os.ReadFile("../../docs/grafana-dashboard.json")
	if err != nil {
		t.Fatal(err)
	}
	m := New()
	m.Searched(false, false, 0) // vectors show up once they have a child
	fams, err := m.reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	known := map[string]bool{}
	for _, f := range fams {
		known[f.GetName()] = true
	}
	for _, name := range []string{"reel_http_request_duration_seconds", "reel_ingest_requests_total", "reel_db_operation_duration_seconds",
		"reel_blob_operation_duration_seconds", "reel_compactions_total", "reel_archive_fetches_total"} {
		known[name] = true // vectors without children are not gathered
	}
	used := regexp.MustCompile(`\b((?:reel|go|process)_[a-z_]+)`).FindAllStringSubmatch(string(b), -1)
	if len(used) < 20 {
		t.Fatalf("the dashboard uses only %d series", len(used))
	}
	for _, u := range used {
		name := u[1]
		for _, suffix := range []string{"_bucket", "_count", "_sum"} {
			if base := strings.TrimSuffix(name, suffix); base != name && known[base] {
				name = base
			}
		}
		if !known[name] {
			t.Errorf("the dashboard draws %s, which Reel does not export", u[1])
		}
	}
}
