package ingest

import (
	"bytes"
	"errors"
	"strconv"
)

// The "delta" body encoding (docs/wire-format.md): in the batch's JSON text, every
// `"KEY":INTEGER` whose KEY is id, nextId, parentId or timestamp holds the difference from the
// previous value instead of the value. rrweb numbers nodes in document order and timestamps
// climb, so the differences are small and repeat, and gzip does much better on them.
//
// Both sides work on the text, not on parsed JSON: the SDK with one regular expression
// (/"(id|nextId|parentId|timestamp)":(-?\d+)(?![\d.eE])/g), the server with the scan below,
// which finds exactly the same matches. So they agree on any text, including keys that merely
// end in one of the names after an escaped quote. Numbers with a fraction or an exponent are
// left as they are.
//
// Each name has its own previous value starting at 0, except nextId, which is relative to the
// last id (a node's next sibling is usually the node added just before it) and does not move
// it. Values have at most 15 digits (the SDK sends the batch unencoded otherwise), so the
// sums are exact in a double and in an int64.

// EncodingDelta is the value of the ingest request's `enc` parameter for this encoding.
const EncodingDelta = "delta"

// maxDeltaDigits bounds a difference: two values of at most 15 digits differ by less than
// 2·10^15. maxValue bounds a value.
const (
	maxDeltaDigits = 16
	maxValue       = 1_000_000_000_000_000
)

type deltaKey int

const (
	keyID deltaKey = iota
	keyParentID
	keyTimestamp
	keyNextID
	keyNone
)

// keyBefore says which delta-encoded name, if any, ends at text[:i], where text[i:] starts
// with `":`. It looks at the last letter first: most keys end in neither d nor p.
func keyBefore(text []byte, i int) deltaKey {
	t := text[:i]
	if len(t) < 3 {
		return keyNone
	}
	switch t[len(t)-1] {
	case 'd':
		switch {
		case t[len(t)-2] == 'i' && t[len(t)-3] == '"':
			return keyID
		case t[len(t)-2] != 'I':
		case bytes.HasSuffix(t, []byte(`"parentId`)):
			return keyParentID
		case bytes.HasSuffix(t, []byte(`"nextId`)):
			return keyNextID
		}
	case 'p':
		if bytes.HasSuffix(t, []byte(`"timestamp`)) {
			return keyTimestamp
		}
	}
	return keyNone
}

// nextKey finds the next `":` in text at or after at and returns the index of its quote, or -1.
// It looks for the colon, the rarer of the two bytes in JSON text, and then at the byte before.
func nextKey(text []byte, at int) int {
	for {
		j := bytes.IndexByte(text[at:], ':')
		if j < 0 {
			return -1
		}
		if c := at + j; j > 0 && text[c-1] == '"' {
			return c - 1
		}
		at += j + 1
	}
}

// parseInt reads the integer integerAt found: at most 17 characters, so it cannot overflow.
func parseInt(digits []byte) int64 {
	neg := digits[0] == '-'
	if neg {
		digits = digits[1:]
	}
	var v int64
	for _, c := range digits {
		v = v*10 + int64(c-'0')
	}
	if neg {
		return -v
	}
	return v
}

// integerAt returns the length of the integer (`-?[0-9]+` not followed by a fraction or an
// exponent) that starts text, or 0.
func integerAt(text []byte) int {
	n := 0
	if n < len(text) && text[n] == '-' {
		n++
	}
	d := n
	for n < len(text) && text[n] >= '0' && text[n] <= '9' {
		n++
	}
	if n == d || n < len(text) && (text[n] == '.' || text[n] == 'e' || text[n] == 'E') {
		// Not an integer: "-0.25" must keep its sign, so fractions are left alone.
		return 0
	}
	return n
}

// eachInteger calls fn, in order, for every delta-encoded integer in text: its name, and where
// its digits start and how many there are. It stops at fn's first error.
func eachInteger(text []byte, fn func(k deltaKey, at, n int) error) error {
	for at := 0; ; {
		colon := nextKey(text, at)
		if colon < 0 {
			return nil
		}
		at = colon + 2
		k := keyBefore(text, colon)
		if k == keyNone {
			continue
		}
		n := integerAt(text[at:])
		if n == 0 {
			continue
		}
		if err := fn(k, at, n); err != nil {
			return err
		}
		at += n
	}
}

// chain holds the previous value of each name while a text is encoded or decoded.
type chain [3]int64

// base is the value k's difference is taken from: nextId's is the last id.
func (c *chain) base(k deltaKey) int64 {
	if k == keyNextID {
		return c[keyID]
	}
	return c[k]
}

// set records v as k's value; a nextId moves nothing.
func (c *chain) set(k deltaKey, v int64) {
	if k != keyNextID {
		c[k] = v
	}
}

// Undelta reverses the delta encoding of a decompressed batch. It returns the text as the
// SDK had it before encoding, or a 400 error for a difference or value too long to have come
// from the SDK. grow is told about the output buffer before it is allocated (see Decompress).
func Undelta(text []byte, grow func(n int64) error) ([]byte, error) {
	var out []byte
	// ensure makes room for n more bytes, accounting for the memory first.
	ensure := func(n int) error {
		if len(out)+n <= cap(out) {
			return nil
		}
		// Values are mostly longer than their differences: start with some room.
		size := max(2*cap(out), len(out)+n, len(text)+len(text)/8+64)
		if grow != nil {
			if err := grow(int64(size - cap(out))); err != nil {
				return err
			}
		}
		out = append(make([]byte, 0, size), out...)
		return nil
	}
	var prev chain
	done := 0
	err := eachInteger(text, func(k deltaKey, at, n int) error {
		digits := text[at : at+n]
		if n > maxDeltaDigits+1 || n == maxDeltaDigits+1 && digits[0] != '-' {
			return badRequest("bad_encoding", "delta encoding: difference %.20s… is too long", digits)
		}
		v := prev.base(k) + parseInt(digits)
		if v <= -maxValue || v >= maxValue {
			return badRequest("bad_encoding", "delta encoding: a value passes 15 digits")
		}
		prev.set(k, v)
		if err := ensure(at - done + 20); err != nil {
			return err
		}
		out = append(out, text[done:at]...)
		out = strconv.AppendInt(out, v, 10)
		done = at + n
		return nil
	})
	if err != nil {
		return nil, err
	}
	if err := ensure(len(text) - done); err != nil {
		return nil, err
	}
	return append(out, text[done:]...), nil
}

// errNotExact stops Delta at a value it cannot encode.
var errNotExact = errors.New("not exact")

// Delta applies the delta encoding to a batch's JSON text, as the SDK does. It reports false
// (and returns text unchanged) when a value is too long to encode, as the SDK then sends the
// batch unencoded. For tests and benchmarks that speak the SDK's wire format.
func Delta(text []byte) ([]byte, bool) {
	out := make([]byte, 0, len(text))
	var prev chain
	done := 0
	err := eachInteger(text, func(k deltaKey, at, n int) error {
		digits := text[at : at+n]
		if n > 15 || bytes.HasPrefix(digits, []byte("-0")) || n > 1 && digits[0] == '0' {
			// Too long to be exact in a double, or not as JSON writes numbers (which the
			// restored text would be).
			return errNotExact
		}
		v := parseInt(digits)
		d := v - prev.base(k)
		prev.set(k, v)
		out = append(out, text[done:at]...)
		out = strconv.AppendInt(out, d, 10)
		done = at + n
		return nil
	})
	if err != nil {
		return text, false
	}
	return append(out, text[done:]...), true
}
