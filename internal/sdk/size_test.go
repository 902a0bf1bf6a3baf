package sdk

import (
	"bytes"
	"compress/gzip"
	"io/fs"
	"testing"
)

// The default bundle's cap, min+gzip (bench/sdk-size measures it with gzip -6; Go's level 6
// compresses a little less, so this check is, if anything, stricter). Rare capabilities load
// on demand from the server instead (reel-preview.js, reel-canvas.js).
const maxGzipped = 32000

func TestDefaultBundleStaysUnderItsCap(t *testing.T) {
	for _, name := range []string{"reel.js", "reel.esm.js"} {
		b, err := fs.ReadFile(Files(), name)
		if err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, 6)
		zw.Write(b)
		zw.Close()
		t.Logf("%s: %d bytes, %d gzipped", name, len(b), buf.Len())
		if buf.Len() > maxGzipped {
			t.Errorf("%s is %d bytes gzipped, over the %d-byte cap", name, buf.Len(), maxGzipped)
		}
	}
}
