package store

import (
	"context"
	"time"
)

// Archived is one external resource a session's recording referenced without carrying it: the
// copy the server fetched (docs/archive.md), or why there is none.
type Archived struct {
	URL       string
	Hash      string // the content item holding the copy; empty when it is not archived
	Type      string // Content-Type the copy is served with
	Size      int    // bytes of the resource as fetched
	Error     string // why it is not archived (empty when it is)
	FetchedAt time.Time
}

// Archives is the part of the index that keeps archived resources; backends implement it next
// to Store.
type Archives interface {
	// SessionArchive returns what a session's replay uses, by URL.
	SessionArchive(ctx context.Context, sessionID string) ([]Archived, error)
	// LatestArchived returns the newest row of a project's URL, whichever session has it; false
	// when no session of the project referenced it.
	LatestArchived(ctx context.Context, projectID, url string) (Archived, bool, error)
	// TouchContent marks a project's content item as about to be referenced again, so a sweep
	// keeps it; false when it is gone.
	TouchContent(ctx context.Context, projectID, hash string, now time.Time) (bool, error)
	// SaveArchive records a session's rows (replacing those of the same URLs) and the content
	// items they hold as the session's roots.
	SaveArchive(ctx context.Context, sessionID string, rows []Archived, refs []ContentRef, now time.Time) error
}
