package export

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
)

// writeRRweb writes each tab's events as the plain JSON array rrweb's Replayer takes, exactly
// as recorded: <id>.rrweb.json for a one-tab session, <id>.tab<N>.rrweb.json for each of
// several, and <id>.meta.json with the session object and which file holds which tab.
func writeRRweb(_ context.Context, s *Session, dir string) ([]string, error) {
	type tabFile struct {
		ID   string `json:"id,omitempty"`
		File string `json:"file"`
	}
	var names []string
	var tabs []tabFile
	for i, t := range s.Tabs {
		name := s.Info.ID + ".rrweb.json"
		if len(s.Tabs) > 1 {
			name = fmt.Sprintf("%s.tab%d.rrweb.json", s.Info.ID, i+1)
		}
		if err := writeFile(filepath.Join(dir, name), t.Events); err != nil {
			return names, err
		}
		names = append(names, name)
		tabs = append(tabs, tabFile{t.ID, name})
	}
	meta, err := json.MarshalIndent(map[string]any{"session": s.Meta, "tabs": tabs, "format": "rrweb", "exportedBy": "reel"}, "", "  ")
	if err != nil {
		return names, fmt.Errorf("export: metadata of %s: %w", s.Info.ID, err)
	}
	name := s.Info.ID + ".meta.json"
	if err := writeFile(filepath.Join(dir, name), append(meta, '\n')); err != nil {
		return names, err
	}
	return append(names, name), nil
}

// writeFile writes b to path through a temporary file in the same directory, so a file of
// that name is always whole.
func writeFile(path string, b []byte) error {
	f, err := os.CreateTemp(filepath.Dir(path), ".reel-export-*")
	if err != nil {
		return fmt.Errorf("export: %w", err)
	}
	defer os.Remove(f.Name())
	if _, err := f.Write(b); err != nil {
		f.Close()
		return fmt.Errorf("export: writing %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("export: writing %s: %w", path, err)
	}
	if err := os.Rename(f.Name(), path); err != nil {
		return fmt.Errorf("export: %w", err)
	}
	return nil
}
