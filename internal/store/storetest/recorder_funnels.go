package storetest

import (
	"context"
	"time"

	"github.com/reelhq/reel/internal/store"
)

// The methods of store.Funnels (issue 17), kept apart from recorder.go's list.

func (x recorded) SaveSteps(ctx context.Context, a1 string, a2 []store.Step) error {
	x.r.count("SaveSteps")
	return x.ix.SaveSteps(ctx, a1, a2)
}

func (x recorded) SaveLiveSteps(ctx context.Context, a1 string, a2 []store.Step) error {
	x.r.count("SaveLiveSteps")
	return x.ix.SaveLiveSteps(ctx, a1, a2)
}

func (x recorded) Journeys(ctx context.Context, a1 string, a2, a3 time.Time, a4 int) ([]store.Journey, error) {
	x.r.count("Journeys")
	return x.ix.Journeys(ctx, a1, a2, a3, a4)
}

func (x recorded) SessionFlags(ctx context.Context, a1 string) ([]store.SessionFlag, error) {
	x.r.count("SessionFlags")
	return x.ix.SessionFlags(ctx, a1)
}

func (x recorded) FlagCounts(ctx context.Context, a1 string, a2, a3 time.Time) ([]store.FlagCount, error) {
	x.r.count("FlagCounts")
	return x.ix.FlagCounts(ctx, a1, a2, a3)
}

func (x recorded) Exposures(ctx context.Context, a1, a2 string, a3, a4 time.Time, a5 int) ([]store.Exposure, error) {
	x.r.count("Exposures")
	return x.ix.Exposures(ctx, a1, a2, a3, a4, a5)
}

func (x recorded) CreateFunnel(ctx context.Context, a1 store.Funnel) (store.Funnel, error) {
	x.r.count("CreateFunnel")
	return x.ix.CreateFunnel(ctx, a1)
}

func (x recorded) SavedFunnels(ctx context.Context, a1 string, a2 int64) ([]store.Funnel, error) {
	x.r.count("SavedFunnels")
	return x.ix.SavedFunnels(ctx, a1, a2)
}

func (x recorded) SavedFunnel(ctx context.Context, a1, a2 int64) (store.Funnel, error) {
	x.r.count("SavedFunnel")
	return x.ix.SavedFunnel(ctx, a1, a2)
}

func (x recorded) UpdateFunnel(ctx context.Context, a1 store.Funnel) error {
	x.r.count("UpdateFunnel")
	return x.ix.UpdateFunnel(ctx, a1)
}

func (x recorded) DeleteFunnel(ctx context.Context, a1 int64) error {
	x.r.count("DeleteFunnel")
	return x.ix.DeleteFunnel(ctx, a1)
}

func (x recorded) CountFunnels(ctx context.Context, a1 string) (int, error) {
	x.r.count("CountFunnels")
	return x.ix.CountFunnels(ctx, a1)
}
