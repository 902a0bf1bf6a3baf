package storetest

import (
	"context"
	"time"

	"github.com/reelhq/reel/internal/store"
)

// The methods of store.Index for projects, share links and erased sessions (issue 14), kept
// apart from recorder.go's list.

func (x recorded) CreateShare(ctx context.Context, a1 store.ShareLink) error {
	x.r.count("CreateShare")
	return x.ix.CreateShare(ctx, a1)
}

func (x recorded) DeleteProject(ctx context.Context, a1 string) error {
	x.r.count("DeleteProject")
	return x.ix.DeleteProject(ctx, a1)
}

func (x recorded) PruneErased(ctx context.Context, a1 time.Time) (int, error) {
	x.r.count("PruneErased")
	return x.ix.PruneErased(ctx, a1)
}

func (x recorded) RecordErased(ctx context.Context, a1 string, a2 []string, a3 time.Time) error {
	x.r.count("RecordErased")
	return x.ix.RecordErased(ctx, a1, a2, a3)
}

func (x recorded) RevokeShare(ctx context.Context, a1 string, a2 time.Time) error {
	x.r.count("RevokeShare")
	return x.ix.RevokeShare(ctx, a1, a2)
}

func (x recorded) RotateKey(ctx context.Context, a1, a2 string, a3 time.Time) (store.Project, error) {
	x.r.count("RotateKey")
	return x.ix.RotateKey(ctx, a1, a2, a3)
}

func (x recorded) SessionShares(ctx context.Context, a1 string) ([]store.ShareLink, error) {
	x.r.count("SessionShares")
	return x.ix.SessionShares(ctx, a1)
}

func (x recorded) SessionsOfProject(ctx context.Context, a1 string, a2 int) ([]string, error) {
	x.r.count("SessionsOfProject")
	return x.ix.SessionsOfProject(ctx, a1, a2)
}

func (x recorded) Share(ctx context.Context, a1 string) (store.ShareLink, error) {
	x.r.count("Share")
	return x.ix.Share(ctx, a1)
}

func (x recorded) ShareByToken(ctx context.Context, a1 string) (store.ShareLink, error) {
	x.r.count("ShareByToken")
	return x.ix.ShareByToken(ctx, a1)
}
