package playwright

import (
	"encoding/json"
	"slices"
	"strings"
)

// node is an element or text of the recorded page, as rrweb serialised it.
type node struct {
	id       int
	parent   int
	tag      string // lowercase; "" for text and other non-elements
	attrs    map[string]string
	text     string // of a text node
	children []int
}

// dom follows one tab's page through full snapshots and mutations, so a click or an input can
// be named by what was on the page at that moment.
type dom struct {
	nodes map[int]*node
	root  int
}

func newDOM() *dom { return &dom{nodes: map[int]*node{}} }

// snode is rrweb's serialised node.
type snode struct {
	Type        int                        `json:"type"`
	ID          int                        `json:"id"`
	TagName     string                     `json:"tagName"`
	Attributes  map[string]json.RawMessage `json:"attributes"`
	TextContent string                     `json:"textContent"`
	ChildNodes  []snode                    `json:"childNodes"`
}

func (d *dom) snapshot(data json.RawMessage) {
	var s struct {
		Node snode `json:"node"`
	}
	if json.Unmarshal(data, &s) != nil {
		return
	}
	d.nodes = map[int]*node{}
	d.root = s.Node.ID
	d.add(&s.Node, 0, -1)
}

// add records n under parent, before the child nextID (or last when -1 or unknown).
func (d *dom) add(n *snode, parent, nextID int) {
	nd := &node{id: n.ID, parent: parent, attrs: map[string]string{}}
	switch n.Type {
	case 2: // element
		nd.tag = strings.ToLower(n.TagName)
		for k, v := range n.Attributes {
			var s string
			if json.Unmarshal(v, &s) == nil {
				nd.attrs[k] = s
			} else if string(v) == "true" {
				nd.attrs[k] = ""
			}
		}
	case 3: // text
		nd.text = n.TextContent
	}
	if old := d.nodes[n.ID]; old != nil {
		d.detach(old)
	}
	d.nodes[n.ID] = nd
	if p := d.nodes[parent]; p != nil {
		i := slices.Index(p.children, nextID)
		if nextID < 0 || i < 0 {
			p.children = append(p.children, n.ID)
		} else {
			p.children = slices.Insert(p.children, i, n.ID)
		}
	}
	for i := range n.ChildNodes {
		d.add(&n.ChildNodes[i], n.ID, -1)
	}
}

func (d *dom) detach(n *node) {
	if p := d.nodes[n.parent]; p != nil {
		p.children = slices.DeleteFunc(p.children, func(c int) bool { return c == n.id })
	}
}

// mutation applies an rrweb mutation (incremental source 0).
func (d *dom) mutation(data json.RawMessage) {
	var m struct {
		Adds []struct {
			ParentID int   `json:"parentId"`
			NextID   *int  `json:"nextId"`
			Node     snode `json:"node"`
		} `json:"adds"`
		Removes []struct {
			ID int `json:"id"`
		} `json:"removes"`
		Texts []struct {
			ID    int     `json:"id"`
			Value *string `json:"value"`
		} `json:"texts"`
		Attributes []struct {
			ID         int                        `json:"id"`
			Attributes map[string]json.RawMessage `json:"attributes"`
		} `json:"attributes"`
	}
	if json.Unmarshal(data, &m) != nil {
		return
	}
	for _, r := range m.Removes {
		if n := d.nodes[r.ID]; n != nil {
			d.detach(n)
			d.forget(n)
		}
	}
	for i := range m.Adds {
		next := -1
		if m.Adds[i].NextID != nil {
			next = *m.Adds[i].NextID
		}
		d.add(&m.Adds[i].Node, m.Adds[i].ParentID, next)
	}
	for _, t := range m.Texts {
		if n := d.nodes[t.ID]; n != nil && t.Value != nil {
			n.text = *t.Value
		}
	}
	for _, a := range m.Attributes {
		n := d.nodes[a.ID]
		if n == nil {
			continue
		}
		for k, v := range a.Attributes {
			var s string
			switch {
			case string(v) == "null":
				delete(n.attrs, k)
			case json.Unmarshal(v, &s) == nil:
				n.attrs[k] = s
			}
		}
	}
}

func (d *dom) forget(n *node) {
	delete(d.nodes, n.id)
	for _, c := range n.children {
		if cn := d.nodes[c]; cn != nil && cn.parent == n.id {
			d.forget(cn)
		}
	}
}

// order is every element in document order.
func (d *dom) order() []*node {
	var out []*node
	var walk func(id, depth int)
	walk = func(id, depth int) {
		n := d.nodes[id]
		if n == nil || depth > 256 {
			return
		}
		if n.tag != "" {
			out = append(out, n)
		}
		for _, c := range n.children {
			walk(c, depth+1)
		}
	}
	walk(d.root, 0)
	return out
}

// textOf is the visible text under n, whitespace collapsed.
func (d *dom) textOf(n *node) string {
	var b strings.Builder
	var walk func(n *node, depth int)
	walk = func(n *node, depth int) {
		if n == nil || depth > 64 || b.Len() > 400 {
			return
		}
		if n.tag == "" {
			b.WriteString(n.text)
			b.WriteByte(' ')
			return
		}
		if n.tag == "script" || n.tag == "style" || n.tag == "svg" {
			return
		}
		for _, c := range n.children {
			walk(d.nodes[c], depth+1)
		}
	}
	walk(n, 0)
	return strings.Join(strings.Fields(b.String()), " ")
}

// visible says whether n and its ancestors are shown, as far as attributes tell.
func (d *dom) visible(n *node) bool {
	for depth := 0; n != nil && depth < 256; depth++ {
		if _, hidden := n.attrs["hidden"]; hidden {
			return false
		}
		style := strings.ReplaceAll(n.attrs["style"], " ", "")
		if strings.Contains(style, "display:none") || strings.Contains(style, "visibility:hidden") {
			return false
		}
		if n.parent == n.id {
			break
		}
		n = d.nodes[n.parent]
	}
	return true
}

// clickable is the element a click on n meant: the nearest link, button or control.
func (d *dom) clickable(n *node) *node {
	if n != nil && n.tag == "" {
		n = d.nodes[n.parent]
	}
	first := n
	for depth := 0; n != nil && depth < 12; depth++ {
		switch n.tag {
		case "a", "button", "input", "select", "textarea", "label", "summary", "option":
			return n
		}
		if r := n.attrs["role"]; r == "button" || r == "link" || r == "tab" || r == "menuitem" || r == "checkbox" || r == "option" {
			return n
		}
		if _, ok := n.attrs["data-testid"]; ok {
			return n
		}
		if _, ok := n.attrs["onclick"]; ok {
			return n
		}
		n = d.nodes[n.parent]
	}
	return first
}
