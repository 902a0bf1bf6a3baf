package corpus

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"math/rand/v2"

	"github.com/reelhq/reel/internal/ingest"
)

// Vary makes a new visit from a recorded one: the same pages and actions, shifted to start at
// start (ms), with mouse positions, scroll offsets and timings jittered the way two visitors
// doing the same thing differ. It keeps the rrweb structure intact.
func Vary(s Session, start int64, rng *rand.Rand) []json.RawMessage {
	if len(s.Events) == 0 {
		return nil
	}
	var first int64
	out := make([]json.RawMessage, 0, len(s.Events))
	stretch := 0.8 + rng.Float64()*0.4
	for i, raw := range s.Events {
		var ev map[string]any
		dec := json.NewDecoder(bytes.NewReader(raw))
		dec.UseNumber()
		if err := dec.Decode(&ev); err != nil {
			continue
		}
		ts, _ := ev["timestamp"].(json.Number).Int64()
		if i == 0 {
			first = ts
		}
		ev["timestamp"] = start + int64(float64(ts-first)*stretch)
		if typ, _ := ev["type"].(json.Number).Int64(); typ == 3 {
			if d, ok := ev["data"].(map[string]any); ok {
				jitter(d, rng)
			}
		}
		b, _ := json.Marshal(ev)
		out = append(out, b)
	}
	return out
}

func jitter(d map[string]any, rng *rand.Rand) {
	for _, k := range []string{"x", "y"} {
		if v, ok := d[k].(json.Number); ok {
			if f, err := v.Float64(); err == nil {
				d[k] = int(f) + rng.IntN(21) - 10
			}
		}
	}
	if ps, ok := d["positions"].([]any); ok {
		for _, p := range ps {
			if m, ok := p.(map[string]any); ok {
				jitter(m, rng)
			}
		}
	}
}

// Batches cuts a session's events the way the SDK does: a batch every 5 seconds of recording
// or every 500 events, whichever comes first.
func Batches(events []json.RawMessage) [][]json.RawMessage {
	var out [][]json.RawMessage
	var cur []json.RawMessage
	var start int64 = -1
	for _, raw := range events {
		var h struct {
			Timestamp int64 `json:"timestamp"`
		}
		json.Unmarshal(raw, &h)
		if start < 0 {
			start = h.Timestamp
		}
		if len(cur) > 0 && (h.Timestamp-start > 5000 || len(cur) >= 500) {
			out = append(out, cur)
			cur, start = nil, h.Timestamp
		}
		cur = append(cur, raw)
	}
	if len(cur) > 0 {
		out = append(out, cur)
	}
	return out
}

// Body encodes one batch in the wire format, gzip-compressed, and returns it with the length of
// its JSON.
func Body(session, tab string, seq int, events []json.RawMessage) ([]byte, int) {
	raw := batchJSON(session, tab, seq, events)
	return gzipped(raw), len(raw)
}

// SDKBody encodes one batch as the browser SDK sends it: delta-encoded (post it with
// SDKQuery added to the ingest URL), then gzip-compressed. It returns the body and the length
// of the batch's JSON before encoding.
func SDKBody(session, tab string, seq int, events []json.RawMessage) ([]byte, int) {
	raw := batchJSON(session, tab, seq, events)
	packed, ok := ingest.Delta(raw)
	if !ok {
		panic("corpus: a recorded batch cannot be delta-encoded")
	}
	return gzipped(packed), len(raw)
}

// SDKQuery is what the SDK adds to the ingest URL for an SDKBody.
const SDKQuery = "&enc=" + ingest.EncodingDelta

func batchJSON(session, tab string, seq int, events []json.RawMessage) []byte {
	var raw bytes.Buffer
	fmt.Fprintf(&raw, `{"session":%q,"tab":%q,"seq":%d,"meta":{"sdk":"bench","userAgent":"Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0"},"events":[`, session, tab, seq)
	for i, e := range events {
		if i > 0 {
			raw.WriteByte(',')
		}
		raw.Write(e)
	}
	raw.WriteString("]}")
	return raw.Bytes()
}

func gzipped(raw []byte) []byte {
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.DefaultCompression)
	zw.Write(raw)
	zw.Close()
	return gz.Bytes()
}

// GzipJSON is the baseline a naive store keeps: the session's events as one rrweb JSON array,
// gzip-compressed at the default level.
func GzipJSON(events []json.RawMessage) int {
	var gz bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&gz, gzip.DefaultCompression)
	zw.Write([]byte("["))
	for i, e := range events {
		if i > 0 {
			zw.Write([]byte(","))
		}
		zw.Write(e)
	}
	zw.Write([]byte("]"))
	zw.Close()
	return gz.Len()
}
