// Package store defines Reel's index: projects, users, login sessions, recorded sessions and
// the chunks that hold their events. It is a driver seam: store/sqlite is the embedded backend
// and a PostgreSQL backend implements the same Store, proven by the contract tests in
// store/storetest. SQL never leaves the driver packages.
package store

import (
	"context"
	"encoding/json"
	"errors"
	"time"
)

// Sentinel errors shared by every backend.
var (
	ErrNotFound  = errors.New("not found")
	ErrDuplicate = errors.New("already exists")
	// ErrConflict means a write names a session that belongs to another project.
	ErrConflict = errors.New("conflict")
	// ErrBadCursor is returned for a page cursor the backend did not issue.
	ErrBadCursor = errors.New("invalid cursor")
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
}

// User is a dashboard account.
type User struct {
	ID           int64
	Email        string
	PasswordHash string
	Role         string
	CreatedAt    time.Time
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
	UserAgent string
	Viewport  Viewport
	UpdatedAt time.Time
	URLs      []string // pages in visit order; filled by GetSession only
}

// Duration is the time between the first and last event.
func (s Session) Duration() time.Duration { return s.EndedAt.Sub(s.StartedAt) }

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
}

// Batch is what ingest writes for one acknowledged request: the chunk already in the blob
// store, plus what it adds to the session's index row.
type Batch struct {
	ProjectID string
	Chunk     Chunk
	Pages     []Page
	Clicks    int
	UserAgent string
	Viewport  Viewport // zero when the batch did not say
	SentAt    time.Time
}

// SessionPage is a page of sessions, newest first, and the cursor to the next page.
type SessionPage struct {
	Sessions []Session
	Next     string // empty on the last page
}

// ListQuery selects sessions for the list view.
type ListQuery struct {
	ProjectID string // empty: all projects
	Limit     int
	Cursor    string
}

// Store is the index every backend implements.
type Store interface {
	// Projects
	CreateProject(ctx context.Context, p Project) error
	Projects(ctx context.Context) ([]Project, error)
	ProjectByKey(ctx context.Context, publicKey string) (Project, error)
	// UpdateProject changes a project's name, allowed origins, retention and SDK config.
	UpdateProject(ctx context.Context, p Project) error

	// Users and logins
	CreateUser(ctx context.Context, u User) (User, error)
	UserByEmail(ctx context.Context, email string) (User, error)
	UserByID(ctx context.Context, id int64) (User, error)
	CountUsers(ctx context.Context) (int, error)
	SetPassword(ctx context.Context, userID int64, hash string) error
	CreateLogin(ctx context.Context, l Login) error
	LoginByTokenHash(ctx context.Context, hash string, now time.Time) (Login, error)
	DeleteLogin(ctx context.Context, hash string) error

	// Settings: server-wide values such as signing keys. EnsureSetting stores value under name
	// unless one is already there, and returns the value that is stored, so concurrent nodes
	// agree on one.
	EnsureSetting(ctx context.Context, name, value string) (string, error)

	// Recorded sessions
	HasChunk(ctx context.Context, sessionID, tab string, seq int64) (bool, error)
	// AppendBatch commits a chunk and its session update in one transaction. It returns
	// ErrDuplicate, changing nothing, when the (session, tab, seq) is already stored, and
	// ErrConflict when the session belongs to another project.
	AppendBatch(ctx context.Context, b Batch) error
	ListSessions(ctx context.Context, q ListQuery) (SessionPage, error)
	GetSession(ctx context.Context, id string) (Session, error)
	// Chunks returns a session's chunks ordered by tab, then seq.
	Chunks(ctx context.Context, sessionID string) ([]Chunk, error)

	Close() error
}
