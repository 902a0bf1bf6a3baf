package rrweb

import "github.com/reelhq/reel/internal/jsontok"

// Errors of the batch scanner, jsontok's under the names ingest has always matched; each is
// wrapped with the byte offset where it was found.
var (
	ErrSyntax  = jsontok.ErrSyntax
	ErrTooDeep = jsontok.ErrTooDeep
	ErrTooLong = jsontok.ErrTooLong
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
	s := jsontok.NewScanner(b, maxDepth, maxString)
	env := &Envelope{Fields: map[string][]byte{}}
	s.Space()
	if s.Peek() != '{' {
		if err := s.Value(); err != nil {
			return nil, err
		}
		if err := s.End(); err != nil {
			return nil, err
		}
		return env, nil // valid JSON, but not an object: the caller refuses it
	}
	err := s.Object(func(key []byte) error {
		start := s.Pos()
		if string(key) == `"events"` && s.Peek() == '[' {
			evs, err := scanEvents(s, b, maxEvents)
			if err != nil {
				return err
			}
			env.Events, env.EventsRaw = evs, b[start:s.Pos()]
			return nil
		}
		if err := s.Value(); err != nil {
			return err
		}
		env.Fields[string(key)] = b[start:s.Pos()]
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := s.End(); err != nil {
		return nil, err
	}
	env.Depth = s.MaxDepth()
	return env, nil
}

// scanEvents scans the events array of b at s, reading each element's header fields on the
// way.
func scanEvents(s *jsontok.Scanner, b []byte, maxEvents int) ([]Scanned, error) {
	var out []Scanned
	err := s.Array(func() error {
		start := s.Pos()
		var ev Scanned
		if s.Peek() == '{' {
			err := s.Object(func(key []byte) error {
				vs := s.Pos()
				if err := s.Value(); err != nil {
					return err
				}
				switch string(key) {
				case `"type"`:
					ev.typeRaw = b[vs:s.Pos()]
				case `"timestamp"`:
					ev.tsRaw = b[vs:s.Pos()]
				case `"data"`:
					ev.Data = b[vs:s.Pos()]
				}
				return nil
			})
			if err != nil {
				return err
			}
		} else if err := s.Value(); err != nil {
			return err
		}
		ev.Raw = b[start:s.Pos()]
		if len(out) <= maxEvents {
			out = append(out, ev)
		}
		return nil
	})
	return out, err
}
