package store

import (
	"context"
	"time"
)

// VitalMetrics are the web vitals the index keeps per page view, lowercased as search names
// them (search.VitalMetrics); the SDK sends them as reel.vitals with upper-case names.
var VitalMetrics = [...]string{"lcp", "inp", "cls", "fcp", "ttfb"}

// Vital is one web vital a batch reported: its metric (one of VitalMetrics), its value
// (milliseconds; CLS unitless), the tab and when the SDK reported it.
type Vital struct {
	Tab    string
	At     time.Time
	Metric string
	Value  float64
}

// PageVitals is what one page view of a session measured. A vital belongs to the page view
// showing in its tab when the SDK reported it, except TTFB, which the SDK reports as it starts,
// just before the recording's first page view: it belongs to the tab's next page view within
// ten seconds (docs/decisions.md).
type PageVitals struct {
	SessionID string
	Tab       string
	PageAt    time.Time // the page view's time, as in Page.At
	URL       string
	Path      string
	Values    map[string]float64 // by metric; a metric not measured is absent
}

// TTFBLookahead is how far after a TTFB report its page view may start.
const TTFBLookahead = 10 * time.Second

// VitalQuery selects page views that measured one metric, for the Performance page.
type VitalQuery struct {
	ProjectID string
	Metric    string // one of VitalMetrics
	From, To  time.Time
	Path      string // empty: every page
	// Slowest returns the highest values first (the slowest page views of a page and period);
	// else the samples come in no particular order.
	Slowest bool
	Limit   int
}

// VitalSample is one page view's value of the queried metric.
type VitalSample struct {
	SessionID      string
	SessionStarted time.Time
	UserID         string
	Tab            string
	PageAt         time.Time
	URL            string
	Path           string
	Value          float64
}

// Vitals is the web vitals part of the index. AppendBatch stores a batch's Vitals.
type Vitals interface {
	// SessionVitals returns a session's page views that measured any vital, by tab and time.
	SessionVitals(ctx context.Context, sessionID string) ([]PageVitals, error)
	// VitalSamples returns up to q.Limit page views of the project that measured q.Metric and
	// started in [q.From, q.To).
	VitalSamples(ctx context.Context, q VitalQuery) ([]VitalSample, error)
}

// VitalIndex is the position of a metric in VitalMetrics, or -1.
func VitalIndex(metric string) int {
	for i, m := range VitalMetrics {
		if m == metric {
			return i
		}
	}
	return -1
}
