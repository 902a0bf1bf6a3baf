package storetest

import (
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/reelhq/reel/internal/store"
)

// RunFacets runs the contract of store.Facets: the countries present in a project's sessions
// and the pages that have heat, most sessions first, per project.
func RunFacets(t *testing.T, open func(t *testing.T) store.Index) {
	ctx := context.Background()
	db := open(t)
	t.Cleanup(func() { db.Close() })
	for _, p := range []string{"p", "other", "empty"} {
		if err := db.CreateProject(ctx, store.Project{ID: p, Name: p, PublicKey: "pk_" + p}); err != nil {
			t.Fatal(err)
		}
	}
	t0 := time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)
	add := func(project, id, country string, n int) {
		t.Helper()
		at := t0.Add(time.Duration(n) * time.Minute)
		b := store.Batch{ProjectID: project, Country: country, Chunk: store.Chunk{SessionID: id, Tab: "tab_0001", FirstAt: at, LastAt: at.Add(time.Second), BlobKey: id}}
		if err := db.AppendBatch(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	for i, c := range []string{"DE", "US", "DE", "", "FR", "DE", "US"} {
		add("p", fmt.Sprintf("s_c%d", i), c, i)
	}
	add("other", "s_jp", "JP", 0)
	add("empty", "s_none", "", 0)

	fc := func(v string, n int) store.FacetCount { return store.FacetCount{Value: v, Sessions: n} }
	countries := func(project string) []store.FacetCount {
		t.Helper()
		got, err := db.Countries(ctx, project)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	if got, want := countries("p"), []store.FacetCount{fc("DE", 3), fc("US", 2), fc("FR", 1)}; !reflect.DeepEqual(got, want) {
		t.Errorf("Countries(p) = %v, want %v (most sessions first, no unknown)", got, want)
	}
	if got, want := countries("other"), []store.FacetCount{fc("JP", 1)}; !reflect.DeepEqual(got, want) {
		t.Errorf("Countries(other) = %v, want %v", got, want)
	}
	if got := countries("empty"); len(got) != 0 {
		t.Errorf("Countries of a project without a country source = %v, want none", got)
	}
	if got := countries("nobody"); len(got) != 0 {
		t.Errorf("Countries of an unknown project = %v, want none", got)
	}

	// Pages with heat: HeatFixture's cart page has heat in two sessions of p, its home page in one.
	sessions, heats := HeatFixture()
	for _, s := range sessions {
		b := store.Batch{ProjectID: s.Project, Chunk: store.Chunk{SessionID: s.ID, Tab: "tab_0001", FirstAt: s.At, LastAt: s.At.Add(time.Minute), BlobKey: s.ID}}
		if err := db.AppendBatch(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	for _, h := range heats {
		if err := db.SaveHeat(ctx, h); err != nil {
			t.Fatal(err)
		}
	}
	pages := func(project string, limit int) []store.FacetCount {
		t.Helper()
		got, err := db.HeatPages(ctx, project, limit)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	if got, want := pages("p", 10), []store.FacetCount{fc("/demo/cart.html", 2), fc("/demo/", 1)}; !reflect.DeepEqual(got, want) {
		t.Errorf("HeatPages(p) = %v, want %v", got, want)
	}
	if got, want := pages("p", 1), []store.FacetCount{fc("/demo/cart.html", 2)}; !reflect.DeepEqual(got, want) {
		t.Errorf("HeatPages(p, 1) = %v, want %v", got, want)
	}
	if got, want := pages("other", 10), []store.FacetCount{fc("/demo/cart.html", 1)}; !reflect.DeepEqual(got, want) {
		t.Errorf("HeatPages(other) = %v, want %v", got, want)
	}
	if got := pages("empty", 10); len(got) != 0 {
		t.Errorf("HeatPages(empty) = %v, want none", got)
	}
	// A page goes once its last session with heat on it goes.
	if _, err := db.DeleteSessions(ctx, []string{"s_home"}); err != nil {
		t.Fatal(err)
	}
	if got, want := pages("p", 10), []store.FacetCount{fc("/demo/cart.html", 2)}; !reflect.DeepEqual(got, want) {
		t.Errorf("HeatPages(p) after deleting s_home = %v, want %v", got, want)
	}
}
