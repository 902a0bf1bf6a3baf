// Package metrics is Reel's Prometheus instrumentation: one registry per server, the
// collectors the operator's dashboards read (docs/metrics.md lists every series, and
// docs/grafana-dashboard.json draws them), and the small hooks the packages that do the work
// call. Those packages define the hook they need as an interface of their own; this package
// implements them all, and a nil *Metrics records nothing, so tests and commands that do not
// serve /metrics pass nil.
package metrics

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"

	"github.com/reelhq/reel/internal/blob"
)

// Metrics holds every collector of one server.
type Metrics struct {
	reg *prometheus.Registry

	requests      *prometheus.HistogramVec // route, code
	ingestBatches *prometheus.CounterVec   // code
	ingestBytes   prometheus.Counter
	ingestSeconds prometheus.Histogram

	groupBatches prometheus.Histogram
	groupBytes   prometheus.Histogram
	dbSeconds    *prometheus.HistogramVec // op
	blobSeconds  *prometheus.HistogramVec // op, result

	compactQueue   prometheus.Gauge
	compactLag     prometheus.Gauge
	compactions    *prometheus.CounterVec // result
	compactSeconds prometheus.Histogram

	archiveFetches *prometheus.CounterVec // result
	searchSeconds  *prometheus.HistogramVec

	live *viewers
}

// New makes a registry with Reel's collectors and Go's runtime and process collectors.
func New() *Metrics {
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	f := factory{reg}
	latency := prometheus.ExponentialBuckets(0.0005, 2.5, 12) // 0.5 ms to about 30 s
	m := &Metrics{
		reg: reg,
		requests: f.histogramVec("reel_http_request_duration_seconds",
			"Time to answer an HTTP request, by route (the pattern of server.Table) and status code.", latency, "route", "code"),
		ingestBatches: f.counterVec("reel_ingest_requests_total",
			"Ingest requests answered, by status code: 200 stored or duplicate, 4xx refused (the code says why: docs/ingest.md), 503 unavailable.", "code"),
		ingestBytes: f.counter("reel_ingest_received_bytes_total", "Compressed bytes of ingest request bodies received."),
		ingestSeconds: f.histogram("reel_ingest_request_duration_seconds",
			"Time to answer an ingest request, durable write included.", latency),
		groupBatches: f.histogram("reel_ingest_group_commit_batches",
			"Batches written together by one group commit (one pack object, one index transaction).", prometheus.ExponentialBuckets(1, 2, 8)),
		groupBytes: f.histogram("reel_ingest_group_commit_bytes",
			"Bytes of the pack object one group commit writes.", prometheus.ExponentialBuckets(4<<10, 4, 8)),
		dbSeconds: f.histogramVec("reel_db_operation_duration_seconds",
			"Time of the index's hot operations: append_batches (a group commit's transaction), list_sessions (search), compaction_commit.", latency, "op"),
		blobSeconds: f.histogramVec("reel_blob_operation_duration_seconds",
			"Time of object store operations (files or S3), by operation and result (ok, not_found, error).", latency, "op", "result"),
		compactQueue: f.gauge("reel_compaction_queue_sessions",
			"Sessions quiet long enough to compact that the last compaction pass found waiting (analysis runs at compaction)."),
		compactLag: f.gauge("reel_compaction_lag_seconds",
			"How long past the idle time the oldest waiting session had been waiting at the last pass: the delay before findings appear."),
		compactions: f.counterVec("reel_compactions_total", "Sessions compacted and analysed, by result (ok, error).", "result"),
		compactSeconds: f.histogram("reel_compaction_duration_seconds",
			"Time to compact and analyse one session.", latency),
		archiveFetches: f.counterVec("reel_archive_fetches_total",
			"Cross-origin assets fetched for the archive, by result (stored, reused, refused, error).", "result"),
		searchSeconds: f.histogramVec("reel_search_duration_seconds",
			"Time of a session search in the index, by query shape: all (no query), filter (fields only), text (free text only), text_filter.", latency, "shape"),
		live: &viewers{seen: map[string]time.Time{}},
	}
	reg.MustRegister(prometheus.NewGaugeFunc(prometheus.GaugeOpts{
		Name: "reel_live_viewers",
		Help: "People watching a session live (polling its live edge) in the last 15 seconds.",
	}, func() float64 { return float64(m.live.count(time.Now())) }))
	return m
}

// Handler serves the registry in Prometheus' text format (or OpenMetrics when asked).
func (m *Metrics) Handler() http.Handler {
	return promhttp.HandlerFor(m.reg, promhttp.HandlerOpts{EnableOpenMetrics: true})
}

// Route times every request of one route; the ingest route also counts its requests by status
// and the bytes they carried.
func (m *Metrics) Route(pattern string, next http.Handler) http.Handler {
	if m == nil {
		return next
	}
	ingest := pattern == "POST /api/v1/ingest"
	obs := m.requests.MustCurryWith(prometheus.Labels{"route": pattern})
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &status{ResponseWriter: w, code: http.StatusOK}
		next.ServeHTTP(sw, r)
		d := time.Since(start).Seconds()
		code := strconv.Itoa(sw.code)
		obs.WithLabelValues(code).Observe(d)
		if ingest {
			m.ingestBatches.WithLabelValues(code).Inc()
			m.ingestSeconds.Observe(d)
			if r.ContentLength > 0 {
				m.ingestBytes.Add(float64(r.ContentLength))
			}
		}
	})
}

// status records the code a handler answered with.
type status struct {
	http.ResponseWriter
	code  int
	wrote bool
}

func (s *status) WriteHeader(code int) {
	if !s.wrote {
		s.code, s.wrote = code, true
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *status) Write(b []byte) (int, error) {
	s.wrote = true
	return s.ResponseWriter.Write(b)
}

func (s *status) Unwrap() http.ResponseWriter { return s.ResponseWriter }

// GroupCommitted records one group commit of ingest: how many batches, the pack's size, and
// how long its index transaction took.
func (m *Metrics) GroupCommitted(batches, bytes int, index time.Duration) {
	if m == nil {
		return
	}
	m.groupBatches.Observe(float64(batches))
	m.groupBytes.Observe(float64(bytes))
	m.dbSeconds.WithLabelValues("append_batches").Observe(index.Seconds())
}

// CompactionPass records what a compaction pass found waiting: sessions due and how long the
// oldest of them had been due.
func (m *Metrics) CompactionPass(waiting int, lag time.Duration) {
	if m == nil {
		return
	}
	m.compactQueue.Set(float64(waiting))
	m.compactLag.Set(max(lag, 0).Seconds())
}

// Compacted records one session's compaction: its time, its commit's time, and whether it
// failed.
func (m *Metrics) Compacted(took, commit time.Duration, err error) {
	if m == nil {
		return
	}
	result := "ok"
	if err != nil {
		result = "error"
	}
	m.compactions.WithLabelValues(result).Inc()
	m.compactSeconds.Observe(took.Seconds())
	if err == nil {
		m.dbSeconds.WithLabelValues("compaction_commit").Observe(commit.Seconds())
	}
}

// ArchiveFetched counts one asset fetch for the archive by result.
func (m *Metrics) ArchiveFetched(result string) {
	if m == nil {
		return
	}
	m.archiveFetches.WithLabelValues(result).Inc()
}

// Searched records one session search in the index.
func (m *Metrics) Searched(text, filters bool, took time.Duration) {
	if m == nil {
		return
	}
	shape := "all"
	switch {
	case text && filters:
		shape = "text_filter"
	case text:
		shape = "text"
	case filters:
		shape = "filter"
	}
	m.searchSeconds.WithLabelValues(shape).Observe(took.Seconds())
	m.dbSeconds.WithLabelValues("list_sessions").Observe(took.Seconds())
}

// WatchingLive notes that viewer polled session's live edge now.
func (m *Metrics) WatchingLive(session, viewer string) {
	if m == nil {
		return
	}
	m.live.saw(session+"\x00"+viewer, time.Now())
}

// viewers remembers who polled a live edge recently.
type viewers struct {
	mu   sync.Mutex
	seen map[string]time.Time
}

const liveWindow = 15 * time.Second

func (v *viewers) saw(key string, now time.Time) {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.seen[key] = now
	if len(v.seen) > 4096 { // forget the stale ones when it grows
		v.prune(now)
	}
}

func (v *viewers) count(now time.Time) int {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.prune(now)
	return len(v.seen)
}

func (v *viewers) prune(now time.Time) {
	for k, t := range v.seen {
		if now.Sub(t) > liveWindow {
			delete(v.seen, k)
		}
	}
}

// Blobs wraps an object store so that every operation is timed. What the store can do beyond
// blob.Store (clearing temporary files) stays reachable.
func (m *Metrics) Blobs(s blob.Store) blob.Store {
	if m == nil {
		return s
	}
	return &timedBlobs{Store: s, m: m}
}

type timedBlobs struct {
	blob.Store
	m *Metrics
}

func (t *timedBlobs) observe(op string, start time.Time, err error) {
	result := "ok"
	switch {
	case err == nil:
	case errors.Is(err, blob.ErrNotFound):
		result = "not_found"
	default:
		result = "error"
	}
	t.m.blobSeconds.WithLabelValues(op, result).Observe(time.Since(start).Seconds())
}

func (t *timedBlobs) Put(ctx context.Context, key string, data []byte) error {
	start := time.Now()
	err := t.Store.Put(ctx, key, data)
	t.observe("put", start, err)
	return err
}

func (t *timedBlobs) Get(ctx context.Context, key string) ([]byte, error) {
	start := time.Now()
	b, err := t.Store.Get(ctx, key)
	t.observe("get", start, err)
	return b, err
}

func (t *timedBlobs) GetRange(ctx context.Context, key string, offset, length int64) ([]byte, error) {
	start := time.Now()
	b, err := t.Store.GetRange(ctx, key, offset, length)
	t.observe("get_range", start, err)
	return b, err
}

func (t *timedBlobs) Delete(ctx context.Context, key string) error {
	start := time.Now()
	err := t.Store.Delete(ctx, key)
	t.observe("delete", start, err)
	return err
}

func (t *timedBlobs) List(ctx context.Context, prefix string, fn func(key string, size int64, modified time.Time) error) error {
	start := time.Now()
	err := t.Store.List(ctx, prefix, fn)
	t.observe("list", start, err)
	return err
}

// RemoveTemps passes the orphan sweep's request on to a store that can clear temporary files.
func (t *timedBlobs) RemoveTemps(ctx context.Context, cutoff time.Time) (int, error) {
	tr, ok := t.Store.(interface {
		RemoveTemps(ctx context.Context, cutoff time.Time) (int, error)
	})
	if !ok {
		return 0, nil
	}
	start := time.Now()
	n, err := tr.RemoveTemps(ctx, cutoff)
	t.observe("remove_temps", start, err)
	return n, err
}

// factory registers collectors as it makes them.
type factory struct{ reg *prometheus.Registry }

func (f factory) counter(name, help string) prometheus.Counter {
	c := prometheus.NewCounter(prometheus.CounterOpts{Name: name, Help: help})
	f.reg.MustRegister(c)
	return c
}

func (f factory) counterVec(name, help string, labels ...string) *prometheus.CounterVec {
	c := prometheus.NewCounterVec(prometheus.CounterOpts{Name: name, Help: help}, labels)
	f.reg.MustRegister(c)
	return c
}

func (f factory) gauge(name, help string) prometheus.Gauge {
	g := prometheus.NewGauge(prometheus.GaugeOpts{Name: name, Help: help})
	f.reg.MustRegister(g)
	return g
}

func (f factory) histogram(name, help string, buckets []float64) prometheus.Histogram {
	h := prometheus.NewHistogram(prometheus.HistogramOpts{Name: name, Help: help, Buckets: buckets})
	f.reg.MustRegister(h)
	return h
}

func (f factory) histogramVec(name, help string, buckets []float64, labels ...string) *prometheus.HistogramVec {
	h := prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: name, Help: help, Buckets: buckets}, labels)
	f.reg.MustRegister(h)
	return h
}
