package preview

import (
	"errors"
	"strings"
	"testing"
	"time"
)

var key = []byte("0123456789abcdef0123456789abcdef")

func TestVerify(t *testing.T) {
	now := time.Date(2026, 12, 7, 5, 0, 0, 0, time.UTC)
	want := Token{Project: "shop", Origin: "https://shop.example", Expires: now.Add(TTL)}
	tok := Mint(key, want)
	flip := func(s string, i int) string {
		b := []byte(s)
		if b[i] == 'A' {
			b[i] = 'B'
		} else {
			b[i] = 'A'
		}
		return string(b)
	}
	other := Mint(key, Token{Project: "other", Origin: want.Origin, Expires: want.Expires})
	for _, c := range []struct {
		name  string
		token string
		at    time.Time
		err   error
	}{
		{"fresh", tok, now, nil},
		{"a second before it ends", tok, now.Add(TTL - time.Second), nil},
		{"expired", tok, now.Add(TTL), ErrExpired},
		{"other key", Mint([]byte("another key"), want), now, ErrInvalid},
		{"project swapped", strings.Join(append(strings.Split(other, ".")[:2], strings.Split(tok, ".")[2:]...), "."), now, ErrInvalid},
		{"signature altered", flip(tok, len(tok)-3), now, ErrInvalid},
		{"expiry altered", strings.Replace(tok, ".17", ".27", 1), now, ErrInvalid},
		{"empty", "", now, ErrInvalid},
		{"junk", "pv1.a.b.c.d", now, ErrInvalid},
		{"other version", "pv2" + tok[3:], now, ErrInvalid},
		{"too long", tok + strings.Repeat("x", MaxTokenLen), now, ErrInvalid},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := Verify(key, c.token, c.at)
			if !errors.Is(err, c.err) {
				t.Fatalf("Verify = %v, want %v", err, c.err)
			}
			if c.err == nil && got != want {
				t.Errorf("Verify = %+v, want %+v", got, want)
			}
		})
	}
}

func TestSiteURL(t *testing.T) {
	for _, c := range []struct{ in, origin, link string }{
		{"https://Shop.Example/checkout?step=2#top", "https://shop.example", "https://Shop.Example/checkout?reel_preview=T&step=2#top"},
		{" http://127.0.0.1:8080/ ", "http://127.0.0.1:8080", "http://127.0.0.1:8080/?reel_preview=T"},
		{"ftp://shop.example/", "", ""},
		{"/checkout", "", ""},
		{"https://user:pw@shop.example/", "", ""},
		{"https://shop.example/" + strings.Repeat("a", 2048), "", ""},
	} {
		origin, err := SiteURL(c.in)
		if origin != c.origin || (err == nil) != (c.origin != "") {
			t.Errorf("SiteURL(%.40q) = %q, %v; want %q", c.in, origin, err, c.origin)
			continue
		}
		if err == nil {
			if got := Link(c.in, "T"); got != c.link {
				t.Errorf("Link(%q) = %q, want %q", c.in, got, c.link)
			}
		}
	}
}

// FuzzVerify: whatever arrives as a token, Verify never panics, and accepts only what Mint made
// with the same key.
func FuzzVerify(f *testing.F) {
	now := time.Date(2026, 12, 7, 5, 0, 0, 0, time.UTC)
	f.Add(Mint(key, Token{Project: "default", Origin: "http://127.0.0.1:1", Expires: now.Add(TTL)}))
	f.Add("pv1....")
	f.Add("pv1.ZGVmYXVsdA.aHR0cDovL2E.1.AAAA")
	f.Fuzz(func(t *testing.T, token string) {
		got, err := Verify(key, token, now)
		if err != nil {
			return
		}
		if Mint(key, got) != token {
			t.Fatalf("accepted %q, which Mint would write as %q", token, Mint(key, got))
		}
	})
}
