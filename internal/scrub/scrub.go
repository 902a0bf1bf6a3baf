// Package scrub finds secrets and personal data that a browser's masking rules missed (card
// numbers, emails, phone numbers, IBANs, tokens and a project's own patterns) and replaces each
// of their characters with Mask, before ingest writes anything. The built-in kinds are found by
// one hand-written pass over the bytes with cheap triggers ('@', a digit after a word boundary,
// "eyJ", "Bearer", key prefixes) and candidates validated by hand (Luhn, issuer prefixes,
// mod 97), because ingest runs it over every byte of every batch; only a project's own patterns
// use regular expressions, and only when it has some. The rules, and the false positives each
// one avoids, are in docs/privacy-scrubber.md.
package scrub

import (
	"errors"
	"fmt"
	"regexp"
	"regexp/syntax"
	"slices"
	"sort"
	"strings"
	"unicode/utf8"
)

// Mask replaces each scrubbed character, one for one, so a scrubbed text keeps its length in
// characters (and a page its layout). It is not rrweb's '*', so the player's privacy view can
// tell what the server scrubbed from what the browser masked.
const Mask = '█'

// The kinds of value the scrubber knows; Counts are keyed by them.
const (
	Card   = "card"
	Email  = "email"
	Phone  = "phone"
	IBAN   = "iban"
	Token  = "token"
	Custom = "custom"
)

// Kinds are the built-in kinds, in the order they are shown.
var Kinds = []string{Card, Email, Phone, IBAN, Token}

// Counts is how many values of each kind were scrubbed; a kind with none is absent.
type Counts map[string]int

// Add adds c's counts to cs.
func (cs Counts) Add(c Counts) {
	for k, n := range c {
		cs[k] += n
	}
}

// Total is the number of values scrubbed, of every kind.
func (cs Counts) Total() int {
	n := 0
	for _, v := range cs {
		n += v
	}
	return n
}

// Bounds on a project's own patterns: each is RE2 (linear time in its input), and these keep its
// compiled program, and so the time per byte it costs every batch, small.
const (
	MaxPatterns     = 20
	MaxPatternBytes = 256
	MaxProgramInsts = 2000
)

// Config is a project's scrubber settings. The zero value is the default: every built-in kind
// on, no patterns of its own.
type Config struct {
	// Disabled turns the whole scrubber off for the project.
	Disabled bool `json:"disabled,omitempty"`
	// Off lists the built-in kinds switched off ("phone", …).
	Off []string `json:"off,omitempty"`
	// Patterns are the project's own regular expressions (Go's RE2 syntax); every match is
	// scrubbed and counted as "custom".
	Patterns []string `json:"patterns,omitempty"`
}

// Scrubber is a compiled Config. It is safe for concurrent use.
type Scrubber struct {
	off      bool
	card     bool
	email    bool
	phone    bool
	iban     bool
	token    bool
	patterns []*regexp.Regexp
	// shortest is the fewest bytes a JSON string's body may have to hold anything: a
	// built-in value takes at least 6 (a@b.co; an escaped one more), a pattern may match one.
	shortest int
}

// Compile checks c and compiles it. A pattern that does not compile, or is too long or too
// costly, is an error naming it, fit to show to the admin who set it.
func Compile(c Config) (*Scrubber, error) {
	s := &Scrubber{off: c.Disabled, card: true, email: true, phone: true, iban: true, token: true}
	for _, k := range c.Off {
		switch k {
		case Card:
			s.card = false
		case Email:
			s.email = false
		case Phone:
			s.phone = false
		case IBAN:
			s.iban = false
		case Token:
			s.token = false
		default:
			return nil, fmt.Errorf("scrubber: %q is not a kind that can be switched off (%s)", k, strings.Join(Kinds, ", "))
		}
	}
	if len(c.Patterns) > MaxPatterns {
		return nil, fmt.Errorf("scrubber: at most %d patterns, not %d", MaxPatterns, len(c.Patterns))
	}
	for i, p := range c.Patterns {
		re, err := compilePattern(p)
		if err != nil {
			return nil, fmt.Errorf("scrubber: pattern %d %q: %w", i+1, p, err)
		}
		s.patterns = append(s.patterns, re)
	}
	s.shortest = 6
	if len(s.patterns) > 0 {
		s.shortest = 1
	}
	return s, nil
}

func compilePattern(p string) (*regexp.Regexp, error) {
	switch {
	case p == "":
		return nil, errors.New("is empty")
	case len(p) > MaxPatternBytes:
		return nil, fmt.Errorf("is longer than %d bytes", MaxPatternBytes)
	}
	parsed, err := syntax.Parse(p, syntax.Perl)
	if err != nil {
		return nil, fmt.Errorf("is not a valid regular expression: %w", err)
	}
	prog, err := syntax.Compile(parsed.Simplify())
	if err != nil {
		return nil, fmt.Errorf("is not a valid regular expression: %w", err)
	}
	if len(prog.Inst) > MaxProgramInsts {
		return nil, fmt.Errorf("is too costly (%d instructions compiled, at most %d; lower its repetition counts)", len(prog.Inst), MaxProgramInsts)
	}
	re, err := regexp.Compile(p)
	if err != nil {
		return nil, fmt.Errorf("is not a valid regular expression: %w", err)
	}
	if re.MatchString("") {
		return nil, errors.New("matches the empty string")
	}
	return re, nil
}

// On reports whether the scrubber does anything.
func (s *Scrubber) On() bool {
	return s != nil && !s.off && (s.card || s.email || s.phone || s.iban || s.token || len(s.patterns) > 0)
}

// String scrubs one plain string: the result, and what was scrubbed (nil when nothing was, and
// then the result is in itself).
func (s *Scrubber) String(in string) (string, Counts) {
	if !s.On() {
		return in, nil
	}
	b := []byte(in)
	spans := s.find(b, nil)
	if len(spans) == 0 {
		return in, nil
	}
	out, counts := mask(nil, b, spans)
	return string(out), counts
}

// span is a found value: bytes [start, end) of the text, of one kind.
type span struct {
	start, end int
	kind       string
}

// find appends the spans of b's values to spans, in order and not overlapping.
func (s *Scrubber) find(b []byte, spans []span) []span {
	first := len(spans)
	spans = s.builtin(b, spans)
	if len(s.patterns) > 0 {
		n := len(spans)
		for _, re := range s.patterns {
			for _, m := range re.FindAllIndex(b, -1) {
				if m[1] > m[0] && !allMask(b[m[0]:m[1]]) {
					spans = append(spans, span{m[0], m[1], Custom})
				}
			}
		}
		if len(spans) > n {
			spans = merge(spans[:first], spans[first:])
		}
	}
	return spans
}

// merge sorts found spans and drops any that overlap an earlier one (a built-in match wins
// over a pattern's, which comes later in the list for the same start).
func merge(prefix, found []span) []span {
	sort.SliceStable(found, func(i, j int) bool { return found[i].start < found[j].start })
	end := -1
	for _, sp := range found {
		if sp.start >= end {
			prefix = append(prefix, sp)
			end = sp.end
		} else if sp.end > end && sp.kind == Custom {
			// A pattern's match that runs past an overlapping one is cut to its remainder, so
			// nothing it matched is left.
			prefix = append(prefix, span{end, sp.end, Custom})
			end = sp.end
		}
	}
	return prefix
}

var maskBytes = []byte(string(Mask))

// allMask reports whether b is only masks: a pattern that matches what was scrubbed already
// must not count it again.
func allMask(b []byte) bool {
	for len(b) >= len(maskBytes) && string(b[:len(maskBytes)]) == string(Mask) {
		b = b[len(maskBytes):]
	}
	return len(b) == 0
}

// mask appends b to out with every character of the spans except separators (space, dash,
// dot, parentheses inside cards, phones and IBANs, kept so the text still reads as a grouped
// number) replaced by Mask, and counts the spans.
func mask(out, b []byte, spans []span) ([]byte, Counts) {
	counts := Counts{}
	prev := 0
	for _, sp := range spans {
		out = append(out, b[prev:sp.start]...)
		keepSeparators := sp.kind == Card || sp.kind == Phone || sp.kind == IBAN
		for i := sp.start; i < sp.end; {
			c := b[i]
			if c < utf8.RuneSelf {
				if keepSeparators && (c == ' ' || c == '-' || c == '.' || c == '(' || c == ')' || c == '+') {
					out = append(out, c)
				} else {
					out = append(out, maskBytes...)
				}
				i++
				continue
			}
			_, n := utf8.DecodeRune(b[i:sp.end])
			out = append(out, maskBytes...)
			i += n
		}
		prev = sp.end
		counts[sp.kind]++
	}
	return append(out, b[prev:]...), counts
}

// KindsOf returns the kinds in c in display order, custom last.
func KindsOf(c Counts) []string {
	var ks []string
	for _, k := range append(slices.Clone(Kinds), Custom) {
		if c[k] > 0 {
			ks = append(ks, k)
		}
	}
	return ks
}
