// Package jsontok is the JSON tokenizer under Reel's hand-written readers of rrweb events.
// encoding/json is too slow for ingest's hot path (docs/ingest.md) and allocates for what the
// readers throw away, so each reader walks the text itself and keeps only what it needs; the
// primitives they walk with live here, once, fuzzed against encoding/json.
//
// There are two kinds. Scanner validates as it goes (RFC 8259, as encoding/json.Valid
// accepts it) and is what ingest runs over a batch it has not seen before. The functions work
// on text that has been validated already (everything stored went through a Scanner): they
// trust its grammar, jump from quote to quote, and never fail in a way that matters beyond
// returning -1 or an index that makes no progress; on text that is not valid JSON they must
// still never panic or loop forever, which the readers' own fuzz targets check.
//
// Positions are byte indexes into the text, so a reader can take a value's bytes as a
// subslice (no copy) and hand an index to the next primitive.
package jsontok

import (
	"bytes"
	"encoding/binary"
	"math/bits"
)

// Bytes of eight, for the SWAR masks.
const (
	ones  = 0x0101010101010101
	highs = 0x8080808080808080
)

// Space returns the index of the first byte at or after i that is not JSON whitespace.
func Space(b []byte, i int) int {
	for i < len(b) && (b[i] == ' ' || b[i] == '\t' || b[i] == '\n' || b[i] == '\r') {
		i++
	}
	return i
}

// StringEnd returns the index of the closing quote of the string whose opening quote is at
// b[i], or len(b) when it is not closed. It jumps from quote to quote rather than stepping
// byte by byte, and does not look at escapes other than \" and \\: b is valid JSON.
func StringEnd(b []byte, i int) int {
	for j := i + 1; ; {
		// Most strings are keys and short values that end within a few bytes, where looking
		// at eight bytes at a time beats the call to IndexByte, which wins on long ones.
		k := -1
		for p := j; p+8 <= len(b) && p < j+32; p += 8 {
			v := binary.LittleEndian.Uint64(b[p:]) ^ (ones * '"')
			if m := (v - ones) & ^v & highs; m != 0 {
				k = p - j + bits.TrailingZeros64(m)>>3
				break
			}
		}
		if k < 0 {
			k = bytes.IndexByte(b[j:], '"')
		}
		if k < 0 {
			return len(b)
		}
		q := j + k
		bs := 0
		for p := q - 1; p > i && b[p] == '\\'; p-- {
			bs++
		}
		if bs%2 == 0 {
			return q
		}
		j = q + 1
	}
}

// Skip returns the index just past the value starting at b[i] (b is valid JSON): past the
// closing quote, bracket or brace, or at the byte ending a number or literal. At whitespace,
// a comma or a closing bracket or brace it returns i: no value starts there.
func Skip(b []byte, i int) int {
	depth := 0
	for ; i < len(b); i++ {
		switch b[i] {
		case '"':
			i = StringEnd(b, i)
			if i >= len(b) {
				return len(b)
			}
			if depth == 0 {
				return i + 1
			}
		case '{', '[':
			depth++
		case '}', ']':
			depth--
			if depth == 0 {
				return i + 1
			}
			if depth < 0 {
				return i
			}
		case ',', ' ', '\t', '\n', '\r':
			if depth == 0 {
				return i
			}
		}
	}
	return i
}

// Open returns the index just past c ('{' or '['), which starts the value at b[i] after
// whitespace, or -1 when that value is something else.
func Open(b []byte, i int, c byte) int {
	i = Space(b, i)
	if i >= len(b) || b[i] != c {
		return -1
	}
	return i + 1
}

// Member moves from i, just past an object's '{' or past its previous member's value, to the
// next member. It returns the member's key, quotes included, and the index where its value
// starts. At the end of the object key is nil and v is the index just past the '}'; where b is
// not an object key is nil and v is -1.
//
// It is a plain function rather than a walk with a callback so that a reader's loop over an
// object (rrweb.Fields, on every event of every batch) costs no indirect call per member.
func Member(b []byte, i int) (key []byte, v int) {
	for {
		i = Space(b, i)
		if i >= len(b) {
			return nil, -1
		}
		if c := b[i]; c == ',' {
			i++
			continue
		} else if c == '}' {
			return nil, i + 1
		} else if c != '"' {
			return nil, -1
		}
		break
	}
	e := StringEnd(b, i) + 1
	if e > len(b) {
		return nil, -1
	}
	v = Space(b, e)
	if v >= len(b) || b[v] != ':' {
		return nil, -1
	}
	if v = Space(b, v+1); v >= len(b) {
		return nil, -1
	}
	return b[i:e], v
}

// Item moves from i, just past an array's '[' or past its previous element, to the next
// element: it returns the index where it starts and true, or at the end of the array the
// index just past the ']' and false; -1 and false where b is not an array.
func Item(b []byte, i int) (int, bool) {
	for {
		i = Space(b, i)
		if i >= len(b) {
			return -1, false
		}
		switch b[i] {
		case ',':
			i++
			continue
		case ']':
			return i + 1, false
		}
		return i, true
	}
}

// Object calls f with each key (quotes included) of the object starting at b[i] and the index
// where its value starts; f returns the index just past the value, having read it or skipped
// it. Object returns the index just past the object, or -1 when b is not what it expects. It
// lets f read a nested value in the same pass that finds its end; a reader that only wants
// each value's bytes loops over Member itself, which saves the indirect call.
func Object(b []byte, i int, f func(key []byte, v int) int) int {
	if i = Open(b, i, '{'); i < 0 {
		return -1
	}
	for {
		key, v := Member(b, i)
		if key == nil {
			return v
		}
		e := f(key, v)
		if e <= v || e > len(b) {
			return -1
		}
		i = e
	}
}

// Array calls f with the index where each element of the array starting at b[i] starts; f
// returns the index just past it. Array returns the index just past the array, or -1.
func Array(b []byte, i int, f func(v int) int) int {
	if i = Open(b, i, '['); i < 0 {
		return -1
	}
	for {
		v, ok := Item(b, i)
		if !ok {
			return v
		}
		e := f(v)
		if e <= v || e > len(b) {
			return -1
		}
		i = e
	}
}
