package store

import (
	"context"
	"time"

	"github.com/reelhq/reel/internal/search"
)

// SavedSearch is a named query of a project. A private one is seen only by its owner; a shared
// one by everyone who can see the project.
type SavedSearch struct {
	ID        int64
	ProjectID string
	Name      string
	Query     string // the text in the search language (docs/search.md), valid when saved
	OwnerID   int64  // users.id; 0 for the admin token
	Shared    bool
	CreatedAt time.Time
	UpdatedAt time.Time
	// VisitedAt is when the user who asked last ran it (zero: never), so the dashboard can count
	// the sessions that are new since.
	VisitedAt time.Time
}

// Playlist is a named, ordered list of pinned sessions of a project, private or shared like a
// saved search.
type Playlist struct {
	ID        int64
	ProjectID string
	Name      string
	OwnerID   int64
	Shared    bool
	CreatedAt time.Time
	UpdatedAt time.Time
	Sessions  int // pinned sessions; filled when listing
}

// Pin is a session in a playlist.
type Pin struct {
	Session  Session
	Position int // ascending: the playlist's order
	Note     string
	AddedAt  time.Time
	AddedBy  int64
}

// Saved keeps saved searches and playlists; backends implement it next to Store. The userID
// arguments decide visibility: a caller sees its own items and the shared ones, and anything
// else answers ErrNotFound, as if it did not exist.
type Saved interface {
	CreateSavedSearch(ctx context.Context, s SavedSearch) (SavedSearch, error)
	// SavedSearches lists the project's searches userID may see, by name, each with userID's
	// last visit.
	SavedSearches(ctx context.Context, projectID string, userID int64) ([]SavedSearch, error)
	SavedSearch(ctx context.Context, id, userID int64) (SavedSearch, error)
	// UpdateSavedSearch changes the name, query and sharing of a search.
	UpdateSavedSearch(ctx context.Context, s SavedSearch) error
	DeleteSavedSearch(ctx context.Context, id int64) error
	// VisitSavedSearch records that userID ran the search at the given time.
	VisitSavedSearch(ctx context.Context, id, userID int64, at time.Time) error
	// CountSavedSearches counts all searches of a project, private ones included, so a project
	// can be bounded.
	CountSavedSearches(ctx context.Context, projectID string) (int, error)

	CreatePlaylist(ctx context.Context, p Playlist) (Playlist, error)
	// Playlists lists the project's playlists userID may see, by name, with their pin counts.
	Playlists(ctx context.Context, projectID string, userID int64) ([]Playlist, error)
	Playlist(ctx context.Context, id, userID int64) (Playlist, error)
	// UpdatePlaylist changes the name and sharing of a playlist.
	UpdatePlaylist(ctx context.Context, p Playlist) error
	DeletePlaylist(ctx context.Context, id int64) error
	CountPlaylists(ctx context.Context, projectID string) (int, error)
	// PinSession adds a session at the end of a playlist, or changes the note of one already
	// there (keeping its place). The session must be of the playlist's project: ErrNotFound
	// otherwise. Pins go when their session is deleted (retention, erasure).
	PinSession(ctx context.Context, playlistID int64, pin Pin) (Pin, error)
	UnpinSession(ctx context.Context, playlistID int64, sessionID string) error
	// Pins returns a playlist's sessions in playlist order.
	Pins(ctx context.Context, playlistID int64) ([]Pin, error)
}

// StartedSince narrows a parsed query to the sessions that started at or after t: what "new
// since the last visit" and an alert window on a saved search count.
func StartedSince(q *search.Query, t time.Time) *search.Query {
	after := &search.Term{Field: search.Started, Op: search.Ge, Num: t.UnixMilli()}
	out := *q
	if q.Root == nil {
		out.Root = after
	} else {
		out.Root = &search.And{Children: []search.Node{after, q.Root}}
	}
	return &out
}
