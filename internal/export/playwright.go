package export

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"

	"github.com/reelhq/reel/internal/export/playwright"
)

// writePlaywright writes each tab's visit as a Playwright test (internal/export/playwright):
// <id>.spec.ts for a one-tab session, <id>.tab<N>.spec.ts for each of several. A tab with no
// page recorded (no Meta event) has no test and is named in the error.
func writePlaywright(_ context.Context, s *Session, dir string) ([]string, error) {
	var names []string
	for i, t := range s.Tabs {
		var events []json.RawMessage
		if err := json.Unmarshal(t.Events, &events); err != nil {
			return names, fmt.Errorf("export: events of %s: %w", s.Info.ID, err)
		}
		test, err := playwright.Generate(events, playwright.Options{SessionID: s.Info.ID})
		if err != nil {
			return names, fmt.Errorf("export: tab %d of %s: %w", i+1, s.Info.ID, err)
		}
		name := s.Info.ID + ".spec.ts"
		if len(s.Tabs) > 1 {
			name = fmt.Sprintf("%s.tab%d.spec.ts", s.Info.ID, i+1)
		}
		if err := writeFile(filepath.Join(dir, name), test.Source); err != nil {
			return names, err
		}
		names = append(names, name)
	}
	return names, nil
}
