package storetest

import (
	"context"

	"github.com/reelhq/reel/internal/store"
)

func (x recorded) RecordDelivery(ctx context.Context, a1 store.AlertDelivery) (store.AlertDelivery, error) {
	x.r.count("RecordDelivery")
	return x.ix.RecordDelivery(ctx, a1)
}

func (x recorded) AlertDeliveries(ctx context.Context, a1 string) ([]store.AlertDelivery, error) {
	x.r.count("AlertDeliveries")
	return x.ix.AlertDeliveries(ctx, a1)
}
