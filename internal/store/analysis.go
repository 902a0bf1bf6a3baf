package store

import (
	"context"
	"time"
)

// StoredSignal is one finding of a session as the index keeps it.
type StoredSignal struct {
	Kind        string
	At          time.Time
	Path        string
	Target      string
	Fingerprint string
	Detail      string
}

// Analysis is what analysing a session produced.
type Analysis struct {
	SessionID string
	Score     int
	Summary   string
	Counts    map[string]int
	Signals   []StoredSignal
	At        time.Time
}

// Issue is one problem grouped across sessions.
type Issue struct {
	Fingerprint string
	Kind        string
	Path        string
	Target      string
	Sessions    int
	Users       int
	FirstSeen   time.Time
	LastSeen    time.Time
	Daily       []int    // sessions per day, oldest first, over the query's window
	Samples     []Moment // the latest occurrences, to jump straight into the replay
}

// Moment is a point in a session.
type Moment struct {
	SessionID      string
	At             time.Time
	SessionStarted time.Time // so a link can open the replay at the moment
}

// IssueQuery selects issues.
type IssueQuery struct {
	ProjectID string
	Since     time.Time
	Until     time.Time
	Limit     int
}

// Visit is one page view for funnel analysis.
type Visit struct {
	SessionID string
	At        time.Time
	Path      string
}

// Analyzer is the part of the index that keeps analysis results; backends implement it next to
// Store.
type Analyzer interface {
	SaveAnalysis(ctx context.Context, a Analysis) error
	Issues(ctx context.Context, q IssueQuery) ([]Issue, error)
	// Visits returns the page views of a project's sessions that started in [from, to), by
	// session and time, for at most limit sessions.
	Visits(ctx context.Context, projectID string, from, to time.Time, limit int) ([]Visit, error)
}

// AlertRule posts to a webhook when a problem reaches Threshold sessions within Window. A rule
// names one issue (Fingerprint), every issue of a Kind, or a saved search (SavedSearchID: the
// sessions matching it that started within the window).
type AlertRule struct {
	ID          int64
	ProjectID   string
	Name        string
	Kind        string
	Fingerprint string
	Threshold   int
	Window      time.Duration
	Webhook     string
	CreatedAt   time.Time
	FiredAt     time.Time
	// SavedSearchID names the saved search the rule watches (0: none); Alerts fills
	// SavedQuery with that search's current text.
	SavedSearchID int64
	SavedQuery    string
}

// Alerts keeps alert rules and counts what they watch.
type Alerts interface {
	CreateAlert(ctx context.Context, r AlertRule) (AlertRule, error)
	Alerts(ctx context.Context, projectID string) ([]AlertRule, error)
	DeleteAlert(ctx context.Context, projectID string, id int64) error
	// AlertCount counts the sessions with a matching finding since the given time.
	AlertCount(ctx context.Context, r AlertRule, since time.Time) (int, error)
	// MarkFired records that a rule fired, unless another node already did since notBefore;
	// false means someone else fired it.
	MarkFired(ctx context.Context, id int64, at, notBefore time.Time) (bool, error)
}
