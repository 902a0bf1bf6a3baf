package ingest

import (
	"context"
	"errors"
	"regexp"
	"testing"
	"unicode/utf8"

	"github.com/reelhq/reel/internal/apierror"
)

// loneSurrogate finds a \uD800–\uDFFF escape that is not half of a high-low pair (and not the
// letters after an escaped backslash): what strict JSON readers refuse.
func loneSurrogate(b []byte) string {
	for _, m := range surrogateEscape.FindAllSubmatch(b, -1) {
		if len(m[1])%2 == 1 && len(m[2]) == 4 {
			return string(m[0])
		}
	}
	return ""
}

var surrogateEscape = regexp.MustCompile(`(?i)(\\+)u(d[89ab][0-9a-f]{2}\\ud[c-f][0-9a-f]{2}|d[89a-f][0-9a-f]{2})`)

func TestValidText(t *testing.T) {
	cases := []struct {
		name, in, want string
	}{
		{"valid text is kept", `{"a":"café \ud83d\ude00 \u00e9"}`, `{"a":"café \ud83d\ude00 \u00e9"}`},
		{"an invalid byte", "{\"a\":\"caf\xe9\"}", "{\"a\":\"caf\uFFFD\"}"},
		{"each invalid byte", "{\"a\":\"\xff\xfe\"}", "{\"a\":\"\uFFFD\uFFFD\"}"},
		{"a truncated sequence", "{\"a\":\"\xe2\x82\"}", "{\"a\":\"\uFFFD\uFFFD\"}"},
		{"a surrogate encoded as bytes", "{\"a\":\"\xed\xa0\x80\"}", "{\"a\":\"\uFFFD\uFFFD\uFFFD\"}"},
		{"a lone high surrogate", `{"a":"x\ud83d"}`, `{"a":"x\ufffd"}`},
		{"a lone high surrogate, upper case", `{"a":"\uD83Dx"}`, `{"a":"\ufffdx"}`},
		{"a lone low surrogate", `{"a":"\ude00"}`, `{"a":"\ufffd"}`},
		{"two high surrogates", `{"a":"\ud83d\ud83d\ude00"}`, `{"a":"\ufffd\ud83d\ude00"}`},
		{"a high surrogate before a non-surrogate escape", `{"a":"\ud83d\u0041"}`, `{"a":"\ufffd\u0041"}`},
		{"an escaped backslash before u", `{"a":"\\ud800"}`, `{"a":"\\ud800"}`},
		{"an escaped backslash before an escape", `{"a":"\\\ud800"}`, `{"a":"\\\ufffd"}`},
		{"in a key", `{"\udc00":1}`, `{"\ufffd":1}`},
		{"cut short at the end", `{"a":"\ud8`, `{"a":"\ud8`},
		{"both", "{\"a\":\"\xff\\ud800\"}", "{\"a\":\"\uFFFD\\ufffd\"}"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			in := []byte(tc.in)
			var grown int64
			got, err := ValidText(in, DefaultLimits, func(n int64) error { grown += n; return nil })
			if err != nil || string(got) != tc.want {
				t.Fatalf("ValidText(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
			}
			if !utf8.Valid(got) || loneSurrogate(got) != "" {
				t.Fatalf("ValidText(%q) = %q is not strict JSON text", tc.in, got)
			}
			if utf8.ValidString(tc.in) && grown != 0 {
				t.Fatalf("valid UTF-8 asked for %d more bytes", grown)
			}
			if !utf8.ValidString(tc.in) && grown < int64(len(got)) {
				t.Fatalf("the copy of %d bytes reserved only %d", len(got), grown)
			}
		})
	}
}

// TestValidTextBounds: replacing invalid bytes may not take the text past the decompressed
// limit, and the memory for the copy is asked for first (and refused when the budget is spent).
func TestValidTextBounds(t *testing.T) {
	limits := DefaultLimits
	limits.MaxDecompressed = 100
	in := make([]byte, 50)
	for i := range in {
		in[i] = 0xff
	}
	_, err := ValidText(in, limits, nil)
	var ae *apierror.Error
	if !errors.As(err, &ae) || ae.Status != 413 {
		t.Fatalf("50 invalid bytes under a 100-byte limit = %v; want 413", err)
	}
	spent := errors.New("spent")
	if _, err := ValidText([]byte("\xff"), DefaultLimits, func(int64) error { return spent }); !errors.Is(err, spent) {
		t.Fatalf("with the budget spent = %v", err)
	}
}

// TestIngestStoresValidUTF8: through the endpoint, invalid UTF-8 in the events, the meta and
// the User-Agent header is stored replaced.
func TestIngestStoresValidUTF8(t *testing.T) {
	e := newEnv(t, Options{})
	body := []byte(`{"session":"s_session01","tab":"t_tab00001","seq":0,"events":[` + "{\"type\":4,\"timestamp\":1764237600000,\"data\":{\"href\":\"http://x/\xff\\udfff\",\"width\":1,\"height\":1}}" + `]}`)
	if r := e.post(t, "v=1&key=pk_test", gz(t, body), "User-Agent", "Mozilla/5.0 \xff"); r.Status != 200 {
		t.Fatalf("ingest = %d %s", r.Status, r.Body)
	}
	s, err := e.db.GetSession(context.Background(), "s_session01")
	if err != nil || s.EntryURL != "http://x/\uFFFD\uFFFD" || s.UserAgent != "Mozilla/5.0 \uFFFD" {
		t.Fatalf("session = %+v, %v", s, err)
	}
}
