package rrweb

import (
	"bytes"
	"encoding/json"
	"math"
	"slices"

	"github.com/reelhq/reel/internal/jsontok"
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
	hint := min(size/150, 1<<18)
	g := gone{
		flags:  make(map[int64]uint8, hint),
		parent: make(map[int64]int64, hint),
		kids:   map[int64][]int64{},
		once:   make(map[int64]int32, hint),
		adds:   make([]goneAdd, 0, hint),
		addIDs: make([]int64, 0, hint),
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
				if !ok {
					return evs, 0
				}
				if g.root, _ = g.snapshotAt(node, 0); g.root < 0 {
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
	once   map[int64]int32   // nodes added once: where their add is in adds
	adds   []goneAdd         // every add after the snapshot, in order
	addIDs []int64           // the node each of adds adds
	cuts   int
	dead   int
}

// snapshotAt records the snapshot's node starting at b[i] and its descendants, in one pass;
// it returns the node's id and the index just past it (-1, -1 when it cannot be read).
func (g *gone) snapshotAt(b []byte, i int) (int64, int) {
	id := int64(-1)
	var kids []int64
	end := jsontok.Object(b, i, func(k []byte, v int) int {
		if string(k) == `"childNodes"` {
			return jsontok.Array(b, v, func(c int) int {
				kid, ce := g.snapshotAt(b, c)
				if kid < 0 {
					return -1
				}
				kids = append(kids, kid)
				return ce
			})
		}
		ve := jsontok.Skip(b, v)
		if string(k) == `"id"` {
			id = intOr(b[v:ve], -1)
		}
		return ve
	})
	// An id twice in the snapshot (a broken or hostile recording) could make its tree a loop.
	if end < 0 || id < 0 || g.flags[id]&goneSnapshot != 0 {
		return -1, -1
	}
	// rrweb writes a node's id after its children.
	for _, k := range kids {
		g.parent[k] = id
	}
	g.kids[id] = kids
	g.flags[id] |= goneSnapshot
	return id, end
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
		n := readNode(r)
		if n.id < 0 || n.shadow {
			return false
		}
		g.flags[n.id] |= goneCut
		g.cuts++
		m.removeIDs = append(m.removeIDs, n.id)
	}
	// Each add read in one pass, its node included (the common case: thousands of them).
	ok := true
	if adds != nil && jsontok.Array(adds, 0, func(at int) int {
		ad := goneAdd{parent: -1, next: -1, prev: -1}
		n := nodeInfo{id: -1, typ: -1}
		hasNode := false
		end := jsontok.Object(adds, at, func(k []byte, v int) int {
			if string(k) == `"node"` {
				hasNode = true
				return n.readAt(adds, v)
			}
			ve := jsontok.Skip(adds, v)
			switch string(k) {
			case `"parentId"`:
				ad.parent = intOr(adds[v:ve], -1)
			case `"nextId"`:
				ad.next = intOr(adds[v:ve], -1)
			case `"previousId"`:
				ad.prev = intOr(adds[v:ve], -1)
			}
			return ve
		})
		// A shadow root's, a nested document's, a document (a nested frame's): not followed.
		if end < 0 || !hasNode || n.id < 0 || n.shadow || n.rooted || n.typ <= 0 {
			ok = false
			return -1
		}
		g.add(&m, ad, n.id)
		return end
	}) < 0 {
		return false
	}
	if !ok {
		return false
	}
	g.muts[i] = m
	return true
}

// add records that the mutation m adds node id as ad says.
func (g *gone) add(m *goneMutation, ad goneAdd, id int64) {
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
		g.once[id] = int32(len(g.adds))
	}
	g.adds = append(g.adds, ad)
	g.addIDs = append(g.addIDs, id)
	m.addIDs = append(m.addIDs, id)
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
		if i, ok := g.once[id]; ok {
			work = append(work, g.adds[i])
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

// nodeInfo is what Gone reads of a serialized node (or of any object naming a node by "id").
type nodeInfo struct {
	id     int64 // -1 when missing or not an id
	typ    int64 // -1 when missing
	shadow bool
	rooted bool // rootId set: a node of a nested document
}

// readAt reads the node object starting at b[i] and returns the index just past it (-1 when
// it is not an object).
func (n *nodeInfo) readAt(b []byte, i int) int {
	return jsontok.Object(b, i, func(k []byte, v int) int {
		ve := jsontok.Skip(b, v)
		switch string(k) {
		case `"id"`:
			n.id = intOr(b[v:ve], -1)
		case `"type"`:
			n.typ = intOr(b[v:ve], -1)
		case `"isShadow"`:
			n.shadow = string(b[v:ve]) == "true"
		case `"rootId"`:
			n.rooted = string(b[v:ve]) != "null"
		}
		return ve
	})
}

// readNode reads the node object obj; n.id is -1 when obj cannot be read.
func readNode(obj []byte) nodeInfo {
	n := nodeInfo{id: -1, typ: -1}
	if n.readAt(obj, 0) < 0 {
		n.id = -1
	}
	return n
}

func (g *gone) rewriteSnapshot(raw []byte) []byte {
	data, _ := field(raw, `"data"`)
	node, _ := field(data, `"node"`)
	_, pruned, changed, end := g.pruneAt(node, 0)
	if !changed || end < 0 {
		return raw
	}
	return replaceField(raw, `"data"`, replaceField(data, `"node"`, pruned))
}

// pruneAt returns the node starting at b[i] without its dead descendants, in one pass: its id,
// its bytes (a subslice of b when nothing changed), whether they changed, and the index just
// past it (-1 when it cannot be read).
func (g *gone) pruneAt(b []byte, i int) (id int64, out []byte, changed bool, end int) {
	id = -1
	kidsAt, kidsEnd := -1, -1
	var kept [][]byte
	end = jsontok.Object(b, i, func(k []byte, v int) int {
		if string(k) == `"childNodes"` {
			kidsAt = v
			kidsEnd = jsontok.Array(b, v, func(c int) int {
				kid, kb, ch, ce := g.pruneAt(b, c)
				if ce < 0 {
					return -1
				}
				if g.isDead(kid) {
					changed = true
				} else {
					changed = changed || ch
					kept = append(kept, kb)
				}
				return ce
			})
			return kidsEnd
		}
		ve := jsontok.Skip(b, v)
		if string(k) == `"id"` {
			id = intOr(b[v:ve], -1)
		}
		return ve
	})
	if end < 0 {
		return -1, nil, false, -1
	}
	start := jsontok.Space(b, i)
	if !changed {
		return id, b[start:end], false, end
	}
	return id, splice(b[start:end], b[kidsAt:kidsEnd], array(kept)), true, end
}

func (g *gone) rewriteMutation(raw []byte, m goneMutation) []byte {
	dead := func(ids []int64) bool { return slices.ContainsFunc(ids, g.isDead) }
	// Texts and attributes name their node by id: read them only where something died.
	ids := func(arr []byte) ([]json.RawMessage, []int64) {
		els := Elements(arr, math.MaxInt)
		out := make([]int64, len(els))
		for i, el := range els {
			out[i] = readNode(el).id
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
	return splice(raw, m.data, data)
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
	v, ok := field(obj, key)
	if !ok {
		return obj
	}
	return splice(obj, v, value)
}

// splice returns outer with inner, a subslice of it, replaced by value.
func splice(outer, inner, value []byte) []byte {
	at := offset(outer, inner)
	out := make([]byte, 0, len(outer)-len(inner)+len(value))
	out = append(out, outer[:at]...)
	out = append(out, value...)
	return append(out, outer[at+len(inner):]...)
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
