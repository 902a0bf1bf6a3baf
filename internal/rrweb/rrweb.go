// Package rrweb knows the shape of rrweb events: the event and incremental-source numbers as
// rrweb defines them, and the few fields Reel reads to index a session. Everything else inside
// an event is kept as raw JSON so that what Reel serves back is exactly what was recorded.
package rrweb

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"strconv"

	"github.com/reelhq/reel/internal/jsontok"
)

// EventType is rrweb's EventType enum.
type EventType int

// rrweb event types, numbered as in rrweb's @rrweb/types.
const (
	DomContentLoaded    EventType = 0
	Load                EventType = 1
	FullSnapshot        EventType = 2
	IncrementalSnapshot EventType = 3
	Meta                EventType = 4
	Custom              EventType = 5
	Plugin              EventType = 6
)

// IncrementalSource is rrweb's IncrementalSource enum (data.source of an incremental event).
type IncrementalSource int

// rrweb incremental sources, numbered as in rrweb's @rrweb/types.
const (
	SourceMutation          IncrementalSource = 0
	SourceMouseMove         IncrementalSource = 1
	SourceMouseInteraction  IncrementalSource = 2
	SourceScroll            IncrementalSource = 3
	SourceViewportResize    IncrementalSource = 4
	SourceInput             IncrementalSource = 5
	SourceTouchMove         IncrementalSource = 6
	SourceMediaInteraction  IncrementalSource = 7
	SourceStyleSheetRule    IncrementalSource = 8
	SourceCanvasMutation    IncrementalSource = 9
	SourceFont              IncrementalSource = 10
	SourceLog               IncrementalSource = 11
	SourceDrag              IncrementalSource = 12
	SourceStyleDeclaration  IncrementalSource = 13
	SourceSelection         IncrementalSource = 14
	SourceAdoptedStyleSheet IncrementalSource = 15
	SourceCustomElement     IncrementalSource = 16
)

// MouseInteraction types (data.type when data.source is SourceMouseInteraction).
const (
	MouseUp           = 0
	MouseDown         = 1
	Click             = 2
	ContextMenu       = 3
	DblClick          = 4
	Focus             = 5
	Blur              = 6
	TouchStart        = 7
	TouchMoveDeparted = 8
	TouchEnd          = 9
	TouchCancel       = 10
)

// ErrInvalid is wrapped by every validation failure so callers can map it to a client error.
var ErrInvalid = errors.New("invalid rrweb event")

// Event is one rrweb event with its payload kept verbatim.
type Event struct {
	Type      EventType
	Timestamp int64 // ms since epoch
	Data      json.RawMessage
}

// MetaData is the data of a Meta event: the page that was loaded and its viewport.
type MetaData struct {
	Href   string
	Width  int
	Height int
}

// ParseMeta reads a Meta event's data. Fields of an unexpected type read as zero: a recorder
// variant that sends something odd must not cost the user the whole batch.
func ParseMeta(data json.RawMessage) (MetaData, error) {
	var raw struct {
		Href   json.RawMessage `json:"href"`
		Width  json.RawMessage `json:"width"`
		Height json.RawMessage `json:"height"`
	}
	if err := json.Unmarshal(data, &raw); err != nil {
		return MetaData{}, fmt.Errorf("%w: meta: %v", ErrInvalid, err)
	}
	var m MetaData
	_ = json.Unmarshal(raw.Href, &m.Href)
	m.Width, m.Height = number(raw.Width), number(raw.Height)
	return m, nil
}

// IncrementalHeader is the part of an incremental event's data that says what happened.
type IncrementalHeader struct {
	Source IncrementalSource
	Type   int // the interaction type for mouse interactions, else whatever the source says
	Width  int
	Height int
}

// number reads a JSON number as an int, or -1 when it is absent or not a number.
func number(raw json.RawMessage) int {
	// The common case, a small non-negative integer, without encoding/json.
	if len(raw) > 0 && len(raw) <= 9 && (raw[0] != '0' || len(raw) == 1) {
		n := 0
		for _, c := range raw {
			if c < '0' || c > '9' {
				n = -1
				break
			}
			n = n*10 + int(c-'0')
		}
		if n >= 0 {
			return n
		}
	}
	var f float64
	if len(raw) == 0 || json.Unmarshal(raw, &f) != nil || f > math.MaxInt32 || f < math.MinInt32 {
		return -1
	}
	return int(f)
}

// IsClick reports whether h is a mouse or touch click.
func (h IncrementalHeader) IsClick() bool {
	return h.Source == SourceMouseInteraction && h.Type == Click
}

// Elements returns the elements of a JSON array that has already been validated, as
// sub-slices of arr, stopping after limit elements.
func Elements(arr []byte, limit int) []json.RawMessage {
	var out []json.RawMessage
	i := jsontok.Open(arr, 0, '[')
	if i < 0 {
		return nil
	}
	for len(out) < limit {
		v, ok := jsontok.Item(arr, i)
		if !ok {
			break
		}
		e := jsontok.Skip(arr, v)
		if e <= v {
			break
		}
		out = append(out, arr[v:e])
		i = e
	}
	return out
}

// Header reads only an event's type and timestamp, without copying its data.
func Header(raw json.RawMessage) (EventType, int64, error) {
	var h struct {
		Type      int     `json:"type"`
		Timestamp float64 `json:"timestamp"`
	}
	if err := json.Unmarshal(raw, &h); err != nil {
		return 0, 0, fmt.Errorf("%w: %v", ErrInvalid, err)
	}
	return EventType(h.Type), int64(h.Timestamp), nil
}

// Fields calls f with each top-level key (still JSON-quoted) and raw value of the JSON object
// obj, without parsing or copying the values. obj must be valid JSON (ingest validates the whole
// batch first); a non-object gives an error. It loops over jsontok.Member itself rather than
// passing a callback to jsontok.Object: on every event of every batch, the indirect call per
// member cost ingest's event parsing 6%.
func Fields(obj []byte, f func(key, value []byte)) error {
	i := jsontok.Open(obj, 0, '{')
	if i < 0 {
		return fmt.Errorf("%w: not an object", ErrInvalid)
	}
	for {
		key, v := jsontok.Member(obj, i)
		if key == nil {
			if v < 0 {
				return fmt.Errorf("%w: bad object", ErrInvalid)
			}
			return nil
		}
		e := jsontok.Skip(obj, v)
		if e <= v {
			return fmt.Errorf("%w: bad object", ErrInvalid)
		}
		f(key, obj[v:e])
		i = e
	}
}

// FastParse reads an event's top-level fields without decoding its data and validates them
// as an rrweb event header (events whose JSON the caller already knows to be valid).
func FastParse(raw []byte) (Event, error) {
	var typ, ts, data []byte
	if err := Fields(raw, func(k, v []byte) {
		switch string(k) {
		case `"type"`:
			typ = v
		case `"timestamp"`:
			ts = v
		case `"data"`:
			data = v
		}
	}); err != nil {
		return Event{}, err
	}
	return header(typ, ts, data)
}

// header checks an event's raw type, timestamp and data: an integer type in 0–6, a
// non-negative time in ms and an object. A nil field is missing.
func header(typ, ts, data []byte) (Event, error) {
	if typ == nil {
		return Event{}, fmt.Errorf("%w: missing type", ErrInvalid)
	}
	t, err := strconv.ParseFloat(string(typ), 64)
	if err != nil || t != math.Trunc(t) || t < float64(DomContentLoaded) || t > float64(Plugin) {
		return Event{}, fmt.Errorf("%w: type %.20s is not an rrweb event type (0-6)", ErrInvalid, typ)
	}
	if ts == nil {
		return Event{}, fmt.Errorf("%w: missing timestamp", ErrInvalid)
	}
	when, err := strconv.ParseFloat(string(ts), 64)
	if err != nil || when < 0 || when > math.MaxInt64/2 {
		return Event{}, fmt.Errorf("%w: timestamp %.40s is not a time in ms", ErrInvalid, ts)
	}
	if len(data) == 0 || data[0] != '{' {
		return Event{}, fmt.Errorf("%w: data must be an object", ErrInvalid)
	}
	return Event{Type: EventType(t), Timestamp: int64(when), Data: data}, nil
}

// FastIncremental reads an incremental event's header from its data's top-level fields only,
// and only as far as its source needs: the interaction type of a mouse interaction, the size
// of a viewport resize, nothing more for the others, so a mutation's changes or a mouse trail
// (rrweb writes the source first) are not walked at all. Type, Width and Height are -1 unless
// the source needs them or they came before it. With a key given twice, the first "source"
// counts.
func FastIncremental(data []byte) (IncrementalHeader, error) {
	var h IncrementalHeader
	h.Type, h.Width, h.Height = -1, -1, -1
	var src []byte
	i := jsontok.Open(data, 0, '{')
	if i < 0 {
		return h, fmt.Errorf("%w: not an object", ErrInvalid)
	}
	for src == nil || h.Source == SourceMouseInteraction && h.Type == -1 ||
		h.Source == SourceViewportResize && (h.Width == -1 || h.Height == -1) {
		key, at := jsontok.Member(data, i)
		if key == nil {
			if at < 0 {
				return h, fmt.Errorf("%w: bad object", ErrInvalid)
			}
			if src == nil {
				return h, fmt.Errorf("%w: incremental event without source", ErrInvalid)
			}
			return h, nil
		}
		vEnd := jsontok.Skip(data, at)
		if vEnd <= at {
			return h, fmt.Errorf("%w: bad object", ErrInvalid)
		}
		v := data[at:vEnd]
		switch string(key) {
		case `"source"`:
			if src == nil {
				src, h.Source = v, IncrementalSource(number(v))
			}
		case `"type"`:
			h.Type = number(v)
		case `"width"`:
			h.Width = number(v)
		case `"height"`:
			h.Height = number(v)
		}
		i = vEnd
	}
	return h, nil
}

// Events reads the envelope of every element of a JSON array already validated (a stored
// chunk) in one pass over its bytes: what Elements and FastParse on each element give, with
// each byte scanned once instead of twice. Elements that are not events are left out.
func Events(arr []byte) []Event {
	var out []Event
	i := jsontok.Open(arr, 0, '[')
	if i < 0 {
		return nil
	}
	for {
		v, ok := jsontok.Item(arr, i)
		if !ok {
			return out
		}
		j := jsontok.Open(arr, v, '{')
		if j < 0 {
			// Not an object: not an event.
			e := jsontok.Skip(arr, v)
			if e <= v {
				return out
			}
			i = e
			continue
		}
		var typ, ts, data []byte
		for {
			key, kv := jsontok.Member(arr, j)
			if key == nil {
				j = kv
				break
			}
			e := jsontok.Skip(arr, kv)
			if e <= kv {
				return out
			}
			switch string(key) {
			case `"type"`:
				typ = arr[kv:e]
			case `"timestamp"`:
				ts = arr[kv:e]
			case `"data"`:
				data = arr[kv:e]
			}
			j = e
		}
		if j < 0 {
			return out
		}
		if ev, err := header(typ, ts, data); err == nil {
			out = append(out, ev)
		}
		i = j
	}
}
