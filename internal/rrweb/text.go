package rrweb

import (
	"bytes"
	"errors"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/reelhq/reel/internal/jsontok"
)

// Text collects the text a recording showed on screen, for the search index: text nodes of
// full snapshots and of nodes that mutations add or change, input placeholders and the labels
// of button inputs. It never takes input values, text rrweb masked (runs of *), anything under
// a reel-mask or reel-block element, or the contents of head, script, style, noscript and
// template. One reader walks each event's data once, keeping only the strings it indexes.
type Text struct {
	// Max bounds the bytes of text collected (distinct pieces); past it the rest is dropped.
	Max int
	// Resolve returns the string an asset marker ("\x00reel:a:<hash>") stands for, if known.
	Resolve func(marker string) (string, bool)

	pieces []string
	seen   map[string]bool
	size   int
	hidden map[int]bool // nodes whose text is not shown: hidden elements and their text nodes
}

// Pieces returns the distinct pieces of text in the order they appeared.
func (x *Text) Pieces() []string { return x.pieces }

// maxPiece bounds one piece of text (a paragraph is indexed by its start).
const maxPiece = 1024

var errText = errors.New("rrweb: text: unexpected JSON")

// hiddenTagNames hold text that is not shown on the page.
var hiddenTagNames = [][]byte{[]byte("head"), []byte("script"), []byte("style"), []byte("noscript"), []byte("template")}

// Snapshot reads a FullSnapshot event's data ({"node": …}).
func (x *Text) Snapshot(data []byte) {
	r := &textReader{b: data}
	_ = r.object(func(key []byte) error {
		if string(key) == "node" {
			return x.node(r, false, tagOther, 0)
		}
		return r.skip()
	})
}

// Mutation reads an incremental snapshot's data when its source is a DOM mutation.
func (x *Text) Mutation(data []byte) {
	r := &textReader{b: data}
	_ = r.object(func(key []byte) error {
		switch string(key) {
		case "adds":
			return r.array(func() error {
				parent, hide := 0, false
				return r.object(func(key []byte) error {
					switch string(key) {
					case "parentId":
						parent = r.num()
						hide = x.hidden[parent]
						return nil
					case "node":
						return x.node(r, hide, tagOther, 0)
					}
					return r.skip()
				})
			})
		case "texts":
			return r.array(func() error {
				id, value, ok := -1, "", false
				err := r.object(func(key []byte) error {
					switch string(key) {
					case "id":
						id = r.num()
						return nil
					case "value":
						value, ok = r.strOrSkip()
						return nil
					}
					return r.skip()
				})
				if ok && id >= 0 && !x.hidden[id] {
					x.add(value)
				}
				return err
			})
		case "attributes":
			return r.array(func() error {
				var id int
				var placeholder string
				err := r.object(func(key []byte) error {
					switch string(key) {
					case "id":
						id = r.num()
						return nil
					case "attributes":
						return r.object(func(k []byte) error {
							if string(k) == "placeholder" {
								placeholder, _ = r.strOrSkip()
								return nil
							}
							return r.skip()
						})
					}
					return r.skip()
				})
				if placeholder != "" && !x.hidden[id] {
					x.add(placeholder)
				}
				return err
			})
		}
		return r.skip()
	})
}

// node reads a serialized node. hide says an ancestor's text is not shown; parentTag is the
// enclosing element's tag. It iterates rather than taking callbacks, so a node costs no
// allocation beyond the strings it keeps.
func (x *Text) node(r *textReader, hide bool, parentTag tagKind, depth int) error {
	if depth > 512 {
		return errText
	}
	var (
		id, typ                = -1, -1
		tag                    tagKind
		text, value            []byte // quoted tokens, decoded only if kept
		placeholder            string
		button                 bool
		hasText, isStyle       bool
		childrenRead, hideSelf bool
		mark                   = len(x.pieces)
	)
	if !r.open('{') {
		return r.skip()
	}
	// The loops over a node's members, its attributes and its children call jsontok
	// directly rather than through textReader methods: a method wrapping jsontok.Member is
	// too large to be inlined, and with that second call per member (and a slower Unquote
	// since fixed) the walk of a full snapshot measured 6% slower than its own loops did.
	for {
		key, v := jsontok.Member(r.b, r.i)
		if v < 0 {
			return errText
		}
		r.i = v
		if key == nil {
			break
		}
		switch string(key) {
		case `"id"`:
			id = r.num()
		case `"type"`:
			typ = r.num()
		case `"tagName"`:
			tag = kindOf(r.raw())
		case `"textContent"`:
			text = r.token()
			hasText = text != nil
		case `"isStyle"`:
			isStyle = r.lit("true")
			if err := r.skip(); err != nil {
				return err
			}
		case `"attributes"`:
			if !r.open('{') {
				if err := r.skip(); err != nil {
					return err
				}
				continue
			}
			for {
				k, v := jsontok.Member(r.b, r.i)
				if v < 0 {
					return errText
				}
				r.i = v
				if k == nil {
					break
				}
				switch string(k) {
				case `"class"`:
					hideSelf = hideSelf || maskedClass(r.raw())
				case `"placeholder"`:
					placeholder, _ = r.strOrSkip()
				case `"type"`:
					t := r.raw()
					button = bytes.EqualFold(t, []byte("button")) || bytes.EqualFold(t, []byte("submit")) || bytes.EqualFold(t, []byte("reset"))
				case `"value"`:
					value = r.token()
				default:
					if err := r.skip(); err != nil {
						return err
					}
				}
			}
		case `"childNodes"`:
			// rrweb writes tagName and attributes before childNodes, so whether this element
			// hides its text is known here; for another order the children's text is taken
			// back below.
			childrenRead = true
			h := hide || hideSelf || tag == tagHidden
			if !r.open('[') {
				if err := r.skip(); err != nil {
					return err
				}
				continue
			}
			for {
				v, more := jsontok.Item(r.b, r.i)
				if v < 0 {
					return errText
				}
				r.i = v
				if !more {
					break
				}
				if err := x.node(r, h, tag, depth+1); err != nil {
					return err
				}
			}
		default:
			if err := r.skip(); err != nil {
				return err
			}
		}
	}
	hideSelf = hideSelf || tag == tagHidden
	if childrenRead && hideSelf && !hide {
		x.drop(mark)
	}
	h := hide || hideSelf
	switch typ {
	case 2: // element
		if h && id >= 0 {
			x.markHidden(id)
		}
		if h {
			return nil
		}
		if placeholder != "" {
			x.add(placeholder)
		}
		if tag == tagInput && button && value != nil {
			if v, ok := decodeToken(value); ok && v != "" {
				x.add(v)
			}
		}
	case 3: // text
		if h || isStyle || parentTag == tagHidden {
			if id >= 0 {
				x.markHidden(id)
			}
			return nil
		}
		if hasText {
			if v, ok := decodeToken(text); ok {
				x.add(v)
			}
		}
	}
	return nil
}

type tagKind uint8

const (
	tagOther tagKind = iota
	tagInput
	tagHidden // head, script, style, noscript, template: text not shown on the page
)

func kindOf(tag []byte) tagKind {
	switch {
	case bytes.EqualFold(tag, []byte("input")):
		return tagInput
	}
	for _, h := range hiddenTagNames {
		if bytes.EqualFold(tag, h) {
			return tagHidden
		}
	}
	return tagOther
}

// maskedClass reports whether a class attribute names reel-mask or reel-block.
func maskedClass(class []byte) bool {
	if !bytes.Contains(class, []byte("reel-")) {
		return false
	}
	for _, c := range bytes.Fields(class) {
		if string(c) == "reel-mask" || string(c) == "reel-block" {
			return true
		}
	}
	return false
}

func (x *Text) markHidden(id int) {
	if x.hidden == nil {
		x.hidden = map[int]bool{}
	}
	x.hidden[id] = true
}

// drop takes back the pieces added since mark.
func (x *Text) drop(mark int) {
	for _, p := range x.pieces[mark:] {
		delete(x.seen, p)
		x.size -= len(p)
	}
	x.pieces = x.pieces[:mark]
}

// add keeps a piece of text: whitespace collapsed, masked text and text without a letter or
// digit left out, each distinct piece once.
func (x *Text) add(s string) {
	if strings.HasPrefix(s, "\x00reel:") {
		if x.Resolve == nil {
			return
		}
		v, ok := x.Resolve(s)
		if !ok {
			return
		}
		s = v
	}
	if x.Max > 0 && x.size >= x.Max {
		return
	}
	s = clean(s)
	if s == "" || x.seen[s] {
		return
	}
	if x.seen == nil {
		x.seen = map[string]bool{}
	}
	x.seen[s] = true
	x.pieces = append(x.pieces, s)
	x.size += len(s)
}

// clean collapses whitespace and bounds the piece; it returns "" for text that is masked
// (every visible character a *) or has no letter or digit.
func clean(s string) string {
	if v, ok := cleanASCII(s); ok {
		return v
	}
	if len(s) > 4*maxPiece {
		s = s[:4*maxPiece]
	}
	var b strings.Builder
	word, space, masked := false, false, true
	for _, r := range s {
		if unicode.IsSpace(r) {
			space = b.Len() > 0
			continue
		}
		// An invalid byte is dropped before the space in front of it is written: a piece
		// never ends in a space.
		if r == utf8.RuneError {
			continue
		}
		if b.Len()+utf8.RuneLen(r)+1 > maxPiece {
			break
		}
		if space {
			b.WriteByte(' ')
			space = false
		}
		b.WriteRune(r)
		if r != '*' {
			masked = false
		}
		if unicode.IsLetter(r) || unicode.IsNumber(r) {
			word = true
		}
	}
	if masked || !word {
		return ""
	}
	return b.String()
}

// cleanASCII is clean's fast path for the common piece: short ASCII with single spaces
// between words; ok is false when the general path must decide.
func cleanASCII(s string) (string, bool) {
	if len(s) == 0 || len(s) > maxPiece || s[0] == ' ' || s[len(s)-1] == ' ' {
		return "", false
	}
	word, masked := false, true
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 0x80 || c < ' ' || c == ' ' && s[i+1] == ' ':
			return "", false
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9':
			word = true
		}
		if c != '*' && c != ' ' {
			masked = false
		}
	}
	if masked || !word {
		return "", true
	}
	return s, true
}

// textReader is Text's cursor over JSON that ScanBatch has already validated, walking it with
// jsontok and allocating only for the strings it is asked for.
type textReader struct {
	b []byte
	i int
}

// strOrSkip reads a string value, or skips any other value and reports false.
func (r *textReader) strOrSkip() (string, bool) {
	tok := r.token()
	if tok == nil {
		return "", false
	}
	return decodeToken(tok)
}

// token returns a string value's JSON token (quotes included) without decoding it, or skips
// another value and returns nil: a node's text is decoded only once it is known to be shown
// (a stylesheet's text, often hundreds of kilobytes, never is).
func (r *textReader) token() []byte {
	if r.i >= len(r.b) || r.b[r.i] != '"' {
		_ = r.skip()
		return nil
	}
	end := jsontok.StringEnd(r.b, r.i)
	if end >= len(r.b) {
		r.i = len(r.b)
		return nil
	}
	tok := r.b[r.i : end+1]
	r.i = end + 1
	return tok
}

// decodeToken decodes a string token.
func decodeToken(tok []byte) (string, bool) { return jsontok.Unquote(tok) }

// raw returns a string value's bytes without unescaping (for tag names, classes and types,
// which have no escapes worth reading), or skips another value and returns nil.
func (r *textReader) raw() []byte {
	tok := r.token()
	if tok == nil {
		return nil
	}
	return tok[1 : len(tok)-1]
}

// open consumes the opening c of an object or array; false when the value is something else.
func (r *textReader) open(c byte) bool {
	i := jsontok.Open(r.b, r.i, c)
	if i < 0 {
		return false
	}
	r.i = i
	return true
}

// lit reports whether the value at the reader is the literal word (without moving).
func (r *textReader) lit(word string) bool { return bytes.HasPrefix(r.b[r.i:], []byte(word)) }

func (r *textReader) num() int {
	start := r.i
	for r.i < len(r.b) && (r.b[r.i] == '-' || r.b[r.i] >= '0' && r.b[r.i] <= '9') {
		r.i++
	}
	n, neg := 0, false
	for _, c := range r.b[start:r.i] {
		if c == '-' {
			neg = true
			continue
		}
		if n < 1<<40 {
			n = n*10 + int(c-'0')
		}
	}
	if r.i == start {
		_ = r.skip()
		return -1
	}
	if r.i < len(r.b) && (r.b[r.i] == '.' || r.b[r.i] == 'e' || r.b[r.i] == 'E') {
		_ = r.skip()
	}
	if neg {
		return -n
	}
	return n
}

// skip moves past one value.
func (r *textReader) skip() error {
	r.i = jsontok.Space(r.b, r.i)
	if r.i >= len(r.b) {
		return errText
	}
	j := jsontok.Skip(r.b, r.i)
	if j <= r.i {
		return errText
	}
	r.i = j
	return nil
}

// object calls member with each key (without its quotes) of the object at the reader, which
// must move past the key's value; another value is skipped.
func (r *textReader) object(member func(key []byte) error) error {
	if !r.open('{') {
		return r.skip()
	}
	for {
		key, v := jsontok.Member(r.b, r.i)
		if v < 0 {
			return errText
		}
		r.i = v
		if key == nil {
			return nil
		}
		if err := member(key[1 : len(key)-1]); err != nil {
			return err
		}
	}
}

// array calls elem at each element of the array at the reader, which must move past it;
// another value is skipped.
func (r *textReader) array(elem func() error) error {
	if !r.open('[') {
		return r.skip()
	}
	for {
		v, more := jsontok.Item(r.b, r.i)
		if v < 0 {
			return errText
		}
		r.i = v
		if !more {
			return nil
		}
		before := r.i
		if err := elem(); err != nil {
			return err
		}
		if r.i == before {
			return errText
		}
	}
}
