package scrub

import (
	"bytes"
	"sync"
	"unicode/utf16"
	"unicode/utf8"
)

// JSON scrubs the string values of a JSON text (a batch, as ingest received it), never its
// object keys, its numbers, the batch's "session" and "tab" ids, the "userId" of an identify
// payload (the key erasure and user search go by), Reel's content markers, or a string that is
// all base64 (a canvas frame, an image). Only the characters inside a string change, so valid
// JSON stays valid; a string with escapes is decoded, scrubbed and written back with the fewest
// escapes, which is never longer. When nothing is found it returns in itself, not a copy, and
// nil counts.
func (s *Scrubber) JSON(in []byte) ([]byte, Counts) {
	if !s.On() {
		return in, nil
	}
	// Most batches hold nothing to scrub: one quick scan of the raw text says so, and only a
	// text that may hold something (or a project with patterns) is walked string by string.
	if len(s.patterns) == 0 && !s.maybe(in) {
		return in, nil
	}
	return s.walk(in)
}

// walk is JSON's walk over the text's string values.
func (s *Scrubber) walk(in []byte) ([]byte, Counts) {
	sc := scratches.Get().(*scratch)
	defer scratches.Put(sc)
	var (
		out    []byte
		from   int // in[from:] is not yet in out
		counts Counts
		stack  = sc.stack[:0]
		key    = true // the next string in an object is a key
		spans  = sc.spans[:0]
		buf    = sc.buf[:0]
	)
	defer func() {
		if cap(buf) <= maxScratch {
			sc.stack, sc.spans, sc.buf = stack[:0], spans[:0], buf[:0]
		}
	}()
	for i := 0; i < len(in); {
		c := in[i]
		if !structural[c] {
			// Numbers, literals and white space between the strings.
			i++
			for i < len(in) && !structural[in[i]] {
				i++
			}
			continue
		}
		switch c {
		case '{', '[':
			f := frame{obj: c == '{'}
			if n := len(stack); n > 0 && stack[n-1].obj {
				f.parent = stack[n-1].key
			}
			stack = append(stack, f)
			key = c == '{'
			i++
			continue
		case '}', ']':
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
			}
			key = false
			i++
			continue
		case ',':
			key = len(stack) > 0 && stack[len(stack)-1].obj
			i++
			continue
		case ':':
			key = false
			i++
			continue
		case '"':
		default:
			i++
			continue
		}
		j, esc := stringEnd(in, i)
		if j >= len(in) {
			break // unterminated: not JSON, and nothing after it is a string we can tell
		}
		body := in[i+1 : j]
		next := j + 1
		top := len(stack) - 1
		if top >= 0 && stack[top].obj && key {
			stack[top].key = ref{int32(i + 1), int32(j)}
			key = false
			i = next
			continue
		}
		if j-i-1 < s.shortest || skipValue(in, stack, top) {
			i = next
			continue
		}
		text := body
		if esc {
			var ok bool
			if buf, ok = unescape(buf[:0], body); !ok || hasPrefix(buf, "\x00reel:") {
				i = next
				continue
			}
			text = buf
		}
		spans = s.value(text, spans[:0])
		if len(spans) == 0 {
			i = next
			continue
		}
		if out == nil {
			out = make([]byte, 0, len(in)+len(in)/8)
		}
		out = append(out, in[from:i+1]...)
		var got Counts
		if esc {
			var masked []byte
			masked, got = mask(nil, text, spans)
			out = quote(out, masked)
		} else {
			out, got = mask(out, text, spans)
		}
		if counts == nil {
			counts = Counts{}
		}
		counts.Add(got)
		out = append(out, '"')
		from = next
		i = next
	}
	if out == nil {
		return in, nil
	}
	return append(out, in[from:]...), counts
}

// structural are the bytes the walk between strings stops at.
var structural = [256]bool{'{': true, '}': true, '[': true, ']': true, ',': true, ':': true, '"': true}

// stringEnd finds the closing quote of the string opening at i (len(in) when there is none)
// and whether the string has escapes. Most strings are short and plain, and a loop finds their
// end sooner than IndexByte's setup; longer ones use IndexByte.
func stringEnd(in []byte, i int) (int, bool) {
	j := i + 1
	k, lim := j, min(len(in), j+32)
	for k < lim && !stringStop[in[k]] {
		k++
	}
	if k < lim && in[k] == '"' {
		return k, false
	}
	esc := false
	for {
		q := bytes.IndexByte(in[j:], '"')
		if q < 0 {
			return len(in), esc
		}
		if !esc && bytes.IndexByte(in[j:j+q], '\\') < 0 {
			return j + q, false
		}
		esc = true
		// Escapes: the quote ends the string when an even number of backslashes precede it.
		n := 0
		for k := j + q - 1; k > i && in[k] == '\\'; k-- {
			n++
		}
		if n%2 == 0 {
			return j + q, true
		}
		j += q + 1
	}
}

// stringStop are the bytes that end a plain string's quick scan.
var stringStop = [256]bool{'"': true, '\\': true}

// ref is a string's body in the text, by offsets (no pointers: the stack stays cheap).
type ref struct{ start, end int32 }

func (r ref) is(in []byte, s string) bool { return string(in[r.start:r.end]) == s }

// scratch is what one call works in, kept between calls so a batch's scan allocates nothing
// when it finds nothing.
type scratch struct {
	stack []frame
	spans []span
	buf   []byte
}

var scratches = sync.Pool{New: func() any { return new(scratch) }}

// maxScratch bounds the decoded-string buffer a pooled scratch keeps.
const maxScratch = 1 << 20

// frame is an open object or array, and for an object the last key read in it.
type frame struct {
	obj         bool
	key, parent ref
}

// skipValue reports whether the string value in the innermost frame top is one never scrubbed.
func skipValue(in []byte, stack []frame, top int) bool {
	if top < 0 || !stack[top].obj {
		return false
	}
	k := stack[top].key
	return top == 0 && (k.is(in, "session") || k.is(in, "tab")) ||
		k.is(in, "userId") && stack[top].parent.is(in, "payload")
}

// value finds the spans in one string value. In a string that is all base64 (at least 64 bytes
// of its alphabet and nothing else: a canvas frame, an image) digits that look like a card, a
// phone number or an IBAN are chance, and one changed byte would corrupt what it encodes, so
// those are dropped; a key or token that is the whole value is still scrubbed.
func (s *Scrubber) value(text []byte, spans []span) []span {
	spans = s.find(text, spans)
	if len(spans) == 0 || len(text) < 64 {
		return spans
	}
	for i := 0; i < len(text); i++ {
		if c := text[i]; !isB64(c) && c != '-' && c != '_' {
			// A mask counts as base64, as what it replaced was: scrubbing twice finds nothing more.
			if !hasPrefix(text[i:], string(Mask)) {
				return spans
			}
			i += len(maskBytes) - 1
		}
	}
	kept := spans[:0]
	for _, sp := range spans {
		if sp.kind != Card && sp.kind != Phone && sp.kind != IBAN {
			kept = append(kept, sp)
		}
	}
	return kept
}

// unescape appends the text of a JSON string's body (between its quotes) to dst. A lone
// surrogate becomes U+FFFD, as encoding/json decodes it. It reports false on a malformed
// escape.
func unescape(dst, body []byte) ([]byte, bool) {
	for i := 0; i < len(body); i++ {
		c := body[i]
		if c < 0x20 {
			return dst, false // a raw control character: not JSON; left as it is
		}
		if c != '\\' {
			dst = append(dst, c)
			continue
		}
		i++
		if i >= len(body) {
			return dst, false
		}
		switch body[i] {
		case '"', '\\', '/':
			dst = append(dst, body[i])
		case 'b':
			dst = append(dst, '\b')
		case 'f':
			dst = append(dst, '\f')
		case 'n':
			dst = append(dst, '\n')
		case 'r':
			dst = append(dst, '\r')
		case 't':
			dst = append(dst, '\t')
		case 'u':
			r, ok := hex4(body, i+1)
			if !ok {
				return dst, false
			}
			i += 4
			if utf16.IsSurrogate(r) {
				if r2, ok := hex4(body, i+3); ok && i+2 < len(body) && body[i+1] == '\\' && body[i+2] == 'u' {
					if d := utf16.DecodeRune(r, r2); d != utf8.RuneError {
						dst = utf8.AppendRune(dst, d)
						i += 6
						continue
					}
				}
				r = utf8.RuneError
			}
			dst = utf8.AppendRune(dst, r)
		default:
			return dst, false
		}
	}
	return dst, true
}

func hex4(b []byte, i int) (rune, bool) {
	if i+4 > len(b) {
		return 0, false
	}
	var r rune
	for _, c := range b[i : i+4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	return r, true
}

// quote appends text as a JSON string's body with the fewest escapes: quote, backslash and
// control characters only, each as short as JSON allows.
func quote(dst, text []byte) []byte {
	const hexDigits = "0123456789abcdef"
	for _, c := range text {
		switch {
		case c == '"' || c == '\\':
			dst = append(dst, '\\', c)
		case c == '\n':
			dst = append(dst, '\\', 'n')
		case c == '\r':
			dst = append(dst, '\\', 'r')
		case c == '\t':
			dst = append(dst, '\\', 't')
		case c == '\b':
			dst = append(dst, '\\', 'b')
		case c == '\f':
			dst = append(dst, '\\', 'f')
		case c < 0x20:
			dst = append(dst, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		default:
			dst = append(dst, c)
		}
	}
	return dst
}
