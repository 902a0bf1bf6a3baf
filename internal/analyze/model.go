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
	submit    bool
	el        int    // the interactive element the click meant (or the node clicked)
	anc       []int  // ids of the clicked node and its ancestors, nearest first
	form      int    // the form the clicked element belongs to (formOf), 0 for none
	href      string // the link the click followed in this tab, as written ("" when not a link)
}

// mutation is one DOM mutation event: when, and the elements it changed (capped).
type mutation struct {
	at  int64
	ids []int
}

// request is a network call the page made, from start to answer.
type request struct {
	start, end int64
}

// jsError is an uncaught error; handler says its stack runs through an event listener (V8
// names the receiver: "at HTMLButtonElement.onClick", "at async HTMLButtonElement…").
type jsError struct {
	at         int64
	stack      bool
	handler    bool
	background bool // a whole V8 stack without a listener: never a click's (element.go)
}

// Timeline is one tab's events reduced to what the detectors read, with the DOM known so far.
type Timeline struct {
	nodes       map[int]*Node
	children    map[int][]int
	order       []int // ids in the order their nodes were read
	clicks      []click
	navs        []int64 // page loads and in-app navigations
	muts        []mutation
	changed     map[int][]int64 // times each element changed, for telling a ticking clock from an answer
	kidsChanged map[int][]int64 // times a child of each element changed
	requests    []request
	jsErrors    []jsError
	pageScroll  []int64 // times the page itself (not an element in it) scrolled
	blurs       []input // focus and blur events, with the field they are about
	pressed     bool    // a mouse button is down: moves are a drag or a drawing
	formCache   map[int]fieldInfo
	errors      []int64
	messages    []string // error messages, in order
	pages       []pageView
	active      []int64 // times of user activity (measure.UserActivity)
	moves       []point
	scrolls     []scroll
	inputs      []input
	focuses     []input
	fields      map[int]string // description of focused fields at focus time
	selections  []int64
	viewportH   float64
	marks       []mark // the SDK's reel.click events, paired with clicks by Steps
	tracks      []Step // reel.track events
	url         string // the page the tab was on after the last event read
	last        int64  // the latest event time read (the horizon a live pass can judge up to)
	ttfb        int64  // the navigation start of the page about to be recorded, by its TTFB (0: none)
}

// pageView is a page load (or an in-app navigation) recorded at `at`, when the SDK started on
// it. navBy is the latest its navigation can have started, by the page's own TTFB and FCP
// (each measured from the navigation's start and reported after it): a page that loads slowly
// is recorded long after the visitor left the one before.
type pageView struct {
	at    int64
	url   string
	navBy int64
	doc   bool // a page load, which has a navigation timing of its own
}

type point struct {
	at   int64
	x, y float64
}

type scroll struct {
	at  int64
	y   float64
	url string
	id  int // the scrolled node: the document, or an element with its own scrollbar
}

type input struct {
	at    int64
	id    int
	url   string
	field fieldInfo
}

// Build reads one tab's events, in time order.
func Build(events []json.RawMessage) *Timeline {
	t := NewTimeline()
	t.Feed(events)
	return t
}

// NewTimeline returns the timeline of a tab with no events read yet.
func NewTimeline() *Timeline {
	return &Timeline{nodes: map[int]*Node{}, children: map[int][]int{}, fields: map[int]string{}, changed: map[int][]int64{}, kidsChanged: map[int][]int64{}, formCache: map[int]fieldInfo{}}
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

// Last is the latest event time the timeline has read (0 before any).
func (t *Timeline) Last() int64 { return t.last }

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
			pv := pageView{at: ev.Timestamp, url: url, navBy: ev.Timestamp, doc: true}
			// The SDK reports a page's TTFB just before its meta event.
			if t.ttfb > 0 {
				pv.navBy = min(pv.navBy, t.ttfb)
				t.ttfb = 0
			}
			t.pages = append(t.pages, pv)
			t.navs = append(t.navs, ev.Timestamp)
			if m.Height > 0 {
				t.viewportH = float64(m.Height)
			}
		case rrweb.FullSnapshot:
			// Sized for the page (a serialized node takes about 100 bytes) so reading it does
			// not grow the maps a dozen times.
			n := len(ev.Data) / 100
			t.nodes, t.children, t.order = make(map[int]*Node, n), make(map[int][]int, n/2), make([]int, 0, n)
			t.formCache = map[int]fieldInfo{}
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
					URL        string                     `json:"url"`
					Kind       string                     `json:"kind"`
					Message    string                     `json:"message"`
					Stack      string                     `json:"stack"`
					DurationMS float64                    `json:"durationMs"`
					Selector   string                     `json:"selector"`
					Name       string                     `json:"name"`
					Props      map[string]json.RawMessage `json:"props"`
					Value      json.RawMessage            `json:"value"` // read for reel.vitals only
				} `json:"payload"`
			}
			if json.Unmarshal(ev.Data, &c) != nil {
				continue
			}
			switch c.Tag {
			case "reel.error":
				t.errors = append(t.errors, ev.Timestamp)
				t.messages = append(t.messages, c.Payload.Message)
				t.jsErrors = append(t.jsErrors, jsError{at: ev.Timestamp, stack: c.Payload.Stack != "", handler: handlerFrame.MatchString(c.Payload.Stack), background: background(c.Payload.Stack)})
			case "reel.network":
				// A request is not an answer the visitor sees; it says how long to wait for one.
				t.requests = append(t.requests, request{start: ev.Timestamp - int64(c.Payload.DurationMS), end: ev.Timestamp})
			case "reel.vitals":
				// Milliseconds from the navigation's start, so it started by the event's time less
				// the value (values out of range, as the index rules them, say nothing).
				var f float64
				if json.Unmarshal(c.Payload.Value, &f) != nil || f <= 0 || f > 3_600_000 {
					break
				}
				v := int64(f)
				switch c.Payload.Name {
				case "TTFB":
					t.ttfb = ev.Timestamp - v
				case "FCP":
					if n := len(t.pages); n > 0 && t.pages[n-1].doc {
						t.pages[n-1].navBy = min(t.pages[n-1].navBy, ev.Timestamp-v)
					}
				}
			case "reel.navigation":
				url = c.Payload.URL
				t.pages = append(t.pages, pageView{at: ev.Timestamp, url: url, navBy: ev.Timestamp})
				t.navs = append(t.navs, ev.Timestamp)
			case "reel.click":
				if p := c.Payload.Selector; p != "" && len(p) <= maxSelector {
					t.marks = append(t.marks, mark{at: ev.Timestamp, url: url, selector: p})
				}
			case "reel.track":
				if p := c.Payload; p.Name != "" {
					t.tracks = append(t.tracks, Step{At: ev.Timestamp, Kind: "event", URL: url, Name: strings.ToLower(cutText(p.Name, maxStepName)), Props: scalars(p.Props)})
				}
			}
		}
	}
}

// incrData is what the detectors read of an incremental snapshot's data (decoded by decode,
// parse.go).
type incrData struct {
	Source     rrweb.IncrementalSource
	Type       int
	ID         int
	X, Y       float64
	Adds       []incrAdd
	Removes    []int // each removal's parentId
	Texts      []int // each text change's id
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
		if len(d.Adds)+len(d.Removes)+len(d.Texts)+len(d.Attributes) > 0 {
			m := mutation{at: ev.Timestamp}
			add := func(id int) {
				if len(m.ids) >= 32 {
					return
				}
				for _, x := range m.ids {
					if x == id {
						return
					}
				}
				m.ids = append(m.ids, id)
				t.changed[id] = append(t.changed[id], ev.Timestamp)
				// Siblings changing in turn (an autoplaying carousel's slides) make their
				// parent busy too.
				if n := t.nodes[id]; n != nil && n.Parent > 0 {
					t.kidsChanged[n.Parent] = append(t.kidsChanged[n.Parent], ev.Timestamp)
				}
			}
			for _, a := range d.Adds {
				add(a.ParentID)
			}
			for _, p := range d.Removes {
				add(p)
			}
			for _, id := range d.Texts {
				if n := t.nodes[id]; n != nil && n.Tag == "" && n.Parent > 0 {
					add(n.Parent)
				} else {
					add(id)
				}
			}
			for _, a := range d.Attributes {
				add(a.ID)
			}
			t.muts = append(t.muts, m)
		}
	case rrweb.SourceMouseInteraction:
		switch d.Type {
		case rrweb.Click, rrweb.TouchEnd:
			if d.Type == rrweb.Click {
				c := click{at: ev.Timestamp, id: d.ID, x: d.X, y: d.Y, url: url,
					target: t.Describe(d.ID), editing: t.editing(d.ID), submit: t.submitting(d.ID), el: d.ID}
				for _, n := range t.ancestors(d.ID) {
					c.anc = append(c.anc, n.ID)
				}
				c.clickable = t.looksClickable(d.ID)
				if el := t.interactive(d.ID); el != nil {
					c.el = el.ID
					c.form = t.formOf(el.ID)
					if tg := el.Attrs["target"]; el.Tag == "a" && (tg == "" || tg == "_self") {
						c.href = el.Attrs["href"]
					}
				}
				t.clicks = append(t.clicks, c)
			}
		case rrweb.MouseDown:
			t.pressed = true
		case rrweb.MouseUp:
			t.pressed = false
		case rrweb.Focus:
			if n := t.nodes[d.ID]; n != nil && (n.Tag == "input" || n.Tag == "textarea") {
				t.focuses = append(t.focuses, input{at: ev.Timestamp, id: d.ID, url: url, field: t.field(d.ID)})
			}
			t.blurs = append(t.blurs, input{at: ev.Timestamp, id: d.ID})
		case rrweb.Blur:
			t.blurs = append(t.blurs, input{at: ev.Timestamp, id: -d.ID})
		}
	case rrweb.SourceMouseMove, rrweb.SourceTouchMove:
		// Moves with a button held are a drag or a drawing, not a cursor being shaken.
		if t.pressed {
			return
		}
		for _, p := range d.Positions {
			t.moves = append(t.moves, point{at: ev.Timestamp + p.TimeOffset, x: p.X, y: p.Y})
		}
	case rrweb.SourceScroll:
		t.scrolls = append(t.scrolls, scroll{at: ev.Timestamp, y: d.Y, url: url, id: d.ID})
		if t.isDocument(d.ID) {
			t.pageScroll = append(t.pageScroll, ev.Timestamp)
		}
	case rrweb.SourceInput:
		t.inputs = append(t.inputs, input{at: ev.Timestamp, id: d.ID, url: url, field: t.field(d.ID)})
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
	"tabindex": true, "contenteditable": true, "aria-label": true, "title": true, "name": true, "placeholder": true,
	"href": true, "target": true, "download": true, "aria-haspopup": true, "style": true, "autocomplete": true}

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
