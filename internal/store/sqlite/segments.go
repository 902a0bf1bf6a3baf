package sqlite

import (
	"cmp"
	"database/sql/driver"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"slices"

	"github.com/reelhq/reel/internal/store"
	"modernc.org/sqlite"
)

// A row of segments (migration 0016) holds every segment of one session stored in one blob
// (compaction writes a session's segments into one):
//
//	version byte (1)
//	uvarint n, then n strings (uvarint length, bytes): the tabs
//	uvarint segments, each: tab, index, first_at, last_at, offset, length, events, raw bytes
//
// The tab is an index into the list (uvarint), first_at the varint of its difference from the
// segment before's (0 before the first), last_at of its difference from first_at, the rest
// varints: about 14 bytes a segment where a row of its own, with the blob key and its primary
// key, was about 170.

const segmentsVersion = 1

var errSegmentsRow = errors.New("sqlite: corrupt segments row")

// packSegments encodes segments, in the order given, without their session and blob key.
func packSegments(segs []store.Segment) []byte {
	var tabs []string
	index := map[string]uint64{}
	var body []byte
	body = binary.AppendUvarint(body, uint64(len(segs)))
	var prev int64
	for _, g := range segs {
		i, ok := index[g.Tab]
		if !ok {
			i = uint64(len(tabs))
			index[g.Tab] = i
			tabs = append(tabs, g.Tab)
		}
		first, last := ms(g.FirstAt), ms(g.LastAt)
		body = binary.AppendUvarint(body, i)
		for _, v := range []int64{int64(g.Index), first - prev, last - first, g.Offset, g.Length, int64(g.Events), int64(g.RawBytes)} {
			body = binary.AppendVarint(body, v)
		}
		prev = first
	}
	out := []byte{segmentsVersion}
	out = binary.AppendUvarint(out, uint64(len(tabs)))
	for _, t := range tabs {
		out = binary.AppendUvarint(out, uint64(len(t)))
		out = append(out, t...)
	}
	return append(out, body...)
}

// unpackSegments decodes a row packed by packSegments.
func unpackSegments(sessionID, blobKey string, data []byte) ([]store.Segment, error) {
	if len(data) == 0 || data[0] != segmentsVersion {
		return nil, errSegmentsRow
	}
	r := &varintReader{b: data[1:]}
	n := r.uvarint()
	if n > uint64(len(r.b)) {
		return nil, errSegmentsRow
	}
	tabs := make([]string, 0, n)
	for range n {
		l := r.uvarint()
		if r.err != nil || l > uint64(len(r.b)) {
			return nil, errSegmentsRow
		}
		tabs = append(tabs, string(r.b[:l]))
		r.b = r.b[l:]
	}
	count := r.uvarint()
	if r.err != nil || count > uint64(len(r.b)) {
		return nil, errSegmentsRow
	}
	out := make([]store.Segment, 0, count)
	var prev int64
	for range count {
		t := r.uvarint()
		if r.err != nil || t >= uint64(len(tabs)) {
			return nil, errSegmentsRow
		}
		g := store.Segment{SessionID: sessionID, Tab: tabs[t], BlobKey: blobKey, Index: int(r.varint())}
		first := prev + r.varint()
		last := first + r.varint()
		g.Offset, g.Length = r.varint(), r.varint()
		g.Events, g.RawBytes = int(r.varint()), int(r.varint())
		if r.err != nil {
			return nil, errSegmentsRow
		}
		g.FirstAt, g.LastAt = fromMS(first), fromMS(last)
		prev = first
		out = append(out, g)
	}
	if len(r.b) != 0 {
		return nil, errSegmentsRow
	}
	return out, nil
}

// sortSegments puts a session's segments in the order Segments returns them: by tab, then
// index.
func sortSegments(segs []store.Segment) {
	slices.SortFunc(segs, func(a, b store.Segment) int {
		if c := cmp.Compare(a.Tab, b.Tab); c != 0 {
			return c
		}
		return cmp.Compare(a.Index, b.Index)
	})
}

func init() {
	// reel_segments_pack exists for migration 0016, which packed the rows of segments: it
	// takes a JSON array of [tab, idx, first_at, last_at, offset, length, events, raw_bytes].
	sqlite.MustRegisterDeterministicScalarFunction("reel_segments_pack", 1, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		s, _ := args[0].(string)
		var raw [][]json.RawMessage
		if err := json.Unmarshal([]byte(s), &raw); err != nil {
			return nil, fmt.Errorf("reel_segments_pack: %w", err)
		}
		var segs []store.Segment
		for _, it := range raw {
			if len(it) != 8 {
				return nil, errors.New("reel_segments_pack: bad item")
			}
			var g store.Segment
			var first, last int64
			if err := errors.Join(json.Unmarshal(it[0], &g.Tab), json.Unmarshal(it[1], &g.Index), json.Unmarshal(it[2], &first), json.Unmarshal(it[3], &last),
				json.Unmarshal(it[4], &g.Offset), json.Unmarshal(it[5], &g.Length), json.Unmarshal(it[6], &g.Events), json.Unmarshal(it[7], &g.RawBytes)); err != nil {
				return nil, fmt.Errorf("reel_segments_pack: %w", err)
			}
			g.FirstAt, g.LastAt = fromMS(first), fromMS(last)
			segs = append(segs, g)
		}
		sortSegments(segs)
		return packSegments(segs), nil
	})
}
