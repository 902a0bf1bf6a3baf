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
	el        int   // the interactive element the click meant (or the node clicked)
	anc       []int // ids of the clicked node and its ancestors, nearest first
	form      int   // the form the clicked element belongs to (formOf), 0 for none
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

// jsError is an uncaught error; handler says its stack runs through an event handler of an
// element (V8 names the receiver: "at HTMLButtonElement.onClick", "at async HTMLButtonElement…").
type jsError struct {
	at      int64
	stack   bool
	handler bool
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
	t := &Timeline{nodes: map[int]*Node{}, children: map[int][]int{}, fields: map[int]string{}, changed: map[int][]int64{}, kidsChanged: map[int][]int64{}, formCache: map[int]fieldInfo{}}
	url := ""
	for _, raw := range events {
		ev, err := rrweb.FastParse(raw)
		if err != nil {
			continue
		}
		switch ev.Type {
		case rrweb.Meta:
			m, _ := rrweb.ParseMeta(ev.Data)
			url = m.Href
			t.pages = append(t.pages, pageView{at: ev.Timestamp, url: url})
			t.navs = append(t.navs, ev.Timestamp)
			if m.Height > 0 {
				t.viewportH = float64(m.Height)
			}
		case rrweb.FullSnapshot:
			t.nodes, t.children, t.order = map[int]*Node{}, map[int][]int{}, nil
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
					URL        string  `json:"url"`
					Kind       string  `json:"kind"`
					Message    string  `json:"message"`
					Stack      string  `json:"stack"`
					DurationMS float64 `json:"durationMs"`
				} `json:"payload"`
			}
			if json.Unmarshal(ev.Data, &c) != nil {
				continue
			}
			switch c.Tag {
			case "reel.error":
				t.errors = append(t.errors, ev.Timestamp)
				t.messages = append(t.messages, c.Payload.Message)
				t.jsErrors = append(t.jsErrors, jsError{at: ev.Timestamp, stack: c.Payload.Stack != "", handler: handlerFrame.MatchString(c.Payload.Stack)})
			case "reel.network":
				// A request is not an answer the visitor sees; it says how long to wait for one.
				t.requests = append(t.requests, request{start: ev.Timestamp - int64(c.Payload.DurationMS), end: ev.Timestamp})
			case "reel.navigation":
				url = c.Payload.URL
				t.pages = append(t.pages, pageView{at: ev.Timestamp, url: url})
				t.navs = append(t.navs, ev.Timestamp)
			}
		}
	}
	return t
}

func (t *Timeline) incremental(ev rrweb.Event, url string) {
	var d struct {
		Source rrweb.IncrementalSource `json:"source"`
		Type   int                     `json:"type"`
		ID     int                     `json:"id"`
		X, Y   float64
		Adds   []struct {
			ParentID int   `json:"parentId"`
			Node     snode `json:"node"`
		} `json:"adds"`
		Removes []struct {
			ParentID int `json:"parentId"`
		} `json:"removes"`
		Texts []struct {
			ID int `json:"id"`
		} `json:"texts"`
		Attributes []struct {
			ID         int                        `json:"id"`
			Attributes map[string]json.RawMessage `json:"attributes"`
		} `json:"attributes"`
		Positions []struct {
			X, Y       float64
			TimeOffset int64 `json:"timeOffset"`
		} `json:"positions"`
		Height float64 `json:"height"`
	}
	if json.Unmarshal(ev.Data, &d) != nil {
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
				for k, v := range a.Attributes {
					var s string
					if json.Unmarshal(v, &s) == nil {
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
			for _, r := range d.Removes {
				add(r.ParentID)
			}
			for _, x := range d.Texts {
				if n := t.nodes[x.ID]; n != nil && n.Tag == "" && n.Parent > 0 {
					add(n.Parent)
				} else {
					add(x.ID)
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
		var s string
		if json.Unmarshal(v, &s) == nil {
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
