package share

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestSignVerify(t *testing.T) {
	now := time.Unix(1_800_000_000, 0)
	s := NewSigner([]byte("0123456789abcdef0123456789abcdef"))
	other := NewSigner([]byte("another key, another installation"))
	good := s.Sign("s_abc12345", now.Add(time.Hour))

	tamper := func(tok string, i int, with string) string {
		p := strings.Split(tok, ".")
		p[i] = with
		return strings.Join(p, ".")
	}
	for _, tc := range []struct {
		name  string
		token string
		at    time.Time
		want  error
	}{
		{"valid", good, now, nil},
		{"just before expiry", good, now.Add(time.Hour - time.Second), nil},
		{"expired", good, now.Add(time.Hour), ErrExpired},
		{"other session", tamper(good, 0, "s_other123"), now, ErrInvalid},
		{"later expiry", tamper(good, 1, "zzzzzz"), now, ErrInvalid},
		{"bad signature", tamper(good, 2, "AAAA"), now, ErrInvalid},
		{"other key", other.Sign("s_abc12345", now.Add(time.Hour)), now, ErrInvalid},
		{"forged and expired", tamper(other.Sign("s_abc12345", now.Add(-time.Hour)), 0, "s_abc12345"), now, ErrInvalid},
		{"empty", "", now, ErrInvalid},
		{"two parts", "s_abc12345.abc", now, ErrInvalid},
		{"bad id", tamper(good, 0, "../etc"), now, ErrInvalid},
		{"huge", strings.Repeat("a", 300), now, ErrInvalid},
	} {
		t.Run(tc.name, func(t *testing.T) {
			g, err := s.Verify(tc.token, tc.at)
			if !errors.Is(err, tc.want) {
				t.Fatalf("Verify = %v, want %v", err, tc.want)
			}
			if err == nil && g.SessionID != "s_abc12345" {
				t.Fatalf("grant = %+v", g)
			}
		})
	}
}

// A token signed with the key but living longer than any link this server makes (a forged
// 10-year link from a leaked key) is refused as invalid; one at the longest allowed verifies.
func TestVerifyCapsExpiry(t *testing.T) {
	s := NewSigner([]byte("0123456789abcdef0123456789abcdef"))
	now := time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)
	if _, err := s.Verify(s.Sign("s_session01", now.Add(10*365*24*time.Hour)), now); !errors.Is(err, ErrInvalid) {
		t.Fatalf("a 10-year link = %v, want ErrInvalid", err)
	}
	if g, err := s.Verify(s.Sign("s_session01", now.Add(MaxTTL)), now); err != nil || g.SessionID != "s_session01" {
		t.Fatalf("a link at MaxTTL = %+v, %v", g, err)
	}
}
