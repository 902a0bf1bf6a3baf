package store

import (
	"context"
	"time"
)

// ShareLink is a read-only link to one session, kept in the index so it can be listed and
// revoked. The link's token is never stored, only its SHA-256 (TokenHash), and the token does
// not contain the session's id. A link goes with its session: deleting the session deletes it.
type ShareLink struct {
	ID        string // public identity, for listing and revoking ("sh_…")
	TokenHash string // lowercase hex SHA-256 of the token
	SessionID string
	ProjectID string
	CreatedBy int64 // user id; 0 for the admin token
	CreatedAt time.Time
	ExpiresAt time.Time
	RevokedAt time.Time // zero while not revoked
	AtMS      int64     // moment in the recording the link opens at (ms from the start); 0: the start
	Note      string    // shown to whoever opens the link; empty: none
}

// Shares keeps share links and the tombstones of erased sessions.
type Shares interface {
	// CreateShare stores a link. ErrNotFound when its session does not exist (in its project),
	// ErrDuplicate when its id or token hash is taken.
	CreateShare(ctx context.Context, l ShareLink) error
	// ShareByToken finds a link by its token's hash, revoked and expired ones included.
	ShareByToken(ctx context.Context, tokenHash string) (ShareLink, error)
	// Share finds a link by its id.
	Share(ctx context.Context, id string) (ShareLink, error)
	// SessionShares lists a session's links, newest first.
	SessionShares(ctx context.Context, sessionID string) ([]ShareLink, error)
	// RevokeShare marks a link revoked at at; revoking it again keeps the first time.
	// ErrNotFound when there is no such link.
	RevokeShare(ctx context.Context, id string, at time.Time) error

	// RecordErased keeps the ids of sessions about to be erased, so that a batch sent later
	// under one of them is refused (AppendBatch answers ErrErased) instead of bringing the
	// session back. Recording an id again keeps its first time.
	RecordErased(ctx context.Context, projectID string, ids []string, at time.Time) error
	// PruneErased forgets tombstones recorded before before and returns how many.
	PruneErased(ctx context.Context, before time.Time) (int, error)
}
