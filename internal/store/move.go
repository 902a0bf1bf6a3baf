package store

import (
	"context"
	"maps"
	"slices"
	"time"
)

// Mover copies a whole index between backends (`reel migrate`, docs/storage.md "Moving to
// PostgreSQL"). The copy is exact, not a re-ingest: compacted segments name content items by
// number, saved searches and alert rules name each other and their owners by id, and analysis,
// heatmaps and archives were computed once, so every id and every derived row must arrive as it
// was. Records are logical rows, the same for every backend, so each backend packs and unpacks
// its own storage (SQLite's packed segments, heat and text references; PostgreSQL's plain rows).
//
// The job table behind TryJob is not copied: it holds only when each background job last
// started, and a target without it runs each job at its first chance, which is what a freshly
// moved install should do anyway (retention and the sweeps are idempotent).
type Mover interface {
	// Export calls fn with every record of the index, in dependency order: settings, projects,
	// users, their identities at OpenID providers, content items, sessions (by id), blob
	// reference counts, saved searches, playlists, saved funnels, alert rules, API tokens, audit entries,
	// share links, comments, tombstones of erased sessions. It stops at fn's first error and returns it.
	Export(ctx context.Context, fn func(Record) error) error
	// Import writes records exported from another index. Each record is one unit that is
	// either wholly present or absent afterwards, and a record whose unit is already present
	// (same kind, same key) is skipped, unchanged: a copy that was interrupted is finished by
	// importing everything again. Records must come in Export's order; a record naming another
	// (a session its project, a pin its session) fails with ErrNotFound when that one is absent.
	Import(ctx context.Context, recs []Record) error
	// SessionRecord reads one session with every row that belongs to it, as Export would
	// (ErrNotFound when there is none): a subject access export answers from it.
	SessionRecord(ctx context.Context, id string) (SessionRecord, error)
}

// Record is one unit of an index: exactly one of its fields is set.
type Record struct {
	Setting  *Setting
	Project  *Project
	User     *User // with its password hash; logins are not records (people log in again)
	Access   *UserAccess
	Identity *Identity
	Content  *ContentItem
	Session  *SessionRecord
	Blob     *BlobRefs
	Saved    *SavedRecord
	Playlist *PlaylistRecord
	Alert    *AlertRule // SavedQuery is not part of the record
	Token    *Token     // follows its creator
	Share    *ShareLink
	Comment  *Comment // follows its session
	Funnel   *Funnel  // a saved funnel, after playlists
	Erased   *ErasedSession
	Audit    *AuditEntry // last, by id
}

// ErasedSession is the tombstone of an erased session (Shares.RecordErased).
type ErasedSession struct {
	ID, ProjectID string
	At            time.Time
}

// UserAccess is the projects a member or viewer was given (SetUserProjects); it follows its
// user and the projects.
type UserAccess struct {
	UserID   int64
	Projects []string
}

// Setting is one server-wide value (EnsureSetting), such as the share-link signing key.
type Setting struct {
	Name, Value string
}

// ContentItem is one stored content item with its number, which compacted segments name it by.
type ContentItem struct {
	ID        int64
	ProjectID string
	Hash      string // lowercase hex SHA-256
	Size      int
	Stored    int
	TouchedAt time.Time
	Children  []int64 // numbers of the items whose markers it holds, ascending
}

// BlobRefs is how many index rows point into one blob-store object (migration 0018).
type BlobRefs struct {
	Key  string
	Refs int
}

// SessionRecord is a session with every row that belongs to it.
type SessionRecord struct {
	Session Session // every column GetSession fills except URLs

	// Columns of the session's row that Session does not carry.
	EntryPath, ExitPath               string
	Browser                           string
	BrowserVersion                    int
	OS, Device                        string
	Referrer, ReferrerHost            string
	UTMSource, UTMMedium, UTMCampaign string
	TextBytes                         int
	LastBatchAt, LeaseUntil           time.Time // zero when 0
	AnalyzedAt                        time.Time // zero when never analysed

	Pages    []PageRecord  // in visit order
	Chunks   []ChunkRecord // by tab, then seq
	Segments []Segment     // by tab, then index
	Content  []int64       // numbers of the content items its events (and archive) name, ascending
	Events   []string      // reel.track names, sorted
	Traits   map[string]string
	Errors   []string   // distinct reel.error messages, sorted
	Props    []Prop     // sorted by key, then value
	Text     [][]string // on-screen text, one sorted list per reference row, in row order
	Signals  []StoredSignal
	Heat     []HeatRow // by path
	Archive  []Archived
	Vitals   []PageVitals  // by tab, then page view
	Flags    []SessionFlag // by first time, name, variant
	Steps    []Step        // clicks and track events, in recorded order (Props nil when none)
}

// PageRecord is a page view with the path the index derived from its URL.
type PageRecord struct {
	Page
	Path string
}

// ChunkRecord is a chunk with the two times of its row that Chunk does not carry.
type ChunkRecord struct {
	Chunk
	SentAt, CreatedAt time.Time
}

// HeatRow is a session's heat on one page: its clicks and views in recorded order (their Path
// fields are left empty: the row's Path names the page).
type HeatRow struct {
	Path            string
	Device          string
	FirstAt, LastAt time.Time
	Clicks          []HeatClick
	Views           []PageDepth
}

// SavedRecord is a saved search (VisitedAt unset) with every user's last visit.
type SavedRecord struct {
	Search SavedSearch
	Visits []SavedVisit // by user
}

// SavedVisit is when one user last ran a saved search.
type SavedVisit struct {
	UserID int64
	At     time.Time
}

// PlaylistRecord is a playlist (Sessions unset) with its pins in playlist order.
type PlaylistRecord struct {
	Playlist Playlist
	Pins     []PinRecord
}

// PinRecord is a pin naming its session by id.
type PinRecord struct {
	SessionID string
	Position  int
	Note      string
	AddedAt   time.Time
	AddedBy   int64
}

// Counts tallies what records hold, by kind of row ("sessions", "chunks", "heat clicks"…), so
// a copy can be checked against its source whatever either backend packs.
type Counts map[string]int64

// Add counts one record.
func (c Counts) Add(r Record) {
	switch {
	case r.Setting != nil:
		c["settings"]++
	case r.Project != nil:
		c["projects"]++
	case r.User != nil:
		c["users"]++
	case r.Access != nil:
		c["project access"] += int64(len(r.Access.Projects))
	case r.Identity != nil:
		c["identities"]++
	case r.Content != nil:
		c["content items"]++
		c["content edges"] += int64(len(r.Content.Children))
	case r.Blob != nil:
		c["blobs"]++
		c["blob references"] += int64(r.Blob.Refs)
	case r.Saved != nil:
		c["saved searches"]++
		c["saved search visits"] += int64(len(r.Saved.Visits))
	case r.Playlist != nil:
		c["playlists"]++
		c["pins"] += int64(len(r.Playlist.Pins))
	case r.Alert != nil:
		c["alert rules"]++
	case r.Token != nil:
		c["api tokens"]++
	case r.Audit != nil:
		c["audit entries"]++
	case r.Share != nil:
		c["share links"]++
	case r.Comment != nil:
		c["comments"]++
	case r.Funnel != nil:
		c["saved funnels"]++
	case r.Erased != nil:
		c["erased sessions"]++
	case r.Session != nil:
		s := r.Session
		c["sessions"]++
		if !s.Session.Compacted.IsZero() {
			c["compacted sessions"]++
		}
		if !s.AnalyzedAt.IsZero() {
			c["analysed sessions"]++
		}
		c["pages"] += int64(len(s.Pages))
		c["chunks"] += int64(len(s.Chunks))
		c["segments"] += int64(len(s.Segments))
		c["content references"] += int64(len(s.Content))
		c["track events"] += int64(len(s.Events))
		c["traits"] += int64(len(s.Traits))
		c["session user ids"] += int64(len(s.Session.UserIDsOrCurrent()))
		c["error messages"] += int64(len(s.Errors))
		c["event properties"] += int64(len(s.Props))
		c["text rows"] += int64(len(s.Text))
		for _, t := range s.Text {
			c["text references"] += int64(len(t))
		}
		c["signals"] += int64(len(s.Signals))
		c["heat rows"] += int64(len(s.Heat))
		for _, h := range s.Heat {
			c["heat clicks"] += int64(len(h.Clicks))
			c["heat views"] += int64(len(h.Views))
		}
		c["archive rows"] += int64(len(s.Archive))
		c["page vitals"] += int64(len(s.Vitals))
		c["session flags"] += int64(len(s.Flags))
		c["funnel steps"] += int64(len(s.Steps))
	}
}

// Kinds returns the kinds counted in either, sorted, for reports.
func (c Counts) Kinds(other Counts) []string {
	ks := slices.Collect(maps.Keys(c))
	for k := range other {
		if _, ok := c[k]; !ok {
			ks = append(ks, k)
		}
	}
	slices.Sort(ks)
	return ks
}
