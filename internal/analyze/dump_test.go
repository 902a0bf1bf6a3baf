package analyze

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestDumps(t *testing.T) {
	files, _ := filepath.Glob("/tmp/frdump3/*.json")
	only := os.Getenv("ONLY")
	for _, f := range files {
		if only != "" && !strings.Contains(f, only) {
			continue
		}
		b, _ := os.ReadFile(f)
		var evs []json.RawMessage
		json.Unmarshal(b, &evs)
		tl := Build(evs)
		var ks []string
		for _, s := range Detect(tl, Defaults) {
			ks = append(ks, string(s.Kind))
		}
		t.Logf("%s: %v", filepath.Base(f), ks)
		if only != "" {
			for _, c := range tl.clicks {
				t.Logf("click %d %s", c.at%100000, c.target)
			}
			for _, m := range tl.muts {
				t.Logf("mut %d %v", m.at%100000, m.ids)
			}
			for _, p := range tl.pages {
				t.Logf("page %d %s", p.at%100000, p.url)
			}
			for _, s := range tl.scrolls {
				t.Logf("scroll %d %d %g", s.at%100000, s.id, s.y)
			}
		}
	}
}
