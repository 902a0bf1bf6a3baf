package store

import (
	"context"
	"time"
)

// Comment is a note someone wrote on a session at a moment of its recording. Its author's email
// is kept with it as it was when written, so a comment still says who wrote it after the
// account is gone. A comment goes with its session: deleting the session deletes it.
type Comment struct {
	ID        string // public identity ("cm_…")
	SessionID string
	ProjectID string
	AuthorID  int64  // user id; 0 for the admin token
	Author    string // the author's email when the comment was written
	AtMS      int64  // moment in the recording, ms from its start
	Body      string
	CreatedAt time.Time
	EditedAt  time.Time // zero until edited
}

// Comments keeps comments on sessions.
type Comments interface {
	// CreateComment stores a comment. ErrNotFound when its session does not exist in its
	// project, ErrDuplicate when its id is taken.
	CreateComment(ctx context.Context, c Comment) error
	// Comment finds a comment by its id.
	Comment(ctx context.Context, id string) (Comment, error)
	// SessionComments lists a session's comments by their moment, then by when written.
	SessionComments(ctx context.Context, sessionID string) ([]Comment, error)
	// EditComment replaces a comment's body and records when; ErrNotFound when there is no
	// such comment. It returns the comment as stored.
	EditComment(ctx context.Context, id, body string, at time.Time) (Comment, error)
	// DeleteComment removes a comment; ErrNotFound when there is no such comment.
	DeleteComment(ctx context.Context, id string) error
}
