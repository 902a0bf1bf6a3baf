package share

import (
	"strings"
	"testing"
)

func TestTokens(t *testing.T) {
	a, b := NewToken(), NewToken()
	if a == b || !ValidToken(a) || !ValidToken(b) {
		t.Fatalf("tokens %q, %q", a, b)
	}
	if Hash(a) == Hash(b) || len(Hash(a)) != 64 || Hash(a) != Hash(a) {
		t.Fatalf("hashes %q, %q", Hash(a), Hash(b))
	}
	for name, tok := range map[string]string{
		"empty":                   "",
		"short":                   a[:42],
		"long":                    a + "x",
		"bad character":           a[:42] + ".",
		"old signed link":         "s_abc12345.lx1x2y." + strings.Repeat("A", 43),
		"path":                    strings.Repeat("../", 14) + "a",
		"unicode of the same len": strings.Repeat("é", 21) + "a",
	} {
		if ValidToken(tok) {
			t.Errorf("%s: ValidToken(%q) = true", name, tok)
		}
	}
	id := NewID()
	if !ValidID(id) || ValidID(id[1:]) || ValidID("sh_"+a) || ValidID(a[:19]) {
		t.Fatalf("ids: %q", id)
	}
}
