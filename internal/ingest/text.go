package ingest

import (
	"bytes"
	"unicode/utf8"
)

// ValidText makes a batch's JSON text something every JSON reader accepts, before anything
// reads or stores it: each byte that is not part of valid UTF-8 becomes U+FFFD, and so does
// each \uXXXX escape of a UTF-16 surrogate that is not half of a pair (JSON.stringify writes
// one for a string cut between the two halves of an emoji). Browsers send both, encoding/json
// and JSON.parse let them through, and stricter readers (Rust's serde_json, Python's strict
// decoders, PostgreSQL's jsonb) refuse the whole document, so a session holding one could not
// be read by them; replacing the character loses less than refusing the batch.
//
// Lone surrogate escapes are replaced in place (\ufffd is as long). Invalid bytes make the text
// longer, up to three times, so the text is copied, with grow asked for the memory first; when
// the result would pass the decompressed limit the batch is refused as too large. Valid text,
// the usual case, is returned as it is after one pass over it.
func ValidText(raw []byte, limits Limits, grow func(n int64) error) ([]byte, error) {
	fixLoneSurrogates(raw)
	if utf8.Valid(raw) {
		return raw, nil
	}
	n := len(raw)
	for i := 0; i < len(raw); {
		r, size := utf8.DecodeRune(raw[i:])
		if r == utf8.RuneError && size == 1 {
			n += len(string(utf8.RuneError)) - 1
		}
		i += size
	}
	if int64(n) > limits.MaxDecompressed {
		return nil, tooLarge("decompressed batch exceeds %d bytes once its invalid UTF-8 is replaced", limits.MaxDecompressed)
	}
	if grow != nil {
		if err := grow(int64(n)); err != nil {
			return nil, err
		}
	}
	out := make([]byte, 0, n)
	for i := 0; i < len(raw); {
		r, size := utf8.DecodeRune(raw[i:])
		if r == utf8.RuneError && size == 1 {
			out = utf8.AppendRune(out, utf8.RuneError)
		} else {
			out = append(out, raw[i:i+size]...)
		}
		i += size
	}
	return out, nil
}

// fixLoneSurrogates rewrites every \uD800–\uDFFF escape that is not a high surrogate followed
// by a low one as \ufffd, in place. In JSON a backslash appears only inside strings, and one
// preceded by an odd number of backslashes is itself escaped, so `\\ud800` (a backslash, then
// the letters ud800) is left alone. Text that is not valid JSON is changed harmlessly: the
// scanner refuses it next.
func fixLoneSurrogates(b []byte) {
	for i := 0; ; {
		k := bytes.Index(b[i:], []byte(`\u`))
		if k < 0 {
			return
		}
		j := i + k
		i = j + 2
		escaped := false
		for p := j - 1; p >= 0 && b[p] == '\\'; p-- {
			escaped = !escaped
		}
		if escaped {
			continue
		}
		r := hexRune(b, j+2)
		switch {
		case r < 0xD800 || r > 0xDFFF:
			continue
		case r < 0xDC00 && j+12 <= len(b) && b[j+6] == '\\' && b[j+7] == 'u':
			if low := hexRune(b, j+8); low >= 0xDC00 && low <= 0xDFFF {
				i = j + 12 // a pair
				continue
			}
		}
		copy(b[j+2:j+6], "fffd")
		i = j + 6
	}
}

// hexRune is the value of the four hex digits at b[i:], or -1.
func hexRune(b []byte, i int) rune {
	if i+4 > len(b) {
		return -1
	}
	var r rune
	for _, c := range b[i : i+4] {
		switch {
		case c >= '0' && c <= '9':
			r = r<<4 | rune(c-'0')
		case c >= 'a' && c <= 'f':
			r = r<<4 | rune(c-'a'+10)
		case c >= 'A' && c <= 'F':
			r = r<<4 | rune(c-'A'+10)
		default:
			return -1
		}
	}
	return r
}
