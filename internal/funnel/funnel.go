// Package funnel counts how far sessions got through a sequence of steps (pages, clicks on an
// element, custom events with their properties), in strict, ordered or any order, over time,
// and compares the variants of a feature flag with confidence intervals. It reads journeys
// the index keeps (store.Journey) and does no I/O of its own.
package funnel

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/reelhq/reel/internal/store"
)

// Orders a funnel can count in.
const (
	// Ordered: each step after the previous one, anything in between (the default).
	Ordered = "ordered"
	// Strict: each step the very next thing the session did after the previous one (page
	// views, clicks and custom events all count as things done).
	Strict = "strict"
	// Any: the steps in any order; a session reaches step k once it has done steps 1..k.
	Any = "any"
)

// Bounds on a definition: what a person builds by hand, with room to spare.
const (
	MinSteps    = 2
	MaxSteps    = 12
	MaxPattern  = 512
	MaxProps    = 10
	MaxPropText = 256
	MaxDropped  = 50 // dropped sessions listed per step
)

// Step is one step of a funnel. Kind "page" (or empty) matches a page view whose path matches
// Path, where * is any run of characters; "click" a click whose element's selector matches
// Selector (a pattern) and whose description (tag, id, classes, text) contains Text, ignoring
// case (either may be empty, not both); "event" a reel.track event whose name matches Name
// (a pattern, ignoring case) and whose properties have every value of Props.
type Step struct {
	Kind     string            `json:"kind,omitempty"`
	Path     string            `json:"path,omitempty"`
	Selector string            `json:"selector,omitempty"`
	Text     string            `json:"text,omitempty"`
	Name     string            `json:"name,omitempty"`
	Props    map[string]string `json:"props,omitempty"`
}

// Definition is a funnel: its steps and the order they must come in.
type Definition struct {
	Steps []Step `json:"steps"`
	Order string `json:"order,omitempty"`
}

// Error is a definition that cannot be counted, with the reason (the API's 400 message).
type Error struct{ Reason string }

func (e *Error) Error() string { return e.Reason }

func bad(format string, args ...any) error { return &Error{Reason: fmt.Sprintf(format, args...)} }

// Parse decodes and validates a definition.
func Parse(raw []byte) (Definition, error) {
	var d Definition
	if err := json.Unmarshal(raw, &d); err != nil {
		return d, bad("a funnel is {\"steps\": [{\"kind\": \"page\", \"path\": \"/…\"}, …], \"order\": \"ordered\"}")
	}
	return d, d.Validate()
}

// Validate checks a definition and fills in its defaults (page steps, ordered).
func (d *Definition) Validate() error {
	switch d.Order {
	case "":
		d.Order = Ordered
	case Ordered, Strict, Any:
	default:
		return bad("order must be ordered, strict or any")
	}
	if len(d.Steps) < MinSteps || len(d.Steps) > MaxSteps {
		return bad("a funnel has %d to %d steps", MinSteps, MaxSteps)
	}
	for i := range d.Steps {
		s := &d.Steps[i]
		n := i + 1
		for _, v := range []string{s.Path, s.Selector, s.Text, s.Name} {
			if len(v) > MaxPattern {
				return bad("step %d: patterns are at most %d characters", n, MaxPattern)
			}
		}
		switch s.Kind {
		case "", store.StepPage:
			s.Kind = store.StepPage
			if strings.TrimSpace(s.Path) == "" {
				return bad("step %d: a page step needs a path pattern", n)
			}
			if s.Selector != "" || s.Text != "" || s.Name != "" || len(s.Props) > 0 {
				return bad("step %d: a page step has only a path", n)
			}
		case store.StepClick:
			if strings.TrimSpace(s.Selector) == "" && strings.TrimSpace(s.Text) == "" {
				return bad("step %d: a click step needs a selector or a text", n)
			}
			if s.Path != "" || s.Name != "" || len(s.Props) > 0 {
				return bad("step %d: a click step has only a selector and a text", n)
			}
		case store.StepEvent:
			if strings.TrimSpace(s.Name) == "" {
				return bad("step %d: an event step needs an event name", n)
			}
			if s.Path != "" || s.Selector != "" || s.Text != "" {
				return bad("step %d: an event step has only a name and properties", n)
			}
			if len(s.Props) > MaxProps {
				return bad("step %d: at most %d properties", n, MaxProps)
			}
			for k, v := range s.Props {
				if k == "" || len(k) > 64 || len(v) > MaxPropText {
					return bad("step %d: property names are 1-64 characters, values at most %d", n, MaxPropText)
				}
			}
		default:
			return bad("step %d: kind must be page, click or event", n)
		}
	}
	return nil
}

// Label names a step the way the dashboard shows it.
func (s Step) Label() string {
	switch s.Kind {
	case store.StepClick:
		parts := []string{}
		if s.Text != "" {
			parts = append(parts, fmt.Sprintf("%q", s.Text))
		}
		if s.Selector != "" {
			parts = append(parts, s.Selector)
		}
		return "Click " + strings.Join(parts, " ")
	case store.StepEvent:
		l := "Event " + s.Name
		keys := make([]string, 0, len(s.Props))
		for k := range s.Props {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			l += " " + k + "=" + s.Props[k]
		}
		return l
	}
	return s.Path
}

// Matches reports whether a thing the session did is this step.
func (s Step) Matches(st store.Step) bool {
	if st.Kind != s.Kind {
		return false
	}
	switch s.Kind {
	case store.StepPage:
		return Glob(s.Path, st.Path)
	case store.StepClick:
		if s.Selector != "" && !Glob(s.Selector, st.Name) {
			return false
		}
		return s.Text == "" || strings.Contains(strings.ToLower(st.Text), strings.ToLower(s.Text))
	case store.StepEvent:
		if !Glob(strings.ToLower(s.Name), st.Name) {
			return false
		}
		for k, v := range s.Props {
			if got, ok := st.Props[k]; !ok || got != v {
				return false
			}
		}
		return true
	}
	return false
}

// Glob matches s against a pattern where * stands for any run of characters.
func Glob(pattern, s string) bool {
	parts := strings.Split(pattern, "*")
	if len(parts) == 1 {
		return pattern == s
	}
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	for _, p := range parts[1 : len(parts)-1] {
		i := strings.Index(s, p)
		if i < 0 {
			return false
		}
		s = s[i+len(p):]
	}
	return len(s) >= len(parts[len(parts)-1]) && strings.HasSuffix(s, parts[len(parts)-1])
}

// Reach is how far one session got: the number of steps it reached and when it reached each.
func (d Definition) Reach(j store.Journey) (int, []time.Time) {
	switch d.Order {
	case Strict:
		return d.strict(j.Steps)
	case Any:
		return d.any(j.Steps)
	}
	return d.ordered(j.Steps)
}

// ordered takes each step at its first match after the previous one: taking the earliest
// never reaches fewer steps than any other choice.
func (d Definition) ordered(done []store.Step) (int, []time.Time) {
	var at []time.Time
	for _, st := range done {
		if len(at) < len(d.Steps) && d.Steps[len(at)].Matches(st) {
			at = append(at, st.At)
		}
	}
	return len(at), at
}

// strict finds the longest run of consecutive things done that are the steps in order,
// starting anywhere; the earliest of equally long runs.
func (d Definition) strict(done []store.Step) (int, []time.Time) {
	var best []time.Time
	for i := range done {
		if !d.Steps[0].Matches(done[i]) {
			continue
		}
		run := []time.Time{done[i].At}
		for k := 1; k < len(d.Steps) && i+k < len(done) && d.Steps[k].Matches(done[i+k]); k++ {
			run = append(run, done[i+k].At)
		}
		if len(run) > len(best) {
			best = run
			if len(best) == len(d.Steps) {
				break
			}
		}
	}
	return len(best), best
}

// any reaches step k when steps 1..k have all happened, in whatever order, at the latest of
// their first times.
func (d Definition) any(done []store.Step) (int, []time.Time) {
	first := make([]time.Time, len(d.Steps))
	for _, st := range done {
		for k, s := range d.Steps {
			if first[k].IsZero() && s.Matches(st) {
				first[k] = st.At
			}
		}
	}
	var at []time.Time
	var latest time.Time
	for _, t := range first {
		if t.IsZero() {
			break
		}
		if t.After(latest) {
			latest = t
		}
		at = append(at, latest)
	}
	return len(at), at
}

// Drop is a session that reached the previous step and not this one: At is when it reached the
// previous step, where its replay is worth starting.
type Drop struct {
	SessionID string
	Started   time.Time
	At        time.Time
}

// StepResult is one step's count.
type StepResult struct {
	Step       Step
	Sessions   int
	Conversion float64 // of the sessions that entered the funnel
	MedianMS   int64   // median time from the previous step
	Dropped    []Drop  // the latest sessions lost at this step, at most MaxDropped
	Lost       int     // all sessions lost at this step
}

// Bucket is the funnel's conversion among the sessions that started in one day or week.
type Bucket struct {
	Start      time.Time
	Entered    int // reached the first step
	Converted  int // reached the last
	Conversion float64
}

// Result is a counted funnel.
type Result struct {
	Steps  []StepResult
	Series []Bucket
}

// Intervals the series can be bucketed by.
const (
	Day  = "day"
	Week = "week"
)

// bucketStart is the start of the day (UTC) or week (Monday, UTC) t falls in.
func bucketStart(t time.Time, interval string) time.Time {
	d := t.UTC().Truncate(24 * time.Hour)
	if interval == Week {
		d = d.AddDate(0, 0, -((int(d.Weekday()) + 6) % 7))
	}
	return d
}

// Count counts journeys (newest first, as the index returns them) through the funnel, with
// the conversion of the sessions started in each day or week of [since, until).
func Count(journeys []store.Journey, d Definition, interval string, since, until time.Time) Result {
	res := Result{Steps: make([]StepResult, len(d.Steps))}
	durations := make([][]int64, len(d.Steps))
	for i, s := range d.Steps {
		res.Steps[i] = StepResult{Step: s, Dropped: []Drop{}}
	}
	buckets := map[time.Time]*Bucket{}
	for b := bucketStart(since, interval); b.Before(until); {
		res.Series = append(res.Series, Bucket{Start: b})
		if interval == Week {
			b = b.AddDate(0, 0, 7)
		} else {
			b = b.AddDate(0, 0, 1)
		}
	}
	for i := range res.Series {
		buckets[res.Series[i].Start] = &res.Series[i]
	}
	for _, j := range journeys {
		n, at := d.Reach(j)
		for k := 0; k < n; k++ {
			res.Steps[k].Sessions++
			if k > 0 {
				durations[k] = append(durations[k], at[k].Sub(at[k-1]).Milliseconds())
			}
		}
		if n > 0 && n < len(d.Steps) {
			res.Steps[n].Lost++
			if len(res.Steps[n].Dropped) < MaxDropped {
				res.Steps[n].Dropped = append(res.Steps[n].Dropped, Drop{SessionID: j.SessionID, Started: j.StartedAt, At: at[n-1]})
			}
		}
		if b := buckets[bucketStart(j.StartedAt, interval)]; b != nil && n > 0 {
			b.Entered++
			if n == len(d.Steps) {
				b.Converted++
			}
		}
	}
	for k := range res.Steps {
		if first := res.Steps[0].Sessions; first > 0 {
			res.Steps[k].Conversion = float64(res.Steps[k].Sessions) / float64(first)
		}
		if ds := durations[k]; len(ds) > 0 {
			slices.Sort(ds)
			res.Steps[k].MedianMS = ds[len(ds)/2]
		}
	}
	for i := range res.Series {
		if b := &res.Series[i]; b.Entered > 0 {
			b.Conversion = float64(b.Converted) / float64(b.Entered)
		}
	}
	return res
}

// Proportion is k of n with its 95 % Wilson score interval.
type Proportion struct {
	K, N      int
	Rate      float64
	Low, High float64
}

// z95 is the standard normal quantile of a two-sided 95 % interval.
const z95 = 1.959963984540054

// Wilson is k of n with its 95 % Wilson score interval, which stays within 0–1 and behaves
// at small n and at rates near 0 or 1, where the normal approximation does not. With n = 0 the
// interval is the whole of 0–1.
func Wilson(k, n int) Proportion {
	p := Proportion{K: k, N: n, High: 1}
	if n <= 0 {
		return p
	}
	fn := float64(n)
	r := float64(k) / fn
	z2 := z95 * z95
	den := 1 + z2/fn
	centre := (r + z2/(2*fn)) / den
	half := z95 * math.Sqrt(r*(1-r)/fn+z2/(4*fn*fn)) / den
	p.Rate, p.Low, p.High = r, math.Max(0, centre-half), math.Min(1, centre+half)
	return p
}
