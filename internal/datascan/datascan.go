// Package datascan looks for strings in everything Reel keeps on disk, the way an auditor would:
// every file under a directory, read raw and with every zstd or gzip stream inside it
// decompressed, wherever it starts (a pack holds many frames after a header, the SQLite files hold
// compressed text pieces in their pages). Erasure and scrubbing tests use it to prove that a
// value is gone, not only that the API no longer serves it.
package datascan

import (
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/klauspost/compress/zstd"
)

// Hit is one needle found in one file.
type Hit struct {
	Path         string // the file
	Needle       string // what was found
	Decompressed bool   // found inside a compressed stream, not in the raw bytes
}

func (h Hit) String() string {
	if h.Decompressed {
		return fmt.Sprintf("%s holds %q (decompressed)", h.Path, h.Needle)
	}
	return fmt.Sprintf("%s holds %q", h.Path, h.Needle)
}

// maxStream bounds what one compressed stream may expand to while scanning.
const maxStream = 256 << 20

var (
	zstdMagic = []byte{0x28, 0xb5, 0x2f, 0xfd}
	gzipMagic = []byte{0x1f, 0x8b, 0x08}
)

// Find walks root and returns every file holding any of needles, as written or lowercased (the
// full-text index keeps words lowercased), in the raw bytes or in a stream decompressed from
// any offset where a zstd frame or a gzip member begins.
func Find(root string, needles ...string) ([]Hit, error) {
	forms := make([][][]byte, len(needles))
	for i, n := range needles {
		forms[i] = [][]byte{[]byte(n)}
		if low := bytes.ToLower([]byte(n)); !bytes.Equal(low, []byte(n)) {
			forms[i] = append(forms[i], low)
		}
	}
	dec, err := zstd.NewReader(nil, zstd.WithDecoderMaxMemory(maxStream), zstd.WithDecoderConcurrency(1))
	if err != nil {
		return nil, err
	}
	defer dec.Close()
	var hits []Hit
	err = filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.Type().IsRegular() {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return fmt.Errorf("datascan: %w", err)
		}
		found := map[int]bool{}
		look := func(data []byte, decompressed bool) {
			for i, fs := range forms {
				if found[i] {
					continue
				}
				for _, f := range fs {
					if bytes.Contains(data, f) {
						found[i] = true
						hits = append(hits, Hit{Path: p, Needle: needles[i], Decompressed: decompressed})
						break
					}
				}
			}
		}
		look(b, false)
		for _, s := range streams(b, dec) {
			look(s, true)
		}
		return nil
	})
	return hits, err
}

// streams decompresses whatever it can from every offset of b where a zstd frame or a gzip
// member starts, keeping the output up to the first error (a stream running into the next
// object is expected in a pack).
func streams(b []byte, dec *zstd.Decoder) [][]byte {
	var out [][]byte
	for off := 0; off < len(b); {
		z := bytes.Index(b[off:], zstdMagic)
		g := bytes.Index(b[off:], gzipMagic)
		var at int
		var isZstd bool
		switch {
		case z < 0 && g < 0:
			return out
		case g < 0 || (z >= 0 && z < g):
			at, isZstd = off+z, true
		default:
			at = off + g
		}
		var data []byte
		if isZstd {
			if err := dec.Reset(bytes.NewReader(b[at:])); err == nil {
				data, _ = io.ReadAll(io.LimitReader(dec, maxStream))
			}
		} else if zr, err := gzip.NewReader(bytes.NewReader(b[at:])); err == nil {
			zr.Multistream(false)
			data, _ = io.ReadAll(io.LimitReader(zr, maxStream))
		}
		if len(data) > 0 {
			out = append(out, data)
		}
		off = at + 1
	}
	return out
}
