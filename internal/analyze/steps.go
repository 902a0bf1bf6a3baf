package analyze

import (
	"bytes"
	"encoding/json"
	"maps"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/reelhq/reel/internal/rrweb"
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
		t := Build(events)
		clicks := make([]Step, 0, len(t.clicks))
		for _, c := range t.clicks {
			clicks = append(clicks, Step{At: c.at, Kind: "click", URL: c.url, Target: c.target})
		}
		url := ""
		for _, raw := range events {
			ev, err := rrweb.FastParse(raw)
			if err != nil {
				continue
			}
			switch ev.Type {
			case rrweb.Meta:
				if m, err := rrweb.ParseMeta(ev.Data); err == nil && m.Href != "" {
					url = m.Href
				}
			case rrweb.Custom:
				if !bytes.Contains(ev.Data, []byte(`"reel.`)) {
					continue
				}
				var c struct {
					Tag     string `json:"tag"`
					Payload struct {
						URL      string                     `json:"url"`
						Selector string                     `json:"selector"`
						Name     string                     `json:"name"`
						Props    map[string]json.RawMessage `json:"props"`
					} `json:"payload"`
				}
				if json.Unmarshal(ev.Data, &c) != nil {
					continue
				}
				p := c.Payload
				switch c.Tag {
				case "reel.navigation":
					if p.URL != "" {
						url = p.URL
					}
				case "reel.click":
					if p.Selector == "" || len(p.Selector) > maxSelector {
						continue
					}
					if i := nearestUnpaired(clicks, ev.Timestamp); i >= 0 {
						clicks[i].Selector = p.Selector
					} else {
						clicks = append(clicks, Step{At: ev.Timestamp, Kind: "click", URL: url, Selector: p.Selector})
					}
				case "reel.track":
					if p.Name == "" {
						continue
					}
					out = append(out, Step{At: ev.Timestamp, Kind: "event", URL: url, Name: strings.ToLower(cutText(p.Name, maxStepName)), Props: scalars(p.Props)})
				}
			}
		}
		out = append(out, clicks...)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At < out[j].At })
	return out
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
