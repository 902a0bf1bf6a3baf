package sso

import (
	"strings"
	"testing"
	"time"
)

func TestFlowCookieRefusesTamperedAndOld(t *testing.T) {
	key := []byte("k1")
	now := time.Unix(1_800_000_000, 0)
	f := flow{State: "st", Nonce: "no", Verifier: "ve", Next: "/x", Expires: now.Add(time.Minute).Unix()}
	good := f.encode(key)
	if got, err := decodeFlow(key, good, now); err != nil || got != f {
		t.Fatalf("decode(encode) = %+v, %v", got, err)
	}
	payload, mac, _ := strings.Cut(good, ".")
	forged := flow{State: "attacker", Nonce: "no", Verifier: "ve", Expires: f.Expires}.encode([]byte("other key"))
	fp, _, _ := strings.Cut(forged, ".")
	cases := map[string]struct {
		value string
		at    time.Time
	}{
		"expired":                   {good, now.Add(2 * time.Minute)},
		"signed with another key":   {forged, now},
		"payload swapped":           {fp + "." + mac, now},
		"no signature":              {payload, now},
		"empty":                     {"", now},
		"garbage":                   {"%%%.###", now},
		"oversized":                 {strings.Repeat("a", 5000) + "." + mac, now},
		"valid MAC, empty fields":   {flow{Expires: f.Expires}.encode(key), now},
		"valid MAC, not JSON":       {"bm90IGpzb24." + mac, now},
		"signature of other length": {payload + "." + mac[:10], now},
	}
	for name, c := range cases {
		if got, err := decodeFlow(key, c.value, c.at); err == nil {
			t.Errorf("%s: accepted as %+v", name, got)
		}
	}
}

func TestSafeNext(t *testing.T) {
	for in, want := range map[string]string{
		"":                              "/",
		"/":                             "/",
		"/sessions/s1?t=5":              "/sessions/s1?t=5",
		"//evil.example":                "/",
		"/\\evil.example":               "/",
		"https://evil.example/":         "/",
		"javascript:alert(1)":           "/",
		"/login?error=x":                "/",
		"/a\nSet-Cookie: x":             "/",
		"/" + strings.Repeat("a", 3000): "/",
	} {
		if got := safeNext(in); got != want {
			t.Errorf("safeNext(%q) = %q, want %q", in, got, want)
		}
	}
}

// FuzzDecodeFlow: no cookie value makes the decoder fail other than by refusing it, and what
// it accepts is exactly a flow signed with the key.
func FuzzDecodeFlow(f *testing.F) {
	key := []byte("fuzz key")
	now := time.Unix(1_800_000_000, 0)
	f.Add(flow{State: "s", Nonce: "n", Verifier: "v", Next: "/x", Expires: now.Unix() + 60}.encode(key))
	f.Add("e30.AAAA")
	f.Add(".")
	f.Add("")
	f.Fuzz(func(t *testing.T, v string) {
		got, err := decodeFlow(key, v, now)
		if err != nil {
			return
		}
		if again, err := decodeFlow(key, got.encode(key), now); err != nil || again != got {
			t.Fatalf("accepted %q as %+v, which does not survive re-encoding: %+v, %v", v, got, again, err)
		}
	})
}
