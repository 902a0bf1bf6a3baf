package storetest

import (
	"context"

	"github.com/reelhq/reel/internal/store"
)

// The methods of store.Vitals (issue 17), kept apart from recorder.go's list.

func (x recorded) SessionVitals(ctx context.Context, a1 string) ([]store.PageVitals, error) {
	x.r.count("SessionVitals")
	return x.ix.SessionVitals(ctx, a1)
}

func (x recorded) VitalSamples(ctx context.Context, a1 store.VitalQuery) ([]store.VitalSample, error) {
	x.r.count("VitalSamples")
	return x.ix.VitalSamples(ctx, a1)
}
