package jsontok

import (
	"encoding/binary"
	"math/bits"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"
)

// Unquote returns the value of the JSON string token tok (its quotes included), exactly as
// encoding/json decodes it: escapes undone, a lone surrogate and each invalid UTF-8 byte
// replaced by U+FFFD. ok is false when tok is not one well-formed string. Plain ASCII with no
// escape, almost every key and short value in rrweb events, is only copied.
func Unquote(tok []byte) (string, bool) {
	if len(tok) < 2 || tok[0] != '"' || tok[len(tok)-1] != '"' {
		return "", false
	}
	s := tok[1 : len(tok)-1]
	i := plain(s)
	if i == len(s) {
		return string(s), true
	}
	return unquoteSlow(s, i)
}

// plain returns the length of the prefix of s that is printable ASCII other than a quote or
// a backslash: content a string token holds as it is.
func plain(s []byte) int {
	i := 0
	for ; i+8 <= len(s); i += 8 {
		if m := plainMask(binary.LittleEndian.Uint64(s[i:])); m != 0 {
			return i + bits.TrailingZeros64(m)>>3
		}
	}
	if i == len(s) {
		return i
	}
	if len(s) >= 8 {
		// The last eight bytes, overlapping some already looked at, which are plain and so
		// not marked: the lowest mark is the first byte that is not.
		j := len(s) - 8
		if m := plainMask(binary.LittleEndian.Uint64(s[j:])); m != 0 {
			return j + bits.TrailingZeros64(m)>>3
		}
		return len(s)
	}
	for ; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x80 || c == '"' || c == '\\' {
			return i
		}
	}
	return i
}

// plainMask marks the bytes of v that are not plain: those special marks, and the non-ASCII.
func plainMask(v uint64) uint64 { return special(v) | v&highs }

// unquoteSlow decodes s, the inside of a string token whose first i bytes are plain. It
// follows encoding/json's unquote, which the fuzz target holds it to.
func unquoteSlow(s []byte, i int) (string, bool) {
	// Valid UTF-8 with no escape and no control character needs no rewriting either.
	if j := i + escapeOrControl(s[i:]); j == len(s) && utf8.Valid(s[i:]) {
		return string(s), true
	}
	out := make([]byte, i, len(s)+2*utf8.UTFMax)
	copy(out, s[:i])
	for i < len(s) {
		c := s[i]
		switch {
		case c == '\\':
			if i+1 >= len(s) {
				return "", false
			}
			switch s[i+1] {
			case '"', '\\', '/':
				out = append(out, s[i+1])
			case 'b':
				out = append(out, '\b')
			case 'f':
				out = append(out, '\f')
			case 'n':
				out = append(out, '\n')
			case 'r':
				out = append(out, '\r')
			case 't':
				out = append(out, '\t')
			case 'u':
				r := hex4(s, i+2)
				if r < 0 {
					return "", false
				}
				i += 6
				if utf16.IsSurrogate(r) {
					// A surrogate pair is one character; a lone half is U+FFFD.
					if r2 := escapedRune(s, i); r2 >= 0 {
						if d := utf16.DecodeRune(r, r2); d != unicode.ReplacementChar {
							out = utf8.AppendRune(out, d)
							i += 6
							continue
						}
					}
					r = unicode.ReplacementChar
				}
				out = utf8.AppendRune(out, r)
				continue
			default:
				return "", false
			}
			i += 2
		case c == '"' || c < 0x20:
			return "", false
		case c < utf8.RuneSelf:
			out = append(out, c)
			i++
		default:
			r, size := utf8.DecodeRune(s[i:])
			out = utf8.AppendRune(out, r) // an invalid byte is RuneError, U+FFFD
			i += size
		}
	}
	return string(out), true
}

// escapeOrControl returns the index of the first backslash, quote or control byte in s, or
// len(s).
func escapeOrControl(s []byte) int {
	for i, c := range s {
		if c < 0x20 || c == '"' || c == '\\' {
			return i
		}
	}
	return len(s)
}

// escapedRune reads a \uXXXX escape at s[i], or returns -1.
func escapedRune(s []byte, i int) rune {
	if i+1 >= len(s) || s[i] != '\\' || s[i+1] != 'u' {
		return -1
	}
	return hex4(s, i+2)
}

// hex4 reads four hex digits at s[i], or returns -1.
func hex4(s []byte, i int) rune {
	if i+4 > len(s) {
		return -1
	}
	var r rune
	for _, c := range s[i : i+4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c = c - 'a' + 10
		case c >= 'A' && c <= 'F':
			c = c - 'A' + 10
		default:
			return -1
		}
		r = r<<4 | rune(c)
	}
	return r
}

// special marks the bytes of v (eight bytes of a string, little-endian) that end plain string
// content: a quote, a backslash or a control character. The lowest marked byte is always the
// first such byte (bits above it may be spurious).
func special(v uint64) uint64 {
	q, bs := v^(ones*'"'), v^(ones*'\\')
	return ((v-ones*0x20) & ^v | (q-ones) & ^q | (bs-ones) & ^bs) & highs
}
