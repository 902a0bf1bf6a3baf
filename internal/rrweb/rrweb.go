// Package rrweb knows the shape of rrweb events: the event and incremental-source numbers as
// rrweb defines them, and the few fields Reel reads to index a session. Everything else inside
// an event is kept as raw JSON so that what Reel serves back is exactly what was recorded.
package rrweb

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"math/bits"
	"strconv"
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

// endOfString returns the index of the closing quote of the string whose opening quote is at
// b[i], jumping from quote to quote rather than stepping byte by byte.
func endOfString(b []byte, i int) int {
	for j := i + 1; ; {
		// Most strings are keys and short values that end within a few bytes, where looking
		// at eight bytes at a time beats the call to IndexByte, which wins on long ones.
		k := -1
		for p := j; p+8 <= len(b) && p < j+32; p += 8 {
			v := binary.LittleEndian.Uint64(b[p:]) ^ (ones * '"')
			if m := (v - ones) & ^v & highs; m != 0 {
				k = p - j + bits.TrailingZeros64(m)>>3
				break
			}
		}
		if k < 0 {
			k = bytes.IndexByte(b[j:], '"')
		}
		if k < 0 {
			return len(b)
		}
		q := j + k
		bs := 0
		for p := q - 1; p > i && b[p] == '\\'; p-- {
			bs++
		}
		if bs%2 == 0 {
			return q
		}
		j = q + 1
	}
}

// Elements returns the elements of a JSON array that has already been validated, as
// sub-slices of arr, stopping after limit elements.
func Elements(arr []byte, limit int) []json.RawMessage {
	var out []json.RawMessage
	depth, start := 0, -1
	for i := 0; i < len(arr); i++ {
		c := arr[i]
		switch c {
		case ' ', '\t', '\n', '\r':
			continue
		case '"':
			if depth >= 1 && start < 0 {
				start = i
			}
			i = endOfString(arr, i)
			continue
		case '{', '[':
			depth++
			if depth == 1 {
				continue
			}
		case '}', ']':
			depth--
			if depth == 0 {
				if start >= 0 {
					out = append(out, bytes.TrimRight(arr[start:i], " \t\n\r"))
				}
				return out
			}
		case ',':
			if depth == 1 {
				out = append(out, bytes.TrimRight(arr[start:i], " \t\n\r"))
				start = -1
				if len(out) >= limit {
					return out
				}
				continue
			}
		}
		if depth >= 1 && start < 0 {
			start = i
		}
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

// skipValue returns the index just past the JSON value starting at b[i] (b is valid JSON).
func skipValue(b []byte, i int) int {
	depth := 0
	for ; i < len(b); i++ {
		switch b[i] {
		case '"':
			i = endOfString(b, i)
			if i >= len(b) {
				return len(b)
			}
			if depth == 0 {
				return i + 1
			}
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				return i + 1
			}
			if depth < 0 {
				return i
			}
		case ',', ' ', '\t', '\n', '\r':
			if depth == 0 {
				return i
			}
		}
	}
	return i
}

func skipWS(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// Fields calls f with each top-level key (still JSON-quoted) and raw value of the JSON object
// obj, without parsing or copying the values. obj must be valid JSON (ingest validates the whole
// batch first); a non-object gives an error.
func Fields(obj []byte, f func(key, value []byte)) error {
	i := skipWS(obj, 0)
	if i >= len(obj) || obj[i] != '{' {
		return fmt.Errorf("%w: not an object", ErrInvalid)
	}
	i++
	for {
		i = skipWS(obj, i)
		if i >= len(obj) {
			return fmt.Errorf("%w: unterminated object", ErrInvalid)
		}
		switch obj[i] {
		case '}':
			return nil
		case ',':
			i++
			continue
		case '"':
		default:
			return fmt.Errorf("%w: bad object", ErrInvalid)
		}
		kEnd := min(skipValue(obj, i), len(obj))
		key := obj[i:kEnd]
		i = skipWS(obj, kEnd)
		if i >= len(obj) || obj[i] != ':' {
			return fmt.Errorf("%w: bad object", ErrInvalid)
		}
		i = skipWS(obj, i+1)
		vEnd := min(skipValue(obj, i), len(obj))
		if vEnd <= i {
			return fmt.Errorf("%w: bad object", ErrInvalid)
		}
		f(key, obj[i:vEnd])
		i = vEnd
	}
}

// walkObject calls f with each key (still quoted) of the object starting at b[i] and the index
// where its value starts; f returns the index just past the value, having read it or skipped
// it. walkObject returns the index just past the object, or -1 when b is not what it expects.
// Unlike Fields, it lets f read a nested value in the same pass that finds its end. Fields
// keeps a loop of its own: routing it through this callback costs ingest's event parsing 6%.
func walkObject(b []byte, i int, f func(key []byte, v int) int) int {
	return walkSeq(b, i, '{', '}', func(i int) int {
		if b[i] != '"' {
			return -1
		}
		kEnd := endOfString(b, i) + 1
		if kEnd > len(b) {
			return -1
		}
		v := skipWS(b, kEnd)
		if v >= len(b) || b[v] != ':' {
			return -1
		}
		if v = skipWS(b, v+1); v >= len(b) {
			return -1
		}
		return f(b[i:kEnd], v)
	})
}

// walkArray calls f with the index where each element of the array starting at b[i] starts;
// f returns the index just past it. walkArray returns the index just past the array, or -1.
func walkArray(b []byte, i int, f func(v int) int) int {
	return walkSeq(b, i, '[', ']', f)
}

// walkSeq walks the comma-separated items between open and close starting at b[i]: item gets
// the index where one starts (not whitespace, not a comma) and returns the index just past it,
// or -1. walkSeq returns the index just past close, or -1.
func walkSeq(b []byte, i int, open, close byte, item func(i int) int) int {
	i = skipWS(b, i)
	if i >= len(b) || b[i] != open {
		return -1
	}
	for i++; ; {
		i = skipWS(b, i)
		if i >= len(b) {
			return -1
		}
		switch b[i] {
		case close:
			return i + 1
		case ',':
			i++
			continue
		}
		e := item(i)
		if e <= i || e > len(b) {
			return -1
		}
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
	i := skipWS(data, 0)
	if i >= len(data) || data[i] != '{' {
		return h, fmt.Errorf("%w: not an object", ErrInvalid)
	}
	i++
	for src == nil || h.Source == SourceMouseInteraction && h.Type == -1 ||
		h.Source == SourceViewportResize && (h.Width == -1 || h.Height == -1) {
		i = skipWS(data, i)
		if i >= len(data) {
			return h, fmt.Errorf("%w: unterminated object", ErrInvalid)
		}
		switch data[i] {
		case '}':
			if src == nil {
				return h, fmt.Errorf("%w: incremental event without source", ErrInvalid)
			}
			return h, nil
		case ',':
			i++
			continue
		case '"':
		default:
			return h, fmt.Errorf("%w: bad object", ErrInvalid)
		}
		kEnd := min(skipValue(data, i), len(data))
		key := data[i:kEnd]
		i = skipWS(data, kEnd)
		if i >= len(data) || data[i] != ':' {
			return h, fmt.Errorf("%w: bad object", ErrInvalid)
		}
		i = skipWS(data, i+1)
		vEnd := min(skipValue(data, i), len(data))
		if vEnd <= i {
			return h, fmt.Errorf("%w: bad object", ErrInvalid)
		}
		v := data[i:vEnd]
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
