package compact

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/reelhq/reel/internal/content"
	"github.com/reelhq/reel/internal/layout"
	"github.com/reelhq/reel/internal/rrweb"
	"github.com/reelhq/reel/internal/store"
)

type event struct {
	typ rrweb.EventType
	at  int64
	raw []byte
}

// rewritten is a session cut into its new segments, their content taken out but not yet
// numbered or compressed: numbering needs the index (see commit).
type rewritten struct {
	// object is the new blob that will hold the segments, empty until commit.
	object *layout.Object
	// segments are the new seek index rows, not pointing into the object yet.
	segments []store.Segment
	// texts are each new segment's events (JSON array text), its content taken out.
	texts [][]byte
	// taken is every content item the session uses, by hash.
	taken map[string][]byte
	// roots are the items a segment names directly (the others are nested in items).
	roots map[string]bool
	// tabs are the session's tab names, sorted; analysed[i] holds tab i's events in order.
	tabs     []string
	analysed [][]json.RawMessage
}

// rewrite orders each tab's events by time, cuts them into segments at every full snapshot and
// takes each segment's large content out. It is pure: nothing is written until commit.
func (c *Compactor) rewrite(in loaded) (*rewritten, error) {
	id := in.sess.ID
	out := &rewritten{
		object: layout.NewSession(in.sess.ProjectID, id),
		taken:  map[string][]byte{},
		roots:  map[string]bool{},
	}
	for t := range in.tabs {
		out.tabs = append(out.tabs, t)
	}
	sort.Strings(out.tabs)
	for _, tab := range out.tabs {
		events, err := flatten(in.tabs[tab])
		if err != nil {
			return nil, fmt.Errorf("compact %s tab %s: %w", id, tab, err)
		}
		raws := make([]json.RawMessage, len(events))
		for i, e := range events {
			raws[i] = e.raw
		}
		out.analysed = append(out.analysed, raws)
		for i, seg := range cut(events) {
			arr := join(seg)
			text, tokens, err := content.Externalize(arr, c.opts.MinContent)
			if err != nil {
				return nil, fmt.Errorf("compact %s: %w", id, err)
			}
			// Everything was resolved before externalising, so what was taken is exactly
			// what the session uses; the segment's own markers are its roots.
			for h, tok := range tokens {
				out.taken[h] = tok
			}
			for _, h := range content.Refs(text) {
				out.roots[h] = true
			}
			out.segments = append(out.segments, store.Segment{
				SessionID: id, Tab: tab, Index: i,
				FirstAt: time.UnixMilli(seg[0].at).UTC(), LastAt: time.UnixMilli(seg[len(seg)-1].at).UTC(),
				Events: len(seg), RawBytes: len(arr),
			})
			out.texts = append(out.texts, text)
		}
	}
	return out, nil
}

// flatten orders a tab's pieces by time (earlier segments, then chunks by sequence) and returns
// their events, stably sorted by timestamp so a late batch lands where it belongs.
func flatten(pieces []piece) ([]event, error) {
	sort.SliceStable(pieces, func(i, j int) bool {
		if pieces[i].seq < 0 || pieces[j].seq < 0 {
			return pieces[i].first < pieces[j].first
		}
		return pieces[i].seq < pieces[j].seq
	})
	var out []event
	for _, p := range pieces {
		for _, raw := range rrweb.Elements(p.arr, 1<<30) {
			typ, at, err := rrweb.Header(raw)
			if err != nil {
				return nil, err
			}
			out = append(out, event{typ: typ, at: at, raw: raw})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].at < out[j].at })
	if len(out) == 0 {
		return nil, errors.New("no events")
	}
	return out, nil
}

// cut splits a tab's events into segments, each starting at a Meta event (rrweb emits one right
// before every full snapshot), so each segment can be replayed on its own.
func cut(events []event) [][]event {
	var segs [][]event
	start := 0
	for i, e := range events {
		if e.typ == rrweb.Meta && i > start {
			segs = append(segs, events[start:i])
			start = i
		}
	}
	return append(segs, events[start:])
}

func join(events []event) []byte {
	n := 2
	for _, e := range events {
		n += len(e.raw) + 1
	}
	out := make([]byte, 0, n)
	out = append(out, '[')
	for i, e := range events {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, e.raw...)
	}
	return append(out, ']')
}
