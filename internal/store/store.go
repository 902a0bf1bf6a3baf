// Package store defines Reel's index: projects, users, login sessions, recorded sessions and
// the chunks that hold their events. It is a driver seam: store/sqlite is the embedded backend
// and a PostgreSQL backend implements the same Store, proven by the contract tests in
// store/storetest. SQL never leaves the driver packages.
package store

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"time"

	"github.com/reelhq/reel/internal/search"
)

// Sentinel errors shared by every backend.
var (
	ErrNotFound  = errors.New("not found")
	ErrDuplicate = errors.New("already exists")
	// ErrConflict means a write names a session that belongs to another project.
	ErrConflict = errors.New("conflict")
	// ErrTooLong means a batch would stretch its session past the allowed span.
	ErrTooLong = errors.New("session too long")
	// ErrBadCursor is returned for a page cursor the backend did not issue.
	ErrBadCursor = errors.New("invalid cursor")
	// ErrErased means a batch names a session that was erased: it stays erased (docs/storage.md).
	ErrErased = errors.New("session erased")
)

// Project is a site being recorded. Its public key can only write events.
type Project struct {
	ID             string
	Name           string
	PublicKey      string
	AllowedOrigins []string // empty: any origin may send
	CreatedAt      time.Time
	RetentionDays  int             // 0: keep forever
	SDKConfig      json.RawMessage // remote configuration served to the SDK, a JSON object
	Friction       json.RawMessage // friction threshold overrides (analyze.Thresholds), a JSON object
	Scrub          json.RawMessage // server-side scrubber settings (scrub.Config), a JSON object
	// PreviousKey is the public key before the last rotation; it still ingests until
	// PreviousKeyUntil. Empty when the key was never rotated.
	PreviousKey      string
	PreviousKeyUntil time.Time
}

// KeyValid reports whether key lets a client send to p at now: the current key, or the
// previous one within its grace.
func (p Project) KeyValid(key string, now time.Time) bool {
	return key != "" && (key == p.PublicKey || key == p.PreviousKey && now.Before(p.PreviousKeyUntil))
}

// User is a dashboard account.
type User struct {
	ID           int64
	Email        string
	PasswordHash string
	Role         string // auth.RoleOwner, RoleAdmin, RoleMember or RoleViewer
	CreatedAt    time.Time
	DisabledAt   time.Time // zero while the user may log in
}

// Login is a dashboard login session, found by the hash of its cookie token.
type Login struct {
	TokenHash string
	UserID    int64
	CreatedAt time.Time
	ExpiresAt time.Time
}

// Viewport is a browser viewport size in CSS pixels.
type Viewport struct {
	Width  int
	Height int
}

// Session is the index row of one recorded visit.
type Session struct {
	ID        string
	ProjectID string
	StartedAt time.Time
	EndedAt   time.Time
	Pages     int
	EntryURL  string
	ExitURL   string
	Clicks    int
	Events    int
	Tabs      int
	ActiveMS  int64 // time with a person at the page (docs/search.md)
	UserAgent string
	Viewport  Viewport
	UpdatedAt time.Time
	UserID    string
	Compacted time.Time // zero until compacted
	URLs      []string  // pages in visit order; filled by GetSession only
	// UserIDs is every user id the session was identified as, in the order first seen (the
	// last is UserID, the current one); filled by GetSession only.
	UserIDs []SessionUser
	Country string // ISO 3166 alpha-2 from the trusted proxy header; empty if unknown
	Errors  int    // reel.error events
	Failed  int    // failed requests (status >= 400 or a network failure)
	// Filled by analysis (at compaction); zero before.
	Score      int
	Summary    string
	Friction   int
	RageClicks int
	DeadClicks int

	// Scrubbed is how many values of each kind (ScrubKinds) ingest's scrubber masked in the
	// session's batches; nil when none. Filled by GetSession.
	Scrubbed map[string]int
}

// Duration is the time between the first and last event.
func (s Session) Duration() time.Duration { return s.EndedAt.Sub(s.StartedAt) }

// SessionUser is one user id a session was identified as (reel.identify), and when it was
// first seen in the session. A session keeps every one: erasure and user: search find it by
// any of them.
type SessionUser struct {
	UserID  string
	FirstAt time.Time
}

// UserIDsOrCurrent is UserIDs, or, for a session read from an export made before sessions
// kept every id, its current UserID first seen when the session started.
func (s Session) UserIDsOrCurrent() []SessionUser {
	if len(s.UserIDs) > 0 || s.UserID == "" {
		return s.UserIDs
	}
	return []SessionUser{{UserID: s.UserID, FirstAt: s.StartedAt}}
}

// Page is one page view: the URL a Meta event announced and when.
type Page struct {
	Tab string
	At  time.Time
	URL string
}

// Chunk is one stored batch of events of one tab.
type Chunk struct {
	SessionID   string
	Tab         string
	Seq         int64
	FirstAt     time.Time
	LastAt      time.Time
	Events      int
	RawBytes    int
	StoredBytes int
	BlobKey     string
	BlobOffset  int64 // the chunk is this byte range of the object (length 0: all of it)
	BlobLength  int64
	SnapshotAt  time.Time // first Meta event of a full snapshot in the chunk; zero if none
	Compacted   bool      // its events now live in the session's segments
}

// Segment is a stretch of one tab of a compacted session that starts at a full snapshot: a
// byte range of the session's compacted blob holding an independently compressed event array.
type Segment struct {
	SessionID string
	Tab       string
	Index     int
	FirstAt   time.Time
	LastAt    time.Time
	BlobKey   string
	Offset    int64
	Length    int64
	Events    int
	RawBytes  int
}

// ContentRef is a content item (a large string or subtree, stored once per project by hash)
// that a session uses.
type ContentRef struct {
	Hash     string   // lowercase hex SHA-256
	Size     int      // bytes of the JSON token
	Stored   int      // bytes in the blob store
	Root     bool     // the session's own events name it (else it is reached through a parent)
	Children []string // hashes of the items whose markers it holds
	ID       int64    // its number, when NumberContent has recorded it already; else 0
}

// Compaction replaces a session's chunks (and any earlier segments) by new segments.
type Compaction struct {
	SessionID string
	Segments  []Segment
	Chunks    []Chunk // the chunks whose events the segments now hold
	Content   []ContentRef
	At        time.Time
}

// ContentKey names one stored content item.
type ContentKey struct {
	ProjectID string
	Hash      string
}

// Batch is what ingest writes for one acknowledged request: the chunk already in the blob
// store, plus what it adds to the session's index row.
type Batch struct {
	ProjectID string
	Chunk     Chunk
	Pages     []Page
	Clicks    int
	ActiveMS  int64 // active time within the batch
	UserAgent string
	Viewport  Viewport // zero when the batch did not say
	SentAt    time.Time
	UserID    string // from reel.identify; empty when the batch did not say
	// UserIDs is every distinct user id the batch's reel.identify events named, in order,
	// UserID among them; the session keeps them all (SessionUser).
	UserIDs []SessionUser
	MaxSpan time.Duration // refuse (ErrTooLong) a batch that makes the session span longer; 0: no limit
	Content []ContentRef  // assets the batch carried or referenced

	// What search needs (docs/search.md); each is empty or zero when the batch did not say.
	Browser        string // lowercased name without version ("firefox")
	BrowserVersion int
	OS             string // lowercased
	Device         string
	Country        string
	Errors         int               // reel.error events
	Failed         int               // failed reel.network requests
	ErrorMessages  []string          // distinct reel.error messages
	EventNames     []string          // distinct reel.track names, lowercased
	Traits         map[string]string // reel.identify traits, latest value of each key
	Referrer       string            // the page's document.referrer, as the SDK sent it
	EventProps     []Prop            // distinct scalar properties of reel.track events
	Text           []string          // distinct pieces of on-screen text, in order (rrweb.Text)
	Scrubbed       map[string]int    // values the scrubber masked in the batch, by kind (ScrubKinds)
	Vitals         []Vital           // reel.vitals reports, in order
	// Flags is every distinct (flag, variant) of the batch's reel.flags events, first time
	// each; the session keeps them all (Funnels.SessionFlags, flag.<name>: in search).
	Flags []SessionFlag
}

// ScrubKinds are the kinds of value the server-side scrubber counts (internal/scrub), in the
// order of the sessions' scrubbed_<kind> columns.
var ScrubKinds = [...]string{"card", "email", "phone", "iban", "token", "custom"}

// ScrubCounts are a session's scrubbed_<kind> columns, in ScrubKinds order.
type ScrubCounts [len(ScrubKinds)]int

// ScrubCountsOf puts a batch's counts in column order; kinds it does not know are dropped.
func ScrubCountsOf(m map[string]int) (c ScrubCounts, total int) {
	for i, k := range ScrubKinds {
		c[i] = m[k]
		total += m[k]
	}
	return c, total
}

// Map is the counts as a map of the kinds with any, nil when none.
func (c ScrubCounts) Map() map[string]int {
	var m map[string]int
	for i, n := range c {
		if n > 0 {
			if m == nil {
				m = map[string]int{}
			}
			m[ScrubKinds[i]] = n
		}
	}
	return m
}

// Prop is one property of a reel.track event, its value as text.
type Prop struct {
	Key, Value string
}

// SessionPage is a page of sessions in the query's order, and the cursor to the next page.
type SessionPage struct {
	Sessions []Session
	Next     string // empty on the last page
	// Count is how many sessions match in all (when ListQuery.Count asked), at most CountCap;
	// Capped says there are more.
	Count  int
	Capped bool
}

// CountCap bounds the matching sessions a list counts: past it the answer is "more than", so
// a count never costs a scan of every session.
const CountCap = 1000

// PackWindow bounds how far apart the index times (created_at) of the chunks stored in one
// pack can be: a pack's batches are committed together, so they share one; the margin covers a
// commit retried. SessionsSharingBlobs looks this far around a compacted chunk's time for the
// sessions still reading the pack it was in.
const PackWindow = 10 * time.Second

// ListQuery selects sessions for the list view. Query is a parsed search (nil: every session,
// newest first); each backend compiles it into its own dialect.
type ListQuery struct {
	ProjectID string // empty: all projects
	Limit     int
	Cursor    string
	Query     *search.Query
	Count     bool
}

// Index is the whole index a backend implements: every part below, declared once, so a backend
// that lacks a method fails to compile instead of silently losing a feature. Consumers still
// take small interfaces of their own (ingest.index, api.index, …); cmd/reel builds them all
// from one Index.
type Index interface {
	Store
	Analyzer
	Heatmaps
	Alerts
	Archives
	Saved
	Tokens
	Audit
	Identities
	Shares
	Comments
	Maintenance
	Mover
	Facets
	Vitals
	Funnels
}

// Maintenance is the housekeeping a backend does after deletions: Optimize refreshes planner
// statistics as sessions come and go; Checkpoint makes deleted rows unreadable on disk (SQLite
// copies its write-ahead log into the file; PostgreSQL has nothing to do: VACUUM runs on its
// own). Either may be a no-op.
//
// TryJob and ReferencedBlobs exist for a cluster: several nodes share one index, and work
// that concerns the whole index (retention, sweeps, statistics, alerts) must run once per
// interval across all of them, not once per node.
type Maintenance interface {
	Optimize(ctx context.Context) error
	Checkpoint(ctx context.Context) error
	// TryJob reports whether the caller should run the background job called name now: true
	// for exactly one caller, across every process sharing the index, once per interval
	// every, measured on the database's clock (the caller's clock plays no part, so a node
	// whose clock is off neither runs jobs twice nor starves them). The winner is recorded as
	// having run when TryJob returns, so a winner that dies mid-run leaves the job to the
	// first caller after the next interval. Callers poll more often than every (a job polled
	// exactly every interval may see "not yet" by a millisecond and wait a whole interval
	// more). A stored run time more than an interval ahead of the database's clock (the clock
	// was set back) counts as due.
	TryJob(ctx context.Context, name string, every time.Duration) (bool, error)
	// ReferencedBlobs returns which of keys name an object the index points into (a pack of
	// chunks, a session's compacted object: a row of the blob reference counts). Content
	// items are not counted here; MissingContent answers for them. The orphan sweep asks it of
	// every object it lists.
	ReferencedBlobs(ctx context.Context, keys []string) (map[string]bool, error)
	// Clock is the database's current time, the one clock every node of a cluster shares:
	// retention and the orphan sweep measure ages against it, so a node whose own clock is off
	// neither deletes early nor keeps too long.
	Clock(ctx context.Context) (time.Time, error)
}

// Store is the core of the index: projects, users, sessions, chunks, content and their
// lifecycle.
type Store interface {
	// Projects
	CreateProject(ctx context.Context, p Project) error
	Projects(ctx context.Context) ([]Project, error)
	ProjectByKey(ctx context.Context, publicKey string) (Project, error)
	Project(ctx context.Context, id string) (Project, error)
	// UpdateProject changes a project's name, allowed origins, retention, SDK config and
	// friction thresholds.
	UpdateProject(ctx context.Context, p Project) error
	// ProjectByKey (above) also finds a project by its previous key, whatever its grace:
	// callers check Project.KeyValid. RotateKey makes newKey the project's key and keeps the
	// current one as its previous key until graceUntil (a previous key before it is dropped),
	// and returns the project as stored.
	RotateKey(ctx context.Context, id, newKey string, graceUntil time.Time) (Project, error)
	// SessionsOfProject returns up to limit of the project's sessions (project deletion takes
	// them in rounds).
	SessionsOfProject(ctx context.Context, projectID string, limit int) ([]string, error)
	// DeleteProject removes a project with what belongs to it alone (alert rules, saved
	// searches, playlists, content rows). It fails with ErrConflict while the
	// project still has sessions (they go first, through lifecycle, with their blobs) and
	// ErrNotFound when there is no such project.
	DeleteProject(ctx context.Context, id string) error

	// Users and logins
	CreateUser(ctx context.Context, u User) (User, error)
	UserByEmail(ctx context.Context, email string) (User, error)
	UserByID(ctx context.Context, id int64) (User, error)
	CountUsers(ctx context.Context) (int, error)
	SetPassword(ctx context.Context, userID int64, hash string) error
	CreateLogin(ctx context.Context, l Login) error
	LoginByTokenHash(ctx context.Context, hash string, now time.Time) (Login, error)
	DeleteLogin(ctx context.Context, hash string) error
	// ListUsers returns every user, by id.
	ListUsers(ctx context.Context) ([]User, error)
	// UpdateUser changes a user's role and whether it is disabled; disabling ends its logins.
	UpdateUser(ctx context.Context, u User) error
	// DeleteUser removes a user with its logins and project access.
	DeleteUser(ctx context.Context, id int64) error
	// UserProjects returns the projects a member or viewer was given, sorted.
	UserProjects(ctx context.Context, userID int64) ([]string, error)
	// SetUserProjects replaces the projects a user was given. An unknown project is
	// ErrNotFound, and nothing changes.
	SetUserProjects(ctx context.Context, userID int64, projects []string) error
	// Invitations and password resets (invites.go).
	Invites

	// Settings: server-wide values such as signing keys. EnsureSetting stores value under name
	// unless one is already there, and returns the value that is stored, so concurrent nodes
	// agree on one.
	EnsureSetting(ctx context.Context, name, value string) (string, error)

	// Recorded sessions
	// HasChunk reports whether projectID's session already holds the batch (tab, seq), so a
	// retry skips the work. For a session of another project it returns ErrConflict whatever
	// the batch, so a project's key cannot learn which batches another project's session holds.
	HasChunk(ctx context.Context, projectID, sessionID, tab string, seq int64) (bool, error)
	// AppendBatch commits a chunk and its session update in one transaction. It returns
	// ErrDuplicate, changing nothing, when the (session, tab, seq) is already stored, and
	// ErrConflict when the session belongs to another project.
	AppendBatch(ctx context.Context, b Batch) error
	// AppendBatches commits several batches in one transaction (ingest's group commit) and
	// returns one error per batch: nil, ErrDuplicate or ErrConflict for that batch alone, or the
	// same error for all when the transaction failed.
	AppendBatches(ctx context.Context, bs []Batch) []error
	ListSessions(ctx context.Context, q ListQuery) (SessionPage, error)
	GetSession(ctx context.Context, id string) (Session, error)
	// Chunks returns a session's chunks ordered by tab, then seq.
	Chunks(ctx context.Context, sessionID string) ([]Chunk, error)
	// Segments returns a compacted session's segments ordered by tab, then index.
	Segments(ctx context.Context, sessionID string) ([]Segment, error)

	// Content
	// MissingContent returns those of hashes the project has no content for.
	MissingContent(ctx context.Context, projectID string, hashes []string) ([]string, error)
	// NumberContent records stored content items (refreshing their touched time, as a
	// compaction about to reference them must) and returns each one's number, by hash:
	// compacted segments name items by number.
	NumberContent(ctx context.Context, projectID string, refs []ContentRef, now time.Time) (map[string]int64, error)
	// ContentHashes returns the hashes of the project's items with these numbers; numbers the
	// project does not have are left out.
	ContentHashes(ctx context.Context, projectID string, ids []int64) (map[int64]string, error)

	// Compaction
	// IdleSessions returns up to limit sessions with uncompacted chunks whose last batch
	// arrived before idleBefore.
	IdleSessions(ctx context.Context, idleBefore time.Time, limit int) ([]string, error)
	// ClaimSession leases a session to one worker for the given time, measured on the
	// database's clock (nodes' clocks may disagree); false when another worker holds it.
	ClaimSession(ctx context.Context, id string, lease time.Duration) (bool, error)
	// CommitCompaction records new segments, marks the chunks compacted and releases the lease.
	// It returns the blob keys no longer referenced (the chunks' and older segments' blobs),
	// each returned by exactly one call: the one that removed its last reference. It fails,
	// changing nothing, with ErrConflict when the caller's lease has run out (another worker
	// may have compacted since), with ErrNotFound when the session is gone, and when a content
	// item named by its ID was swept since NumberContent.
	CommitCompaction(ctx context.Context, c Compaction) ([]string, error)

	// Deletion
	// ExpiredSessions returns up to limit sessions whose last batch the server received longer
	// ago than their project's retention at now. The server's clock decides, never the event
	// times a visitor's browser stamped. A row without that time (last_batch_at 0, written
	// before the index kept it) goes by when it was last updated.
	ExpiredSessions(ctx context.Context, now time.Time, limit int) ([]string, error)
	// SessionsSharingBlobs returns the other sessions whose uncompacted chunks share a pack
	// with the uncompacted chunks of ids, or may: a pack keeps the bytes of a batch compacted
	// out of it until its last reader goes, so for ids' compacted chunks it returns every
	// session with an uncompacted chunk stored within PackWindow of them (compacting them
	// first lets every pack that holds ids' bytes go).
	SessionsSharingBlobs(ctx context.Context, ids []string) ([]string, error)
	// SessionsOfUser returns every session of a project identified as userID.
	SessionsOfUser(ctx context.Context, projectID, userID string) ([]string, error)
	// DeleteSessions removes sessions with their pages, chunks, segments and content references,
	// and returns the blob keys whose last reference it removed (a pack other sessions still
	// read from stays), each returned by exactly one call, concurrent callers included.
	DeleteSessions(ctx context.Context, ids []string) ([]string, error)
	// SweepContent deletes content that no session reaches (directly or through other items)
	// and that was last referenced before touchedBefore, and returns what it deleted. An item
	// touched or referenced while the sweep runs stays, and concurrent sweeps each return only
	// what they deleted themselves.
	SweepContent(ctx context.Context, touchedBefore time.Time) ([]ContentKey, error)

	Close() error
}

// AllUserIDs is every user id the batch names: UserIDs, plus UserID when a caller set only
// that (its first-seen time is then the chunk's first event).
func (b Batch) AllUserIDs() []SessionUser {
	ids := b.UserIDs
	if b.UserID != "" && !slices.ContainsFunc(ids, func(u SessionUser) bool { return u.UserID == b.UserID }) {
		ids = append(slices.Clip(ids), SessionUser{UserID: b.UserID, FirstAt: b.Chunk.FirstAt})
	}
	return ids
}
