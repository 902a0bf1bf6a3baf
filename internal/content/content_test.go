package content

import (
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
)

func roundTrip(t *testing.T, in string, minLen int) (string, map[string][]byte) {
	t.Helper()
	out, taken, err := Externalize([]byte(in), minLen)
	if err != nil {
		t.Fatal(err)
	}
	back, err := Resolve(out, func(h string) ([]byte, error) {
		tok, ok := taken[h]
		if !ok {
			return nil, fmt.Errorf("%w: %s", ErrMissing, h)
		}
		return tok, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if string(back) != in {
		t.Fatalf("round trip changed the bytes:\n in %s\nout %s", in, back)
	}
	return string(out), taken
}

func TestExternalizeLargeStrings(t *testing.T) {
	css := strings.Repeat("body{margin:0} ", 100)
	in := fmt.Sprintf(`[{"type":2,"data":{"node":{"attributes":{"_cssText":%q,"class":"x"}}}},{"type":3,"data":{"text":%q,%q:1}}]`, css, css, css)
	out, taken := roundTrip(t, in, 1024)
	if len(taken) != 1 {
		t.Fatalf("the same stylesheet twice should be taken once, got %d", len(taken))
	}
	if strings.Count(out, `\u0000reel:a:`+Hash(css)) != 2 {
		t.Fatalf("want two markers, got %s", out)
	}
	// Keys are never replaced, even when long.
	if !strings.Contains(out, fmt.Sprintf("%q:1", css)) {
		t.Fatal("a long key was replaced")
	}
	if len(out) > len(in)/2 {
		t.Fatalf("externalised text is %d bytes of %d", len(out), len(in))
	}
}

func TestHostileStringsThatLookLikeMarkers(t *testing.T) {
	fake := `\u0000reel:a:` + strings.Repeat("0", 64)
	cases := map[string]string{
		"short reserved prefix":      `["\u0000reel:x"]`,
		"escaped backslash quote":    `["a\\\"b","` + strings.Repeat("z", 2000) + `"]`,
		"unicode escapes":            `["\u00e9\ud83d\ude00` + strings.Repeat("\\n", 600) + `"]`,
		"marker-looking but bad hex": `["\u0000reel:a:XYZ"]`,
	}
	for name, in := range cases {
		t.Run(name, func(t *testing.T) {
			out, _ := roundTrip(t, in, 1024)
			if strings.Contains(in, `\u0000reel:`) && strings.Contains(out, `"\u0000reel:x"`) {
				t.Fatal("reserved-prefix string left in place")
			}
		})
	}
	// A real marker (from the wire) is kept as a reference, not externalised again.
	in := `["` + fake + `"]`
	out, taken, _ := Externalize([]byte(in), 10)
	if string(out) != in || len(taken) != 0 {
		t.Fatalf("marker rewritten: %s %v", out, taken)
	}
	if got := Refs(out); !reflect.DeepEqual(got, []string{strings.Repeat("0", 64)}) {
		t.Fatalf("Refs = %v", got)
	}
}

func TestTokenHashesTheValue(t *testing.T) {
	s := "a<b>&\u2028\"q\""
	var back string
	if err := json.Unmarshal(Token(s), &back); err != nil || back != s {
		t.Fatalf("Token = %s", Token(s))
	}
	out, taken, _ := Externalize([]byte(`[`+string(Token(s))+`]`), 1)
	if _, ok := taken[Hash(s)]; !ok || !strings.Contains(string(out), Hash(s)) {
		t.Fatalf("hash of a token is not the hash of its value: %s", out)
	}
}

func FuzzRoundTrip(f *testing.F) {
	f.Add(`[{"a":"` + strings.Repeat("x", 50) + `","b":["\u0000reel:q",1,2]}]`)
	f.Add(`{"k":"\\\"","v":"\u0000reel:a:` + strings.Repeat("f", 64) + `"}`)
	f.Fuzz(func(t *testing.T, in string) {
		if !json.Valid([]byte(in)) {
			return
		}
		out, taken, err := Externalize([]byte(in), 8)
		if err != nil {
			t.Fatalf("Externalize(valid JSON): %v", err)
		}
		back, err := Resolve(out, func(h string) ([]byte, error) {
			if tok, ok := taken[h]; ok {
				return tok, nil
			}
			return Marker(h), nil // a wire marker that was already in the input
		})
		if err != nil {
			t.Fatal(err)
		}
		if string(back) != in {
			t.Fatalf("round trip:\n in %q\nout %q", in, back)
		}
	})
}
