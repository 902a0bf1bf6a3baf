package backup

import (
	"archive/tar"
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
)

// archive builds a tar+zstd stream of the given entries, in order.
func archive(t *testing.T, entries ...*tar.Header) []byte {
	t.Helper()
	var b bytes.Buffer
	zw, _ := zstd.NewWriter(&b)
	tw := tar.NewWriter(zw)
	for _, h := range entries {
		if h.Typeflag == 0 {
			h.Typeflag = tar.TypeReg
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		tw.Write(bytes.Repeat([]byte("x"), int(h.Size)))
	}
	tw.Close()
	zw.Close()
	return b.Bytes()
}

// A crafted archive writes nothing outside the target and nothing but the index and objects,
// and the target is left empty.
func TestRestoreRefusesCraftedArchives(t *testing.T) {
	cases := []struct {
		name    string
		entries []*tar.Header
		want    string
	}{
		{"a path out of the directory", []*tar.Header{{Name: "../escaped", Size: 1}}, `unexpected entry "../escaped"`},
		{"an absolute path", []*tar.Header{{Name: "/tmp/abs", Size: 1}}, `unexpected entry "/tmp/abs"`},
		{"a symbolic link", []*tar.Header{{Name: "blobs/link", Typeflag: tar.TypeSymlink, Linkname: "/etc/passwd"}}, `unexpected entry "blobs/link"`},
		{"a file that is neither index nor object", []*tar.Header{{Name: "serve.lock", Size: 1}}, `unexpected entry "serve.lock"`},
		{"a file twice", []*tar.Header{{Name: "blobs/a", Size: 1}, {Name: "blobs/a", Size: 1}}, "blobs/a appears twice"},
		{"no manifest", []*tar.Header{{Name: "index.db", Size: 1}}, "no MANIFEST.json"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			parent := t.TempDir()
			dir := filepath.Join(parent, "data")
			_, err := Restore(context.Background(), bytes.NewReader(archive(t, tc.entries...)), dir)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want %q", err, tc.want)
			}
			if entries, _ := os.ReadDir(dir); len(entries) != 0 {
				t.Fatalf("%d entries left in the target", len(entries))
			}
			if entries, _ := os.ReadDir(parent); len(entries) != 1 {
				t.Fatalf("something was written beside the target: %v", entries)
			}
		})
	}
	// Not an archive at all.
	if _, err := Restore(context.Background(), strings.NewReader("hello"), filepath.Join(t.TempDir(), "d")); err == nil || !strings.Contains(err.Error(), "is it a Reel backup") {
		t.Fatalf("plain text: %v", err)
	}
}
