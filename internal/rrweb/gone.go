package rrweb

import (
	"bytes"
	"encoding/json"
	"math"
	"slices"
)

// Gone leaves out of a seek's events the nodes that are gone by their end, so that the answer
// to "show me the moment t" does not carry the single-page app's re-renders on the way there.
// evs is a tab's events in time order from a Meta event up to the moment: the Meta, the full
// snapshot after it, and what followed. A node is gone when it was added exactly once after
// the snapshot, or is part of the snapshot, and is no longer attached to the document at the
// end (removed itself, or with an ancestor); a subtree of the snapshot only when no add names
// anything inside it. rrweb forgets a removed node, so after its removal such a node can be
// neither seen nor addressed, and leaving it out changes nothing at the end. Its adds, its
// removes and the text and attribute changes made to it are dropped; a node that a kept add
// is put under or next to stays. Spans touching nested documents or shadow roots, and events
// this reader cannot follow, are left as they are. It is the same rule as the player's own
// (web/src/prune.ts), which then has less to do.
//
// Gone returns the events, the unchanged ones sharing evs' bytes, and the number of nodes left
// out.
func Gone(evs [][]byte) ([][]byte, int) {
	// About one node per 150 bytes of events: sized once rather than grown.
	size := 0
	for _, e := range evs {
		size += len(e)
	}
	hint := min(size/150, 1<<20)
	g := gone{
		flags:  make(map[int64]uint8, hint),
		parent: make(map[int64]int64, hint),
		kids:   map[int64][]int64{},
		once:   map[int64]goneAdd{},
		muts:   map[int]goneMutation{},
	}
	snap := -1
	for i, raw := range evs {
		e, err := FastParse(raw)
		if err != nil {
			return evs, 0
		}
		if snap < 0 {
			if e.Type == FullSnapshot {
				node, ok := field(e.Data, `"node"`)
				if !ok || !g.snapshot(node, -1) {
					return evs, 0
				}
				snap = i
			}
			continue
		}
		if e.Type == Meta || e.Type == FullSnapshot {
			break // a later page: left as it is
		}
		if e.Type != IncrementalSnapshot {
			continue
		}
		h, err := FastIncremental(e.Data)
		if err != nil {
			return evs, 0
		}
		if h.Source == SourceMutation && !g.mutation(i, e.Data) {
			return evs, 0
		}
	}
	if snap < 0 || !g.decide() {
		return evs, 0
	}
	out := make([][]byte, len(evs))
	copy(out, evs)
	out[snap] = g.rewriteSnapshot(evs[snap])
	for i, m := range g.muts {
		out[i] = g.rewriteMutation(evs[i], m)
	}
	return out, g.dead
}

// Per-node flags, as in web/src/prune.ts.
const (
	goneSnapshot uint8 = 1 << iota // part of the full snapshot
	goneCut                        // removed, and not added back since
	goneOnce                       // added exactly once after the snapshot
	goneAgain                      // added twice, or added though part of the snapshot
	goneNamed                      // named by an add: as the node, its parent or a sibling
	goneKnown                      // whether it is attached at the end is worked out:
	goneAttached                   // and it is
	goneDead
)

type goneAdd struct {
	parent, next, prev int64 // -1: none
}

// goneMutation is a mutation as Gone read it: its data, where in it each of its four arrays
// is (subslices of data, nil when absent), and the node ids of its adds and removes, in order.
type goneMutation struct {
	data                        []byte
	adds, removes, texts, attrs []byte
	addIDs, removeIDs           []int64
}

type gone struct {
	muts   map[int]goneMutation // by event index
	root   int64
	flags  map[int64]uint8
	parent map[int64]int64
	kids   map[int64][]int64 // the snapshot's tree
	once   map[int64]goneAdd
	adds   []goneAdd // every add after the snapshot, with its node in next's place: see decide
	addIDs []int64
	cuts   int
	dead   int
}

// snapshot records the snapshot's tree under parent (-1 for the document).
func (g *gone) snapshot(node []byte, parent int64) bool {
	n, err := readNode(node)
	if err != nil || n.id < 0 {
		return false
	}
	if parent < 0 {
		g.root = n.id
	} else {
		g.parent[n.id] = parent
		g.kids[parent] = append(g.kids[parent], n.id)
	}
	g.flags[n.id] |= goneSnapshot
	for _, k := range Elements(n.kids, math.MaxInt) {
		if !g.snapshot(k, n.id) {
			return false
		}
	}
	return true
}

// mutation records a mutation's removes and adds; false when the span is not to be pruned.
func (g *gone) mutation(i int, data []byte) bool {
	m := goneMutation{data: data}
	if Fields(data, func(k, v []byte) {
		switch string(k) {
		case `"adds"`:
			m.adds = v
		case `"removes"`:
			m.removes = v
		case `"texts"`:
			m.texts = v
		case `"attributes"`:
			m.attrs = v
		}
	}) != nil {
		return false
	}
	adds, removes := m.adds, m.removes
	// rrweb applies a mutation's removes before its adds.
	for _, r := range Elements(removes, math.MaxInt) {
		n, err := readNode(r)
		if err != nil || n.id < 0 || n.shadow {
			return false
		}
		g.flags[n.id] |= goneCut
		g.cuts++
		m.removeIDs = append(m.removeIDs, n.id)
	}
	for _, a := range Elements(adds, math.MaxInt) {
		var node []byte
		ad := goneAdd{parent: -1, next: -1, prev: -1}
		if Fields(a, func(k, v []byte) {
			switch string(k) {
			case `"node"`:
				node = v
			case `"parentId"`:
				ad.parent = intOr(v, -1)
			case `"nextId"`:
				ad.next = intOr(v, -1)
			case `"previousId"`:
				ad.prev = intOr(v, -1)
			}
		}) != nil || node == nil {
			return false
		}
		n, err := readNode(node)
		// A shadow root's, a nested document's, a document (a nested frame's): not followed.
		if err != nil || n.id < 0 || n.shadow || n.rooted || n.typ <= 0 {
			return false
		}
		id := n.id
		for _, x := range [...]int64{id, ad.parent, ad.next, ad.prev} {
			if x >= 0 {
				g.flags[x] |= goneNamed
			}
		}
		g.parent[id] = ad.parent
		f := g.flags[id] &^ goneCut
		if f&(goneOnce|goneAgain|goneSnapshot) != 0 {
			g.flags[id] = f&^goneOnce | goneAgain
			delete(g.once, id)
		} else {
			g.flags[id] = f | goneOnce
			g.once[id] = ad
		}
		g.adds = append(g.adds, ad)
		g.addIDs = append(g.addIDs, id)
		m.addIDs = append(m.addIDs, id)
	}
	g.muts[i] = m
	return true
}

// attached reports whether id hangs from the document at the end.
func (g *gone) attached(id int64) bool {
	var path []int64
	yes := true
	for n := id; ; {
		f := g.flags[n]
		if f&goneKnown != 0 {
			yes = f&goneAttached != 0
			break
		}
		path = append(path, n)
		if f&goneCut != 0 {
			yes = false
			break
		}
		p, ok := g.parent[n]
		// The document, a parent nothing is known of, or a loop in a broken recording: keep.
		if n == g.root || !ok || p < 0 || len(path) > len(g.flags) {
			break
		}
		n = p
	}
	for _, n := range path {
		if yes {
			g.flags[n] |= goneKnown | goneAttached
		} else {
			g.flags[n] |= goneKnown
		}
	}
	return yes
}

// decide marks the dead nodes; false when there are none.
func (g *gone) decide() bool {
	if len(g.once) == 0 && g.cuts == 0 {
		return false
	}
	var candidates []int64
	for id := range g.once {
		if !g.attached(id) {
			g.flags[id] |= goneDead
			candidates = append(candidates, id)
		}
	}
	var unnamed func(id int64) bool
	unnamed = func(id int64) bool {
		if g.flags[id]&goneNamed != 0 {
			return false
		}
		all := true
		for _, k := range g.kids[id] {
			if !unnamed(k) {
				all = false
			}
		}
		return all
	}
	var mark func(id int64)
	mark = func(id int64) {
		g.flags[id] |= goneDead
		candidates = append(candidates, id)
		for _, k := range g.kids[id] {
			mark(k)
		}
	}
	var walk func(id int64)
	walk = func(id int64) {
		if g.flags[id]&goneCut != 0 && unnamed(id) {
			mark(id)
			return
		}
		for _, k := range g.kids[id] {
			walk(k)
		}
	}
	if g.cuts > 0 {
		walk(g.root)
	}
	// Every add that stays must find its parent and its siblings.
	var work []goneAdd
	for i, id := range g.addIDs {
		if g.flags[id]&goneDead == 0 {
			work = append(work, g.adds[i])
		}
	}
	need := func(id int64) {
		if id < 0 || g.flags[id]&goneDead == 0 {
			return
		}
		g.flags[id] &^= goneDead
		if a, ok := g.once[id]; ok {
			work = append(work, a)
		}
	}
	for len(work) > 0 {
		a := work[len(work)-1]
		work = work[:len(work)-1]
		need(a.parent)
		need(a.next)
		need(a.prev)
	}
	for _, id := range candidates {
		if g.flags[id]&goneDead != 0 {
			g.dead++
		}
	}
	return g.dead > 0
}

func (g *gone) isDead(id int64) bool { return id >= 0 && g.flags[id]&goneDead != 0 }

// nodeInfo is what Gone reads of a serialized node, in one pass over it.
type nodeInfo struct {
	id      int64 // -1 when missing or not an id
	typ     int64 // -1 when missing
	kids    []byte
	hasKids bool
	shadow  bool
	rooted  bool // rootId set: a node of a nested document
}

func readNode(obj []byte) (n nodeInfo, err error) {
	n.id, n.typ = -1, -1
	err = Fields(obj, func(k, v []byte) {
		switch string(k) {
		case `"id"`:
			n.id = intOr(v, -1)
		case `"type"`:
			n.typ = intOr(v, -1)
		case `"childNodes"`:
			n.kids, n.hasKids = v, true
		case `"isShadow"`:
			n.shadow = string(v) == "true"
		case `"rootId"`:
			n.rooted = string(v) != "null"
		}
	})
	return n, err
}

func (g *gone) rewriteSnapshot(raw []byte) []byte {
	data, _ := field(raw, `"data"`)
	node, _ := field(data, `"node"`)
	n, _ := readNode(node)
	pruned, changed := g.pruneNode(node, n)
	if !changed {
		return raw
	}
	return replaceField(raw, `"data"`, replaceField(data, `"node"`, pruned))
}

// pruneNode returns node (read as n) without its dead descendants, and whether it changed.
func (g *gone) pruneNode(node []byte, n nodeInfo) ([]byte, bool) {
	if !n.hasKids {
		return node, false
	}
	els := Elements(n.kids, math.MaxInt)
	changed := false
	keep := make([][]byte, 0, len(els))
	for _, el := range els {
		k, _ := readNode(el)
		if g.isDead(k.id) {
			changed = true
			continue
		}
		p, ch := g.pruneNode(el, k)
		changed = changed || ch
		keep = append(keep, p)
	}
	if !changed {
		return node, false
	}
	return replaceField(node, `"childNodes"`, array(keep)), true
}

func (g *gone) rewriteMutation(raw []byte, m goneMutation) []byte {
	dead := func(ids []int64) bool { return slices.ContainsFunc(ids, g.isDead) }
	// Texts and attributes name their node by id: read them only where something died.
	ids := func(arr []byte) ([]json.RawMessage, []int64) {
		els := Elements(arr, math.MaxInt)
		out := make([]int64, len(els))
		for i, el := range els {
			n, _ := readNode(el)
			out[i] = n.id
		}
		return els, out
	}
	textEls, textIDs := ids(m.texts)
	attrEls, attrIDs := ids(m.attrs)
	if !dead(m.addIDs) && !dead(m.removeIDs) && !dead(textIDs) && !dead(attrIDs) {
		return raw
	}
	// The arrays in the order they come in data, each spliced in place of the old.
	type cut struct {
		at  []byte // the array as it is in data
		ids []int64
		els []json.RawMessage
	}
	cuts := []cut{{m.adds, m.addIDs, nil}, {m.removes, m.removeIDs, nil}, {m.texts, textIDs, textEls}, {m.attrs, attrIDs, attrEls}}
	slices.SortFunc(cuts, func(a, b cut) int { return offset(m.data, a.at) - offset(m.data, b.at) })
	data := make([]byte, 0, len(m.data))
	last := 0
	for _, c := range cuts {
		if c.at == nil || !dead(c.ids) {
			continue
		}
		els := c.els
		if els == nil {
			els = Elements(c.at, math.MaxInt)
		}
		if len(els) != len(c.ids) {
			return raw // read differently the second time: leave it
		}
		keep := make([][]byte, 0, len(els))
		for i, el := range els {
			if !g.isDead(c.ids[i]) {
				keep = append(keep, el)
			}
		}
		at := offset(m.data, c.at)
		data = append(data, m.data[last:at]...)
		data = append(data, array(keep)...)
		last = at + len(c.at)
	}
	data = append(data, m.data[last:]...)
	at := offset(raw, m.data)
	out := make([]byte, 0, len(raw)-len(m.data)+len(data))
	out = append(out, raw[:at]...)
	out = append(out, data...)
	return append(out, raw[at+len(m.data):]...)
}

// offset returns where inner, a subslice of outer, starts in it (-1 for nil).
func offset(outer, inner []byte) int {
	if inner == nil {
		return -1
	}
	return cap(outer) - cap(inner)
}

// field returns the value of key (quoted, as Fields gives keys) in obj; the first when given twice.
func field(obj []byte, key string) ([]byte, bool) {
	var out []byte
	found := false
	Fields(obj, func(k, v []byte) {
		if !found && string(k) == key {
			out, found = v, true
		}
	})
	return out, found
}

// replaceField returns obj with the value of key (its first occurrence) replaced by value.
func replaceField(obj []byte, key string, value []byte) []byte {
	start, end := -1, -1
	Fields(obj, func(k, v []byte) {
		if start < 0 && string(k) == key {
			start = cap(obj) - cap(v) // v is a subslice of obj
			end = start + len(v)
		}
	})
	if start < 0 {
		return obj
	}
	out := make([]byte, 0, len(obj)-(end-start)+len(value))
	out = append(out, obj[:start]...)
	out = append(out, value...)
	return append(out, obj[end:]...)
}

func array(els [][]byte) []byte {
	n := 2
	for _, e := range els {
		n += len(e) + 1
	}
	out := make([]byte, 0, n)
	out = append(out, '[')
	for i, e := range els {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, e...)
	}
	return append(out, ']')
}

// intOr reads a JSON integer, or returns def for anything else (null, a string, a fraction).
func intOr(v []byte, def int64) int64 {
	v = bytes.TrimSpace(v)
	if len(v) == 0 || len(v) > 15 {
		return def
	}
	var n int64
	for _, c := range v {
		if c < '0' || c > '9' {
			return def
		}
		n = n*10 + int64(c-'0')
	}
	return n
}
