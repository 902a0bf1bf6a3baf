package content

import (
	"bytes"
	"encoding/json"
	"errors"
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
	if _, ok := taken[Hash(css)]; !ok {
		t.Fatalf("the stylesheet was not taken out: %v", taken)
	}
	if strings.Count(out, css) != 0 || strings.Count(string(taken[Hash(css)]), "body{margin:0}") != 100 {
		t.Fatalf("externalised text still holds the stylesheet: %s", out)
	}
	if len(out) > len(in)/2 {
		t.Fatalf("externalised text is %d bytes of %d", len(out), len(in))
	}
}

func TestSharedSubtreesAreTakenOnce(t *testing.T) {
	header := `{"type":2,"tagName":"header","childNodes":[` + strings.Repeat(`{"type":3,"textContent":"Reel Supply Co. free shipping over $75","id":9},`, 30) + `{"type":3,"textContent":"end","id":10}]}`
	page := func(visitor string) string {
		return `[{"type":2,"timestamp":1,"data":{"node":{"type":0,"childNodes":[` + header + `,{"type":3,"textContent":"Hello ` + visitor + `","id":11}]}}}]`
	}
	outA, takenA := roundTrip(t, page("Ada"), 512)
	outB, takenB := roundTrip(t, page("Grace"), 512)
	var shared int
	for h := range takenA {
		if _, ok := takenB[h]; ok {
			shared++
		}
	}
	if shared == 0 {
		t.Fatalf("the identical header was not shared between two snapshots:\n%s\n%s", outA, outB)
	}
	if strings.Contains(string(takenA[func() string {
		for h := range takenA {
			if _, ok := takenB[h]; ok {
				return h
			}
		}
		return ""
	}()]), "Ada") {
		t.Fatal("a shared item contains one visitor's text")
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
	// One value, several spellings: each must come back as it was sent.
	f.Add(`["\ud800xxxxxxxx","\udc00xxxxxxxx","\u0041xxxxxxxx","Axxxxxxxx"]`)
	f.Add("[\"\xee00000000\",\"\x8c00000000\"]")
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

func TestNumberedMarkers(t *testing.T) {
	a, b := Hash("a stylesheet"), Hash("a font")
	text := []byte(`[{"css":` + string(Marker(a)) + `,"font":` + string(Marker(b)) + `,"again":` + string(Marker(a)) + `,"page":"\u0000reel:i:7 is text"}]`)
	numbered := Number(text, map[string]int64{a: 12, b: 3})
	want := `[{"css":"\u0000reel:i:12","font":"\u0000reel:i:3","again":"\u0000reel:i:12","page":"\u0000reel:i:7 is text"}]`
	if string(numbered) != want {
		t.Fatalf("Number = %s\nwant %s", numbered, want)
	}
	asked := 0
	back, err := Unnumber(numbered, func(ids []int64) (map[int64]string, error) {
		asked++
		return map[int64]string{12: a, 3: b}, nil
	})
	if err != nil || string(back) != string(text) || asked != 1 {
		t.Fatalf("Unnumber = %v, asked %d times\n%s\nwant %s", err, asked, back, text)
	}
	// A number the project does not have is an error, not a silent hole in the replay.
	if _, err := Unnumber(numbered, func([]int64) (map[int64]string, error) { return map[int64]string{12: a}, nil }); !errors.Is(err, ErrMissing) {
		t.Fatalf("a missing number: %v", err)
	}
	// Only hashes it is given are numbered.
	if got := Number(text, map[string]int64{a: 1}); bytes.Contains(got, Marker(a)) || !bytes.Contains(got, Marker(b)) {
		t.Fatalf("Number with one hash: %s", got)
	}
}
