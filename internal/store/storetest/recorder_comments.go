package storetest

import (
	"context"
	"time"

	"github.com/reelhq/reel/internal/store"
)

// The methods of store.Index for comments on sessions (issue 18), kept apart from recorder.go's
// list.

func (x recorded) CreateComment(ctx context.Context, a1 store.Comment) error {
	x.r.count("CreateComment")
	return x.ix.CreateComment(ctx, a1)
}

func (x recorded) Comment(ctx context.Context, a1 string) (store.Comment, error) {
	x.r.count("Comment")
	return x.ix.Comment(ctx, a1)
}

func (x recorded) SessionComments(ctx context.Context, a1 string) ([]store.Comment, error) {
	x.r.count("SessionComments")
	return x.ix.SessionComments(ctx, a1)
}

func (x recorded) EditComment(ctx context.Context, a1, a2 string, a3 time.Time) (store.Comment, error) {
	x.r.count("EditComment")
	return x.ix.EditComment(ctx, a1, a2, a3)
}

func (x recorded) DeleteComment(ctx context.Context, a1 string) error {
	x.r.count("DeleteComment")
	return x.ix.DeleteComment(ctx, a1)
}
