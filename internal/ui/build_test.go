package ui

import (
	"testing"

	"github.com/reelhq/reel/internal/buildcheck"
)

func TestCommittedBuildIsFresh(t *testing.T) {
	buildcheck.Verify(t, "../../web", Files())
}
