package auth

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/reelhq/reel/internal/apierror"
)

func TestCheckPasswordPolicy(t *testing.T) {
	for _, tc := range []struct {
		name, pw string
		want     string // part of the error; empty: accepted
	}{
		{"one character", "a", "at least 10 characters"},
		{"nine characters", "123456789", "at least 10 characters"},
		{"ten characters", "1234567890", ""},
		{"ten characters, some multi-byte", "pässwörd-é", ""},
		{"nine runes in more than ten bytes", "ééééééééé", "at least 10 characters"},
		{"72 bytes", strings.Repeat("x", 72), ""},
		{"73 bytes, which bcrypt would cut", strings.Repeat("x", 73), "at most 72 bytes"},
		{"only spaces", strings.Repeat(" ", 12), "only spaces"},
		{"empty", "", "at least 10 characters"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := CheckPasswordPolicy(tc.pw)
			if tc.want == "" && err != nil || tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)) {
				t.Fatalf("CheckPasswordPolicy = %v, want %q", err, tc.want)
			}
		})
	}
}

type testClock struct{ now time.Time }

func (c *testClock) Now() time.Time { return c.now }

func TestThrottleAddresses(t *testing.T) {
	clk := &testClock{now: time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)}
	th := NewThrottle(DefaultThrottle, clk.Now)
	// Ten failures spread over ten minutes from one IPv6 /64, at different accounts.
	for i := range 10 {
		if at, wait := th.Begin(fmt.Sprintf("2001:db8:1:2::%x", i+1), fmt.Sprintf("user%d@x", i)); at == nil {
			t.Fatalf("attempt %d refused for %s", i+1, wait)
		}
		clk.now = clk.now.Add(time.Minute)
	}
	if at, wait := th.Begin("2001:db8:1:2:ffff::1", "admin@x"); at != nil || wait != 5*time.Minute {
		t.Fatalf("11th attempt from the /64 = %v, wait %s; want refused for 5m (until the first failure is 15 minutes old)", at, wait)
	}
	if at, _ := th.Begin("2001:db8:1:3::1", "admin@x"); at == nil {
		t.Fatal("the next /64 was refused")
	}
	if at, _ := th.Begin("::ffff:192.0.2.1", "admin@x"); at == nil {
		t.Fatal("an IPv4 address was refused")
	}
	clk.now = clk.now.Add(5 * time.Minute)
	at, _ := th.Begin("2001:db8:1:2::1", "admin@x")
	if at == nil {
		t.Fatal("the /64 was still refused once its first failure left the window")
	}
	// A success takes its own attempt back, not the address's other failures.
	at.Succeeded()
	if at, _ := th.Begin("2001:db8:1:2::1", "admin@x"); at == nil {
		t.Fatal("refused after a success took its attempt back")
	}
	if at, _ := th.Begin("2001:db8:1:2::1", "admin@x"); at != nil {
		t.Fatal("a success reset the address's failures")
	}
}

func TestThrottleAccountsVoidAndBounds(t *testing.T) {
	clk := &testClock{now: time.Date(2026, 12, 7, 0, 0, 0, 0, time.UTC)}
	p := DefaultThrottle
	p.MaxTracked = 8
	th := NewThrottle(p, clk.Now)
	// A voided attempt (no password was checked) is no failure.
	for i := range 20 {
		at, _ := th.Begin("192.0.2.1", "admin@x")
		if at == nil {
			t.Fatalf("voided attempt %d refused", i+1)
		}
		at.Void()
	}
	// The lock doubles up to its maximum: 1, 2, 4, 8, 15, 15 minutes.
	for range 4 {
		th.Begin("198.51.100.1", "admin@x")
	}
	for _, want := range []time.Duration{1, 2, 4, 8, 15, 15} {
		if at, _ := th.Begin("198.51.100.2", "Admin@X "); at == nil {
			t.Fatal("refused outside a lock")
		}
		if _, wait := th.Begin("198.51.100.3", "admin@x"); wait != want*time.Minute {
			t.Fatalf("lock = %s, want %s", wait, want*time.Minute)
		}
		clk.now = clk.now.Add(want * time.Minute)
	}
	// A day without failures forgets the streak.
	clk.now = clk.now.Add(24 * time.Hour)
	if at, _ := th.Begin("198.51.100.4", "admin@x"); at == nil {
		t.Fatal("refused after a day")
	}
	if at, _ := th.Begin("198.51.100.4", "admin@x"); at == nil {
		t.Fatal("the old streak still counted after a day")
	}
	// Memory is bounded: past MaxTracked, new addresses and accounts wait.
	for i := range 20 {
		th.Begin(fmt.Sprintf("203.0.113.%d", i), fmt.Sprintf("u%d@x", i))
	}
	if at, wait := th.Begin("203.0.113.200", "fresh@x"); at != nil || wait <= 0 {
		t.Fatalf("a new address past the bound = %v %s, want refused", at, wait)
	}
	if len(th.addrs) > p.MaxTracked || len(th.accounts) > p.MaxTracked {
		t.Fatalf("tracked %d addresses and %d accounts, bound %d", len(th.addrs), len(th.accounts), p.MaxTracked)
	}
}

func TestHashSlots(t *testing.T) {
	p := DefaultThrottle
	p.Hashing, p.HashQueue = 2, 1
	th := NewThrottle(p, nil)
	ctx := context.Background()
	r1, err1 := th.HashSlot(ctx)
	r2, err2 := th.HashSlot(ctx)
	if err1 != nil || err2 != nil {
		t.Fatal(err1, err2)
	}
	// The third waits; a fourth finds the queue full and is turned away with 503.
	cctx, cancel := context.WithCancel(ctx)
	got := make(chan error, 1)
	go func() {
		_, err := th.HashSlot(cctx)
		got <- err
	}()
	for th.Waiting() != 1 {
		time.Sleep(time.Millisecond)
	}
	var ae *apierror.Error
	if _, err := th.HashSlot(ctx); !errors.As(err, &ae) || ae.Status != 503 || ae.RetryAfter < 1 {
		t.Fatalf("with the queue full: %v, want 503 with Retry-After", err)
	}
	// A login whose client went away stops waiting.
	cancel()
	if err := <-got; !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled wait = %v", err)
	}
	r1()
	r3, err := th.HashSlot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	r2()
	r3()
	if th.Waiting() != 0 || len(th.slots) != 0 || len(th.queue) != 0 {
		t.Fatalf("slots left taken: waiting %d, slots %d, queue %d", th.Waiting(), len(th.slots), len(th.queue))
	}
}
