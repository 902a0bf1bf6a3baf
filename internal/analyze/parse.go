package analyze

import (
	"bytes"
	"errors"
	"strconv"

	"github.com/reelhq/reel/internal/jsontok"
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
// escape in it (never written by rrweb, whose keys are plain names) is decoded first.
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
		if bytes.IndexByte(key, '\\') >= 0 {
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
	node := &Node{Parent: parent, Attrs: map[string]string{}}
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
				before := len(t.order)
				if err := t.readNode(r, -1, depth+1); err != nil {
					return err
				}
				kids = append(kids, t.order[before:]...)
			}
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
