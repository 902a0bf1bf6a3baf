package auth

import (
	"context"
	"fmt"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/reelhq/reel/internal/apierror"
	"github.com/reelhq/reel/internal/clientip"
)

// Password length bounds. bcrypt reads at most 72 bytes, so a longer password would be
// silently cut; ten characters is the shortest NIST SP 800-63B lets through for a password a
// person chose, rounded up, since a dashboard password guards everything people typed on a site.
const (
	MinPasswordLength = 10 // characters
	MaxPasswordBytes  = 72
)

// CheckPasswordPolicy says why pw cannot be a password, or nil. Use it wherever a password is
// set (setup's REEL_ADMIN_PASSWORD, invitations, resets); login does not, so an account whose
// password predates the policy can still log in.
func CheckPasswordPolicy(pw string) error {
	if n := utf8.RuneCountInString(pw); n < MinPasswordLength {
		return fmt.Errorf("password must be at least %d characters", MinPasswordLength)
	}
	if len(pw) > MaxPasswordBytes {
		return fmt.Errorf("password must be at most %d bytes", MaxPasswordBytes)
	}
	if strings.TrimSpace(pw) == "" {
		return fmt.Errorf("password must not be only spaces")
	}
	return nil
}

// ThrottlePolicy bounds password guessing (docs/auth.md).
type ThrottlePolicy struct {
	// AddressFailures failed logins one address may make in any AddressWindow; the next
	// attempt waits until the oldest of them leaves the window. IPv6 addresses count per /64,
	// the block one subscriber usually holds.
	AddressFailures int
	AddressWindow   time.Duration
	// AccountFailures failed logins in a row lock an account for AccountLock, from any
	// address; each failure after a lock doubles it, up to AccountLockMax. A success ends the
	// streak; so does a day without failures (AccountForget).
	AccountFailures int
	AccountLock     time.Duration
	AccountLockMax  time.Duration
	AccountForget   time.Duration
	// Hashing is how many logins may check a password (bcrypt, tens of milliseconds of CPU
	// each) at once; HashQueue how many more may wait for that before others are turned away
	// with 503.
	Hashing   int
	HashQueue int
	// MaxTracked bounds the addresses and accounts remembered; past it, attempts from new
	// ones wait until old entries expire.
	MaxTracked int
}

// DefaultThrottle is the policy `reel serve` runs with.
var DefaultThrottle = ThrottlePolicy{
	AddressFailures: 10, AddressWindow: 15 * time.Minute,
	AccountFailures: 5, AccountLock: time.Minute, AccountLockMax: 15 * time.Minute, AccountForget: 24 * time.Hour,
	Hashing: 2, HashQueue: 64,
	MaxTracked: 100_000,
}

// Throttle keeps the failed logins of the last while, per address and per account, in memory
// (each node of a scale-out install keeps its own).
type Throttle struct {
	p   ThrottlePolicy
	now func() time.Time

	mu       sync.Mutex
	addrs    map[string][]time.Time // failures inside the window, oldest first
	accounts map[string]*streak
	swept    time.Time

	slots   chan struct{}
	queue   chan struct{}
	waiting chan struct{} // a token per login waiting for a slot; its length is Waiting()
}

type streak struct {
	fails int
	until time.Time // locked before this
	last  time.Time // the latest failure
}

// NewThrottle returns a Throttle with policy p and clock now (time.Now when nil; tests pass
// their own, so no test waits for a lock to pass).
func NewThrottle(p ThrottlePolicy, now func() time.Time) *Throttle {
	if now == nil {
		now = time.Now
	}
	p.Hashing = max(1, p.Hashing)
	return &Throttle{
		p: p, now: now,
		addrs: map[string][]time.Time{}, accounts: map[string]*streak{},
		slots: make(chan struct{}, p.Hashing), queue: make(chan struct{}, p.Hashing+max(0, p.HashQueue)),
		waiting: make(chan struct{}, p.Hashing+max(0, p.HashQueue)),
	}
}

// Attempt is a login attempt the throttle let through. It counts as a failure from the moment
// it is let through, so 32 guesses sent at once are bounded like 32 sent one by one; Succeeded
// or Void takes it back.
type Attempt struct {
	t       *Throttle
	addr    string
	account string
	at      time.Time
	prev    streak
}

// Begin lets a login attempt from addr for account (an email, as typed) through, or says how
// long to wait before trying again. It refuses before any password is checked, so during a
// lock a right password learns nothing and costs no hashing.
func (t *Throttle) Begin(addr, account string) (*Attempt, time.Duration) {
	a, k := addressKey(addr), accountKey(account)
	now := t.now()
	t.mu.Lock()
	defer t.mu.Unlock()
	t.sweep(now)

	fails := t.addrs[a]
	for len(fails) > 0 && !now.Before(fails[0].Add(t.p.AddressWindow)) {
		fails = fails[1:]
	}
	if len(fails) >= t.p.AddressFailures {
		t.addrs[a] = fails
		return nil, fails[0].Add(t.p.AddressWindow).Sub(now)
	}
	s := t.accounts[k]
	if s != nil && now.Before(s.until) {
		return nil, s.until.Sub(now)
	}
	_, knownAddr := t.addrs[a]
	if full := t.p.MaxTracked > 0 && (len(t.addrs) >= t.p.MaxTracked || len(t.accounts) >= t.p.MaxTracked); full && (!knownAddr || s == nil) {
		return nil, time.Minute
	}
	if s == nil {
		s = &streak{}
		t.accounts[k] = s
	}
	if !s.last.IsZero() && now.Sub(s.last) >= t.p.AccountForget {
		*s = streak{}
	}
	at := &Attempt{t: t, addr: a, account: k, at: now, prev: *s}
	t.addrs[a] = append(fails, now)
	s.fails++
	s.last = now
	if s.fails >= t.p.AccountFailures {
		lock := t.p.AccountLock << min(s.fails-t.p.AccountFailures, 20)
		if lock > t.p.AccountLockMax || lock <= 0 {
			lock = t.p.AccountLockMax
		}
		s.until = now.Add(lock)
	}
	return at, 0
}

// Succeeded takes the attempt back and ends its account's streak of failures. The address's
// other failures stand: logging in to one's own account between guesses at another's must not
// reset the count.
func (at *Attempt) Succeeded() {
	at.t.mu.Lock()
	defer at.t.mu.Unlock()
	at.forget()
	delete(at.t.accounts, at.account)
}

// Void takes the attempt back without judging it: no password was checked (the server was
// busy or failed), so it is neither a failure nor a success.
func (at *Attempt) Void() {
	at.t.mu.Lock()
	defer at.t.mu.Unlock()
	at.forget()
	if s := at.t.accounts[at.account]; s != nil && s.last.Equal(at.at) {
		*s = at.prev
	}
}

func (at *Attempt) forget() {
	fails := at.t.addrs[at.addr]
	for i := len(fails) - 1; i >= 0; i-- {
		if fails[i].Equal(at.at) {
			at.t.addrs[at.addr] = append(fails[:i:i], fails[i+1:]...)
			break
		}
	}
}

// sweep drops what no longer counts, at most once a minute.
func (t *Throttle) sweep(now time.Time) {
	if now.Sub(t.swept) < time.Minute {
		return
	}
	t.swept = now
	for k, fails := range t.addrs {
		if len(fails) == 0 || !now.Before(fails[len(fails)-1].Add(t.p.AddressWindow)) {
			delete(t.addrs, k)
		}
	}
	for k, s := range t.accounts {
		if !now.Before(s.until) && now.Sub(s.last) >= t.p.AccountForget {
			delete(t.accounts, k)
		}
	}
}

// addressKey is what an address is counted under: an IPv6 address by its /64.
func addressKey(addr string) string {
	ip, err := netip.ParseAddr(addr)
	if err != nil {
		return addr
	}
	ip = ip.Unmap()
	if ip.Is4() {
		return ip.String()
	}
	p, _ := ip.Prefix(64)
	return p.String()
}

// accountKey is what an account is counted under: its email as the store matches it, bounded
// (longer ones are never accounts).
func accountKey(email string) string {
	k := strings.ToLower(strings.TrimSpace(email))
	if len(k) > 320 {
		k = k[:320]
	}
	return k
}

// errHashBusy answers a login that found every hashing slot taken and the queue full.
var errHashBusy = &apierror.Error{Status: http.StatusServiceUnavailable, Code: "unavailable", Message: "too many logins at once, retry shortly", RetryAfter: 1}

// HashSlot waits for one of the policy's hashing slots and returns the function that gives it
// back. Every password check on a request's behalf holds one, so a flood of logins queues
// here instead of taking the CPU ingest needs. It fails when the queue is full or ctx ends.
func (t *Throttle) HashSlot(ctx context.Context) (release func(), err error) {
	select {
	case t.queue <- struct{}{}:
	default:
		return nil, errHashBusy
	}
	t.waiting <- struct{}{}
	select {
	case t.slots <- struct{}{}:
		<-t.waiting
		return func() { <-t.slots; <-t.queue }, nil
	case <-ctx.Done():
		<-t.waiting
		<-t.queue
		return nil, fmt.Errorf("auth: waiting to check a password: %w", ctx.Err())
	}
}

// Waiting is how many logins wait for a hashing slot now.
func (t *Throttle) Waiting() int { return len(t.waiting) }

// Throttle is the login throttle the Auth checks passwords under.
func (a *Auth) Throttle() *Throttle { return a.throttle }

// ClientAddr is the address a request came from, as login throttling and auth logs see it:
// the trusted proxy's header when Options.ClientIPHeader names one, else the connection's.
func (a *Auth) ClientAddr(r *http.Request) string { return clientip.From(r, a.clientIPHeader) }
