package analyze

import (
	"encoding/json"
	"maps"
	"slices"
	"sort"
	"strconv"
)

// Step is a click or a reel.track event, what a funnel step can name besides a page.
type Step struct {
	At   int64  // ms since epoch
	Kind string // "click" or "event"
	URL  string // the page it happened on
	// Selector is a click's element as the SDK's reel.click named it (empty for a click the
	// SDK did not report, such as one from the keyboard).
	Selector string
	// Target is a clicked element as analysis describes it at the time (Describe): tag, id or
	// classes, and its text; empty when rrweb did not record the click.
	Target string
	Name   string            // an event's name, lowercased
	Props  map[string]string // an event's scalar properties
}

// Bounds on what one event adds: names and values as ingest indexes them.
const (
	maxStepName  = 128
	maxStepProps = 20
	maxStepKey   = 64
	maxStepValue = 256
)

// pairWindow is how far apart rrweb's record of a click and the SDK's reel.click of the same
// click may be: both come from the same DOM event, moments apart.
const pairWindow = 100

// Steps reads every tab's clicks and track events, in time order. A click is rrweb's
// (described as the page was then) paired with the SDK's reel.click for its selector.
func Steps(tabs [][]json.RawMessage) []Step {
	var out []Step
	for _, events := range tabs {
		out = append(out, Build(events).Steps()...)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At < out[j].At })
	return out
}

// mark is the SDK's reel.click: the selector of a clicked element.
type mark struct {
	at            int64
	url, selector string
}

// StepEvents counts what Steps reads: it grows whenever Steps would give more or other steps,
// so a caller can tell that nothing changed without building them.
func (t *Timeline) StepEvents() int { return len(t.clicks) + len(t.marks) + len(t.tracks) }

// Steps is the tab's clicks and track events read so far, track events first and each kind
// in the order read (Steps sorts them by time): what funnels and experiments read. Live
// analysis asks after each pass; it gives what Steps would over the same events.
func (t *Timeline) Steps() []Step {
	clicks := make([]Step, 0, len(t.clicks)+len(t.marks))
	for _, c := range t.clicks {
		clicks = append(clicks, Step{At: c.at, Kind: "click", URL: c.url, Target: c.target})
	}
	for _, m := range t.marks {
		if i := nearestUnpaired(clicks, m.at); i >= 0 {
			clicks[i].Selector = m.selector
		} else {
			clicks = append(clicks, Step{At: m.at, Kind: "click", URL: m.url, Selector: m.selector})
		}
	}
	return append(slices.Clone(t.tracks), clicks...)
}

// nearestUnpaired is the index of the click without a selector closest in time to at, within
// pairWindow; -1 when there is none.
func nearestUnpaired(clicks []Step, at int64) int {
	best, gap := -1, int64(pairWindow+1)
	for i, c := range clicks {
		d := c.At - at
		if d < 0 {
			d = -d
		}
		if c.Selector == "" && c.Target != "" && d < gap {
			best, gap = i, d
		}
	}
	return best
}

// scalars keeps an event's string, number and boolean properties as text, the first
// maxStepProps keys in order.
func scalars(props map[string]json.RawMessage) map[string]string {
	var out map[string]string
	for _, k := range slices.Sorted(maps.Keys(props)) {
		if k == "" || len(k) > maxStepKey || len(out) >= maxStepProps {
			continue
		}
		var v any
		if json.Unmarshal(props[k], &v) != nil {
			continue
		}
		var s string
		switch v := v.(type) {
		case string:
			s = v
		case float64:
			s = strconv.FormatFloat(v, 'f', -1, 64) // as ingest indexes event.<property>:
		case bool:
			s = strconv.FormatBool(v)
		default:
			continue
		}
		if out == nil {
			out = map[string]string{}
		}
		out[k] = cutText(s, maxStepValue)
	}
	return out
}

// cutText shortens s to at most n bytes without splitting a character.
func cutText(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }
