package analyze

import (
	"bytes"
	"encoding/json"
	"errors"
	"strconv"
)

// A one-pass reader of rrweb's serialized node trees. encoding/json spends most of the
// analysis time reflecting over full snapshots; this reads each byte once and keeps only what
// the detectors use (type, id, tag, a few attributes, text).

var errShape = errors.New("analyze: unexpected JSON")

type reader struct {
	b []byte
	i int
}

func (r *reader) ws() {
	for r.i < len(r.b) && (r.b[r.i] == ' ' || r.b[r.i] == '\t' || r.b[r.i] == '\n' || r.b[r.i] == '\r') {
		r.i++
	}
}

// str reads a string token and returns its value.
func (r *reader) str() (string, error) {
	if r.i >= len(r.b) || r.b[r.i] != '"' {
		return "", errShape
	}
	start := r.i
	esc := false
	for j := r.i + 1; j < len(r.b); j++ {
		switch r.b[j] {
		case '\\':
			esc = true
			j++
		case '"':
			r.i = j + 1
			if !esc {
				return string(r.b[start+1 : j]), nil
			}
			var s string
			if err := json.Unmarshal(r.b[start:j+1], &s); err != nil {
				return "", err
			}
			return s, nil
		}
	}
	return "", errShape
}

// pass moves over any value.
func (r *reader) pass() error {
	depth := 0
	for r.i < len(r.b) {
		switch c := r.b[r.i]; c {
		case '"':
			if _, err := r.str(); err != nil {
				return err
			}
			if depth == 0 {
				return nil
			}
			continue
		case '{', '[':
			depth++
		case '}', ']':
			if depth == 0 {
				// The end of the enclosing object or array: a scalar value ended just before.
				return nil
			}
			depth--
			if depth == 0 {
				r.i++
				return nil
			}
		case ',', ' ', '\t', '\n', '\r', ':':
			if depth == 0 {
				return nil
			}
		}
		r.i++
	}
	if depth != 0 {
		return errShape
	}
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

// object calls field for each key with the reader positioned at its value; field must consume
// the value.
func (r *reader) object(field func(key string) error) error {
	r.ws()
	if r.i >= len(r.b) || r.b[r.i] != '{' {
		return errShape
	}
	r.i++
	for {
		r.ws()
		if r.i >= len(r.b) {
			return errShape
		}
		switch r.b[r.i] {
		case '}':
			r.i++
			return nil
		case ',':
			r.i++
			continue
		}
		key, err := r.str()
		if err != nil {
			return err
		}
		r.ws()
		if r.i >= len(r.b) || r.b[r.i] != ':' {
			return errShape
		}
		r.i++
		r.ws()
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
	err := r.object(func(key string) error {
		switch key {
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
			return r.object(func(k string) error {
				if keptAttrs[k] && r.i < len(r.b) && r.b[r.i] == '"' {
					s, err := r.str()
					node.Attrs[k] = s
					return err
				}
				if keptAttrs[k] && bytes.HasPrefix(r.b[r.i:], []byte("true")) {
					node.Attrs[k] = ""
				}
				return r.pass()
			})
		case "childNodes":
			if r.i >= len(r.b) || r.b[r.i] != '[' {
				return r.pass()
			}
			r.i++
			for {
				r.ws()
				if r.i >= len(r.b) {
					return errShape
				}
				switch r.b[r.i] {
				case ']':
					r.i++
					return nil
				case ',':
					r.i++
					continue
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
