package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/reelhq/reel/internal/store"
)

// testSessionSpan: a batch that would make its session span more than its MaxSpan is refused
// with ErrTooLong, its session's first batch included (a first batch stamped across 400 days
// would otherwise set a span no later batch is held to), alone or in a group, and a refused
// first batch leaves no session behind.
func testSessionSpan(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustProject(t, s, "p")
	span := func(b store.Batch, last time.Time) store.Batch {
		b.Chunk.LastAt = last
		b.MaxSpan = 25 * time.Hour
		return b
	}
	// A first batch alone.
	if err := s.AppendBatch(ctx, span(batch("p", "wide", "t", 0, t0, 1), t0.Add(400*24*time.Hour))); !errors.Is(err, store.ErrTooLong) {
		t.Fatalf("a first batch spanning 400 days = %v; want ErrTooLong", err)
	}
	if _, err := s.GetSession(ctx, "wide"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the refused first batch left a session: %v", err)
	}
	if ok, err := s.HasChunk(ctx, "p", "wide", "t", 0); ok || err != nil {
		t.Fatalf("HasChunk of the refused batch = %v, %v", ok, err)
	}
	// In a group: the too-long first batch is refused, the session's next batch starts it.
	errs := s.AppendBatches(ctx, []store.Batch{
		span(batch("p", "grouped", "t", 0, t0, 1), t0.Add(26*time.Hour)),
		span(batch("p", "grouped", "t", 1, t0.Add(time.Hour), 1), t0.Add(2*time.Hour)),
		span(batch("p", "fits", "t", 0, t0, 1), t0.Add(24*time.Hour)),
	})
	if !errors.Is(errs[0], store.ErrTooLong) || errs[1] != nil || errs[2] != nil {
		t.Fatalf("AppendBatches = %v; want [ErrTooLong <nil> <nil>]", errs)
	}
	got, err := s.GetSession(ctx, "grouped")
	if err != nil || !got.StartedAt.Equal(t0.Add(time.Hour)) || !got.EndedAt.Equal(t0.Add(2*time.Hour)) || got.Events != 1 {
		t.Fatalf("grouped = %+v, %v; want only its second batch", got, err)
	}
	if chunks, _ := s.Chunks(ctx, "grouped"); len(chunks) != 1 || chunks[0].Seq != 1 {
		t.Fatalf("grouped's chunks = %+v", chunks)
	}
	// Later batches are held to the span as before.
	err = s.AppendBatch(ctx, span(batch("p", "fits", "t", 1, t0.Add(24*time.Hour), 1), t0.Add(26*time.Hour)))
	if !errors.Is(err, store.ErrTooLong) {
		t.Fatalf("a batch stretching fits to 26 hours = %v; want ErrTooLong", err)
	}
	if got, _ := s.GetSession(ctx, "fits"); fmt.Sprint(got.EndedAt.Sub(got.StartedAt)) != "24h0m0s" {
		t.Fatalf("fits spans %s after the refused batch", got.EndedAt.Sub(got.StartedAt))
	}
}
