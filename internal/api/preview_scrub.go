package api

import (
	"context"

	"github.com/reelhq/reel/internal/settings"
	"github.com/reelhq/reel/internal/store"
)

// projectScrubber returns the function that scrubs one string as ingest does for project p:
// the project's own scrubber settings, compiled once per change (settings.Scrubber).
func (a *API) projectScrubber(ctx context.Context, p store.Project) (func(string) (string, map[string]int), error) {
	s := settings.Scrubber(a.log, p)
	return func(in string) (string, map[string]int) { return s.String(in) }, nil
}
