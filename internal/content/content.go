// Package content moves large strings out of rrweb events and back. Inlined stylesheets, fonts
// and data-URI images repeat across page views and sessions of a site; stored once by hash and
// referenced from the events by a marker, they cost their bytes once per project instead of
// once per page view.
//
// A marker is the JSON string "\u0000reel:a:<sha256 hex>" standing for the string whose UTF-8
// bytes hash to that value. The same marker is used on the wire (docs/wire-format.md) and at
// rest. Page strings that themselves start with "\u0000reel:" are always externalised, so a
// marker in stored events is never ambiguous.
package content

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"iter"
	"strconv"
	"unicode/utf8"

	"github.com/reelhq/reel/internal/jsontok"
)

// markerPrefix is how a marker begins in JSON text (the opening quote included).
var markerPrefix = []byte(`"\u0000reel:a:`)

// reservedPrefix is the JSON text of any string starting with "\u0000reel:".
var reservedPrefix = []byte(`"\u0000reel:`)

const hashLen = 64

// MarkerLen is the length of a marker token in JSON text.
var MarkerLen = len(markerPrefix) + hashLen + 1

// Hash returns the content key of a string: the lowercase hex SHA-256 of its UTF-8 bytes.
func Hash(s string) string {
	sum := sha256.Sum256([]byte(s))
	return hex.EncodeToString(sum[:])
}

// Marker returns the JSON token that stands for the string with the given hash.
func Marker(hash string) []byte {
	out := make([]byte, 0, MarkerLen)
	out = append(out, markerPrefix...)
	out = append(out, hash...)
	return append(out, '"')
}

// ValidHash reports whether h looks like a content hash.
func ValidHash(h string) bool {
	if len(h) != hashLen {
		return false
	}
	for i := 0; i < len(h); i++ {
		c := h[i]
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
			return false
		}
	}
	return true
}

// Token encodes a string value as the JSON token stored for it.
func Token(s string) []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(s) // a string always encodes
	return bytes.TrimRight(buf.Bytes(), "\n")
}

// Refs returns the hashes of the markers in the JSON text b, each once.
func Refs(b []byte) []string {
	var out []string
	seen := map[string]bool{}
	for start, end := range markers(b) {
		if h := markerHash(b, start, end); !seen[h] {
			seen[h] = true
			out = append(out, h)
		}
	}
	return out
}

// markers yields the start (its opening quote) and end (past its closing quote) of each
// marker in the JSON text b, in order.
func markers(b []byte) iter.Seq2[int, int] {
	return func(yield func(int, int) bool) {
		// Look for the marker without its quote: it then starts with a backslash, rare in
		// JSON text, where a quote starts every key and string (ingest runs this on every
		// batch).
		body := markerPrefix[1:]
		for off := 0; ; {
			k := bytes.Index(b[off:], body)
			if k < 0 {
				return
			}
			k += off
			start, end := k-1, k-1+MarkerLen
			if k > off && b[start] == '"' && end <= len(b) && b[end-1] == '"' && ValidHash(markerHash(b, start, end)) {
				if !yield(start, end) {
					return
				}
				off = end
				continue
			}
			off = k + len(body)
		}
	}
}

// markerHash is the hash of the marker at b[start:end].
func markerHash(b []byte, start, end int) string {
	return string(b[start+len(markerPrefix) : end-1])
}

// TreeHash is the content key of an object or array: the SHA-256 of its JSON text (with its
// own large parts already replaced by markers), in a separate domain from string hashes so a
// string and a tree can never share a key.
func TreeHash(text []byte) string {
	h := sha256.New()
	h.Write([]byte("reel-tree\x00"))
	h.Write(text)
	return hex.EncodeToString(h.Sum(nil))
}

// Externalize replaces, in the JSON text b, every string value and every object or array
// nested below the events themselves whose JSON text is at least minLen bytes, and every
// string starting with the reserved prefix, by a marker. Trees are replaced bottom-up, so the
// parts two snapshots share are stored once even when the snapshots differ elsewhere. It
// returns the new text and the tokens it took out, by hash. Markers already present are left
// alone; object keys are never replaced. b must be valid JSON.
func Externalize(b []byte, minLen int) ([]byte, map[string][]byte, error) {
	x := externalizer{in: b, min: minLen, out: make([]byte, 0, len(b)/2)}
	lead := jsontok.Space(b, 0)
	x.out = append(x.out, b[:lead]...)
	i, err := x.value(lead, 0)
	if err != nil {
		return nil, nil, err
	}
	x.out = append(x.out, b[i:]...)
	if x.taken == nil {
		return b, nil, nil
	}
	return x.out, x.taken, nil
}

type externalizer struct {
	in    []byte
	min   int
	out   []byte
	taken map[string][]byte
}

func (x *externalizer) take(h string, tok []byte) {
	if x.taken == nil {
		x.taken = map[string][]byte{}
	}
	if _, ok := x.taken[h]; !ok {
		x.taken[h] = bytes.Clone(tok)
	}
}

// canonical reports whether tok is exactly Token(s). Only then may it be keyed by its value:
// invalid UTF-8 and lone surrogates both decode to U+FFFD, and one value has many escapings,
// so a token that is not canonical is keyed by its raw bytes (in the tree domain) and comes
// back byte for byte.
func canonical(tok []byte, s string) bool {
	if bytes.IndexByte(tok, '\\') < 0 && utf8.Valid(tok) && !bytes.Contains(tok, []byte("\u2028")) && !bytes.Contains(tok, []byte("\u2029")) {
		return true
	}
	return bytes.Equal(Token(s), tok)
}

// value copies (or replaces) the JSON value starting at b[i] and returns the index after it.
func (x *externalizer) value(i, depth int) (int, error) {
	b := x.in
	if i >= len(b) {
		return i, errors.New("content: unexpected end of JSON")
	}
	switch c := b[i]; c {
	case '"':
		end := jsontok.StringEnd(b, i) + 1
		if end > len(b) {
			return i, errors.New("content: unterminated string")
		}
		tok := b[i:end]
		switch {
		case bytes.HasPrefix(tok, markerPrefix) && len(tok) == MarkerLen && ValidHash(string(tok[len(markerPrefix):len(tok)-1])):
			x.out = append(x.out, tok...)
		case len(tok) >= x.min || bytes.HasPrefix(tok, reservedPrefix):
			s, ok := jsontok.Unquote(tok)
			if !ok {
				return i, fmt.Errorf("content: bad string %.40q", tok)
			}
			h := Hash(s)
			if !canonical(tok, s) {
				h = TreeHash(tok)
			}
			x.take(h, tok)
			x.out = append(x.out, Marker(h)...)
		default:
			x.out = append(x.out, tok...)
		}
		return end, nil
	case '{', '[':
		start := len(x.out)
		x.out = append(x.out, c)
		i++
		// What comes before each value (whitespace, a comma, a key and its colon) is copied
		// as it is: keys are never replaced.
		for {
			var v int
			more := false
			if c == '{' {
				var key []byte
				key, v = jsontok.Member(b, i)
				more = key != nil
			} else {
				v, more = jsontok.Item(b, i)
			}
			if v < 0 {
				return i, errors.New("content: malformed JSON")
			}
			x.out = append(x.out, b[i:v]...)
			if !more {
				i = v
				break
			}
			end, err := x.value(v, depth+1)
			if err != nil {
				return end, err
			}
			if end <= v {
				return v, errors.New("content: malformed JSON")
			}
			i = end
		}
		if depth >= 2 && len(x.out)-start >= x.min {
			h := TreeHash(x.out[start:])
			x.take(h, x.out[start:])
			x.out = append(x.out[:start], Marker(h)...)
		}
		return i, nil
	default:
		j := jsontok.Skip(b, i)
		x.out = append(x.out, b[i:j]...)
		return j, nil
	}
}

// ErrMissing is wrapped when a marker names content the lookup does not have.
var ErrMissing = errors.New("content: missing")

// maxResolveDepth bounds how deeply stored trees may nest markers (JSON nesting is bounded by
// the ingest depth limit well below this).
const maxResolveDepth = 1024

// Resolve replaces every marker in the JSON text b by the token lookup returns for its hash,
// recursively, so the result holds no markers.
func Resolve(b []byte, lookup func(hash string) ([]byte, error)) ([]byte, error) {
	return resolve(b, lookup, 0)
}

func resolve(b []byte, lookup func(hash string) ([]byte, error), depth int) ([]byte, error) {
	var out []byte
	last := 0
	for start, end := range markers(b) {
		tok, err := lookup(markerHash(b, start, end))
		if err != nil {
			return nil, err
		}
		// A stored tree holds markers of its own large parts.
		if depth < maxResolveDepth {
			if tok, err = resolve(tok, lookup, depth+1); err != nil {
				return nil, err
			}
		}
		if out == nil {
			out = make([]byte, 0, len(b)*2)
		}
		out = append(out, b[last:start]...)
		out = append(out, tok...)
		last = end
	}
	if out == nil {
		return b, nil
	}
	return append(out, b[last:]...), nil
}

// idPrefix begins a numbered marker, "\u0000reel:i:<number>": compacted segments name the
// project's content items by their number in the index (a few bytes) rather than their
// SHA-256 (64 characters that zstd cannot shrink below 32 bytes, in every segment that names
// the item). Only compaction writes them, and only into segments; page strings starting with
// the reserved prefix never reach a segment as themselves (Externalize takes them out), so a
// numbered marker there is never ambiguous. Chunks and the wire never hold one.
var idPrefix = []byte(`"\u0000reel:i:`)

// Number rewrites the hash markers in the JSON text b whose hash ids holds into numbered
// markers.
func Number(b []byte, ids map[string]int64) []byte {
	var out []byte
	last := 0
	for start, end := range markers(b) {
		id, ok := ids[markerHash(b, start, end)]
		if !ok {
			continue
		}
		if out == nil {
			out = make([]byte, 0, len(b))
		}
		out = append(out, b[last:start]...)
		out = append(out, idPrefix...)
		out = strconv.AppendInt(out, id, 10)
		out = append(out, '"')
		last = end
	}
	if out == nil {
		return b
	}
	return append(out, b[last:]...)
}

// Unnumber rewrites the numbered markers in the JSON text of a segment back into hash
// markers, asking hashes for the hashes of the numbers it finds (once, for all of them).
func Unnumber(b []byte, hashes func(ids []int64) (map[int64]string, error)) ([]byte, error) {
	if bytes.Index(b, idPrefix) < 0 {
		return b, nil
	}
	type found struct {
		start, end int
		id         int64
	}
	var marks []found
	var ids []int64
	for off := 0; ; {
		i := bytes.Index(b[off:], idPrefix)
		if i < 0 {
			break
		}
		i += off
		j := i + len(idPrefix)
		k := j
		for k < len(b) && k-j < 19 && b[k] >= '0' && b[k] <= '9' {
			k++
		}
		off = j
		if k == j || k >= len(b) || b[k] != '"' {
			continue
		}
		id, err := strconv.ParseInt(string(b[j:k]), 10, 64)
		if err != nil {
			continue
		}
		marks = append(marks, found{i, k + 1, id})
		ids = append(ids, id)
		off = k + 1
	}
	if len(marks) == 0 {
		return b, nil
	}
	hs, err := hashes(ids)
	if err != nil {
		return nil, err
	}
	out := make([]byte, 0, len(b)+len(marks)*hashLen)
	last := 0
	for _, m := range marks {
		h, ok := hs[m.id]
		if !ok {
			return nil, fmt.Errorf("%w: content item %d", ErrMissing, m.id)
		}
		out = append(out, b[last:m.start]...)
		out = append(out, Marker(h)...)
		last = m.end
	}
	return append(out, b[last:]...), nil
}
