// Package chunk is the at-rest format of a batch of events: the rrweb events as one JSON array,
// byte for byte as recorded, compressed with zstd. Keeping the JSON verbatim means the events
// API returns exactly what was recorded, and any rrweb player can read it.
package chunk

import (
	"errors"
	"fmt"

	"github.com/klauspost/compress/zstd"
)

// MaxDecoded bounds what one chunk may expand to, so a corrupted or hostile blob cannot make the
// server allocate without limit.
const MaxDecoded = 256 << 20

var (
	// encoder writes what stays at rest: compaction's segments, and content items (written
	// once per project, at ingest or compaction), read many times. The strongest level makes
	// them 3% (segments) and 8% (content items) smaller than the default on bench/storage's
	// sessions, at about a fifth of the speed (20 rather than 100 MB/s of events on one
	// core), which compaction, run once per session in the background, can afford; decoding
	// is as fast as before.
	encoder, _ = zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedBestCompression), zstd.WithEncoderConcurrency(1))
	// fast compresses chunks on the ingest path, where latency matters; compaction rewrites
	// them at the strongest level later.
	fast, _    = zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedFastest), zstd.WithEncoderConcurrency(1))
	decoder, _ = zstd.NewReader(nil, zstd.WithDecoderMaxMemory(MaxDecoded), zstd.WithDecoderConcurrency(0))
)

// EncodeArray compresses a JSON array of events as it is, quickly.
func EncodeArray(arr []byte) []byte {
	return fast.EncodeAll(arr, make([]byte, 0, len(arr)/4))
}

// Compress zstd-compresses arbitrary bytes with the chunk encoder.
func Compress(b []byte) []byte {
	return encoder.EncodeAll(b, make([]byte, 0, len(b)/3+16))
}

// Decompress reverses Compress (or decodes any sequence of zstd frames).
func Decompress(b []byte) ([]byte, error) {
	out, err := decoder.DecodeAll(b, nil)
	if err != nil {
		return nil, fmt.Errorf("chunk: decompress: %w", err)
	}
	return out, nil
}

// DecodeArray decompresses a chunk into its JSON array text.
func DecodeArray(b []byte) ([]byte, error) {
	out, err := Decompress(b)
	if err != nil {
		return nil, err
	}
	if len(out) < 2 || out[0] != '[' || out[len(out)-1] != ']' {
		return nil, errors.New("chunk: not a JSON array")
	}
	return out, nil
}
