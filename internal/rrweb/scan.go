package rrweb

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
)

// Errors of the batch scanner; ErrSyntax and ErrTooDeep carry the byte offset in their message.
var (
	ErrSyntax  = errors.New("malformed JSON")
	ErrTooDeep = errors.New("JSON nested too deeply")
	ErrTooLong = errors.New("JSON string too long")
)

// Scanned is one event found by ScanEvents: its raw text and the header fields read on the way.
type Scanned struct {
	Raw       []byte
	Type      EventType
	Timestamp int64
	Data      []byte
	typeRaw   []byte
	tsRaw     []byte
}

// Check validates what the scan read of an event's header, as FastParse does.
func (e *Scanned) Check() error {
	ev, err := header(e.typeRaw, e.tsRaw, e.Data)
	if err != nil {
		return err
	}
	e.Type, e.Timestamp = ev.Type, ev.Timestamp
	return nil
}

// Envelope is the result of ScanBatch: the raw values of the batch object's fields and the
// events, all validated in one pass over the text.
type Envelope struct {
	Fields map[string][]byte // raw JSON values of the top-level keys other than events
	Events []Scanned
	Depth  int
	// EventsRaw is the events array's text; nil when the batch has no events key.
	EventsRaw []byte
}

// ScanBatch validates the JSON text b (RFC 8259 grammar, as encoding/json.Valid accepts it) in
// a single pass, refusing nesting deeper than maxDepth, and splits out the top-level fields and
// the elements of its "events" array with their type, timestamp and data, without decoding any
// of them. It stops collecting events after maxEvents+1.
func ScanBatch(b []byte, maxDepth, maxEvents, maxString int) (*Envelope, error) {
	s := &scanner{b: b, limit: maxDepth, maxString: maxString}
	env := &Envelope{Fields: map[string][]byte{}}
	s.ws()
	if s.i >= len(b) || b[s.i] != '{' {
		if err := s.value(); err != nil {
			return nil, err
		}
		s.ws()
		if s.i != len(b) {
			return nil, s.fail()
		}
		return env, nil // valid JSON, but not an object: the caller refuses it
	}
	err := s.object(func(key []byte) error {
		if string(key) == `"events"` && s.i < len(b) && b[s.i] == '[' {
			start := s.i
			evs, err := s.events(maxEvents)
			if err != nil {
				return err
			}
			env.Events, env.EventsRaw = evs, b[start:s.i]
			return nil
		}
		start := s.i
		if err := s.value(); err != nil {
			return err
		}
		env.Fields[string(key)] = b[start:s.i]
		return nil
	})
	if err != nil {
		return nil, err
	}
	s.ws()
	if s.i != len(b) {
		return nil, s.fail()
	}
	env.Depth = s.max
	return env, nil
}

type scanner struct {
	b          []byte
	i          int
	depth, max int
	limit      int
	maxString  int // longest string token allowed, in bytes of JSON text; 0: no limit
}

func (s *scanner) fail() error {
	return fmt.Errorf("%w at byte %d", ErrSyntax, s.i)
}

func (s *scanner) ws() {
	for s.i < len(s.b) {
		switch s.b[s.i] {
		case ' ', '\t', '\n', '\r':
			s.i++
		default:
			return
		}
	}
}

func (s *scanner) enter() error {
	s.depth++
	if s.depth > s.max {
		s.max = s.depth
	}
	if s.depth > s.limit {
		return fmt.Errorf("%w (more than %d levels) at byte %d", ErrTooDeep, s.limit, s.i)
	}
	return nil
}

func (s *scanner) value() error {
	if s.i >= len(s.b) {
		return s.fail()
	}
	switch c := s.b[s.i]; {
	case c == '"':
		return s.str()
	case c == '{':
		return s.object(func([]byte) error { return s.value() })
	case c == '[':
		if err := s.enter(); err != nil {
			return err
		}
		s.i++
		s.ws()
		if s.i < len(s.b) && s.b[s.i] == ']' {
			s.i++
			s.depth--
			return nil
		}
		for {
			s.ws()
			if err := s.value(); err != nil {
				return err
			}
			s.ws()
			if s.i >= len(s.b) {
				return s.fail()
			}
			if s.b[s.i] == ',' {
				s.i++
				continue
			}
			if s.b[s.i] == ']' {
				s.i++
				s.depth--
				return nil
			}
			return s.fail()
		}
	case c == '-' || (c >= '0' && c <= '9'):
		return s.num()
	case c == 't':
		return s.lit("true")
	case c == 'f':
		return s.lit("false")
	case c == 'n':
		return s.lit("null")
	}
	return s.fail()
}

// object scans an object, calling member with the scanner positioned at each value (after the
// colon and whitespace); member must consume the value.
func (s *scanner) object(member func(key []byte) error) error {
	if err := s.enter(); err != nil {
		return err
	}
	s.i++ // {
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == '}' {
		s.i++
		s.depth--
		return nil
	}
	for {
		s.ws()
		if s.i >= len(s.b) || s.b[s.i] != '"' {
			return s.fail()
		}
		ks := s.i
		if err := s.str(); err != nil {
			return err
		}
		key := s.b[ks:s.i]
		s.ws()
		if s.i >= len(s.b) || s.b[s.i] != ':' {
			return s.fail()
		}
		s.i++
		s.ws()
		if err := member(key); err != nil {
			return err
		}
		s.ws()
		if s.i >= len(s.b) {
			return s.fail()
		}
		if s.b[s.i] == ',' {
			s.i++
			continue
		}
		if s.b[s.i] == '}' {
			s.i++
			s.depth--
			return nil
		}
		return s.fail()
	}
}

// events scans the events array, reading each element's header fields on the way.
func (s *scanner) events(maxEvents int) ([]Scanned, error) {
	if err := s.enter(); err != nil {
		return nil, err
	}
	s.i++ // [
	var out []Scanned
	s.ws()
	if s.i < len(s.b) && s.b[s.i] == ']' {
		s.i++
		s.depth--
		return out, nil
	}
	for {
		s.ws()
		start := s.i
		var ev Scanned
		if s.i < len(s.b) && s.b[s.i] == '{' {
			err := s.object(func(key []byte) error {
				vs := s.i
				if err := s.value(); err != nil {
					return err
				}
				switch string(key) {
				case `"type"`:
					ev.typeRaw = s.b[vs:s.i]
				case `"timestamp"`:
					ev.tsRaw = s.b[vs:s.i]
				case `"data"`:
					ev.Data = s.b[vs:s.i]
				}
				return nil
			})
			if err != nil {
				return nil, err
			}
		} else if err := s.value(); err != nil {
			return nil, err
		}
		ev.Raw = s.b[start:s.i]
		if len(out) <= maxEvents {
			out = append(out, ev)
		}
		s.ws()
		if s.i >= len(s.b) {
			return nil, s.fail()
		}
		if s.b[s.i] == ',' {
			s.i++
			continue
		}
		if s.b[s.i] == ']' {
			s.i++
			s.depth--
			return out, nil
		}
		return nil, s.fail()
	}
}

func (s *scanner) str() error {
	b := s.b
	i := s.i + 1
	for i < len(b) {
		// Eight bytes at a time to the next byte that is not plain string content: most of
		// a long string (a stylesheet, a data URI) is passed over this way.
		if i+8 <= len(b) {
			m := special(binary.LittleEndian.Uint64(b[i:]))
			if m == 0 {
				i += 8
				continue
			}
			i += bits.TrailingZeros64(m) >> 3
		}
		c := b[i]
		switch {
		case c == '"':
			if s.maxString > 0 && i+1-s.i > s.maxString {
				return fmt.Errorf("%w (%d bytes, limit %d) at byte %d", ErrTooLong, i+1-s.i, s.maxString, s.i)
			}
			s.i = i + 1
			return nil
		case c == '\\':
			if i+1 >= len(b) {
				s.i = i
				return s.fail()
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if i+6 > len(b) || !isHex(b[i+2]) || !isHex(b[i+3]) || !isHex(b[i+4]) || !isHex(b[i+5]) {
					s.i = i
					return s.fail()
				}
				i += 6
			default:
				s.i = i
				return s.fail()
			}
		case c < 0x20:
			s.i = i
			return s.fail()
		default:
			i++
		}
	}
	s.i = i
	return s.fail()
}

// Bytes of eight, for special.
const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// special marks the bytes of v (eight bytes of a string, little-endian) that end plain string
// content: a quote, a backslash or a control character. The lowest marked byte is always the
// first such byte (bits above it may be spurious).
func special(v uint64) uint64 {
	q, bs := v^(ones*'"'), v^(ones*'\\')
	return ((v-ones*0x20) & ^v | (q-ones) & ^q | (bs-ones) & ^bs) & highs
}

func isHex(c byte) bool {
	return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F'
}

func (s *scanner) num() error {
	b, i := s.b, s.i
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	default:
		s.i = i
		return s.fail()
	}
	if i < len(b) && b[i] == '.' {
		i++
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			s.i = i
			return s.fail()
		}
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			s.i = i
			return s.fail()
		}
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	}
	s.i = i
	return nil
}

func (s *scanner) lit(word string) error {
	if len(s.b)-s.i < len(word) || string(s.b[s.i:s.i+len(word)]) != word {
		return s.fail()
	}
	s.i += len(word)
	return nil
}
