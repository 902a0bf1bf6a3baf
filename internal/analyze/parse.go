package analyze

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
	"unicode/utf8"

	"github.com/reelhq/reel/internal/jsontok"
	"github.com/reelhq/reel/internal/rrweb"
)

// A one-pass reader of rrweb's serialized node trees. encoding/json spends most of the
// analysis time reflecting over full snapshots; this reads each byte once and keeps only what
// the detectors use (type, id, tag, a few attributes, text).

var errShape = errors.New("analyze: unexpected JSON")

// reader is the node reader's cursor; it walks the text with jsontok.
type reader struct {
	b []byte
	i int
}

// str reads a string token and returns its value.
func (r *reader) str() (string, error) {
	if r.i >= len(r.b) || r.b[r.i] != '"' {
		return "", errShape
	}
	end := jsontok.StringEnd(r.b, r.i) + 1
	if end > len(r.b) {
		return "", errShape
	}
	s, ok := jsontok.Unquote(r.b[r.i:end])
	r.i = end
	if !ok {
		return "", errShape
	}
	return s, nil
}

// pass moves over any value.
func (r *reader) pass() error {
	r.i = jsontok.Skip(r.b, r.i)
	return nil
}

func (r *reader) num() int {
	start := r.i
	for r.i < len(r.b) && bytes.IndexByte([]byte("-+.eE0123456789"), r.b[r.i]) >= 0 {
		r.i++
	}
	f, _ := strconv.ParseFloat(string(r.b[start:r.i]), 64)
	return int(f)
}

// object calls field for each key, without its quotes, with the reader positioned at its
// value; field must consume the value. A key is compared as it is written: only one with an
// escape in it or bytes that are not UTF-8 (never written by rrweb, whose keys are plain names)
// is decoded first, as encoding/json does (an invalid byte becomes U+FFFD).
func (r *reader) object(field func(key []byte) error) error {
	i := jsontok.Open(r.b, r.i, '{')
	if i < 0 {
		return errShape
	}
	r.i = i
	for {
		key, v := jsontok.Member(r.b, r.i)
		if v < 0 {
			return errShape
		}
		r.i = v
		if key == nil {
			return nil
		}
		if bytes.IndexByte(key, '\\') >= 0 || !utf8.Valid(key) {
			s, ok := jsontok.Unquote(key)
			if !ok {
				return errShape
			}
			key = []byte(s)
		} else {
			key = key[1 : len(key)-1]
		}
		if err := field(key); err != nil {
			return err
		}
	}
}

// node reads a serialized node and its subtree into t under parent.
func (t *Timeline) readNode(r *reader, parent, depth int) error {
	if depth > 512 {
		return errShape
	}
	// Text nodes (about half of a page's) have no attributes and get no map.
	node := &Node{Parent: parent}
	var kids []int
	err := r.object(func(key []byte) error {
		switch string(key) {
		case "id":
			node.ID = r.num()
		case "tagName":
			s, err := r.str()
			node.Tag = lower(s)
			return err
		case "textContent":
			if r.i < len(r.b) && r.b[r.i] == '"' {
				s, err := r.str()
				node.Text = s
				return err
			}
			return r.pass()
		case "attributes":
			node.Attrs = map[string]string{}
			return r.object(func(k []byte) error {
				if keptAttrs[string(k)] && r.i < len(r.b) && r.b[r.i] == '"' {
					s, err := r.str()
					node.Attrs[string(k)] = s
					return err
				}
				if keptAttrs[string(k)] && bytes.HasPrefix(r.b[r.i:], []byte("true")) {
					node.Attrs[string(k)] = ""
				}
				return r.pass()
			})
		case "childNodes":
			return r.array(func() error {
				before := len(t.order)
				if err := t.readNode(r, -1, depth+1); err != nil {
					return err
				}
				kids = append(kids, t.order[before:]...)
				return nil
			})
		default:
			return r.pass()
		}
		return nil
	})
	if err != nil {
		return err
	}
	t.nodes[node.ID] = node
	t.children[parent] = append(t.children[parent], node.ID)
	t.order = append(t.order, node.ID)
	// Children were read before their parent's id was known; adopt them now.
	for _, k := range kids {
		if c := t.nodes[k]; c != nil && c.Parent == -1 {
			c.Parent = node.ID
			t.children[node.ID] = append(t.children[node.ID], k)
		}
	}
	delete(t.children, -1)
	return nil
}

func lower(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] >= 'A' && s[i] <= 'Z' {
			b := []byte(s)
			for j := i; j < len(b); j++ {
				if b[j] >= 'A' && b[j] <= 'Z' {
					b[j] += 'a' - 'A'
				}
			}
			return string(b)
		}
	}
	return s
}

// decode reads an incremental snapshot's data in one pass (encoding/json spent half of all
// analysis time reflecting over these). It reports false where the data is not the shape
// rrweb writes, and the event is then skipped, as before.
func (d *incrData) decode(b []byte) bool {
	r := &reader{b: b}
	err := r.objectOrNull(func(key []byte) error {
		var err error
		switch string(key) {
		case "source":
			d.Source = rrweb.IncrementalSource(r.float())
		case "type":
			d.Type = int(r.float())
		case "id":
			d.ID = int(r.float())
		case "x":
			d.X = r.float()
		case "y":
			d.Y = r.float()
		case "height":
			d.Height = r.float()
		case "removes":
			d.Removes, err = r.ids("parentId")
		case "texts":
			d.Texts, err = r.ids("id")
		case "adds":
			err = r.array(func() error {
				var a incrAdd
				if err := r.objectOrNull(func(key []byte) error {
					switch string(key) {
					case "parentId":
						a.ParentID = int(r.float())
					case "node":
						return r.snode(&a.Node, 0)
					default:
						return r.pass()
					}
					return nil
				}); err != nil {
					return err
				}
				d.Adds = append(d.Adds, a)
				return nil
			})
		case "attributes":
			err = r.array(func() error {
				a := incrAttrs{Attributes: map[string]json.RawMessage{}}
				if err := r.objectOrNull(func(key []byte) error {
					switch string(key) {
					case "id":
						a.ID = int(r.float())
					case "attributes":
						return r.objectOrNull(func(k []byte) error {
							start := r.i
							r.pass()
							a.Attributes[string(k)] = r.b[start:r.i]
							return nil
						})
					default:
						return r.pass()
					}
					return nil
				}); err != nil {
					return err
				}
				d.Attributes = append(d.Attributes, a)
				return nil
			})
		case "positions":
			err = r.array(func() error {
				var p incrPosition
				if err := r.objectOrNull(func(key []byte) error {
					switch string(key) {
					case "x":
						p.X = r.float()
					case "y":
						p.Y = r.float()
					case "timeOffset":
						p.TimeOffset = int64(r.float())
					default:
						return r.pass()
					}
					return nil
				}); err != nil {
					return err
				}
				d.Positions = append(d.Positions, p)
				return nil
			})
		default:
			return r.pass()
		}
		return err
	})
	return err == nil
}

// snode reads a serialized node with its subtree.
func (r *reader) snode(n *snode, depth int) error {
	if depth > 512 {
		return errShape
	}
	return r.objectOrNull(func(key []byte) error {
		switch string(key) {
		case "type":
			n.Type = int(r.float())
		case "id":
			n.ID = int(r.float())
		case "tagName":
			if r.i < len(r.b) && r.b[r.i] == '"' {
				s, err := r.str()
				n.TagName = s
				return err
			}
			return r.pass()
		case "textContent":
			if r.i < len(r.b) && r.b[r.i] == '"' {
				s, err := r.str()
				n.TextContent = s
				return err
			}
			return r.pass()
		case "attributes":
			return r.object(func(k []byte) error {
				start := r.i
				r.pass()
				if keptAttrs[string(k)] {
					if n.Attributes == nil {
						n.Attributes = map[string]json.RawMessage{}
					}
					n.Attributes[string(k)] = r.b[start:r.i]
				}
				return nil
			})
		case "childNodes":
			return r.array(func() error {
				n.ChildNodes = append(n.ChildNodes, snode{})
				return r.snode(&n.ChildNodes[len(n.ChildNodes)-1], depth+1)
			})
		default:
			return r.pass()
		}
		return nil
	})
}

// array calls item with the reader at each element of the array at the reader; item must
// consume it. Anything but an array is passed over.
func (r *reader) array(item func() error) error {
	if r.i >= len(r.b) || r.b[r.i] != '[' {
		return r.pass()
	}
	r.i++
	for {
		v, more := jsontok.Item(r.b, r.i)
		if v < 0 {
			return errShape
		}
		r.i = v
		if !more {
			return nil
		}
		if err := item(); err != nil {
			return err
		}
	}
}

// count returns how many elements the array at the reader has.
func (r *reader) count() (int, error) {
	n := 0
	err := r.array(func() error { n++; return r.pass() })
	return n, err
}

// objectOrNull is object, reading null as an empty object, as encoding/json reads null into
// a struct: the incremental data's reader matches it (FuzzIncrementalDecode).
func (r *reader) objectOrNull(field func(key []byte) error) error {
	k := r.i
	for k < len(r.b) && (r.b[k] == ' ' || r.b[k] == '\t' || r.b[k] == '\n' || r.b[k] == '\r') {
		k++
	}
	if len(r.b)-k >= 4 && string(r.b[k:k+4]) == "null" {
		r.i = jsontok.Skip(r.b, r.i)
		return nil
	}
	return r.object(field)
}

// ids reads an array of objects as the number each has at key (0 for an element without it,
// or that is not an object).
func (r *reader) ids(key string) ([]int, error) {
	var out []int
	err := r.array(func() error {
		id := 0
		if r.i < len(r.b) && r.b[r.i] == '{' {
			if err := r.objectOrNull(func(k []byte) error {
				if string(k) == key {
					id = int(r.float())
					return nil
				}
				return r.pass()
			}); err != nil {
				return err
			}
		} else if err := r.pass(); err != nil {
			return err
		}
		out = append(out, id)
		return nil
	})
	return out, err
}

// float reads a number (0 for anything else, which is passed over).
func (r *reader) float() float64 {
	start := r.i
	for r.i < len(r.b) && bytes.IndexByte([]byte("-+.eE0123456789"), r.b[r.i]) >= 0 {
		r.i++
	}
	if r.i == start {
		r.pass()
		return 0
	}
	f, _ := strconv.ParseFloat(string(r.b[start:r.i]), 64)
	return f
}

// stringValue is what encoding/json makes of v decoded into a string: a string's value, ""
// for null, and false for anything else.
func stringValue(v []byte) (string, bool) {
	if len(v) > 0 && v[0] == '"' {
		return jsontok.Unquote(v)
	}
	if string(v) == "null" {
		return "", true
	}
	return "", false
}
