package analyze

import (
	"encoding/json"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/reelhq/reel/internal/rrweb"
)

// decodeJSON is what incremental snapshots were decoded with before the one-pass reader:
// encoding/json into tagged structs. The reader must read the same.
func decodeJSON(b []byte) (incrData, bool) {
	type jnode struct {
		Type        int                        `json:"type"`
		ID          int                        `json:"id"`
		TagName     string                     `json:"tagName"`
		Attributes  map[string]json.RawMessage `json:"attributes"`
		TextContent string                     `json:"textContent"`
		ChildNodes  []jnode                    `json:"childNodes"`
	}
	var d struct {
		Source rrweb.IncrementalSource `json:"source"`
		Type   int                     `json:"type"`
		ID     int                     `json:"id"`
		X      float64                 `json:"x"`
		Y      float64                 `json:"y"`
		Adds   []struct {
			ParentID int   `json:"parentId"`
			Node     jnode `json:"node"`
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
			X          float64 `json:"x"`
			Y          float64 `json:"y"`
			TimeOffset int64   `json:"timeOffset"`
		} `json:"positions"`
		Height float64 `json:"height"`
	}
	if json.Unmarshal(b, &d) != nil {
		return incrData{}, false
	}
	var conv func(j jnode) snode
	conv = func(j jnode) snode {
		n := snode{Type: j.Type, ID: j.ID, TagName: j.TagName, TextContent: j.TextContent}
		for k, v := range j.Attributes {
			if keptAttrs[k] {
				if n.Attributes == nil {
					n.Attributes = map[string]json.RawMessage{}
				}
				n.Attributes[k] = v
			}
		}
		for _, c := range j.ChildNodes {
			n.ChildNodes = append(n.ChildNodes, conv(c))
		}
		return n
	}
	out := incrData{Source: d.Source, Type: d.Type, ID: d.ID, X: d.X, Y: d.Y, Height: d.Height}
	for _, x := range d.Removes {
		out.Removes = append(out.Removes, x.ParentID)
	}
	for _, x := range d.Texts {
		out.Texts = append(out.Texts, x.ID)
	}
	for _, a := range d.Adds {
		out.Adds = append(out.Adds, incrAdd{ParentID: a.ParentID, Node: conv(a.Node)})
	}
	for _, a := range d.Attributes {
		m := map[string]json.RawMessage{}
		for k, v := range a.Attributes {
			m[k] = v
		}
		out.Attributes = append(out.Attributes, incrAttrs{ID: a.ID, Attributes: m})
	}
	for _, p := range d.Positions {
		out.Positions = append(out.Positions, incrPosition{X: p.X, Y: p.Y, TimeOffset: p.TimeOffset})
	}
	return out, true
}

// sameAsJSON fails t when the reader and encoding/json read data differently (where
// encoding/json accepts it: on what it refuses the reader may still read what it can).
func sameAsJSON(t *testing.T, data []byte) {
	t.Helper()
	want, ok := decodeJSON(data)
	if !ok {
		return
	}
	var got incrData
	if !got.decode(data) {
		t.Fatalf("the reader refused what encoding/json reads: %s", data)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("%s\nreader:        %+v\nencoding/json: %+v", data, got, want)
	}
}

// TestIncrementalDecodeMatchesJSON: every incremental snapshot of the recorded sessions reads
// the same through the one-pass reader as through encoding/json.
func TestIncrementalDecodeMatchesJSON(t *testing.T) {
	n := 0
	for name, events := range recorded(t) {
		for _, raw := range events {
			ev, err := rrweb.FastParse(raw)
			if err != nil {
				t.Fatalf("%s: %v", name, err)
			}
			if ev.Type == rrweb.IncrementalSnapshot {
				sameAsJSON(t, ev.Data)
				n++
			}
		}
	}
	for _, data := range []string{
		`{"source":0,"adds":[{"parentId":1,"nextId":null,"node":{"type":2,"tagName":"BUTTON","attributes":{"class":"x","disabled":true,"style":"a"},"childNodes":[{"type":3,"textContent":"Go\u00e9","id":3}],"id":2}}],"removes":[{"parentId":1,"id":7}],"texts":[],"attributes":[{"id":2,"attributes":{"class":null,"title":"a\"b"}}]}`,
		`{"source":1,"positions":[{"x":1.5,"y":-2,"id":3,"timeOffset":-50}]}`,
		`{"source":2,"type":2,"id":9,"x":10,"y":1e2}`,
		`{"source":4,"width":100,"height":700.5}`,
		`{"source":5,"text":"***","isChecked":false,"id":4}`,
		`{"id":null,"source":3,"x":0,"y":400}`,
	} {
		sameAsJSON(t, []byte(data))
	}
	if n < 100 {
		t.Fatalf("only %d incremental snapshots compared", n)
	}
}

func FuzzIncrementalDecode(f *testing.F) {
	f.Add(`{"source":0,"adds":[{"parentId":1,"node":{"type":2,"tagName":"a","id":9,"childNodes":[]}}],"removes":[],"texts":[],"attributes":[]}`)
	f.Add(`{"source":1,"positions":[{"x":1,"y":2,"timeOffset":-3}]}`)
	f.Add(`{"source":0,"attributes":[{"id":2,"attributes":{"class":null,"x":{"a":1}}}]}`)
	f.Fuzz(func(t *testing.T, data string) {
		if !json.Valid([]byte(data)) || foldedKey(data) {
			return
		}
		sameAsJSON(t, []byte(data))
	})
}

var keyToken = regexp.MustCompile(`"((?:[^"\\]|\\.)*)"\s*:`)

// foldedKey reports whether data has a key that encoding/json would take for one of the names
// the reader reads although it is spelt otherwise ("Source", "ſource"): rrweb writes its own
// names, and the reader reads them as written.
func foldedKey(data string) bool {
	names := []string{"source", "type", "id", "x", "y", "height", "removes", "texts", "adds", "parentId", "node",
		"attributes", "positions", "timeOffset", "tagName", "textContent", "childNodes"}
	for _, m := range keyToken.FindAllStringSubmatch(data, -1) {
		var k string
		if json.Unmarshal([]byte(`"`+m[1]+`"`), &k) != nil {
			return true
		}
		for _, n := range names {
			if k != n && strings.EqualFold(k, n) {
				return true
			}
		}
	}
	return false
}
