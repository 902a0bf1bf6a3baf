package jsontok

import (
	"encoding/binary"
	"errors"
	"fmt"
	"math/bits"
)

// Errors of the Scanner; each is wrapped with the byte offset where it was found.
var (
	ErrSyntax  = errors.New("malformed JSON")
	ErrTooDeep = errors.New("JSON nested too deeply")
	ErrTooLong = errors.New("JSON string too long")
)

// Scanner validates JSON text as it walks it, in one pass, refusing nesting deeper than a
// limit and strings longer than another, and lets its caller take apart the values it cares
// about (Object, Array) while everything else is only checked (Value).
type Scanner struct {
	b          []byte
	i          int
	depth, max int
	limit      int
	maxString  int // longest string token allowed, in bytes of JSON text; 0: no limit
}

// NewScanner returns a Scanner at the start of b that refuses nesting deeper than maxDepth
// and string tokens longer than maxString bytes (0: no limit).
func NewScanner(b []byte, maxDepth, maxString int) *Scanner {
	return &Scanner{b: b, limit: maxDepth, maxString: maxString}
}

// Pos is the index of the next byte to read.
func (s *Scanner) Pos() int { return s.i }

// Peek returns the byte at Pos, or 0 at the end of the text.
func (s *Scanner) Peek() byte {
	if s.i < len(s.b) {
		return s.b[s.i]
	}
	return 0
}

// MaxDepth is the deepest nesting seen so far.
func (s *Scanner) MaxDepth() int { return s.max }

// Space moves past whitespace.
func (s *Scanner) Space() { s.i = Space(s.b, s.i) }

// End checks that only whitespace is left.
func (s *Scanner) End() error {
	s.Space()
	if s.i != len(s.b) {
		return s.fail()
	}
	return nil
}

func (s *Scanner) fail() error {
	return fmt.Errorf("%w at byte %d", ErrSyntax, s.i)
}

func (s *Scanner) enter() error {
	s.depth++
	if s.depth > s.max {
		s.max = s.depth
	}
	if s.depth > s.limit {
		return fmt.Errorf("%w (more than %d levels) at byte %d", ErrTooDeep, s.limit, s.i)
	}
	return nil
}

// Value checks the value starting at Pos (whitespace before it already passed with Space)
// and moves past it.
func (s *Scanner) Value() error {
	if s.i >= len(s.b) {
		return s.fail()
	}
	switch c := s.b[s.i]; {
	case c == '"':
		return s.String()
	case c == '{':
		return s.Object(func([]byte) error { return s.Value() })
	case c == '[':
		// Not Array(s.Value): the direct loop keeps an indirect call off every element.
		if err := s.enter(); err != nil {
			return err
		}
		s.i++
		s.Space()
		if s.i < len(s.b) && s.b[s.i] == ']' {
			s.i++
			s.depth--
			return nil
		}
		for {
			s.Space()
			if err := s.Value(); err != nil {
				return err
			}
			s.Space()
			if s.i >= len(s.b) {
				return s.fail()
			}
			if s.b[s.i] == ',' {
				s.i++
				continue
			}
			if s.b[s.i] == ']' {
				s.i++
				s.depth--
				return nil
			}
			return s.fail()
		}
	case c == '-' || (c >= '0' && c <= '9'):
		return s.number()
	case c == 't':
		return s.literal("true")
	case c == 'f':
		return s.literal("false")
	case c == 'n':
		return s.literal("null")
	}
	return s.fail()
}

// Object checks the object at Pos (which must be at its '{'), calling member with each key
// (quotes included) and the scanner at the key's value, after whitespace; member must move
// past the value, with Value or its own reading.
func (s *Scanner) Object(member func(key []byte) error) error {
	if err := s.enter(); err != nil {
		return err
	}
	s.i++ // {
	s.Space()
	if s.i < len(s.b) && s.b[s.i] == '}' {
		s.i++
		s.depth--
		return nil
	}
	for {
		s.Space()
		if s.i >= len(s.b) || s.b[s.i] != '"' {
			return s.fail()
		}
		ks := s.i
		if err := s.String(); err != nil {
			return err
		}
		key := s.b[ks:s.i]
		s.Space()
		if s.i >= len(s.b) || s.b[s.i] != ':' {
			return s.fail()
		}
		s.i++
		s.Space()
		if err := member(key); err != nil {
			return err
		}
		s.Space()
		if s.i >= len(s.b) {
			return s.fail()
		}
		if s.b[s.i] == ',' {
			s.i++
			continue
		}
		if s.b[s.i] == '}' {
			s.i++
			s.depth--
			return nil
		}
		return s.fail()
	}
}

// Array checks the array at Pos (which must be at its '['), calling elem with the scanner at
// each element; elem must move past it.
func (s *Scanner) Array(elem func() error) error {
	if err := s.enter(); err != nil {
		return err
	}
	s.i++ // [
	s.Space()
	if s.i < len(s.b) && s.b[s.i] == ']' {
		s.i++
		s.depth--
		return nil
	}
	for {
		s.Space()
		if err := elem(); err != nil {
			return err
		}
		s.Space()
		if s.i >= len(s.b) {
			return s.fail()
		}
		if s.b[s.i] == ',' {
			s.i++
			continue
		}
		if s.b[s.i] == ']' {
			s.i++
			s.depth--
			return nil
		}
		return s.fail()
	}
}

// String checks the string token at Pos (which must be at its opening quote) and moves past
// it.
func (s *Scanner) String() error {
	b := s.b
	i := s.i + 1
	for i < len(b) {
		// Eight bytes at a time to the next byte that is not plain string content: most of
		// a long string (a stylesheet, a data URI) is passed over this way.
		if i+8 <= len(b) {
			m := special(binary.LittleEndian.Uint64(b[i:]))
			if m == 0 {
				i += 8
				continue
			}
			i += bits.TrailingZeros64(m) >> 3
		}
		c := b[i]
		switch {
		case c == '"':
			if s.maxString > 0 && i+1-s.i > s.maxString {
				return fmt.Errorf("%w (%d bytes, limit %d) at byte %d", ErrTooLong, i+1-s.i, s.maxString, s.i)
			}
			s.i = i + 1
			return nil
		case c == '\\':
			if i+1 >= len(b) {
				s.i = i
				return s.fail()
			}
			switch b[i+1] {
			case '"', '\\', '/', 'b', 'f', 'n', 'r', 't':
				i += 2
			case 'u':
				if hex4(b, i+2) < 0 {
					s.i = i
					return s.fail()
				}
				i += 6
			default:
				s.i = i
				return s.fail()
			}
		case c < 0x20:
			s.i = i
			return s.fail()
		default:
			i++
		}
	}
	s.i = i
	return s.fail()
}

func (s *Scanner) number() error {
	b, i := s.b, s.i
	if i < len(b) && b[i] == '-' {
		i++
	}
	switch {
	case i < len(b) && b[i] == '0':
		i++
	case i < len(b) && b[i] >= '1' && b[i] <= '9':
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	default:
		s.i = i
		return s.fail()
	}
	if i < len(b) && b[i] == '.' {
		i++
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			s.i = i
			return s.fail()
		}
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	}
	if i < len(b) && (b[i] == 'e' || b[i] == 'E') {
		i++
		if i < len(b) && (b[i] == '+' || b[i] == '-') {
			i++
		}
		if i >= len(b) || b[i] < '0' || b[i] > '9' {
			s.i = i
			return s.fail()
		}
		for i < len(b) && b[i] >= '0' && b[i] <= '9' {
			i++
		}
	}
	s.i = i
	return nil
}

func (s *Scanner) literal(word string) error {
	if len(s.b)-s.i < len(word) || string(s.b[s.i:s.i+len(word)]) != word {
		return s.fail()
	}
	s.i += len(word)
	return nil
}
