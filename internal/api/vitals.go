package api

import (
	"cmp"
	"context"
	"math"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/reelhq/reel/internal/apierror"
	"github.com/reelhq/reel/internal/store"
)

// vitalIndex is the web vitals part of the index (store.Vitals).
type vitalIndex interface {
	SessionVitals(ctx context.Context, sessionID string) ([]store.PageVitals, error)
	VitalSamples(ctx context.Context, q store.VitalQuery) ([]store.VitalSample, error)
}

// vitalThresholds are Google's: a value at or below the first is good, above the second poor,
// between them needs improvement (web.dev/articles/vitals). Milliseconds; CLS unitless.
var vitalThresholds = map[string][2]float64{
	"lcp": {2500, 4000}, "inp": {200, 500}, "cls": {0.1, 0.25}, "fcp": {1800, 3000}, "ttfb": {800, 1800},
}

// Ratings of a vital's value.
const (
	ratingGood = "good"
	ratingMid  = "needs-improvement"
	ratingPoor = "poor"
)

// rateVital rates a metric's value by vitalThresholds.
func rateVital(metric string, v float64) string {
	t := vitalThresholds[metric]
	switch {
	case v <= t[0]:
		return ratingGood
	case v <= t[1]:
		return ratingMid
	}
	return ratingPoor
}

type vitalJSON struct {
	Metric string  `json:"metric"`
	Value  float64 `json:"value"`
	Rating string  `json:"rating"`
}

type pageVitalsJSON struct {
	Tab    string      `json:"tab"`
	At     time.Time   `json:"at"`
	URL    string      `json:"url"`
	Path   string      `json:"path"`
	Vitals []vitalJSON `json:"vitals"` // in store.VitalMetrics order, measured ones only
}

// SessionVitals lists the web vitals of each page view of a session, rated, GET
// /api/v1/sessions/{id}/vitals: the player's Session pane shows them.
func (a *API) SessionVitals(w http.ResponseWriter, r *http.Request) error {
	s, err := a.getSession(r.Context(), r.PathValue("id"))
	if err != nil {
		return err
	}
	pages, err := a.vitals.SessionVitals(r.Context(), s.ID)
	if err != nil {
		return err
	}
	apierror.JSON(w, http.StatusOK, map[string]any{"pages": ratedVitals(pages)})
	return nil
}

// ratedVitals is page views' vitals rated, in the order the page views happened, whatever
// their tab.
func ratedVitals(pages []store.PageVitals) []pageVitalsJSON {
	out := make([]pageVitalsJSON, 0, len(pages))
	for _, p := range pages {
		j := pageVitalsJSON{Tab: p.Tab, At: p.PageAt, URL: p.URL, Path: p.Path, Vitals: []vitalJSON{}}
		for _, m := range store.VitalMetrics {
			if v, ok := p.Values[m]; ok {
				j.Vitals = append(j.Vitals, vitalJSON{Metric: m, Value: v, Rating: rateVital(m, v)})
			}
		}
		out = append(out, j)
	}
	slices.SortStableFunc(out, func(x, y pageVitalsJSON) int { return x.At.Compare(y.At) })
	return out
}

// Bounds of the Performance page's queries.
const (
	maxVitalSamples = 200_000 // page views read for one report; past it the report says truncated
	maxVitalPages   = 20      // pages in one report, most measured first
	maxVitalPath    = 512
)

type percentilesJSON struct {
	Samples int     `json:"samples"`
	P50     float64 `json:"p50"`
	P75     float64 `json:"p75"`
	P95     float64 `json:"p95"`
	Rating  string  `json:"rating"` // of p75, as Google rates a page
}

type vitalPeriodJSON struct {
	From time.Time `json:"from"`
	To   time.Time `json:"to"`
	percentilesJSON
}

type vitalPageJSON struct {
	Path string `json:"path"`
	percentilesJSON
	Periods []vitalPeriodJSON `json:"periods"` // days with samples, oldest first
}

// vitalMetric reads the metric query parameter (default lcp).
func vitalMetric(r *http.Request) (string, error) {
	m := strings.ToLower(r.URL.Query().Get("metric"))
	if m == "" {
		return "lcp", nil
	}
	if store.VitalIndex(m) < 0 {
		return "", apierror.New(http.StatusBadRequest, "bad_request", "metric must be one of lcp, inp, cls, fcp, ttfb")
	}
	return m, nil
}

// vitalPath reads an optional page path parameter.
func vitalPath(r *http.Request) (string, error) {
	p := r.URL.Query().Get("path")
	if len(p) > maxVitalPath {
		return "", apierror.New(http.StatusBadRequest, "bad_request", "path must be at most 512 bytes")
	}
	return p, nil
}

// percentiles summarises values (sorted in place) by the nearest-rank method.
func percentiles(metric string, values []float64) percentilesJSON {
	slices.Sort(values)
	at := func(p float64) float64 {
		if len(values) == 0 {
			return 0
		}
		i := int(math.Ceil(p/100*float64(len(values)))) - 1
		return values[max(i, 0)]
	}
	out := percentilesJSON{Samples: len(values), P50: at(50), P75: at(75), P95: at(95)}
	out.Rating = rateVital(metric, out.P75)
	return out
}

// Vitals reports one web vital per page over time, GET /api/v1/vitals: the 50th, 75th and
// 95th percentile of every page's views per day, the pages measured most first. Each day of a
// page is one request away from its slowest sessions (VitalsSlowest).
func (a *API) Vitals(w http.ResponseWriter, r *http.Request) error {
	metric, err := vitalMetric(r)
	if err != nil {
		return err
	}
	path, err := vitalPath(r)
	if err != nil {
		return err
	}
	if _, err := facetProject(r); err != nil {
		return err
	}
	project, since, until, err := a.windowParams(r)
	if err != nil {
		return err
	}
	samples, err := a.vitals.VitalSamples(r.Context(), store.VitalQuery{ProjectID: project, Metric: metric, From: since, To: until, Path: path, Limit: maxVitalSamples + 1})
	if err != nil {
		return err
	}
	truncated := len(samples) > maxVitalSamples
	if truncated {
		samples = samples[:maxVitalSamples]
	}
	type dayKey struct {
		path string
		day  int64
	}
	byPage := map[string][]float64{}
	byDay := map[dayKey][]float64{}
	for _, s := range samples {
		day := s.PageAt.Truncate(24 * time.Hour).Unix()
		byPage[s.Path] = append(byPage[s.Path], s.Value)
		byDay[dayKey{s.Path, day}] = append(byDay[dayKey{s.Path, day}], s.Value)
	}
	paths := make([]string, 0, len(byPage))
	for p := range byPage {
		paths = append(paths, p)
	}
	slices.SortFunc(paths, func(x, y string) int {
		return cmp.Or(cmp.Compare(len(byPage[y]), len(byPage[x])), cmp.Compare(x, y))
	})
	if len(paths) > maxVitalPages {
		paths = paths[:maxVitalPages]
	}
	pages := make([]vitalPageJSON, 0, len(paths))
	for _, p := range paths {
		pj := vitalPageJSON{Path: p, percentilesJSON: percentiles(metric, byPage[p]), Periods: []vitalPeriodJSON{}}
		for d := since; d.Before(until); d = d.Add(24 * time.Hour) {
			if vs := byDay[dayKey{p, d.Unix()}]; len(vs) > 0 {
				pj.Periods = append(pj.Periods, vitalPeriodJSON{From: d, To: d.Add(24 * time.Hour), percentilesJSON: percentiles(metric, vs)})
			}
		}
		pages = append(pages, pj)
	}
	t := vitalThresholds[metric]
	apierror.JSON(w, http.StatusOK, map[string]any{"metric": metric, "good": t[0], "poor": t[1], "since": since, "until": until,
		"pages": pages, "truncated": truncated})
	return nil
}

type slowSessionJSON struct {
	SessionID string    `json:"sessionId"`
	StartedAt time.Time `json:"startedAt"`
	UserID    string    `json:"userId,omitempty"`
	Tab       string    `json:"tab"`
	At        time.Time `json:"at"` // the page view's time
	URL       string    `json:"url"`
	Path      string    `json:"path"`
	Value     float64   `json:"value"`
	Rating    string    `json:"rating"`
	// Replay opens the replay a second before the page view.
	Replay string `json:"replayUrl"`
}

// parseTimeParam reads an RFC 3339 time parameter.
func parseTimeParam(r *http.Request, name string) (time.Time, error) {
	v := r.URL.Query().Get(name)
	t, err := time.Parse(time.RFC3339, v)
	if err != nil {
		return time.Time{}, apierror.New(http.StatusBadRequest, "bad_request", name+" must be an RFC 3339 time like 2026-12-07T00:00:00Z")
	}
	return t, nil
}

// VitalsSlowest lists the slowest page views of one page in one period, GET
// /api/v1/vitals/slowest: the sessions behind a bar of the Performance page, worst first, each
// a link to its replay at the page view.
func (a *API) VitalsSlowest(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	metric, err := vitalMetric(r)
	if err != nil {
		return err
	}
	path, err := vitalPath(r)
	if err != nil {
		return err
	}
	if path == "" {
		return apierror.New(http.StatusBadRequest, "bad_request", "path is required: the page whose slowest views to list")
	}
	from, err := parseTimeParam(r, "from")
	if err != nil {
		return err
	}
	to, err := parseTimeParam(r, "to")
	if err != nil {
		return err
	}
	if !to.After(from) || to.Sub(from) > 366*24*time.Hour {
		return apierror.New(http.StatusBadRequest, "bad_request", "to must be after from, at most 366 days later")
	}
	limit := 20
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 100 {
			return apierror.New(http.StatusBadRequest, "bad_request", "limit must be an integer from 1 to 100")
		}
		limit = n
	}
	project, err := facetProject(r)
	if err != nil {
		return err
	}
	samples, err := a.vitals.VitalSamples(r.Context(), store.VitalQuery{ProjectID: project, Metric: metric, From: from, To: to, Path: path, Slowest: true, Limit: limit})
	if err != nil {
		return err
	}
	out := make([]slowSessionJSON, 0, len(samples))
	for _, s := range samples {
		out = append(out, slowSessionJSON{SessionID: s.SessionID, StartedAt: s.SessionStarted, UserID: s.UserID, Tab: s.Tab, At: s.PageAt,
			URL: s.URL, Path: s.Path, Value: s.Value, Rating: rateVital(metric, s.Value), Replay: moment(s.SessionID, s.PageAt, s.SessionStarted).URL})
	}
	apierror.JSON(w, http.StatusOK, map[string]any{"metric": metric, "path": path, "from": from, "to": to, "sessions": out})
	return nil
}
