package e2e

import (
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"testing"
	"time"
)

// TestExportImportRoundTrip: a two-tab session exported with `reel export --format rrweb` and
// imported into another project with `reel import` (its .meta.json, so both tabs come back as
// one session) has the same events in each tab, byte for byte, and compaction finds the same
// rage click in it.
func TestExportImportRoundTrip(t *testing.T) {
	r := startReelWith(t, t.TempDir(), "--compact-idle", "1s")
	t0 := time.Now().Add(-10 * time.Minute).UnixMilli()
	id := richSession(t, r, t0)
	env := []string{"REEL_SERVER=" + r.URL, "REEL_TOKEN=" + createToken(t, r)}
	dir := t.TempDir()
	if stdout, stderr, ok := reelCLI(t, env, "export", id, "--format", "rrweb", "-o", dir); !ok {
		t.Fatalf("reel export: %s %s", stdout, stderr)
	}
	var project struct{ ID string }
	r.post(t, "/api/v1/projects", map[string]string{"name": "Imported"}, &project)
	stdout, stderr, ok := reelCLI(t, env, "import", "--project", project.ID, filepath.Join(dir, id+".meta.json"))
	if !ok {
		t.Fatalf("reel import: %s %s", stdout, stderr)
	}
	m := regexp.MustCompile(`\(rrweb, 2 tabs\) → session (s_imp\w+)`).FindStringSubmatch(stdout)
	if m == nil {
		t.Fatalf("reel import printed %q", stdout)
	}
	again := m[1]
	var tabs struct {
		Tabs []struct{ ID string } `json:"tabs"`
	}
	r.api(t, "/api/v1/sessions/"+again+"/tabs", &tabs)
	if len(tabs.Tabs) != 2 {
		t.Fatalf("imported session has tabs %+v, want 2", tabs.Tabs)
	}
	for i, tab := range tabs.Tabs {
		want, err := os.ReadFile(filepath.Join(dir, id+".tab"+string(rune('1'+i))+".rrweb.json"))
		if err != nil {
			t.Fatal(err)
		}
		if got := getRaw(t, r, "/api/v1/sessions/"+again+"/events?tab="+url.QueryEscape(tab.ID)); string(got) != "200 "+string(want) {
			t.Errorf("tab %d came back different:\n%.400s\nexported:\n%.400s", i+1, got, want)
		}
	}
	// Analysis of the imported session: the four clicks on the heading are a rage click.
	var list struct{ Sessions []struct{ ID string } }
	for deadline := time.Now().Add(90 * time.Second); ; {
		r.api(t, "/api/v1/sessions?project="+project.ID+"&q="+url.QueryEscape("rage:>0"), &list)
		if len(list.Sessions) == 1 || time.Now().After(deadline) {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	if len(list.Sessions) != 1 || list.Sessions[0].ID != again {
		t.Fatalf("rage:>0 in the imported project = %+v, want %s", list.Sessions, again)
	}
}
