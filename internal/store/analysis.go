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
	// ActiveMS is the session's active time counted over all its events at once, replacing
	// the batch-by-batch count ingest keeps until then (measure.ActiveMS).
	ActiveMS int64
	// Through is the ingest time of the session's last batch the analysis read (zero: At).
	// LiveSessions finds the sessions with batches after it.
	Through time.Time
	// Report is the analysis as the player reads it (analyze.Report as JSON), kept as is.
	Report []byte
	// Live marks an analysis of a session still being recorded: it is saved only while the
	// session has batches compaction has not taken in, and SaveAnalysis refuses it with
	// ErrConflict once compaction has (compaction's whole-session analysis is the final word).
	Live bool
}

// LiveSession is a session with batches no analysis has read yet.
type LiveSession struct {
	ID          string
	LastBatchAt time.Time // the ingest time of its latest batch
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
	// LiveSessions returns up to limit sessions with uncompacted chunks that arrived after the
	// batches their latest analysis read (Analysis.Through), the longest waiting first: what
	// live analysis reads next.
	LiveSessions(ctx context.Context, limit int) ([]LiveSession, error)
	// AnalysisReport returns the Report the session's latest analysis saved; ErrNotFound when
	// the session has none (not analysed yet, or analysed before reports were kept).
	AnalysisReport(ctx context.Context, sessionID string) ([]byte, error)
	Issues(ctx context.Context, q IssueQuery) ([]Issue, error)
	// Visits returns the page views of a project's sessions that started in [from, to), by
	// session and time, for at most limit sessions.
	Visits(ctx context.Context, projectID string, from, to time.Time, limit int) ([]Visit, error)
}

// HeatClick is one click kept for heatmaps: the element by selector and where in its box the
// click landed (0–1), its size, and the page position as a fallback.
type HeatClick struct {
	Tab          string
	At           time.Time
	Path         string
	Selector     string
	X, Y         float64
	W, H         int
	PageX, PageY int
}

// PageDepth is how far down one page view got (0–1), and a moment at which it was on screen.
type PageDepth struct {
	Tab   string
	At    time.Time
	Seen  time.Time
	Path  string
	Depth float64
}

// Heat is what heatmaps keep of one session; saving it replaces what was kept before.
type Heat struct {
	SessionID string
	Device    string
	// Live: saved only while the session has batches compaction has not taken in, as
	// Analysis.Live.
	Live   bool
	Clicks []HeatClick
	Views  []PageDepth
}

// HeatmapQuery selects the heat of the pages whose path matches Page, where * stands for any
// run of characters, in [From, To), on one device type ("" for all).
type HeatmapQuery struct {
	ProjectID string
	Page      string
	Device    string
	From, To  time.Time
	Bins      int // cells per axis of an element's box
}

// HeatBin counts the clicks on one element that landed in one cell of its box.
type HeatBin struct {
	Selector     string
	X, Y         float64 // the cell's centre, 0–1
	Clicks       int
	PageX, PageY int // their mean page position
}

// Backdrop is a page view to draw a heatmap over.
type Backdrop struct {
	SessionID      string
	Tab            string
	Path           string
	Device         string // the session's device type; with every device, the one with the most clicks
	At             time.Time
	SessionStarted time.Time
}

// Heatmap is the heat of a page: clicks binned per element, most clicked first (at most a few
// thousand bins), and how many page views reached each tenth of the page.
type Heatmap struct {
	Bins     []HeatBin
	Clicks   int
	Sessions int
	Views    int
	Reached  [11]int // Reached[k]: views that saw at least k tenths of the page
	Backdrop *Backdrop
}

// Heatmaps keeps and aggregates heatmap data; backends implement it next to Store.
type Heatmaps interface {
	SaveHeat(ctx context.Context, h Heat) error
	Heatmap(ctx context.Context, q HeatmapQuery) (Heatmap, error)
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
	// Format is the webhook body: FormatSlack or FormatJSON.
	Format string
	// Secret signs every post (docs/api.md#verifying-a-webhook); made when the rule is.
	Secret string
}

// Webhook body formats.
const (
	FormatSlack = "slack" // Slack's incoming-webhook message (Mattermost, Discord's /slack)
	FormatJSON  = "json"  // a plain event object for any other receiver
)

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
	// RecordDelivery keeps one attempt to post a rule's webhook, dropping the rule's older
	// attempts beyond DeliveriesKept; ErrNotFound when the rule is gone.
	RecordDelivery(ctx context.Context, d AlertDelivery) (AlertDelivery, error)
	// AlertDeliveries lists the kept attempts of a project's rules, newest first.
	AlertDeliveries(ctx context.Context, projectID string) ([]AlertDelivery, error)
}

// DeliveriesKept is how many of a rule's latest webhook attempts are kept: enough to see
// whether its destination works and when it stopped, not a log.
const DeliveriesKept = 10

// AlertDelivery is one attempt to post an alert rule's webhook.
type AlertDelivery struct {
	ID     int64
	RuleID int64
	At     time.Time
	Test   bool   // sent by "Send test", not by the rule firing
	Status int    // the receiver's HTTP status; 0 when none answered
	Error  string // why it was not delivered; empty when it was
}
