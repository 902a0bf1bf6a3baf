package api

import (
	"context"
	"fmt"
	"sync"

	"github.com/reelhq/reel/internal/scrub"
	"github.com/reelhq/reel/internal/store"
)

// defaultScrubber is the scrubber of a project that changed nothing (every built-in kind on).
var defaultScrubber = sync.OnceValues(func() (*scrub.Scrubber, error) { return scrub.Compile(scrub.Config{}) })

// projectScrubber returns the function that scrubs one string as ingest does for project p.
// Until projects carry scrubber settings (internal/settings, issue 15 item 1) every project
// has the default one.
func (a *API) projectScrubber(ctx context.Context, p store.Project) (func(string) (string, map[string]int), error) {
	s, err := defaultScrubber()
	if err != nil {
		return nil, fmt.Errorf("compile the default scrubber: %w", err)
	}
	return func(in string) (string, map[string]int) { return s.String(in) }, nil
}
