// Package search parses Reel's session filter language (docs/search.md) into a query plan: a
// small tree of terms joined by AND, OR and NOT, plus a sort order. It knows nothing about SQL;
// each index backend compiles the plan in its own dialect, so there is one parser and one
// meaning for every query whatever stores the sessions.
package search

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// Bounds on hostile input: a query is typed by a person or built by the filter bar, so
// anything beyond these is a mistake or an attack, and is refused before any work is done.
const (
	MaxLength = 2048 // bytes of query text
	MaxTerms  = 64   // field:value terms
	MaxDepth  = 16   // nesting of parentheses and NOT
)

// Op is how a term compares its field with its value.
type Op string

// Comparison operators. Text fields use Eq (exact, case-insensitive), Glob (with *) or
// Contains; numeric and time fields use the ordering operators.
const (
	Eq       Op = "="
	Glob     Op = "glob"
	Contains Op = "contains"
	Exists   Op = "exists"
	Gt       Op = ">"
	Ge       Op = ">="
	Lt       Op = "<"
	Le       Op = "<="
	// Match finds words in sequence in on-screen text; Text holds the words, lowercased and
	// separated by single spaces (see Words).
	Match Op = "match"
)

// Field names a property of a session that terms can test.
type Field string

// The fields of the language; docs/search.md describes each.
const (
	Visited   Field = "visited"  // any page's path (value starting with /) or full URL
	Entry     Field = "entry"    // first page
	Exit      Field = "exit"     // last page
	ErrorText Field = "error"    // an error message contains the text
	Browser   Field = "browser"  // browser name, e.g. firefox
	OS        Field = "os"       // operating system
	Device    Field = "device"   // desktop, mobile, tablet, bot
	Country   Field = "country"  // ISO 3166 alpha-2 from the trusted proxy header
	Event     Field = "event"    // a reel.track event name
	User      Field = "user"     // the identified user id (user:* means identified at all)
	Trait     Field = "trait"    // user.<key>:<value>, a reel.identify trait
	Duration  Field = "duration" // milliseconds between first and last event
	Active    Field = "active"   // milliseconds with a person at the page (active time)
	Clicks    Field = "clicks"
	Pages     Field = "pages"
	Errors    Field = "errors"   // count of reel.error events
	Failed    Field = "failed"   // count of failed requests (status >= 400 or network failure)
	Started   Field = "started"  // after: / before: compile to started >= / started <
	Rage      Field = "rage"     // rage clicks found by analysis
	Dead      Field = "dead"     // dead clicks found by analysis
	Friction  Field = "friction" // all friction findings
	Score     Field = "score"    // interest score, 0-100

	Referrer       Field = "referrer"        // the entry page's referrer: its host, or its URL without query
	UTMSource      Field = "utm_source"      // UTM parameters of the entry page's URL, lowercased
	UTMMedium      Field = "utm_medium"      //
	UTMCampaign    Field = "utm_campaign"    //
	ViewportWidth  Field = "viewport.width"  // CSS pixels, the latest viewport
	ViewportHeight Field = "viewport.height" //
	EventProp      Field = "event.prop"      // event.<key>:<value>, a property of a reel.track event
	Issue          Field = "issue"           // a finding's fingerprint (the Issues page's groups)
	FrictionKind   Field = "friction.kind"   // friction.<kind>:<count>, findings of one kind
	Text           Field = "text"            // words that appeared on screen (Op Match, or Glob for a prefix)
	Scrubbed       Field = "scrubbed"        // values the server's scrubber masked, of every kind
	ScrubbedKind   Field = "scrubbed.kind"   // scrubbed.<kind>:<count>, values of one kind
	// Vital is vitals.<metric>:<value>: any page view of the session measured the web vital
	// (Key, one of VitalMetrics) at that value. Num is milliseconds, or for cls thousandths.
	Vital Field = "vitals"
	Flag  Field = "flag" // flag.<name>:<variant>, a feature flag variant the session had
)

// VitalMetrics are the web vitals vitals.<metric>: accepts, as the SDK's reel.vitals names
// them, lowercased.
var VitalMetrics = []string{"lcp", "inp", "cls", "fcp", "ttfb"}

// ScrubbedKinds are the kinds scrubbed.<kind>: accepts, as the scrubber names them
// (internal/scrub and store.ScrubKinds; a test keeps the lists equal).
var ScrubbedKinds = []string{"card", "email", "phone", "iban", "token", "custom"}

// FrictionKinds are the kinds of finding friction.<kind>: accepts, as analysis names them
// (internal/analyze; a test keeps the two lists equal).
var FrictionKinds = []string{"rage_click", "dead_click", "error_click", "thrashed_cursor", "quick_back",
	"excessive_scroll", "form_abandonment", "field_hesitation"}

// Sort orders the result; all orders break ties by newest first.
type Sort string

// Sort orders.
const (
	Recent  Sort = "recent"
	Longest Sort = "longest"
	Errored Sort = "errors"
	// Interesting puts the sessions most worth watching first (analysis's interest score).
	Interesting Sort = "interesting"
	// MostFriction puts the sessions with the most friction findings first.
	MostFriction Sort = "friction"
	// LiveFirst puts the sessions whose newest event is latest first: those still being
	// recorded lead, then the ones that ended most recently.
	LiveFirst Sort = "live"
)

// Query is a parsed query: a filter (nil matches everything) and a sort order.
type Query struct {
	Root      Node
	Sort      Sort
	SortGiven bool // the query said sort: (else Sort is the default)
}

// Node is a node of the plan: *And, *Or, *Not or *Term.
type Node interface {
	String() string
	node()
}

// And matches sessions every child matches.
type And struct{ Children []Node }

// Or matches sessions any child matches.
type Or struct{ Children []Node }

// Not matches sessions its child does not.
type Not struct{ Child Node }

// Term tests one field. Text holds the value of text fields (lowercased where the field is
// case-insensitive); Num holds numbers, durations in ms and times in ms since the epoch.
type Term struct {
	Field Field
	Key   string // the key of user.<key> and event.<key>, the kind of friction.<kind>
	Op    Op
	Text  string
	Num   int64
	Pos   int // byte offset of the term in the query, for messages
}

func (*And) node()  {}
func (*Or) node()   {}
func (*Not) node()  {}
func (*Term) node() {}

func join(op string, ns []Node) string {
	parts := make([]string, len(ns))
	for i, n := range ns {
		parts[i] = n.String()
	}
	return "(" + op + " " + strings.Join(parts, " ") + ")"
}

func (n *And) String() string { return join("and", n.Children) }
func (n *Or) String() string  { return join("or", n.Children) }
func (n *Not) String() string { return "(not " + n.Child.String() + ")" }

func (t *Term) String() string {
	f := string(t.Field)
	switch t.Field {
	case Trait:
		f = "user." + t.Key
	case EventProp:
		f = "event." + t.Key
	case Flag:
		f = "flag." + t.Key
	case FrictionKind:
		f = "friction." + t.Key
	case ScrubbedKind:
		f = "scrubbed." + t.Key
	case Vital:
		f = "vitals." + t.Key
	}
	switch t.Op {
	case Exists:
		return "(" + f + " exists)"
	case Gt, Ge, Lt, Le:
		return fmt.Sprintf("(%s %s %d)", f, t.Op, t.Num)
	case Eq:
		if t.Field == Started {
			return fmt.Sprintf("(%s = %d)", f, t.Num)
		}
	}
	return fmt.Sprintf("(%s %s %q)", f, t.Op, t.Text)
}

// String renders the plan as an S-expression (the golden files' format).
func (q *Query) String() string {
	root := "(all)"
	if q.Root != nil {
		root = q.Root.String()
	}
	return root + " sort:" + string(q.Sort)
}

// Error is a malformed query: where and why.
type Error struct {
	Pos    int // byte offset in the query
	Reason string
}

func (e *Error) Error() string { return fmt.Sprintf("%s at position %d", e.Reason, e.Pos) }

func errAt(pos int, format string, args ...any) *Error {
	return &Error{Pos: pos, Reason: fmt.Sprintf(format, args...)}
}

type tokKind int

const (
	tEOF tokKind = iota
	tLParen
	tRParen
	tMinus
	tWord // AND, OR, NOT or a term
)

type token struct {
	kind tokKind
	pos  int
	// for tWord: the field part (before the first ':' outside quotes) and the value, unquoted
	field, value string
	hasColon     bool
	quoted       bool
	raw          string
}

func lex(s string) ([]token, error) {
	var toks []token
	i := 0
	for i < len(s) {
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(':
			toks = append(toks, token{kind: tLParen, pos: i})
			i++
		case c == ')':
			toks = append(toks, token{kind: tRParen, pos: i})
			i++
		case c == '-' && (i+1 < len(s) && s[i+1] != ' '):
			toks = append(toks, token{kind: tMinus, pos: i})
			i++
		default:
			t := token{kind: tWord, pos: i}
			start := i
			// field: letters, digits, . _ - up to ':'
			for i < len(s) && s[i] != ':' && s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r' && s[i] != '(' && s[i] != ')' && s[i] != '"' {
				i++
			}
			if i < len(s) && s[i] == '"' {
				return nil, errAt(i, "unexpected quote")
			}
			t.field = s[start:i]
			if i < len(s) && s[i] == ':' {
				t.hasColon = true
				i++
				if i < len(s) && s[i] == '"' {
					q := i
					i++
					var b strings.Builder
					closed := false
					for i < len(s) {
						if s[i] == '\\' && i+1 < len(s) && (s[i+1] == '"' || s[i+1] == '\\') {
							b.WriteByte(s[i+1])
							i += 2
							continue
						}
						if s[i] == '"' {
							closed = true
							i++
							break
						}
						b.WriteByte(s[i])
						i++
					}
					if !closed {
						return nil, errAt(q, "unterminated quoted value")
					}
					t.value, t.quoted = b.String(), true
				} else {
					v := i
					for i < len(s) && s[i] != ' ' && s[i] != '\t' && s[i] != '\n' && s[i] != '\r' && s[i] != '(' && s[i] != ')' {
						if s[i] == '"' {
							return nil, errAt(i, "unexpected quote (quote the whole value)")
						}
						i++
					}
					t.value = s[v:i]
				}
			}
			t.raw = s[start:i]
			toks = append(toks, t)
		}
	}
	return append(toks, token{kind: tEOF, pos: len(s)}), nil
}

type parser struct {
	toks   []token
	i      int
	terms  int
	sort   Sort
	sortAt int
}

func (p *parser) peek() token { return p.toks[p.i] }
func (p *parser) next() token { t := p.toks[p.i]; p.i++; return t }

func isKeyword(t token, kw string) bool {
	return t.kind == tWord && !t.hasColon && t.field == kw
}

// Parse parses a query. The empty query matches every session, newest first. Errors are
// always *Error.
func Parse(s string) (*Query, error) {
	if len(s) > MaxLength {
		return nil, errAt(MaxLength, "query longer than %d bytes", MaxLength)
	}
	if !utf8.ValidString(s) {
		return nil, errAt(0, "query is not valid UTF-8")
	}
	toks, err := lex(s)
	if err != nil {
		return nil, err
	}
	p := &parser{toks: toks}
	q := &Query{Sort: Recent}
	if p.peek().kind != tEOF {
		root, err := p.or(0)
		if err != nil {
			return nil, err
		}
		if t := p.peek(); t.kind != tEOF {
			return nil, errAt(t.pos, "unexpected %s", describe(t))
		}
		q.Root = root
	}
	if p.sort != "" {
		q.Sort, q.SortGiven = p.sort, true
	}
	return q, nil
}

func describe(t token) string {
	switch t.kind {
	case tEOF:
		return "end of query"
	case tLParen:
		return "'('"
	case tRParen:
		return "')'"
	case tMinus:
		return "'-'"
	}
	return strconv.Quote(t.raw)
}

func (p *parser) or(depth int) (Node, error) {
	first, err := p.and(depth)
	if err != nil {
		return nil, err
	}
	nodes := []Node{first}
	for isKeyword(p.peek(), "OR") {
		p.next()
		n, err := p.and(depth)
		if err != nil {
			return nil, err
		}
		nodes = append(nodes, n)
	}
	return simplify(nodes, false), nil
}

func (p *parser) and(depth int) (Node, error) {
	var nodes []Node
	for {
		t := p.peek()
		if t.kind == tEOF || t.kind == tRParen || isKeyword(t, "OR") {
			break
		}
		if isKeyword(t, "AND") {
			if len(nodes) == 0 {
				return nil, errAt(t.pos, "AND needs a filter on its left")
			}
			p.next()
			if n := p.peek(); n.kind == tEOF || n.kind == tRParen || isKeyword(n, "OR") || isKeyword(n, "AND") {
				return nil, errAt(n.pos, "AND needs a filter on its right, found %s", describe(n))
			}
			continue
		}
		n, err := p.unary(depth)
		if err != nil {
			return nil, err
		}
		if n != nil {
			nodes = append(nodes, n)
		}
	}
	if len(nodes) == 0 {
		t := p.peek()
		if p.sort != "" && (t.kind == tEOF) {
			return nil, nil
		}
		return nil, errAt(t.pos, "expected a filter, found %s", describe(t))
	}
	return simplify(nodes, true), nil
}

// simplify flattens a one-child group; and drops nil children (sort: terms).
func simplify(nodes []Node, and bool) Node {
	var kept []Node
	for _, n := range nodes {
		if n != nil {
			kept = append(kept, n)
		}
	}
	switch len(kept) {
	case 0:
		return nil
	case 1:
		return kept[0]
	}
	if and {
		return &And{Children: kept}
	}
	return &Or{Children: kept}
}

func (p *parser) unary(depth int) (Node, error) {
	if depth >= MaxDepth {
		return nil, errAt(p.peek().pos, "query nested deeper than %d", MaxDepth)
	}
	t := p.next()
	switch {
	case t.kind == tMinus || isKeyword(t, "NOT"):
		if n := p.peek(); n.kind == tEOF || n.kind == tRParen || isKeyword(n, "OR") || isKeyword(n, "AND") {
			return nil, errAt(n.pos, "NOT needs a filter, found %s", describe(n))
		}
		child, err := p.unary(depth + 1)
		if err != nil {
			return nil, err
		}
		if child == nil {
			return nil, errAt(t.pos, "sort: cannot be negated")
		}
		if n, ok := child.(*Not); ok {
			return n.Child, nil
		}
		return &Not{Child: child}, nil
	case t.kind == tLParen:
		if p.peek().kind == tRParen {
			return nil, errAt(p.peek().pos, "empty parentheses")
		}
		n, err := p.or(depth + 1)
		if err != nil {
			return nil, err
		}
		if c := p.next(); c.kind != tRParen {
			return nil, errAt(c.pos, "expected ')' to close '(' at position %d, found %s", t.pos, describe(c))
		}
		if n == nil {
			return nil, errAt(t.pos, "sort: cannot be grouped")
		}
		return n, nil
	case t.kind == tRParen:
		return nil, errAt(t.pos, "unmatched ')'")
	case t.kind == tWord:
		if !t.hasColon {
			return nil, errAt(t.pos, "expected field:value, found %s (quote text as text:\"…\")", describe(t))
		}
		if t.field == "sort" {
			if depth > 0 {
				return nil, errAt(t.pos, "sort: must be at the top level")
			}
			if p.sort != "" {
				return nil, errAt(t.pos, "sort: given twice")
			}
			s, err := ParseSort(t.value)
			if err != nil {
				return nil, errAt(t.pos+5, "%v", err)
			}
			p.sort = s
			return nil, nil
		}
		p.terms++
		if p.terms > MaxTerms {
			return nil, errAt(t.pos, "more than %d filters", MaxTerms)
		}
		return term(t)
	}
	return nil, errAt(t.pos, "unexpected %s", describe(t))
}

// ParseSort reads a sort order's name, ignoring case.
func ParseSort(v string) (Sort, error) {
	switch s := Sort(strings.ToLower(v)); s {
	case Recent, Longest, Errored, Interesting, MostFriction, LiveFirst:
		return s, nil
	}
	return "", fmt.Errorf("unknown sort %q (want recent, longest, errors, interesting, friction or live)", v)
}

// term builds the Term a field:value token stands for.
func term(t token) (Node, error) {
	name := strings.ToLower(t.field)
	vpos := t.pos + len(t.field) + 1
	v := t.value
	if v == "" && !t.quoted {
		return nil, errAt(vpos, "%s: needs a value", t.field)
	}
	if len(v) > 512 {
		return nil, errAt(vpos, "value longer than 512 bytes")
	}
	tm := &Term{Pos: t.pos}
	if key, ok := strings.CutPrefix(name, "user."); ok {
		key = t.field[len("user."):]
		if key == "" || len(key) > 64 {
			return nil, errAt(t.pos, "user.<trait> needs a trait name of 1-64 bytes")
		}
		tm.Field, tm.Key = Trait, key
		return textTerm(tm, v, t.quoted, true)
	}
	if _, ok := strings.CutPrefix(name, "event."); ok {
		key := t.field[len("event."):]
		if key == "" || len(key) > maxPropKey {
			return nil, errAt(t.pos, "event.<property> needs a property name of 1-%d bytes", maxPropKey)
		}
		tm.Field, tm.Key = EventProp, key
		return textTerm(tm, v, t.quoted, true)
	}
	if _, ok := strings.CutPrefix(name, "flag."); ok {
		key := t.field[len("flag."):]
		if key == "" || len(key) > maxFlagName {
			return nil, errAt(t.pos, "flag.<name> needs a flag name of 1-%d bytes", maxFlagName)
		}
		tm.Field, tm.Key = Flag, key
		return textTerm(tm, v, t.quoted, true)
	}
	if kind, ok := strings.CutPrefix(name, "friction."); ok {
		if !slices.Contains(FrictionKinds, kind) {
			return nil, errAt(t.pos, "unknown friction kind %q (want %s)", kind, strings.Join(FrictionKinds, ", "))
		}
		tm.Field, tm.Key = FrictionKind, kind
		return numTerm(tm, v, vpos, false)
	}
	if kind, ok := strings.CutPrefix(name, "scrubbed."); ok {
		if !slices.Contains(ScrubbedKinds, kind) {
			return nil, errAt(t.pos, "unknown scrubbed kind %q (want %s)", kind, strings.Join(ScrubbedKinds, ", "))
		}
		tm.Field, tm.Key = ScrubbedKind, kind
		return numTerm(tm, v, vpos, false)
	}
	if metric, ok := strings.CutPrefix(name, "vitals."); ok {
		if !slices.Contains(VitalMetrics, metric) {
			return nil, errAt(t.pos, "unknown web vital %q (want %s)", metric, strings.Join(VitalMetrics, ", "))
		}
		tm.Field, tm.Key = Vital, metric
		return vitalTerm(tm, v, vpos)
	}
	switch Field(name) {
	case Visited, Entry, Exit:
		tm.Field = Field(name)
		return textTerm(tm, v, t.quoted, false)
	case ErrorText:
		tm.Field, tm.Op, tm.Text = ErrorText, Contains, strings.ToLower(v)
		return tm, nil
	case Browser, OS, Device, Event:
		tm.Field = Field(name)
		return textTerm(tm, strings.ToLower(v), t.quoted, false)
	case Referrer, UTMSource, UTMMedium, UTMCampaign:
		tm.Field = Field(name)
		return textTerm(tm, strings.ToLower(v), t.quoted, true)
	case Issue:
		tm.Field = Issue
		return textTerm(tm, v, t.quoted, true)
	case ViewportWidth, ViewportHeight:
		tm.Field = Field(name)
		return numTerm(tm, v, vpos, false)
	case Country:
		if len(v) != 2 {
			return nil, errAt(vpos, "country: wants a two-letter code like DE")
		}
		tm.Field, tm.Op, tm.Text = Country, Eq, strings.ToUpper(v)
		return tm, nil
	case User:
		tm.Field = User
		return textTerm(tm, v, t.quoted, true)
	case Duration, Active, Clicks, Pages, Errors, Failed, Rage, Dead, Friction, Score, Scrubbed:
		tm.Field = Field(name)
		return numTerm(tm, v, vpos, tm.Field == Duration || tm.Field == Active)
	case "after", "before":
		at, err := parseTime(v)
		if err != nil {
			return nil, errAt(vpos, "%s: %v", name, err)
		}
		tm.Field, tm.Num, tm.Op = Started, at.UnixMilli(), Ge
		if name == "before" {
			tm.Op = Lt
		}
		return tm, nil
	case "since":
		d, err := parseAgo(v)
		if err != nil {
			return nil, errAt(vpos, "since: %v", err)
		}
		tm.Field, tm.Op, tm.Num = Started, Ge, Now().Add(-d).UnixMilli()
		return tm, nil
	case Text:
		return textSearch(tm, v, vpos, t.quoted)
	}
	return nil, errAt(t.pos, "unknown field %q", t.field)
}

// maxPropKey bounds the property name of event.<key>, as ingest bounds what it indexes.
const maxPropKey = 64

// maxFlagName bounds a flag name in flag.<name>:, as ingest bounds what it stores.
const maxFlagName = 128

// maxWords bounds the words of one text: term.
const maxWords = 32

// textSearch reads text:'s value into its words. Only letters and digits make words (as in
// the index's tokenizer), so no character of the query can reach the full-text engine as
// syntax; an unquoted value ending in * matches words starting with its last word.
func textSearch(tm *Term, v string, pos int, quoted bool) (Node, error) {
	words := Words(v)
	if len(words) == 0 {
		return nil, errAt(pos, "text: needs a word (letters or digits)")
	}
	if len(words) > maxWords {
		return nil, errAt(pos, "text: more than %d words", maxWords)
	}
	tm.Field, tm.Op, tm.Text = Text, Match, strings.Join(words, " ")
	if !quoted && strings.HasSuffix(v, "*") && len(v) > 1 && isWordRune(lastRune(v[:len(v)-1])) {
		tm.Op, tm.Text = Glob, tm.Text+"*"
	}
	return tm, nil
}

// Words splits text into lowercased runs of letters and digits: what text: compares, and
// what the on-screen text index is searched by.
func Words(s string) []string {
	return strings.FieldsFunc(strings.ToLower(s), func(r rune) bool { return !isWordRune(r) })
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsNumber(r) }

func lastRune(s string) rune {
	r, _ := utf8.DecodeLastRuneInString(s)
	return r
}

// textTerm reads a text value: * alone means "has any value" where exists is allowed, a value
// with * is a glob, anything else is exact.
func textTerm(tm *Term, v string, quoted, exists bool) (Node, error) {
	switch {
	case v == "*" && !quoted && exists:
		tm.Op = Exists
	case strings.Contains(v, "*") && !quoted:
		tm.Op, tm.Text = Glob, v
	default:
		tm.Op, tm.Text = Eq, v
	}
	return tm, nil
}

func numTerm(tm *Term, v string, pos int, duration bool) (Node, error) {
	tm.Op = Eq
	for _, op := range []Op{Ge, Le, Gt, Lt} {
		if rest, ok := strings.CutPrefix(v, string(op)); ok {
			tm.Op, v, pos = op, rest, pos+len(op)
			break
		}
	}
	if rest, ok := strings.CutPrefix(v, "="); ok && tm.Op == Eq {
		v, pos = rest, pos+1
	}
	var n int64
	var err error
	if duration {
		n, err = parseDuration(v)
	} else {
		n, err = strconv.ParseInt(v, 10, 64)
		if err == nil && n < 0 {
			err = fmt.Errorf("negative")
		}
	}
	if err != nil || v == "" {
		want := "a whole number like >3"
		if duration {
			want = "a duration like >2m, <30s or 1h30m"
		}
		return nil, errAt(pos, "%s: wants %s", tm.Field, want)
	}
	tm.Num = n
	return tm, nil
}

// maxVital bounds a vital's value in a query: an hour in milliseconds, or a layout shift of a
// thousand; no page reports more, and the bound keeps the number far from overflow.
const maxVital = 3_600_000

// vitalTerm reads a web vital's comparison: milliseconds for the timings (a bare number, or a
// Go duration like 2.5s), a unitless score with up to three decimals for cls (>0.1).
func vitalTerm(tm *Term, v string, pos int) (Node, error) {
	tm.Op = Eq
	for _, op := range []Op{Ge, Le, Gt, Lt} {
		if rest, ok := strings.CutPrefix(v, string(op)); ok {
			tm.Op, v, pos = op, rest, pos+len(op)
			break
		}
	}
	if rest, ok := strings.CutPrefix(v, "="); ok && tm.Op == Eq {
		v, pos = rest, pos+1
	}
	var n int64
	var err error
	if tm.Key == "cls" {
		n, err = parseThousandths(v)
	} else if n, err = strconv.ParseInt(v, 10, 64); err != nil {
		var d time.Duration
		if d, err = time.ParseDuration(v); err == nil {
			n = d.Milliseconds()
		}
	}
	if err == nil && (n < 0 || n > maxVital) {
		err = fmt.Errorf("out of range")
	}
	if err != nil || v == "" {
		want := "milliseconds like >2500 or a duration like >2.5s"
		if tm.Key == "cls" {
			want = "a score like >0.1"
		}
		return nil, errAt(pos, "vitals.%s: wants %s", tm.Key, want)
	}
	tm.Num = n
	return tm, nil
}

// parseThousandths reads a non-negative decimal with at most three decimals (0.25) as
// thousandths (250).
func parseThousandths(v string) (int64, error) {
	whole, frac, _ := strings.Cut(v, ".")
	if whole == "" && frac == "" || len(frac) > 3 || len(whole) > 7 {
		return 0, fmt.Errorf("bad score")
	}
	n := int64(0)
	for _, part := range []string{whole, frac + strings.Repeat("0", 3-len(frac))} {
		for _, r := range part {
			if r < '0' || r > '9' {
				return 0, fmt.Errorf("bad score")
			}
		}
	}
	w, _ := strconv.ParseInt("0"+whole, 10, 64)
	f, _ := strconv.ParseInt(frac+strings.Repeat("0", 3-len(frac)), 10, 64)
	n = w*1000 + f
	return n, nil
}

// parseDuration reads 90s, 2m, 1h30m or 500ms (a bare number is seconds) into milliseconds.
func parseDuration(v string) (int64, error) {
	if n, err := strconv.ParseInt(v, 10, 64); err == nil {
		if n < 0 || n > 1<<40 {
			return 0, fmt.Errorf("out of range")
		}
		return n * 1000, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("bad duration")
	}
	return d.Milliseconds(), nil
}

// Now is the clock since: counts back from (a variable for tests).
var Now = time.Now

// parseAgo reads since:'s length of time: a whole number of days (7d), hours (12h) or minutes
// (30m), or a combination (1d12h), up to ten years.
func parseAgo(v string) (time.Duration, error) {
	const want = "wants a time like 7d, 12h, 30m or 1d12h"
	var total time.Duration
	rest := v
	if rest == "" {
		return 0, errors.New(want)
	}
	for rest != "" {
		i := 0
		for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
			i++
		}
		if i == 0 || i > 6 || i == len(rest) {
			return 0, errors.New(want)
		}
		n, _ := strconv.Atoi(rest[:i])
		unit := map[byte]time.Duration{'d': 24 * time.Hour, 'h': time.Hour, 'm': time.Minute}[rest[i]]
		if unit == 0 {
			return 0, errors.New(want)
		}
		total += time.Duration(n) * unit
		rest = rest[i+1:]
	}
	if total > 10*365*24*time.Hour {
		return 0, errors.New("at most ten years")
	}
	return total, nil
}

func parseTime(v string) (time.Time, error) {
	for _, layout := range []string{"2006-01-02", time.RFC3339, "2006-01-02T15:04"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("wants a date like 2026-11-01 or 2026-11-01T09:30:00Z")
}
