package postgres

import (
	"context"
	"path/filepath"
	"reflect"
	"testing"

	"github.com/reelhq/reel/internal/store"
	"github.com/reelhq/reel/internal/store/sqlite"
	"github.com/reelhq/reel/internal/store/storetest"
)

func TestMove(t *testing.T) {
	storetest.RunMove(t, func(t *testing.T) store.Index { return open(t) })
}

// TestMoveFromSQLite: what `reel migrate` does, an embedded index exported and imported here,
// exports the same records from PostgreSQL.
func TestMoveFromSQLite(t *testing.T) {
	ctx := context.Background()
	src, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "index.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer src.Close()
	storetest.FillForMove(t, src)
	var recs []store.Record
	if err := src.Export(ctx, func(r store.Record) error { recs = append(recs, r); return nil }); err != nil {
		t.Fatal(err)
	}
	dst := open(t)
	if err := dst.Import(ctx, recs); err != nil {
		t.Fatal(err)
	}
	var got []store.Record
	if err := dst.Export(ctx, func(r store.Record) error { got = append(got, r); return nil }); err != nil {
		t.Fatal(err)
	}
	want, have := store.Counts{}, store.Counts{}
	for _, r := range recs {
		want.Add(r)
	}
	for _, r := range got {
		have.Add(r)
	}
	if !reflect.DeepEqual(have, want) {
		t.Errorf("PostgreSQL exports %v, SQLite %v", have, want)
	}
	if diff := storetest.DiffRecords(recs, got); diff != "" {
		t.Errorf("PostgreSQL exports other records than SQLite:\n%s", diff)
	}
}
