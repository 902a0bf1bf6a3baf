// Package analyze turns a session's rrweb events into findings: friction signals such as rage
// clicks and dead clicks, each a small pure detector over one timeline, table-tested with
// recorded positives and near-misses and no database. Thresholds are per project
// (Thresholds); the defaults and the reasons for them are in docs/friction.md.
package analyze

import (
	"encoding/json"
	"strings"

	"github.com/reelhq/reel/internal/measure"
	"github.com/reelhq/reel/internal/rrweb"
)

// Node is what the detectors know about an element of the recorded page.
type Node struct {
	ID     int
	Parent int
	Tag    string // lowercase tag name; "" for text nodes
	Attrs  map[string]string
	Text   string // text of a text node
}

// Kind of a finding.
type Kind string

// The friction kinds Reel detects.
const (
	RageClick       Kind = "rage_click"
	DeadClick       Kind = "dead_click"
	ErrorClick      Kind = "error_click"
	ThrashedCursor  Kind = "thrashed_cursor"
	QuickBack       Kind = "quick_back"
	ExcessiveScroll Kind = "excessive_scroll"
	FormAbandon     Kind = "form_abandonment"
	FieldHesitation Kind = "field_hesitation"
)

// Signal is one finding at a moment of the session.
type Signal struct {
	Kind   Kind   `json:"kind"`
	At     int64  `json:"at"` // ms since epoch
	URL    string `json:"url"`
	Target string `json:"target,omitempty"` // a readable description of the element
	NodeID int    `json:"nodeId,omitempty"`
	Count  int    `json:"count,omitempty"` // clicks in a rage click, reversals, fields of an abandoned form, …
	Detail string `json:"detail,omitempty"`
}

// click is a mouse or touch click on a node, with what the page was at that moment: later
// snapshots reuse node ids for other elements.
type click struct {
	at        int64
	id        int
	x, y      float64
	url       string
	target    string
	clickable bool // looks clickable and is not a form field (which takes focus instead)
	editing   bool
	stepper   bool
	submit    bool
}

// Timeline is one tab's events reduced to what the detectors read, with the DOM known so far.
type Timeline struct {
	nodes      map[int]*Node
	children   map[int][]int
	order      []int // ids in the order their nodes were read
	clicks     []click
	changes    []int64 // DOM mutations, navigations, scrolls, network requests: "something happened"
	errors     []int64
	messages   []string // error messages, in order
	pages      []pageView
	active     []int64 // times of user activity (measure.UserActivity)
	moves      []point
	scrolls    []scroll
	inputs     []input
	focuses    []input
	fields     map[int]string // description of focused fields at focus time
	selections []int64
	viewportH  float64
	url        string // the page the tab was on after the last event read
	last       int64  // the latest event time read (the horizon a live pass can judge up to)
}

type pageView struct {
	at  int64
	url string
}

type point struct {
	at   int64
	x, y float64
}

type scroll struct {
	at  int64
	y   float64
	url string
}

type input struct {
	at  int64
	id  int
	url string
}

// Build reads one tab's events, in time order.
func Build(events []json.RawMessage) *Timeline {
	t := NewTimeline()
	t.Feed(events)
	return t
}

// NewTimeline returns the timeline of a tab with no events read yet.
func NewTimeline() *Timeline {
	return &Timeline{nodes: map[int]*Node{}, children: map[int][]int{}, fields: map[int]string{}}
}

// Feed reads more of a tab's events, in time order, after those read before: feeding a tab's
// events in several runs builds the same timeline as Build over all of them at once, which is
// what lets live analysis read each batch once (docs/decisions.md).
func (t *Timeline) Feed(events []json.RawMessage) { t.FeedParsed(Parse(events)) }

// Parse reads the envelope of each event (rrweb.FastParse), leaving out those that have none:
// a caller that feeds the same events to a Timeline and a HeatReader parses them once.
func Parse(events []json.RawMessage) []rrweb.Event {
	out := make([]rrweb.Event, 0, len(events))
	for _, raw := range events {
		if ev, err := rrweb.FastParse(raw); err == nil {
			out = append(out, ev)
		}
	}
	return out
}

// FeedParsed is Feed for events already parsed.
func (t *Timeline) FeedParsed(events []rrweb.Event) {
	url := t.url
	defer func() { t.url = url }()
	for _, ev := range events {
		t.last = max(t.last, ev.Timestamp)
		switch ev.Type {
		case rrweb.Meta:
			m, _ := rrweb.ParseMeta(ev.Data)
			url = m.Href
			t.pages = append(t.pages, pageView{at: ev.Timestamp, url: url})
			t.changes = append(t.changes, ev.Timestamp)
			if m.Height > 0 {
				t.viewportH = float64(m.Height)
			}
		case rrweb.FullSnapshot:
			// Sized for the page (a serialized node takes about 100 bytes) so reading it does
			// not grow the maps a dozen times.
			n := len(ev.Data) / 100
			t.nodes, t.children, t.order = make(map[int]*Node, n), make(map[int][]int, n/2), make([]int, 0, n)
			r := &reader{b: ev.Data}
			_ = r.object(func(key []byte) error {
				if string(key) == "node" {
					return t.readNode(r, 0, 0)
				}
				return r.pass()
			})
		case rrweb.IncrementalSnapshot:
			t.incremental(ev, url)
		case rrweb.Custom:
			var c struct {
				Tag     string `json:"tag"`
				Payload struct {
					URL     string `json:"url"`
					Kind    string `json:"kind"`
					Message string `json:"message"`
				} `json:"payload"`
			}
			if json.Unmarshal(ev.Data, &c) != nil {
				continue
			}
			switch c.Tag {
			case "reel.error":
				t.errors = append(t.errors, ev.Timestamp)
				t.messages = append(t.messages, c.Payload.Message)
			case "reel.network":
				t.changes = append(t.changes, ev.Timestamp)
			case "reel.navigation":
				url = c.Payload.URL
				t.pages = append(t.pages, pageView{at: ev.Timestamp, url: url})
				t.changes = append(t.changes, ev.Timestamp)
			}
		}
	}
}

// Last is the latest event time the timeline has read (0 before any).
func (t *Timeline) Last() int64 { return t.last }

// incrData is what the detectors read of an incremental snapshot's data (decoded by decode,
// parse.go).
type incrData struct {
	Source     rrweb.IncrementalSource
	Type       int
	ID         int
	X, Y       float64
	Adds       []incrAdd
	Removes    int // how many
	Texts      int // how many
	Attributes []incrAttrs
	Positions  []incrPosition
	Height     float64
}

type incrAdd struct {
	ParentID int
	Node     snode
}

type incrAttrs struct {
	ID         int
	Attributes map[string]json.RawMessage
}

type incrPosition struct {
	X, Y       float64
	TimeOffset int64
}

func (t *Timeline) incremental(ev rrweb.Event, url string) {
	var d incrData
	if !d.decode(ev.Data) {
		return
	}
	if measure.UserActivity(d.Source) {
		t.active = append(t.active, ev.Timestamp)
	}
	switch d.Source {
	case rrweb.SourceMutation:
		for i := range d.Adds {
			t.addTree(&d.Adds[i].Node, d.Adds[i].ParentID)
		}
		for _, a := range d.Attributes {
			if n := t.nodes[a.ID]; n != nil {
				if n.Attrs == nil {
					n.Attrs = map[string]string{}
				}
				for k, v := range a.Attributes {
					if s, ok := stringValue(v); ok {
						n.Attrs[k] = s
					}
				}
			}
		}
		if len(d.Adds)+d.Removes+d.Texts+len(d.Attributes) > 0 {
			t.changes = append(t.changes, ev.Timestamp)
		}
	case rrweb.SourceMouseInteraction:
		switch d.Type {
		case rrweb.Click, rrweb.TouchEnd:
			if d.Type == rrweb.Click {
				c := click{at: ev.Timestamp, id: d.ID, x: d.X, y: d.Y, url: url,
					target: t.Describe(d.ID), editing: t.editing(d.ID), stepper: t.stepper(d.ID), submit: t.submitting(d.ID)}
				if el := t.interactive(d.ID); el != nil {
					c.clickable = el.Tag != "input" && el.Tag != "textarea" && el.Tag != "select" && el.Tag != "label"
				}
				t.clicks = append(t.clicks, c)
			}
		case rrweb.Focus:
			if n := t.nodes[d.ID]; n != nil && (n.Tag == "input" || n.Tag == "textarea") {
				t.focuses = append(t.focuses, input{at: ev.Timestamp, id: d.ID, url: url})
			}
		}
	case rrweb.SourceMouseMove, rrweb.SourceTouchMove:
		for _, p := range d.Positions {
			t.moves = append(t.moves, point{at: ev.Timestamp + p.TimeOffset, x: p.X, y: p.Y})
		}
	case rrweb.SourceScroll:
		t.scrolls = append(t.scrolls, scroll{at: ev.Timestamp, y: d.Y, url: url})
		t.changes = append(t.changes, ev.Timestamp)
	case rrweb.SourceInput:
		t.inputs = append(t.inputs, input{at: ev.Timestamp, id: d.ID, url: url})
		if _, ok := t.fields[d.ID]; !ok {
			t.fields[d.ID] = t.Describe(d.ID)
		}
	case rrweb.SourceViewportResize:
		if d.Height > 0 {
			t.viewportH = d.Height
		}
	case rrweb.SourceSelection:
		t.selections = append(t.selections, ev.Timestamp)
	}
}

// snode is rrweb's serialized node, decoded in one pass with its whole subtree.
type snode struct {
	Type        int                        `json:"type"`
	ID          int                        `json:"id"`
	TagName     string                     `json:"tagName"`
	Attributes  map[string]json.RawMessage `json:"attributes"`
	TextContent string                     `json:"textContent"`
	ChildNodes  []snode                    `json:"childNodes"`
}

// keptAttrs are the attributes the detectors and descriptions read; the rest are not decoded.
var keptAttrs = map[string]bool{"id": true, "class": true, "data-testid": true, "role": true, "type": true, "onclick": true,
	"tabindex": true, "contenteditable": true, "aria-label": true, "title": true, "name": true}

// addTree records a serialized rrweb node and its children.
func (t *Timeline) addTree(n *snode, parent int) {
	node := &Node{ID: n.ID, Parent: parent, Tag: strings.ToLower(n.TagName), Attrs: map[string]string{}, Text: n.TextContent}
	for k, v := range n.Attributes {
		if !keptAttrs[k] {
			continue
		}
		if s, ok := stringValue(v); ok {
			node.Attrs[k] = s
		} else if string(v) == "true" {
			node.Attrs[k] = ""
		}
	}
	t.nodes[n.ID] = node
	t.children[parent] = append(t.children[parent], n.ID)
	for i := range n.ChildNodes {
		t.addTree(&n.ChildNodes[i], n.ID)
	}
}
