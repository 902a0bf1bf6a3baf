package ingest

import (
	"bytes"
	"errors"
	"io"
	"net/http"
	"testing"
)

// TestReadBody: a body is read whole whatever its length says, the memory asked for follows
// the bytes that arrived rather than the announcement, and a body past the limit is refused.
func TestReadBody(t *testing.T) {
	const limit = 1 << 20
	data := bytes.Repeat([]byte("0123456789abcdef"), 50_000) // 800,000 bytes
	cases := []struct {
		name     string
		body     []byte
		announce int64
		maxGrown int64 // most memory it may ask for
		tooLarge bool
	}{
		{"announced, small", data[:1000], 1000, 1001, false},
		{"announced, large", data, int64(len(data)), int64(len(data)) + 1, false},
		{"unknown length", data, -1, 2 * int64(len(data)), false},
		{"empty", nil, 0, 1, false},
		{"announces the limit, sends ten bytes", data[:10], limit, firstBuffer, false},
		{"shorter than announced", data[:100_000], 200_000, 128 << 10, false},
		{"past the limit, unknown length", bytes.Repeat([]byte{1}, limit+1), -1, limit + 1, true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			var grown int64
			r := http.MaxBytesReader(nil, io.NopCloser(bytes.NewReader(tc.body)), limit)
			got, err := readBody(r, tc.announce, limit, func(n int64) error { grown += n; return nil })
			var maxErr *http.MaxBytesError
			if tc.tooLarge {
				if !errors.As(err, &maxErr) {
					t.Fatalf("readBody = %d bytes, %v; want a MaxBytesError", len(got), err)
				}
				return
			}
			if err != nil || !bytes.Equal(got, tc.body) {
				t.Fatalf("readBody = %d bytes, %v; want the %d sent", len(got), err, len(tc.body))
			}
			if grown > tc.maxGrown || grown < int64(len(got)) {
				t.Fatalf("asked for %d bytes for a body of %d; want between that and %d", grown, len(got), tc.maxGrown)
			}
		})
	}
	spent := errors.New("spent")
	if _, err := readBody(bytes.NewReader(data), -1, limit, func(int64) error { return spent }); !errors.Is(err, spent) {
		t.Fatalf("with the budget spent = %v", err)
	}
}
