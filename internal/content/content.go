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

// stringToken finds the end of the JSON string token starting at b[i] == '"' and returns the
// index just past its closing quote, or -1 if it is unterminated.
func stringToken(b []byte, i int) int {
	for j := i + 1; j < len(b); j++ {
		switch b[j] {
		case '\\':
			j++
		case '"':
			return j + 1
		}
	}
	return -1
}

// isKey reports whether the token ending at end is an object key (the next non-space byte is
// a colon).
func isKey(b []byte, end int) bool {
	for ; end < len(b); end++ {
		switch b[end] {
		case ' ', '\t', '\n', '\r':
			continue
		case ':':
			return true
		}
		return false
	}
	return false
}

// Refs returns the hashes of the markers in the JSON text b, each once.
func Refs(b []byte) []string {
	var out []string
	seen := map[string]bool{}
	for off := 0; ; {
		i := bytes.Index(b[off:], markerPrefix)
		if i < 0 {
			return out
		}
		i += off
		end := i + MarkerLen
		if end <= len(b) && b[end-1] == '"' {
			h := string(b[i+len(markerPrefix) : end-1])
			if ValidHash(h) && !seen[h] {
				seen[h] = true
				out = append(out, h)
			}
		}
		off = i + len(markerPrefix)
	}
}

// Externalize replaces every string value of at least minLen bytes (as JSON text) in the JSON
// text b, and every string starting with the reserved prefix, by a marker. It returns the new
// text and the tokens it took out, by hash. Markers already present are left alone. b must be
// valid JSON; object keys are never replaced.
func Externalize(b []byte, minLen int) ([]byte, map[string][]byte, error) {
	var out []byte
	var taken map[string][]byte
	last := 0
	for i := 0; i < len(b); i++ {
		if b[i] != '"' {
			continue
		}
		end := stringToken(b, i)
		if end < 0 {
			return nil, nil, errors.New("content: unterminated string")
		}
		tok := b[i:end]
		switch {
		case isKey(b, end):
		case bytes.HasPrefix(tok, markerPrefix) && len(tok) == MarkerLen && ValidHash(string(tok[len(markerPrefix):len(tok)-1])):
		case len(tok) >= minLen || bytes.HasPrefix(tok, reservedPrefix):
			var s string
			if err := json.Unmarshal(tok, &s); err != nil {
				return nil, nil, fmt.Errorf("content: bad string: %w", err)
			}
			h := Hash(s)
			if taken == nil {
				taken = map[string][]byte{}
				out = make([]byte, 0, len(b))
			}
			if _, ok := taken[h]; !ok {
				taken[h] = tok
			}
			out = append(out, b[last:i]...)
			out = append(out, Marker(h)...)
			last = end
		}
		i = end - 1
	}
	if taken == nil {
		return b, nil, nil
	}
	return append(out, b[last:]...), taken, nil
}

// ErrMissing is wrapped when a marker names content the lookup does not have.
var ErrMissing = errors.New("content: missing")

// Resolve replaces every marker in the JSON text b by the token lookup returns for its hash.
func Resolve(b []byte, lookup func(hash string) ([]byte, error)) ([]byte, error) {
	if bytes.Index(b, markerPrefix) < 0 {
		return b, nil
	}
	out := make([]byte, 0, len(b)*2)
	last := 0
	for off := 0; ; {
		i := bytes.Index(b[off:], markerPrefix)
		if i < 0 {
			break
		}
		i += off
		end := i + MarkerLen
		if end > len(b) || b[end-1] != '"' || !ValidHash(string(b[i+len(markerPrefix):end-1])) {
			off = i + len(markerPrefix)
			continue
		}
		tok, err := lookup(string(b[i+len(markerPrefix) : end-1]))
		if err != nil {
			return nil, err
		}
		out = append(out, b[last:i]...)
		out = append(out, tok...)
		last, off = end, end
	}
	return append(out, b[last:]...), nil
}
