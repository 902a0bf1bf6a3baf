// Package buildcheck lets a test prove that committed browser assets match their sources: it
// rebuilds a front-end project into a temporary directory and compares every file.
// Its own test checks that docs/architecture.md's package map matches what go list reports.
package buildcheck

import (
	"bytes"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Verify runs `node build.mjs --out <tmp>` in projectDir and fails t when any file differs from,
// is missing in, or is extra in committed.
func Verify(t *testing.T, projectDir string, committed fs.FS) {
	t.Helper()
	if _, err := os.Stat(filepath.Join(projectDir, "node_modules")); err != nil {
		t.Fatalf("%s/node_modules is missing: run `npm ci` there (scripts/test does it)", projectDir)
	}
	out := t.TempDir()
	cmd := exec.Command("node", "build.mjs", "--out", out)
	cmd.Dir = projectDir
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("rebuilding %s: %v\n%s", projectDir, err, b)
	}
	fresh := os.DirFS(out)
	seen := map[string]bool{}
	fs.WalkDir(fresh, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		seen[p] = true
		want, _ := fs.ReadFile(fresh, p)
		got, err := fs.ReadFile(committed, p)
		if err != nil {
			t.Errorf("%s: built file %s is not committed; run npm run build in %s", projectDir, p, projectDir)
			return nil
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: committed %s is stale (%d bytes, fresh build %d); run npm run build in %s and commit", projectDir, p, len(got), len(want), projectDir)
		}
		return nil
	})
	fs.WalkDir(committed, ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && !seen[p] {
			t.Errorf("%s: committed file %s is no longer built; delete it", projectDir, p)
		}
		return err
	})
}
