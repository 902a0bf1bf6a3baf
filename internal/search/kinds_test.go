package search_test

import (
	"slices"
	"testing"

	"github.com/reelhq/reel/internal/analyze"
	"github.com/reelhq/reel/internal/search"
)

// TestFrictionKindsMatchAnalysis keeps friction.<kind>: in step with the kinds analysis finds.
func TestFrictionKindsMatchAnalysis(t *testing.T) {
	var want []string
	for _, k := range []analyze.Kind{analyze.RageClick, analyze.DeadClick, analyze.ErrorClick, analyze.ThrashedCursor,
		analyze.QuickBack, analyze.ExcessiveScroll, analyze.FormAbandon, analyze.FieldHesitation} {
		want = append(want, string(k))
	}
	if got := slices.Sorted(slices.Values(search.FrictionKinds)); !slices.Equal(got, slices.Sorted(slices.Values(want))) {
		t.Errorf("search.FrictionKinds = %v, analysis finds %v", got, want)
	}
}
