package store

import (
	"context"
	"encoding/json"
	"slices"
	"time"
)

// Step kinds: what a session did, besides viewing a page, that a funnel step can name.
const (
	StepPage  = "page"  // a page view (session_pages; Journeys only)
	StepClick = "click" // a click on an element
	StepEvent = "event" // a reel.track event
)

// Step is one thing a session did, kept with its time for funnels.
type Step struct {
	At   time.Time
	Kind string // StepClick or StepEvent (StepPage in a Journey)
	Path string // the page it happened on (a page view's own path)
	// Name is a click's element selector (the SDK's reel.click) or an event's name, lowercased.
	Name string
	// Text is a clicked element as analysis describes it: tag, id or classes, and its text.
	Text  string
	Props map[string]string // an event's scalar properties
}

// Journey is what one session did, in time order: its page views and steps.
type Journey struct {
	SessionID string
	StartedAt time.Time
	Steps     []Step
}

// SessionFlag is one variant of a feature flag a session had (Reel.setFlags).
type SessionFlag struct {
	Name, Variant string
	FirstAt       time.Time
}

// FlagCount is how many sessions had a variant of a flag.
type FlagCount struct {
	Name, Variant string
	Sessions      int
}

// Exposure is a session in an experiment: the first variant of the flag it had, and what the
// experiment view compares.
type Exposure struct {
	SessionID string
	Variant   string
	StartedAt time.Time
	Errors    int // reel.error events
	Friction  int // friction findings of analysis
	// Vitals is the session's worst page view by each web vital it measured (the highest
	// value), by metric as in VitalMetrics; a metric no page view measured is absent.
	Vitals map[string]float64
}

// Funnel is a saved funnel of a project, private to its owner or shared with everyone who can
// see the project, like a saved search.
type Funnel struct {
	ID         int64
	ProjectID  string
	Name       string
	Definition string // the funnel's steps and order as JSON (the API validates it)
	OwnerID    int64  // users.id; 0 for the admin token
	Shared     bool
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// Limits on what a session keeps for funnels: a page that clicks or tracks without end adds
// no more once it has MaxSteps.
const (
	MaxSteps    = 5000
	MaxFlags    = 100 // distinct (flag, variant) pairs per session
	MaxStepText = 256
)

// Funnels keeps what funnels and experiments read; backends implement it next to Store.
type Funnels interface {
	// SaveSteps replaces a session's clicks and track events (at most MaxSteps, in order);
	// ErrNotFound when there is no such session.
	SaveSteps(ctx context.Context, sessionID string, steps []Step) error
	// SaveLiveSteps is SaveSteps for live analysis, which reads a session before it is
	// compacted: ErrConflict when compaction has taken in every batch since (its steps are
	// the final word).
	SaveLiveSteps(ctx context.Context, sessionID string, steps []Step) error
	// Journeys returns the page views and steps of a project's sessions that started in
	// [from, to), at most limit sessions (the newest), each session's in time order.
	Journeys(ctx context.Context, projectID string, from, to time.Time, limit int) ([]Journey, error)
	// SessionFlags lists a session's flag variants by first time.
	SessionFlags(ctx context.Context, sessionID string) ([]SessionFlag, error)
	// FlagCounts lists the flags and variants of a project's sessions that started in
	// [from, to), with their session counts, by flag then variant.
	FlagCounts(ctx context.Context, projectID string, from, to time.Time) ([]FlagCount, error)
	// Exposures lists the sessions that started in [from, to) with a variant of the flag, each
	// with the first variant it had, newest first, at most limit.
	Exposures(ctx context.Context, projectID, flag string, from, to time.Time, limit int) ([]Exposure, error)

	CreateFunnel(ctx context.Context, f Funnel) (Funnel, error)
	// SavedFunnels lists the project's funnels userID may see (its own and the shared ones),
	// by name.
	SavedFunnels(ctx context.Context, projectID string, userID int64) ([]Funnel, error)
	// SavedFunnel returns a funnel userID may see; ErrNotFound otherwise.
	SavedFunnel(ctx context.Context, id, userID int64) (Funnel, error)
	// UpdateFunnel changes a funnel's name, definition and sharing.
	UpdateFunnel(ctx context.Context, f Funnel) error
	DeleteFunnel(ctx context.Context, id int64) error
	// CountFunnels counts all funnels of a project, private ones included.
	CountFunnels(ctx context.Context, projectID string) (int, error)
}

// SortSteps orders a journey's steps by time, keeping the order of equal times (page views,
// which backends add first, before what happened on them in the same millisecond).
func SortSteps(steps []Step) {
	slices.SortStableFunc(steps, func(a, b Step) int { return a.At.Compare(b.At) })
}

// JourneyReader assembles Journeys from a backend's scans: the window's sessions in order,
// then their page views and their steps in any order.
type JourneyReader struct {
	out   []Journey
	index map[string]int
}

// Session adds the next session of the window.
func (r *JourneyReader) Session(id string, started time.Time) {
	if r.index == nil {
		r.index = map[string]int{}
	}
	r.index[id] = len(r.out)
	r.out = append(r.out, Journey{SessionID: id, StartedAt: started})
}

// Empty says no session is in the window (the backend then need not scan further).
func (r *JourneyReader) Empty() bool { return len(r.out) == 0 }

// Page adds a page view of session id (one not added by Session is ignored).
func (r *JourneyReader) Page(id string, at time.Time, path string) {
	r.Step(id, Step{At: at, Kind: StepPage, Path: path}, "")
}

// Step adds a click or track event of session id, with its properties as stored (JSON; "",
// "{}" or unreadable for none).
func (r *JourneyReader) Step(id string, s Step, props string) {
	k, ok := r.index[id]
	if !ok {
		return
	}
	if props != "" && props != "{}" {
		_ = json.Unmarshal([]byte(props), &s.Props)
	}
	r.out[k].Steps = append(r.out[k].Steps, s)
}

// Journeys returns the sessions added, each with its steps in time order (page views first
// among equal times, as backends add them first).
func (r *JourneyReader) Journeys() []Journey {
	for i := range r.out {
		SortSteps(r.out[i].Steps)
	}
	return r.out
}

// WorstVitals is Exposure.Vitals from a backend's per-metric maxima (nil: none measured), in
// VitalMetrics order.
func WorstVitals(max [len(VitalMetrics)]*float64) map[string]float64 {
	var out map[string]float64
	for i, m := range VitalMetrics {
		if max[i] != nil {
			if out == nil {
				out = map[string]float64{}
			}
			out[m] = *max[i]
		}
	}
	return out
}
