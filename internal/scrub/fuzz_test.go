package scrub

import (
	"bytes"
	"encoding/json"
	"testing"
	"unicode/utf8"
)

// FuzzScrub runs the JSON scrubber over arbitrary text: the output is valid JSON exactly when
// the input was, it is never longer in characters, scrubbing it again changes nothing (so no
// card number, or any other value, is left behind), text it does not change comes back as the
// same slice, and the quick scan that lets most JSON skip the walk never skips a find.
func FuzzScrub(f *testing.F) {
	for _, s := range []string{
		`{"a":"4111 1111 1111 1111","b":["jane@example.com",1,true,null]}`,
		`{"session":"555-123-4567","payload":{"userId":"a@b.co","traits":{"e":"a@b.co"}}}`,
		`["\u0040x.com a\u0040b.com \ud83d\ude00 \ud800 \"q\" 4111\u00201111\u00201111\u00201111"]`,
		`["Bearer abcdefghijklmnop eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.sig"]`,
		`["+44 20 7946 0958 (555) 123-4567 DE89 3704 0044 0532 0130 00 GB82WEST12345698765432"]`,
		`["data:font/woff2;base64,AAAA4111111111111111AAAA", "sk_live_abcdefghij0123 AKIAIOSFODNN7EXAMPLE"]`,
		`{"unterminated": "4111111111111111`,
		"[\"raw\x01control 4111111111111111\"]",
		`["\u0000reel:a:4111111111111111"]`,
		`["line\n4111 1111 1111 1111", "a\neyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.x", "\tjane\u0040example.com"]`,
		`["AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA+4111111111111111/AKIAIOSFODNN7EXAMPLE/"]`,
	} {
		f.Add([]byte(s))
	}
	s, err := Compile(Config{Patterns: []string{`ORD-[0-9]{3,}`, `é+`}})
	if err != nil {
		f.Fatal(err)
	}
	builtins, err := Compile(Config{})
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		// The quick scan of the raw text never says no where the walk finds something, in JSON
		// (what ingest scrubs has been validated).
		if out, _ := builtins.JSON(in); json.Valid(in) && !bytes.Equal(out, func() []byte { o, _ := builtins.walk(in); return o }()) {
			t.Fatalf("the quick scan missed what the walk finds in %q", in)
		}
		// The same for the input as a JSON string, as a browser would write it (escapes and all).
		wrapped, _ := json.Marshal(map[string]string{"k": string(in)})
		if out, _ := builtins.JSON(wrapped); !bytes.Equal(out, func() []byte { o, _ := builtins.walk(wrapped); return o }()) {
			t.Fatalf("the quick scan missed what the walk finds in %s", wrapped)
		}
		orig := bytes.Clone(in)
		out, counts := s.JSON(in)
		if !bytes.Equal(in, orig) {
			t.Fatal("JSON changed its input")
		}
		if json.Valid(out) != json.Valid(in) {
			t.Fatalf("valid in %v, valid out %v:\n in %q\nout %q", json.Valid(in), json.Valid(out), in, out)
		}
		if utf8.RuneCount(out) > utf8.RuneCount(in) {
			t.Fatalf("longer in characters: %d → %d\n in %q\nout %q", utf8.RuneCount(in), utf8.RuneCount(out), in, out)
		}
		if counts == nil && (len(in) > 0 && &out[0] != &in[0] || len(out) != len(in)) {
			t.Fatal("nothing scrubbed, yet a different slice came back")
		}
		again, more := s.JSON(out)
		if more != nil || !bytes.Equal(again, out) {
			t.Fatalf("not idempotent: %v more\n in %q\nout %q\nagain %q", more, in, out, again)
		}
		if counts != nil && counts.Total() == 0 {
			t.Fatal("counts present but empty")
		}
	})
}
