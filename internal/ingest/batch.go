package ingest

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/reelhq/reel/internal/apierror"
	"github.com/reelhq/reel/internal/measure"
	"github.com/reelhq/reel/internal/rrweb"
	"github.com/reelhq/reel/internal/store"
)

// Limits bound every dimension of a batch. They are checked before anything is stored, and a
// batch that breaks one is refused whole (docs/wire-format.md lists the defaults).
type Limits struct {
	MaxCompressed   int64
	MaxDecompressed int64
	MaxEvents       int
	MaxDepth        int
	MaxIDLength     int
	MaxString       int           // longest JSON string (a data-URI image, an inlined stylesheet)
	MaxSession      time.Duration // longest a session may span; the SDK starts a new one after 24 h
}

// DefaultLimits are generous for real pages (a full snapshot with inlined stylesheets runs to a
// few MB) and small enough that a handful of concurrent hostile requests cannot exhaust memory.
var DefaultLimits = Limits{
	MaxCompressed:   8 << 20,
	MaxDecompressed: 64 << 20,
	MaxEvents:       20000,
	MaxDepth:        512,
	MaxIDLength:     64,
	MaxString:       16 << 20,
	MaxSession:      25 * time.Hour,
}

// Batch is the wire format's JSON body (protocol v1).
type Batch struct {
	Session    string            `json:"session"`
	Tab        string            `json:"tab"`
	Seq        *int64            `json:"seq"`
	SentAt     float64           `json:"sentAt"`
	Meta       BatchMeta         `json:"meta"`
	EventsJSON json.RawMessage   `json:"events"`
	Assets     map[string]string `json:"assets"`

	// Events are the elements of EventsJSON, sub-slices of it rather than copies, so a batch
	// holds its events in memory once.
	Events []json.RawMessage `json:"-"`

	scanned []rrweb.Scanned // headers read while validating; nil for a Batch built by hand
}

// BatchMeta describes the sending page and SDK.
type BatchMeta struct {
	SDK       string `json:"sdk"`
	URL       string `json:"url"`
	UserAgent string `json:"userAgent"`
	Language  string `json:"language"`
	Referrer  string `json:"referrer"`
}

var gzipMagic = []byte{0x1f, 0x8b}

// earliestEvent and maxClockAhead bound the event times a batch may carry. A browser's clock
// can be wrong by hours, not by years; a time far outside is a forged or broken batch, and a
// year past 9999 cannot even be written as JSON, so a session holding one could not be listed.
var earliestEvent = time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)

const maxClockAhead = 24 * time.Hour

// plausibleTimes refuses a batch whose events are timed before 2000 or more than a day after
// the server's clock.
func plausibleTimes(first, last, now time.Time) error {
	switch {
	case first.Before(earliestEvent):
		return badRequest("bad_timestamp", "an event is timed %s, before %s", first.Format(time.RFC3339), earliestEvent.Format("2006"))
	case last.After(now.Add(maxClockAhead)):
		return badRequest("bad_timestamp", "an event is timed %s, more than %s after the server's clock", last.Format(time.RFC3339), maxClockAhead)
	}
	return nil
}

func badRequest(code, format string, args ...any) error {
	return apierror.New(http.StatusBadRequest, code, fmt.Sprintf(format, args...))
}

func tooLarge(format string, args ...any) error {
	return apierror.New(http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf(format, args...))
}

// Decompress gunzips a compressed body, refusing anything not gzip and stopping as soon as the
// output passes the limit, so a decompression bomb costs at most limit bytes of work. When grow
// is not nil it is called before the output buffer grows by n bytes, so the caller can account
// for the memory (and refuse it) before it is allocated.
func Decompress(body []byte, limits Limits, grow func(n int64) error) ([]byte, error) {
	if !bytes.HasPrefix(body, gzipMagic) {
		return nil, badRequest("not_gzip", "body must be gzip-compressed JSON")
	}
	zr, err := gzip.NewReader(bytes.NewReader(body))
	if err != nil {
		return nil, badRequest("bad_gzip", "invalid gzip header: %v", err)
	}
	zr.Multistream(false)
	const step = 1 << 20
	var out []byte
	// The gzip trailer records the uncompressed size (mod 4 GiB). Trusting it as a first
	// capacity, within the limit, lets an honest batch decompress into one allocation; a lying
	// trailer only costs the growth path below.
	if n := len(body); n >= 18 {
		if hint := int64(binary.LittleEndian.Uint32(body[n-4:])); hint > 0 && hint <= limits.MaxDecompressed {
			if grow != nil {
				if err := grow(hint + 1); err != nil {
					return nil, err
				}
			}
			out = make([]byte, 0, hint+1)
		}
	}
	for {
		if len(out) == cap(out) {
			n := min(max(int64(cap(out)), step), limits.MaxDecompressed+1-int64(cap(out)))
			if n <= 0 {
				return nil, tooLarge("decompressed batch exceeds %d bytes", limits.MaxDecompressed)
			}
			if grow != nil {
				if err := grow(n); err != nil {
					return nil, err
				}
			}
			out = append(out[:cap(out)], make([]byte, n)...)[:len(out)]
		}
		m, err := zr.Read(out[len(out):cap(out)])
		out = out[:len(out)+m]
		if int64(len(out)) > limits.MaxDecompressed {
			return nil, tooLarge("decompressed batch exceeds %d bytes", limits.MaxDecompressed)
		}
		if err == io.EOF {
			return out, nil
		}
		if err != nil {
			return nil, badRequest("bad_gzip", "invalid gzip stream: %v", err)
		}
	}
}

// Decode parses and validates a decompressed batch.
func Decode(raw []byte, limits Limits) (*Batch, error) {
	// One validating pass over the whole text finds the fields and every event's header; the
	// events are never decoded into Go values.
	env, err := rrweb.ScanBatch(raw, limits.MaxDepth, limits.MaxEvents, limits.MaxString)
	switch {
	case errors.Is(err, rrweb.ErrTooDeep):
		return nil, badRequest("too_deep", "JSON nesting deeper than %d", limits.MaxDepth)
	case errors.Is(err, rrweb.ErrTooLong):
		return nil, tooLarge("%v", err)
	case err != nil:
		return nil, badRequest("bad_json", "%v", err)
	}
	if len(raw) == 0 || env.Fields == nil || (len(env.Fields) == 0 && env.EventsRaw == nil && !bytes.HasPrefix(bytes.TrimSpace(raw), []byte("{"))) {
		return nil, badRequest("invalid_batch", "the batch must be a JSON object")
	}
	var b Batch
	for name, into := range map[string]any{"session": &b.Session, "tab": &b.Tab, "seq": &b.Seq, "sentAt": &b.SentAt, "meta": &b.Meta, "assets": &b.Assets} {
		if v, ok := env.Fields[`"`+name+`"`]; ok {
			if err := json.Unmarshal(v, into); err != nil {
				return nil, badRequest("invalid_batch", "field %q has the wrong type", name)
			}
		}
	}
	if err := validID("session", b.Session, limits); err != nil {
		return nil, err
	}
	if err := validID("tab", b.Tab, limits); err != nil {
		return nil, err
	}
	if b.Seq == nil || *b.Seq < 0 {
		return nil, badRequest("invalid_batch", "seq must be an integer >= 0")
	}
	if len(env.Events) == 0 {
		return nil, badRequest("invalid_batch", "events must be a non-empty array")
	}
	if len(env.Events) > limits.MaxEvents {
		return nil, tooLarge("batch has more than %d events", limits.MaxEvents)
	}
	b.EventsJSON = env.EventsRaw
	b.scanned = env.Events
	b.Events = make([]json.RawMessage, len(env.Events))
	for i := range env.Events {
		b.Events[i] = env.Events[i].Raw
	}
	return &b, nil
}

func validID(field, v string, limits Limits) error {
	if len(v) < 8 || len(v) > limits.MaxIDLength {
		return badRequest("invalid_batch", "%s must be 8-%d characters", field, limits.MaxIDLength)
	}
	for _, r := range v {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_') {
			return badRequest("invalid_batch", "%s may only contain A-Z a-z 0-9 _ -", field)
		}
	}
	return nil
}

// Summary is what one batch contributes to its session's index row.
type Summary struct {
	First, Last time.Time
	Pages       []store.Page
	Clicks      int
	ActiveMS    int64 // the batch's active time (measure.ActiveMS); compaction recounts the whole session
	Viewport    store.Viewport
	SnapshotAt  time.Time // the first Meta event (rrweb emits one before every full snapshot)
	UserID      string    // the last reel.identify in the batch
	// UserIDs is every distinct user id the batch's reel.identify events named, in the order
	// first seen, with the time of the first identify naming it (at most maxUserIDs).
	UserIDs []store.SessionUser

	// For search: counts and names from Reel's own events.
	Errors        int               // reel.error events
	Failed        int               // reel.network events with status >= 400 or a failure
	ErrorMessages []string          // distinct reel.error messages
	EventNames    []string          // distinct reel.track names, lowercased
	Traits        map[string]string // reel.identify traits (scalar values only)
	EventProps    []store.Prop      // distinct scalar properties of reel.track events
	Text          []string          // on-screen text (rrweb.Text), at most maxText bytes
	Vitals        []store.Vital     // reel.vitals reports, at most maxVitals
	// Flags is every distinct (flag, variant) the batch's reel.flags events set, with the time
	// of the first event setting it (at most maxFlags).
	Flags []store.SessionFlag
}

// Bounds on what one batch adds to the search index, so a hostile page cannot grow it
// without limit.
const (
	maxNames      = 100
	maxNameLength = 128
	maxMessage    = 512
	maxTraits     = 50
	maxTraitValue = 256
	maxProps      = 50 // distinct (key, value) pairs of track properties
	maxPropKey    = 64
	maxPropValue  = 256
	maxText       = 64 << 10 // bytes of distinct on-screen text
	// maxUserIDs bounds the distinct user ids one batch records; the SDK sends one identify
	// per call, so more than a handful in one batch only comes from a hostile client.
	maxUserIDs = 16
	// maxVitals bounds the vitals one batch records; the SDK reports five per page view.
	maxVitals = 50
	// maxVitalMS is the largest timing kept (an hour), maxCLS the largest layout shift score;
	// a value past them is a broken or hostile client, not a slow page.
	maxVitalMS = 3_600_000
	maxCLS     = 1000
	// maxFlags bounds the distinct (flag, variant) pairs of one batch; names and variants are
	// cut to maxFlagName bytes.
	maxFlags    = 50
	maxFlagName = 128
)

// Summarize validates every event as rrweb and extracts what the index needs.
func Summarize(b *Batch) (Summary, error) {
	var s Summary
	var first, last int64 = -1, -1
	var active []int64
	text := rrweb.Text{Max: maxText, Resolve: func(marker string) (string, bool) {
		v, ok := b.Assets[strings.TrimPrefix(marker, "\x00reel:a:")]
		return v, ok
	}}
	for i, raw := range b.Events {
		var ev rrweb.Event
		var err error
		if i < len(b.scanned) {
			sc := &b.scanned[i]
			err = sc.Check()
			ev = rrweb.Event{Type: sc.Type, Timestamp: sc.Timestamp, Data: sc.Data}
		} else {
			ev, err = rrweb.FastParse(raw)
		}
		if err != nil {
			return s, badRequest("invalid_events", "event %d: %v", i, err)
		}
		if first < 0 || ev.Timestamp < first {
			first = ev.Timestamp
		}
		if ev.Timestamp > last {
			last = ev.Timestamp
		}
		switch ev.Type {
		case rrweb.Meta:
			m, err := rrweb.ParseMeta(ev.Data)
			if err != nil {
				return s, badRequest("invalid_events", "event %d: meta data: %v", i, err)
			}
			s.Pages = append(s.Pages, store.Page{Tab: b.Tab, At: time.UnixMilli(ev.Timestamp).UTC(), URL: truncate(m.Href, 2048)})
			if s.SnapshotAt.IsZero() {
				s.SnapshotAt = time.UnixMilli(ev.Timestamp).UTC()
			}
			if m.Width > 0 && m.Height > 0 {
				s.Viewport = store.Viewport{Width: m.Width, Height: m.Height}
			}
		case rrweb.FullSnapshot:
			text.Snapshot(ev.Data)
		case rrweb.Custom:
			var c struct {
				Tag     string          `json:"tag"`
				Payload json.RawMessage `json:"payload"`
			}
			if json.Unmarshal(ev.Data, &c) == nil {
				s.custom(c.Tag, c.Payload, ev.Timestamp)
				if c.Tag == "reel.vitals" {
					s.vital(b.Tab, ev.Timestamp, c.Payload)
				}
				if c.Tag == "reel.navigation" {
					s.navigation(b.Tab, ev.Timestamp, c.Payload)
				}
			}
		case rrweb.IncrementalSnapshot:
			h, err := rrweb.FastIncremental(ev.Data)
			if err != nil {
				return s, badRequest("invalid_events", "event %d: incremental data: %v", i, err)
			}
			if measure.UserActivity(h.Source) {
				active = append(active, ev.Timestamp)
			}
			switch {
			case h.Source == rrweb.SourceMutation:
				text.Mutation(ev.Data)
			case h.IsClick():
				s.Clicks++
			case h.Source == rrweb.SourceViewportResize && h.Width > 0 && h.Height > 0:
				s.Viewport = store.Viewport{Width: h.Width, Height: h.Height}
			}
		}
	}
	s.First, s.Last = time.UnixMilli(first).UTC(), time.UnixMilli(last).UTC()
	s.Text = text.Pieces()
	s.ActiveMS = measure.ActiveMS(active)
	return s, nil
}

// navigation records a single-page app's change of URL as a page view, as a Meta event's is:
// pages are counted from both (measure.Pages).
func (s *Summary) navigation(tab string, at int64, payload json.RawMessage) {
	var p struct {
		URL string `json:"url"`
	}
	if json.Unmarshal(payload, &p) != nil || p.URL == "" {
		return
	}
	s.Pages = append(s.Pages, store.Page{Tab: tab, At: time.UnixMilli(at).UTC(), URL: truncate(p.URL, 2048)})
}

// vital keeps one reel.vitals report ({name, value}, wire-format.md) for the index; a report
// with an unknown name or a value that no browser measures is ignored (the event is still
// stored and replayed).
func (s *Summary) vital(tab string, at int64, payload json.RawMessage) {
	var p struct {
		Name  string   `json:"name"`
		Value *float64 `json:"value"`
	}
	if json.Unmarshal(payload, &p) != nil || p.Value == nil || len(s.Vitals) >= maxVitals {
		return
	}
	metric := strings.ToLower(p.Name)
	limit := float64(maxVitalMS)
	if metric == "cls" {
		limit = maxCLS
	}
	if store.VitalIndex(metric) < 0 || !(*p.Value >= 0 && *p.Value <= limit) {
		return
	}
	s.Vitals = append(s.Vitals, store.Vital{Tab: tab, At: time.UnixMilli(at).UTC(), Metric: metric, Value: *p.Value})
}

// custom folds one of Reel's own events into the summary. Payloads that do not match the
// wire format are ignored: the event is still stored and replayed, only not indexed.
func (s *Summary) custom(tag string, payload json.RawMessage, at int64) {
	switch tag {
	case "reel.identify":
		var p struct {
			UserID json.RawMessage            `json:"userId"`
			Traits map[string]json.RawMessage `json:"traits"`
		}
		if json.Unmarshal(payload, &p) != nil {
			return
		}
		if id := scalar(p.UserID); id != "" {
			s.UserID = truncate(id, 256)
			s.addUserID(s.UserID, at)
		}
		for k, raw := range p.Traits {
			v := scalar(raw)
			if k == "" || len(k) > 64 || v == "" {
				continue
			}
			if s.Traits == nil {
				s.Traits = map[string]string{}
			}
			if _, ok := s.Traits[k]; ok || len(s.Traits) < maxTraits {
				s.Traits[k] = truncate(v, maxTraitValue)
			}
		}
	case "reel.track":
		var p struct {
			Name  string                     `json:"name"`
			Props map[string]json.RawMessage `json:"props"`
		}
		if json.Unmarshal(payload, &p) == nil && p.Name != "" {
			s.EventNames = addName(s.EventNames, strings.ToLower(truncate(p.Name, maxNameLength)))
			keys := slices.Sorted(maps.Keys(p.Props))
			for _, k := range keys {
				v := scalar(p.Props[k])
				if k == "" || len(k) > maxPropKey || v == "" || len(s.EventProps) >= maxProps {
					continue
				}
				if pr := (store.Prop{Key: k, Value: truncate(v, maxPropValue)}); !slices.Contains(s.EventProps, pr) {
					s.EventProps = append(s.EventProps, pr)
				}
			}
		}
	case "reel.flags":
		var p struct {
			Flags map[string]json.RawMessage `json:"flags"`
		}
		if json.Unmarshal(payload, &p) != nil {
			return
		}
		for _, k := range slices.Sorted(maps.Keys(p.Flags)) {
			if v := scalar(p.Flags[k]); k != "" && v != "" {
				s.addFlag(truncate(k, maxFlagName), truncate(v, maxFlagName), at)
			}
		}
	case "reel.error":
		s.Errors++
		var p struct {
			Message string `json:"message"`
		}
		if json.Unmarshal(payload, &p) == nil && p.Message != "" {
			s.ErrorMessages = addName(s.ErrorMessages, truncate(p.Message, maxMessage))
		}
	case "reel.network":
		var p struct {
			Status  int             `json:"status"`
			Failure json.RawMessage `json:"failure"`
		}
		if json.Unmarshal(payload, &p) == nil {
			failed := len(p.Failure) > 0 && string(p.Failure) != "null" && string(p.Failure) != "false" && string(p.Failure) != `""`
			if p.Status >= 400 || failed {
				s.Failed++
			}
		}
	}
}

// scalar renders a JSON string, number or boolean as text; anything else is "".
// addUserID records a user id the batch named, once, with when it was first named.
func (s *Summary) addUserID(id string, at int64) {
	for i, u := range s.UserIDs {
		if u.UserID == id {
			if t := time.UnixMilli(at).UTC(); t.Before(u.FirstAt) {
				s.UserIDs[i].FirstAt = t
			}
			return
		}
	}
	if len(s.UserIDs) < maxUserIDs {
		s.UserIDs = append(s.UserIDs, store.SessionUser{UserID: id, FirstAt: time.UnixMilli(at).UTC()})
	}
}

// addFlag records a flag variant the batch set, once, with when it was first set.
func (s *Summary) addFlag(name, variant string, at int64) {
	t := time.UnixMilli(at).UTC()
	for i, f := range s.Flags {
		if f.Name == name && f.Variant == variant {
			if t.Before(f.FirstAt) {
				s.Flags[i].FirstAt = t
			}
			return
		}
	}
	if len(s.Flags) < maxFlags {
		s.Flags = append(s.Flags, store.SessionFlag{Name: name, Variant: variant, FirstAt: t})
	}
}

func scalar(raw json.RawMessage) string {
	var v any
	if len(raw) == 0 || json.Unmarshal(raw, &v) != nil {
		return ""
	}
	switch v := v.(type) {
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(v)
	}
	return ""
}

func addName(names []string, n string) []string {
	if len(names) >= maxNames || slices.Contains(names, n) {
		return names
	}
	return append(names, n)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}
