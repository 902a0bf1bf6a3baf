package main

import (
	"os"
	"path/filepath"
	"testing"
)

// A data directory open to other users (0755, as a hand-made one often is) is restricted to
// its owner at start; a new one is made so.
func TestPrivateDataDirectory(t *testing.T) {
	open := filepath.Join(t.TempDir(), "open")
	if err := os.Mkdir(open, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(open, 0o755); err != nil {
		t.Fatal(err)
	}
	fresh := filepath.Join(t.TempDir(), "fresh", "reel-data")
	for _, dir := range []string{open, fresh} {
		if err := privateDir(dir); err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(dir)
		if err != nil {
			t.Fatal(err)
		}
		if fi.Mode().Perm() != 0o700 {
			t.Errorf("%s is %s after privateDir, want drwx------", dir, fi.Mode().Perm())
		}
	}
}
