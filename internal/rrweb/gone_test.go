package rrweb

import (
	"encoding/json"
	"slices"
	"testing"
)

type jsonNode = map[string]any

func ev(t testing.TB, typ int, ts int64, data any) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{"type": typ, "timestamp": ts, "data": data})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func el(id int, tag string, kids ...jsonNode) jsonNode {
	if kids == nil {
		kids = []jsonNode{}
	}
	return jsonNode{"type": 2, "tagName": tag, "attributes": jsonNode{}, "childNodes": kids, "id": id}
}

func txt(id int, s string) jsonNode { return jsonNode{"type": 3, "textContent": s, "id": id} }

func mut(t testing.TB, ts int64, removes, adds, texts []any) []byte {
	t.Helper()
	return ev(t, 3, ts, map[string]any{"source": 0, "removes": orEmpty(removes), "adds": orEmpty(adds), "texts": orEmpty(texts), "attributes": []any{}})
}

func orEmpty(v []any) []any {
	if v == nil {
		return []any{}
	}
	return v
}

func add(parent int, next any, n jsonNode) map[string]any {
	return map[string]any{"parentId": parent, "nextId": next, "node": n}
}

func rm(parent, id int) map[string]any { return map[string]any{"parentId": parent, "id": id} }

// page: document 1 > html 2 > body 3 > ul 4 > li 5 "a" (6), li 7 "b" (8), li 9 "c" (10)
func page(t testing.TB) [][]byte {
	doc := jsonNode{"type": 0, "id": 1, "childNodes": []jsonNode{el(2, "html", el(3, "body", el(4, "ul",
		el(5, "li", txt(6, "a")), el(7, "li", txt(8, "b")), el(9, "li", txt(10, "c")))))}}
	return [][]byte{
		ev(t, 4, 1000, map[string]any{"href": "https://spa.example/", "width": 800, "height": 600}),
		ev(t, 2, 1001, map[string]any{"node": doc, "initialOffset": map[string]int{"left": 0, "top": 0}}),
	}
}

// ids returns every "id" in the events' JSON, nested anywhere, in order.
func ids(t testing.TB, evs [][]byte) []int {
	var out []int
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if id, ok := x["id"].(float64); ok {
				out = append(out, int(id))
			}
			for _, v := range x {
				walk(v)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	for _, e := range evs {
		var v any
		if err := json.Unmarshal(e, &v); err != nil {
			t.Fatalf("not JSON: %s", e)
		}
		walk(v)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func TestGoneLeavesOutWhatARerenderThrewAway(t *testing.T) {
	evs := append(page(t),
		// The list re-rendered: a, b, c out; d (11, 12) and e (13, 14) in.
		mut(t, 2000, []any{rm(4, 5), rm(4, 7), rm(4, 9)}, []any{add(4, nil, el(11, "li")), add(11, nil, txt(12, "d")), add(4, nil, el(13, "li")), add(13, nil, txt(14, "e"))}, nil),
		mut(t, 3000, nil, nil, []any{map[string]any{"id": 12, "value": "d*"}}),
		// Re-rendered again: d out, f (15, 16) in before e.
		mut(t, 4000, []any{rm(4, 11)}, []any{add(4, 13, el(15, "li")), add(15, nil, txt(16, "f"))}, nil),
		ev(t, 3, 4500, map[string]any{"source": 1, "positions": []any{map[string]any{"x": 1, "y": 2, "id": 11, "timeOffset": 0}}}),
	)
	out, n := Gone(evs)
	// Gone: the snapshot's a, b, c (5–10) and the added d (11, 12).
	if n != 8 {
		t.Errorf("left out %d nodes, want 8", n)
	}
	// The mouse move still names 11: rrweb ignores a position over a node it no longer knows.
	if got, want := ids(t, out), []int{1, 2, 3, 4, 11, 13, 14, 15, 16}; !slices.Equal(got, want) {
		t.Errorf("ids left = %v, want %v", got, want)
	}
	if string(out[0]) != string(evs[0]) || string(out[5]) != string(evs[5]) {
		t.Error("events with nothing to leave out were rewritten")
	}
	var m struct {
		Data struct {
			Texts []any `json:"texts"`
		} `json:"data"`
	}
	if err := json.Unmarshal(out[3], &m); err != nil || len(m.Data.Texts) != 0 {
		t.Errorf("the text change to a node gone by the end stayed: %s", out[3])
	}
}

func TestGoneKeepsWhatAKeptAddNeeds(t *testing.T) {
	evs := append(page(t),
		// g (11, 12) is put before b (7), then b goes: g stays, and so must b's place.
		mut(t, 2000, nil, []any{add(4, 7, el(11, "li")), add(11, nil, txt(12, "g"))}, nil),
		mut(t, 3000, []any{rm(4, 7)}, nil, nil),
		// h (13) is added, gets a child i (14), then h goes but i is moved to the list first.
		mut(t, 4000, nil, []any{add(4, nil, el(13, "li")), add(13, nil, el(14, "span"))}, nil),
		mut(t, 5000, []any{rm(13, 14)}, []any{add(4, nil, el(14, "span"))}, nil),
		mut(t, 6000, []any{rm(4, 13)}, nil, nil),
	)
	out, _ := Gone(evs)
	got := ids(t, out)
	for _, id := range []int{7, 11, 12, 13, 14} {
		if !slices.Contains(got, id) {
			t.Errorf("node %d was left out; a kept add needs it (ids left: %v)", id, got)
		}
	}
}

func TestGoneLeavesAloneWhatItCannotFollow(t *testing.T) {
	for name, extra := range map[string][]byte{
		"shadow root":    mut(t, 2000, []any{map[string]any{"parentId": 4, "id": 5, "isShadow": true}}, nil, nil),
		"nested frame":   mut(t, 2000, []any{rm(4, 5)}, []any{add(4, nil, jsonNode{"type": 2, "tagName": "p", "attributes": jsonNode{}, "childNodes": []jsonNode{}, "id": 20, "rootId": 19})}, nil),
		"document added": mut(t, 2000, []any{rm(4, 5)}, []any{add(4, nil, jsonNode{"type": 0, "childNodes": []jsonNode{}, "id": 20})}, nil),
		"not JSON":       []byte(`{"type":3,"timestamp":2000,"data":{"source":0,"adds":[{`),
		"add without id": mut(t, 2000, []any{rm(4, 5)}, []any{add(4, nil, jsonNode{"type": 2, "tagName": "p"})}, nil),
	} {
		evs := append(page(t), mut(t, 1500, []any{rm(4, 9)}, nil, nil), extra)
		out, n := Gone(evs)
		if n != 0 || !slices.EqualFunc(out, evs, func(a, b []byte) bool { return string(a) == string(b) }) {
			t.Errorf("%s: Gone changed the events (%d left out)", name, n)
		}
	}
	// No snapshot: nothing to reason from.
	evs := [][]byte{mut(t, 2000, []any{rm(4, 5)}, nil, nil)}
	if out, n := Gone(evs); n != 0 || string(out[0]) != string(evs[0]) {
		t.Error("Gone changed events without a snapshot")
	}
}

func TestGoneStopsAtTheNextPage(t *testing.T) {
	evs := append(page(t), mut(t, 2000, []any{rm(4, 5)}, nil, nil))
	next := page(t)
	evs = append(evs, next[0], next[1], mut(t, 9000, []any{rm(4, 7)}, nil, nil))
	out, n := Gone(evs)
	if n != 2 {
		t.Errorf("left out %d nodes, want a's 2", n)
	}
	if len(out) != len(evs) || string(out[3]) != string(evs[3]) || string(out[4]) != string(evs[4]) || string(out[5]) != string(evs[5]) {
		t.Error("the next page's events were changed or lost")
	}
}

// FuzzGone: whatever the events, Gone does not panic, loses no event, and rewrites only into
// JSON.
func FuzzGone(f *testing.F) {
	seed := append(page(f), mut(f, 2000, []any{rm(4, 5), rm(4, 7)}, []any{add(4, 9, el(11, "li")), add(11, nil, txt(12, "x"))}, []any{map[string]any{"id": 6, "value": "y"}}))
	b, _ := json.Marshal(seed)
	f.Add(b)
	f.Add([]byte(`[{"type":2,"timestamp":1,"data":{"node":{"id":1,"childNodes":[{"id":2,"childNodes":[]}]}}},{"type":3,"timestamp":2,"data":{"source":0,"removes":[{"id":2}],"adds":[]}}]`))
	f.Fuzz(func(t *testing.T, in []byte) {
		var raws []json.RawMessage
		if json.Unmarshal(in, &raws) != nil {
			return
		}
		evs := make([][]byte, len(raws))
		for i, r := range raws {
			evs[i] = r
		}
		out, _ := Gone(evs)
		if len(out) != len(evs) {
			t.Fatalf("%d events in, %d out", len(evs), len(out))
		}
		for i := range out {
			if string(out[i]) != string(evs[i]) && !json.Valid(out[i]) {
				t.Fatalf("event %d rewritten into invalid JSON: %s", i, out[i])
			}
		}
	})
}

// A snapshot naming one id twice, here a node as its own child, is left as it is: read as a
// tree it would be a loop (found by FuzzGone; it overflowed the stack).
func TestGoneRefusesASnapshotWithAnIdTwice(t *testing.T) {
	evs := [][]byte{
		[]byte(`{"type":2,"timestamp":0,"data":{"node":{"id":0,"childNodes":[{"id":0}]}}}`),
		[]byte(`{"type":3,"timestamp":2,"data":{"source":0,"removes":[{"id":2}],"adds":[]}}`),
	}
	if out, n := Gone(evs); n != 0 || string(out[0]) != string(evs[0]) || string(out[1]) != string(evs[1]) {
		t.Errorf("Gone changed the events (%d left out)", n)
	}
}
