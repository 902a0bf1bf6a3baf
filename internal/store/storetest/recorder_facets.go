package storetest

import (
	"context"

	"github.com/reelhq/reel/internal/store"
)

// The methods of store.Facets (issue 18), kept apart from recorder.go's list.

func (x recorded) Countries(ctx context.Context, a1 string) ([]store.FacetCount, error) {
	x.r.count("Countries")
	return x.ix.Countries(ctx, a1)
}

func (x recorded) HeatPages(ctx context.Context, a1 string, a2 int) ([]store.FacetCount, error) {
	x.r.count("HeatPages")
	return x.ix.HeatPages(ctx, a1, a2)
}
