package datascan

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"testing"

	"github.com/klauspost/compress/zstd"
)

func TestFindsNeedlesRawAndInsideStreams(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, b []byte) {
		t.Helper()
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	enc, _ := zstd.NewWriter(nil)
	// A pack: a header, then two zstd frames back to back; the needle is in the second.
	pack := append([]byte("PACKHEADER"), enc.EncodeAll([]byte("nothing here"), nil)...)
	pack = append(pack, enc.EncodeAll([]byte(`{"text":"Alice.Secret@example.com"}`), nil)...)
	write("blobs/p/pack1", pack)
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write([]byte("card 4111111111111111"))
	zw.Close()
	write("tmp/.tmp-123", append([]byte("junk"), gz.Bytes()...))
	write("index.db", []byte("page ... alice.secret@example.com ..."))
	write("clean", enc.EncodeAll([]byte("nothing to see"), nil))

	hits, err := Find(dir, "Alice.Secret@example.com", "4111111111111111", "absent")
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]bool{}
	for _, h := range hits {
		rel, _ := filepath.Rel(dir, h.Path)
		got[rel+" "+h.Needle] = true
		if rel == "clean" || h.Needle == "absent" {
			t.Errorf("false hit: %s", h)
		}
	}
	for _, want := range []string{
		"blobs/p/pack1 Alice.Secret@example.com",
		"tmp/.tmp-123 4111111111111111",
		"index.db Alice.Secret@example.com", // lowercased, as the text index keeps words
	} {
		if !got[want] {
			t.Errorf("missed %s; hits %v", want, hits)
		}
	}
}
