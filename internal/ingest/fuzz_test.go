package ingest

import (
	"errors"
	"testing"

	"github.com/reelhq/reel/internal/apierror"
)

// FuzzDecode feeds arbitrary bytes through the whole decoding path (gunzip, depth check, JSON,
// rrweb validation, summary). It must never panic, and every refusal must be a client error.
func FuzzDecode(f *testing.F) {
	f.Add(gz(f, batchJSON("s_session01", "t_tab00001", 0, metaEv, fullEv, clickEv, moveEv)))
	f.Add(gz(f, []byte(`{"session":"s_session01","tab":"t_tab00001","seq":0,"events":[{"type":3,"timestamp":1,"data":{"source":4,"width":"x"}}]}`)))
	f.Add(gz(f, []byte(`[[[[[[[[[[]]]]]]]]]]`)))
	f.Add([]byte{0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 3})
	f.Add([]byte(`{"session":"x"}`))
	limits := Limits{MaxCompressed: 1 << 20, MaxDecompressed: 4 << 20, MaxEvents: 1000, MaxDepth: 64, MaxIDLength: 64}
	f.Fuzz(func(t *testing.T, body []byte) {
		raw, err := Decompress(body, limits, nil)
		if err == nil {
			var b *Batch
			if b, err = Decode(raw, limits); err == nil {
				_, err = Summarize(b)
			}
		}
		var ae *apierror.Error
		if err != nil && (!errors.As(err, &ae) || ae.Status < 400 || ae.Status >= 500) {
			t.Fatalf("decoding failed with a non-client error: %v", err)
		}
	})
}
