package sdk

import (
	"testing"

	"github.com/reelhq/reel/internal/buildcheck"
)

func TestCommittedBuildIsFresh(t *testing.T) {
	buildcheck.Verify(t, "../../sdk", Files())
}
