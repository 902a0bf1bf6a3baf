// Package replayfile reads the recordings other rrweb-based tools write (rrweb's own `record`
// output, PostHog's and Sentry's exports, Reel's own rrweb export) as one stream of rrweb
// events, and sends them to a Reel server through its ingest endpoint, the path a live
// recording takes, so an imported session gets its pages, findings and search entries the same
// way (docs/decisions.md, "reel import").
//
// A file is read token by token with encoding/json's Decoder: only one event (or one Sentry
// segment) is held in memory at a time, and each is bounded, so a 2 GB file costs no more
// memory than a small one.
package replayfile

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/reelhq/reel/internal/apierror"
	"github.com/reelhq/reel/internal/ingest"
	"github.com/reelhq/reel/internal/rrweb"
)

// Format names the kind of file Read found.
type Format string

// The formats Read recognises by their shape.
const (
	RRWeb   Format = "rrweb"   // a JSON array of events, as rrweb's record emits them
	Sentry  Format = "sentry"  // Sentry replay segments: an array of arrays of events, or a segment header line then its array
	PostHog Format = "posthog" // PostHog's recording export: {"version", "data": {"snapshots"|"snapshotsByWindowId"}}
	Reel    Format = "reel"    // an object with an "events" array (Reel's export, and anything shaped so)
)

// Event is one rrweb event of a file.
type Event struct {
	Index     int    // position in the file, from 0, across every window and segment
	Window    string // the window (browser tab) the tool recorded it in; "" when it keeps none
	Type      int
	Timestamp int64 // ms since epoch
	Raw       json.RawMessage
}

// Limits bound what one file may hold. Every event is also checked with the ingest decoder's
// own rules (ingest.DefaultLimits), so a file that passes Read is one the server accepts.
type Limits struct {
	Event   int64         // bytes of one event, or of one Sentry segment
	Session time.Duration // first to last event
	Now     time.Time     // the clock events may not be more than a day ahead of
}

// DefaultLimits are the server's: an event must fit in one batch (64 MiB decompressed, less
// the batch's own fields), and a session spans at most 25 hours.
func DefaultLimits() Limits {
	return Limits{Event: 48 << 20, Session: ingest.DefaultLimits.MaxSession, Now: time.Now()}
}

// earliest is ingest's bound on event times (an event before 2000 is refused).
var earliest = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli()

// Error is what is wrong with a file, at the event where reading stopped.
type Error struct {
	Event  int   // index of the event being read (the number of events read before it)
	Offset int64 // byte offset in the file, where known (-1 otherwise)
	Err    error
}

func (e *Error) Error() string {
	if e.Offset >= 0 {
		return fmt.Sprintf("event %d (byte %d): %v", e.Event, e.Offset, e.Err)
	}
	return fmt.Sprintf("event %d: %v", e.Event, e.Err)
}

func (e *Error) Unwrap() error { return e.Err }

// ErrNotEvents says the file's shape is none of the known ones.
var ErrNotEvents = errors.New("not rrweb events: expected a JSON array of events ({\"type\", \"timestamp\", \"data\"}), an array of such arrays (Sentry segments), a PostHog export ({\"version\", \"data\": {\"snapshots\"}}) or an object with an \"events\" array")

// errTooBig stops the decoder when one event outgrows Limits.Event.
var errTooBig = errors.New("too big")

// Summary describes a file Read went through.
type Summary struct {
	Format      Format
	Events      int
	Windows     []string // in order of first appearance
	First, Last int64    // earliest and latest event time
}

// budget is the reader under the decoder: it fails once the decoder has read more than the
// budget allows past the point it was last renewed, so one huge value cannot be buffered.
type budget struct {
	r     io.Reader
	n     int64 // bytes read so far
	limit int64 // read no further than this
}

func (b *budget) Read(p []byte) (int, error) {
	if b.n >= b.limit {
		return 0, errTooBig
	}
	if int64(len(p)) > b.limit-b.n {
		p = p[:b.limit-b.n]
	}
	n, err := b.r.Read(p)
	b.n += int64(n)
	return n, err
}

// reader walks one file.
type reader struct {
	dec    *json.Decoder
	in     *budget
	lim    Limits
	fn     func(Event) error
	sum    Summary
	seen   map[string]bool
	format Format
}

// Read calls fn with every event of the file r, in file order, after checking it; it stops at
// the first problem with an *Error naming the event. fn's own error stops it too and is
// returned as it is.
func Read(r io.Reader, lim Limits, fn func(Event) error) (Summary, error) {
	in := &budget{r: r}
	rd := &reader{in: in, lim: lim, fn: fn, seen: map[string]bool{}, sum: Summary{First: -1, Last: -1}}
	in.limit = lim.Event
	rd.dec = json.NewDecoder(in)
	rd.dec.UseNumber()
	values := 0
	for {
		rd.renew()
		tok, err := rd.dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return rd.sum, rd.fail(err)
		}
		values++
		switch tok {
		case json.Delim('['):
			err = rd.array()
		case json.Delim('{'):
			err = rd.object()
		default:
			err = ErrNotEvents
		}
		if err != nil {
			return rd.sum, rd.fail(err)
		}
	}
	if values == 0 {
		return rd.sum, &Error{Offset: 0, Err: errors.New("the file is empty")}
	}
	if rd.sum.Events == 0 {
		return rd.sum, &Error{Offset: -1, Err: fmt.Errorf("no events: %w", ErrNotEvents)}
	}
	rd.sum.Format = rd.format
	return rd.sum, nil
}

// renew gives the decoder another Limits.Event bytes from where the reader is now.
func (rd *reader) renew() { rd.in.limit = rd.in.n + rd.lim.Event }

// fail turns a decoder error into an Error at the current event, in words a person can act on.
func (rd *reader) fail(err error) error {
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	if _, ok := err.(userError); ok {
		return err.(userError).err
	}
	// Where the value being read starts (the decoder has not moved past it).
	off := rd.dec.InputOffset()
	var syn *json.SyntaxError
	switch {
	case errors.Is(err, errTooBig):
		err = fmt.Errorf("one event is larger than %d MiB, more than one ingest batch may carry (is this an rrweb file?)", rd.lim.Event>>20)
	case errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF):
		err = errors.New("the file ends in the middle of the JSON (truncated?)")
	case errors.As(err, &syn):
		err = fmt.Errorf("not valid JSON: %v", syn)
	}
	return &Error{Event: rd.sum.Events, Offset: off, Err: err}
}

// userError carries fn's own error through the walk untouched.
type userError struct{ err error }

func (u userError) Error() string { return u.err.Error() }

func (rd *reader) setFormat(f Format) {
	if rd.format == "" || rd.format == RRWeb && f == Sentry {
		rd.format = f
	}
}

// array reads a top-level array (its '[' read): events, or Sentry's segments (arrays of events).
func (rd *reader) array() error {
	for rd.dec.More() {
		rd.renew()
		var raw json.RawMessage
		if err := rd.dec.Decode(&raw); err != nil {
			return err
		}
		switch firstByte(raw) {
		case '{':
			rd.setFormat(RRWeb)
			if err := rd.event(raw, ""); err != nil {
				return err
			}
		case '[':
			rd.setFormat(Sentry)
			if err := rd.segment(raw); err != nil {
				return err
			}
		default:
			return rd.notEvent(raw)
		}
	}
	return rd.close(']')
}

// segment reads one Sentry segment held whole (it was bounded like an event).
func (rd *reader) segment(raw json.RawMessage) error {
	var evs []json.RawMessage
	if err := json.Unmarshal(raw, &evs); err != nil {
		return err
	}
	for _, ev := range evs {
		if err := rd.event(ev, ""); err != nil {
			return err
		}
	}
	return nil
}

// object reads a top-level object (its '{' read): PostHog's export, an object with "events",
// or Sentry's segment header ({"segment_id": 0}), which precedes the segment's array.
func (rd *reader) object() error {
	for rd.dec.More() {
		key, err := rd.key()
		if err != nil {
			return err
		}
		switch key {
		case "events":
			rd.setFormat(Reel)
			if err := rd.events(""); err != nil {
				return err
			}
		case "data":
			if err := rd.posthogData(); err != nil {
				return err
			}
		case "segment_id":
			rd.setFormat(Sentry)
			if err := rd.skip(); err != nil {
				return err
			}
		default:
			if err := rd.skip(); err != nil {
				return err
			}
		}
	}
	return rd.close('}')
}

// posthogData reads PostHog's "data": {"snapshots": [event+windowId…]} (export version
// 2023-04-28) or {"snapshotsByWindowId": {window: [event…]}} (2022-12-02).
func (rd *reader) posthogData() error {
	if err := rd.open('{'); err != nil {
		return err
	}
	for rd.dec.More() {
		key, err := rd.key()
		if err != nil {
			return err
		}
		switch key {
		case "snapshots":
			rd.setFormat(PostHog)
			if err := rd.events("\x00windowId"); err != nil {
				return err
			}
		case "snapshotsByWindowId":
			rd.setFormat(PostHog)
			if err := rd.open('{'); err != nil {
				return err
			}
			for rd.dec.More() {
				w, err := rd.key()
				if err != nil {
					return err
				}
				if err := rd.events(w); err != nil {
					return err
				}
			}
			if err := rd.close('}'); err != nil {
				return err
			}
		default:
			if err := rd.skip(); err != nil {
				return err
			}
		}
	}
	return rd.close('}')
}

// events reads an array of events of one window; window "\x00windowId" means each event names
// its own in a "windowId" field (PostHog).
func (rd *reader) events(window string) error {
	if err := rd.open('['); err != nil {
		return err
	}
	for rd.dec.More() {
		rd.renew()
		var raw json.RawMessage
		if err := rd.dec.Decode(&raw); err != nil {
			return err
		}
		if firstByte(raw) != '{' {
			return rd.notEvent(raw)
		}
		if err := rd.event(raw, window); err != nil {
			return err
		}
	}
	return rd.close(']')
}

func (rd *reader) key() (string, error) {
	rd.renew()
	tok, err := rd.dec.Token()
	if err != nil {
		return "", err
	}
	k, ok := tok.(string)
	if !ok {
		return "", fmt.Errorf("expected a key, found %v", tok)
	}
	return k, nil
}

func (rd *reader) open(d json.Delim) error {
	rd.renew()
	tok, err := rd.dec.Token()
	if err != nil {
		return err
	}
	if tok != d {
		return &Error{Event: rd.sum.Events, Offset: rd.dec.InputOffset(), Err: fmt.Errorf("expected %q, found %s: %w", string(d), describe(tok), ErrNotEvents)}
	}
	return nil
}

func (rd *reader) close(d json.Delim) error {
	rd.renew()
	tok, err := rd.dec.Token()
	if err != nil {
		return err
	}
	if tok != d {
		return fmt.Errorf("expected %q, found %v", string(d), tok)
	}
	return nil
}

// skip reads past one value the import does not need (PostHog's person, and the like).
func (rd *reader) skip() error {
	rd.renew()
	var raw json.RawMessage
	return rd.dec.Decode(&raw)
}

func (rd *reader) notEvent(raw json.RawMessage) error {
	return &Error{Event: rd.sum.Events, Offset: rd.dec.InputOffset() - int64(len(raw)), Err: fmt.Errorf("%s is not an rrweb event (an object with type, timestamp and data)", describeRaw(raw))}
}

// event checks one event as the server will and hands it to fn.
func (rd *reader) event(raw json.RawMessage, window string) error {
	at := rd.dec.InputOffset() - int64(len(raw))
	bad := func(format string, args ...any) error {
		return &Error{Event: rd.sum.Events, Offset: max(at, -1), Err: fmt.Errorf(format, args...)}
	}
	if int64(len(raw)) > rd.lim.Event {
		return bad("the event is larger than %d MiB, more than one ingest batch may carry", rd.lim.Event>>20)
	}
	// The ingest decoder's own checks, on a batch of this one event.
	b, err := ingest.Decode(wrap(raw), ingest.DefaultLimits)
	if err == nil {
		_, err = ingest.Summarize(b)
	}
	if err != nil {
		msg := message(err)
		if strings.HasSuffix(msg, "data must be an object") && window == "\x00windowId" {
			msg += " (PostHog compresses the data of newer exports: export the recording again as JSON, or with its snapshots decompressed)"
		}
		return bad("not an rrweb event: %s", msg)
	}
	h, err := rrweb.FastParse(raw)
	if err != nil {
		return bad("not an rrweb event: %v", err)
	}
	if window == "\x00windowId" {
		window = ""
		rrweb.Fields(raw, func(k, v []byte) {
			if string(k) == `"windowId"` {
				json.Unmarshal(v, &window)
			}
		})
	}
	typ, ms := int(h.Type), h.Timestamp
	if ms < earliest {
		return bad("timed %s, before 2000: the server refuses such events (is timestamp in seconds rather than milliseconds?)", time.UnixMilli(ms).UTC().Format(time.RFC3339))
	}
	if !rd.lim.Now.IsZero() && ms > rd.lim.Now.Add(24*time.Hour).UnixMilli() {
		return bad("timed %s, more than a day from now", time.UnixMilli(ms).UTC().Format(time.RFC3339))
	}
	first, last := rd.sum.First, rd.sum.Last
	if first < 0 || ms < first {
		first = ms
	}
	if ms > last {
		last = ms
	}
	if rd.lim.Session > 0 && time.Duration(last-first)*time.Millisecond > rd.lim.Session {
		return bad("the events span more than %s; Reel keeps a session to %s (split the file)", rd.lim.Session, rd.lim.Session)
	}
	rd.sum.First, rd.sum.Last = first, last
	if !rd.seen[window] {
		rd.seen[window] = true
		rd.sum.Windows = append(rd.sum.Windows, window)
	}
	ev := Event{Index: rd.sum.Events, Window: window, Type: typ, Timestamp: ms, Raw: raw}
	rd.sum.Events++
	if rd.fn != nil {
		if err := rd.fn(ev); err != nil {
			return userError{err}
		}
	}
	return nil
}

// wrap makes a one-event batch for ingest's decoder.
func wrap(raw json.RawMessage) []byte {
	b := make([]byte, 0, len(raw)+64)
	b = append(b, `{"session":"s_validate","tab":"t_validate","seq":0,"events":[`...)
	b = append(b, raw...)
	return append(b, "]}"...)
}

// message is an ingest error's text without its code.
func message(err error) string {
	var e *apierror.Error
	if errors.As(err, &e) {
		// The decoder numbers events within its one-event batch.
		return strings.TrimPrefix(e.Message, "event 0: ")
	}
	return strings.TrimPrefix(err.Error(), "event 0: ")
}

func firstByte(raw json.RawMessage) byte {
	for _, c := range raw {
		if c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			return c
		}
	}
	return 0
}

func describe(tok json.Token) string {
	switch v := tok.(type) {
	case json.Delim:
		return fmt.Sprintf("%q", string(v))
	case string:
		return "a string"
	case json.Number, float64:
		return "a number"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%v", tok)
}

func describeRaw(raw json.RawMessage) string {
	switch firstByte(raw) {
	case '"':
		return "a string"
	case '[':
		return "an array"
	case 't', 'f':
		return "a boolean"
	case 'n':
		return "null"
	}
	return "a number"
}
