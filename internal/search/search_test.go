package search

import (
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

var update = flag.Bool("update", false, "rewrite golden files")

// TestGolden parses every query of testdata/queries.txt (one a line) and compares the plans, or
// the errors, with testdata/plans.golden.
func TestGolden(t *testing.T) {
	in, err := os.ReadFile(filepath.Join("testdata", "queries.txt"))
	if err != nil {
		t.Fatal(err)
	}
	var out strings.Builder
	for _, line := range strings.Split(strings.TrimRight(string(in), "\n"), "\n") {
		if strings.HasPrefix(line, "#") {
			continue
		}
		q, err := Parse(line)
		out.WriteString("query: " + line + "\n")
		if err != nil {
			out.WriteString("error: " + err.Error() + "\n\n")
			continue
		}
		out.WriteString("plan:  " + q.String() + "\n\n")
	}
	golden := filepath.Join("testdata", "plans.golden")
	if *update {
		if err := os.WriteFile(golden, []byte(out.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if out.String() != string(want) {
		t.Errorf("plans differ from %s (run go test -update and review the diff):\n%s", golden, out.String())
	}
}

func TestErrors(t *testing.T) {
	cases := []struct {
		name, query string
		pos         int
		reason      string
	}{
		{"unknown field", "colour:red", 0, "unknown field"},
		{"missing value", "browser:", 8, "needs a value"},
		{"bare word", "checkout", 0, "expected field:value"},
		{"unclosed paren", "(browser:firefox", 16, "expected ')'"},
		{"unmatched paren", "browser:firefox)", 15, "unexpected ')'"},
		{"empty parens", "()", 1, "empty parentheses"},
		{"unterminated quote", `error:"Type`, 6, "unterminated"},
		{"dangling OR", "browser:firefox OR", 18, "expected a filter"},
		{"dangling NOT", "NOT", 3, "NOT needs a filter"},
		{"leading AND", "AND os:linux", 0, "AND needs a filter on its left"},
		{"bad duration", "duration:>2min", 10, "wants a duration"},
		{"bad number", "clicks:lots", 7, "wants a whole number"},
		{"negative number", "clicks:>-1", 8, "wants a whole number"},
		{"bad date", "after:yesterday", 6, "wants a date"},
		{"bad sort", "sort:random", 5, "unknown sort"},
		{"sort twice", "sort:recent sort:longest", 12, "given twice"},
		{"nested sort", "(sort:recent)", 1, "top level"},
		{"bad country", "country:Germany", 8, "two-letter"},
		{"text without words", `text:"*** --"`, 5, "needs a word"},
		{"text empty", `text:""`, 5, "needs a word"},
		{"text too many words", "text:\"" + strings.Repeat("w ", 33) + "\"", 5, "more than 32 words"},
		{"unknown friction kind", "friction.rage:>0", 0, "unknown friction kind"},
		{"friction kind wants a number", "friction.rage_click:many", 20, "wants a whole number"},
		{"event property without name", "event.:x", 0, "property name"},
		{"event property name too long", "event." + strings.Repeat("k", 65) + ":x", 0, "property name"},
		{"viewport wants a number", "viewport.width:wide", 15, "wants a whole number"},
		{"viewport unknown side", "viewport.depth:3", 0, "unknown field"},
		{"utm needs a value", "utm_source:", 11, "needs a value"},
		{"unknown vital", "vitals.fid:>100", 0, "unknown web vital"},
		{"vital without metric", "vitals:>100", 0, "unknown field"},
		{"vital wants a number", "vitals.lcp:slow", 11, "wants milliseconds"},
		{"vital negative", "vitals.lcp:>-5", 12, "wants milliseconds"},
		{"vital too large", "vitals.inp:>99999999999", 12, "wants milliseconds"},
		{"vital fractional ms", "vitals.ttfb:>1.5", 13, "wants milliseconds"},
		{"cls four decimals", "vitals.cls:>0.1234", 12, "wants a score"},
		{"cls not a number", "vitals.cls:>0.1e3", 12, "wants a score"},
		{"cls only a dot", "vitals.cls:>.", 12, "wants a score"},
		{"cls negative", "vitals.cls:>-0.1", 12, "wants a score"},
		{"cls sign inside", "vitals.cls:>0.-1", 12, "wants a score"},
		{"too long", strings.Repeat("a", MaxLength+1), MaxLength, "longer than"},
		{"too deep", strings.Repeat("(", MaxDepth+1) + "os:linux" + strings.Repeat(")", MaxDepth+1), MaxDepth, "deeper than"},
		{"too deep NOT", strings.Repeat("NOT ", MaxDepth+1) + "os:linux", 4 * MaxDepth, "deeper than"},
		{"too many terms", strings.Repeat("os:linux ", MaxTerms+1), 9 * MaxTerms, "more than"},
		{"invalid utf8", "os:\xff", 0, "UTF-8"},
		{"stray quote", `os"linux`, 2, "unexpected quote"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(tc.query)
			e, ok := err.(*Error)
			if !ok {
				t.Fatalf("Parse(%q) = %v, want *Error", tc.query, err)
			}
			if e.Pos != tc.pos || !strings.Contains(e.Reason, tc.reason) {
				t.Errorf("Parse(%q) = %q at %d, want %q at %d", tc.query, e.Reason, e.Pos, tc.reason, tc.pos)
			}
		})
	}
}

func TestValues(t *testing.T) {
	cases := []struct {
		name, query string
		want        Term
	}{
		{"duration minutes", "duration:>2m", Term{Field: Duration, Op: Gt, Num: 120000}},
		{"duration bare seconds", "duration:<=90", Term{Field: Duration, Op: Le, Num: 90000}},
		{"clicks equal", "clicks:=3", Term{Field: Clicks, Op: Eq, Num: 3}},
		{"browser lowercased", "browser:Firefox", Term{Field: Browser, Op: Eq, Text: "firefox"}},
		{"country uppercased", "country:de", Term{Field: Country, Op: Eq, Text: "DE"}},
		{"trait keeps case of key", "user.Plan:pro", Term{Field: Trait, Key: "Plan", Op: Eq, Text: "pro"}},
		{"user exists", "user:*", Term{Field: User, Op: Exists}},
		{"quoted star is literal", `user:"*"`, Term{Field: User, Op: Eq, Text: "*"}},
		{"escaped quote", `error:"say \"hi\""`, Term{Field: ErrorText, Op: Contains, Text: `say "hi"`}},
		{"glob", "visited:/checkout*", Term{Field: Visited, Op: Glob, Text: "/checkout*"}},
		{"after", "after:2026-11-01", Term{Field: Started, Op: Ge, Num: 1793491200000}},
		{"text words lowercased", `text:"Payment  DECLINED!"`, Term{Field: Text, Op: Match, Text: "payment declined"}},
		{"text prefix", "text:Pay*", Term{Field: Text, Op: Glob, Text: "pay*"}},
		{"text quoted star is no prefix", `text:"pay*"`, Term{Field: Text, Op: Match, Text: "pay"}},
		{"text syntax is not syntax", `text:"a\" OR NEAR(b c) ^d"`, Term{Field: Text, Op: Match, Text: "a or near b c d"}},
		{"friction kind", "friction.quick_back:>=2", Term{Field: FrictionKind, Key: "quick_back", Op: Ge, Num: 2}},
		{"event property keeps case of key", "event.Plan:pro", Term{Field: EventProp, Key: "Plan", Op: Eq, Text: "pro"}},
		{"utm lowercased", "utm_source:Google", Term{Field: UTMSource, Op: Eq, Text: "google"}},
		{"referrer any", "referrer:*", Term{Field: Referrer, Op: Exists}},
		{"viewport", "viewport.width:<768", Term{Field: ViewportWidth, Op: Lt, Num: 768}},
		{"vital ms", "vitals.lcp:>2500", Term{Field: Vital, Key: "lcp", Op: Gt, Num: 2500}},
		{"vital duration", "vitals.INP:>=0.5s", Term{Field: Vital, Key: "inp", Op: Ge, Num: 500}},
		{"vital equal", "vitals.ttfb:800", Term{Field: Vital, Key: "ttfb", Op: Eq, Num: 800}},
		{"cls decimals", "vitals.cls:>0.1", Term{Field: Vital, Key: "cls", Op: Gt, Num: 100}},
		{"cls whole", "vitals.cls:<=2", Term{Field: Vital, Key: "cls", Op: Le, Num: 2000}},
		{"cls leading dot", "vitals.cls:<.25", Term{Field: Vital, Key: "cls", Op: Lt, Num: 250}},
		{"issue exact", `issue:"dead_click|/|a \"Home\""`, Term{Field: Issue, Op: Eq, Text: `dead_click|/|a "Home"`}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			q, err := Parse(tc.query)
			if err != nil {
				t.Fatal(err)
			}
			got, ok := q.Root.(*Term)
			if !ok {
				t.Fatalf("root = %v", q.Root)
			}
			got.Pos = 0
			if *got != tc.want {
				t.Errorf("got %+v, want %+v", *got, tc.want)
			}
		})
	}
}

// FuzzParse checks that no input panics, that errors point inside the query, and that a plan
// renders.
func FuzzParse(f *testing.F) {
	for _, s := range []string{"", "visited:/checkout* -visited:/thanks", `error:"TypeError" OR (browser:firefox duration:>2m)`, "NOT NOT user:*", "sort:longest", `((a:b`, `"`, "-", "user.:x",
		`text:"a\" OR 1=1"`, `text:"NEAR("`, "text:pay*", "friction.rage_click:>0", "event.plan:*", "viewport.width:<768", `issue:"x|y"`, "vitals.cls:>0.1", "vitals.lcp:>=2.5s"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		q, err := Parse(s)
		if err != nil {
			e, ok := err.(*Error)
			if !ok {
				t.Fatalf("error %T", err)
			}
			if e.Pos < 0 || e.Pos > len(s) {
				t.Fatalf("position %d outside query of %d bytes", e.Pos, len(s))
			}
			return
		}
		_ = q.String()
	})
}

// since: counts back from now: days, hours and minutes, alone or combined.
func TestSince(t *testing.T) {
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	defer func(f func() time.Time) { Now = f }(Now)
	Now = func() time.Time { return now }
	for q, back := range map[string]time.Duration{
		"since:7d":    7 * 24 * time.Hour,
		"since:12h":   12 * time.Hour,
		"since:30m":   30 * time.Minute,
		"since:1d12h": 36 * time.Hour,
	} {
		p, err := Parse(q)
		if err != nil {
			t.Fatalf("%s: %v", q, err)
		}
		got, _ := p.Root.(*Term)
		if want := now.Add(-back).UnixMilli(); got == nil || got.Field != Started || got.Op != Ge || got.Num != want {
			t.Errorf("%s = %+v, want started ≥ %d", q, got, want)
		}
	}
	for _, q := range []string{"since:", "since:7", "since:d", "since:7w", "since:-1d", "since:99999999d", "since:4000d"} {
		if _, err := Parse(q); err == nil {
			t.Errorf("%s parsed; want an error", q)
		}
	}
}
