package auth

import (
	"strings"
	"testing"
)

// A token NewToken makes parses back into its id and a secret whose hash is the stored one.
func TestNewTokenParses(t *testing.T) {
	text, id, hash := NewToken()
	gotID, secret, ok := ParseToken(text)
	if !ok || gotID != id || hashToken(secret) != hash || strings.Contains(text, hash) {
		t.Fatalf("ParseToken(%q) = %q, %q, %v; want id %q", text, gotID, secret, ok, id)
	}
	if other, otherID, _ := NewToken(); other == text || otherID == id {
		t.Fatal("two tokens are the same")
	}
}

// FuzzParseToken: whatever a client sends as a bearer token, ParseToken either refuses it or
// returns a 16-hex-digit id and a non-empty secret that spell the text exactly.
func FuzzParseToken(f *testing.F) {
	text, _, _ := NewToken()
	for _, s := range []string{text, "", "reel_", "reel__", "reel_0123456789abcdef_", "reel_0123456789abcdef_s_e_c", "reel_0123456789ABCDEF_x",
		"reel_zzzzzzzzzzzzzzzz_x", "Bearer reel_0123456789abcdef_x", strings.Repeat("reel_", 40)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		id, secret, ok := ParseToken(s)
		if !ok {
			return
		}
		if len(id) != 16 || strings.Trim(id, "0123456789abcdefABCDEF") != "" || secret == "" || TokenPrefix+id+"_"+secret != s || len(s) > 128 {
			t.Fatalf("ParseToken(%q) = %q, %q", s, id, secret)
		}
	})
}
