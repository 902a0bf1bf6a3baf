package server

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reelhq/reel/internal/auth"
	"github.com/reelhq/reel/internal/store"
	"github.com/reelhq/reel/internal/store/sqlite"
)

const adminPassword = "hunter2-hunter2"

// clock is a settable clock for the login throttle, so no test waits for a lock to pass.
type clock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// lockedBuffer is a log destination many handlers may write to at once.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string { b.mu.Lock(); defer b.mu.Unlock(); return b.buf.String() }

type loginStack struct {
	*stack
	clock    *clock
	throttle *auth.Throttle
	log      *lockedBuffer
}

// newLoginStack is newStack with the login throttle on a test clock, the auth options given
// (a trusted client address header), logs kept, and the store's user lookup behind gate when
// it is not nil.
func newLoginStack(t *testing.T, opts auth.Options, gate *gatedUsers) *loginStack {
	t.Helper()
	buf := &lockedBuffer{}
	clk := &clock{now: time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)}
	opts.Throttle = auth.NewThrottle(auth.DefaultThrottle, clk.Now)
	s := newStackFrom(t, stackConfig{auth: opts, log: buf, gate: gate})
	return &loginStack{stack: s, clock: clk, throttle: opts.Throttle, log: buf}
}

// login posts a login from address from (sent in X-Forwarded-For, which counts only when the
// stack trusts it).
func (s *loginStack) login(t *testing.T, from, email, password string) resp {
	t.Helper()
	body := fmt.Sprintf(`{"email":%q,"password":%q}`, email, password)
	return do(t, http.DefaultClient, "POST", s.srv.URL+"/api/v1/auth/login", strings.NewReader(body), "X-Forwarded-For", from)
}

func wantThrottled(t *testing.T, what string, r resp) {
	t.Helper()
	secs, err := strconv.Atoi(r.Header.Get("Retry-After"))
	if r.Status != http.StatusTooManyRequests || r.code() != "too_many_attempts" || err != nil || secs < 1 {
		t.Fatalf("%s = %d %s (Retry-After %q), want 429 too_many_attempts with Retry-After", what, r.Status, r.Body, r.Header.Get("Retry-After"))
	}
	if c := r.Header.Get("Set-Cookie"); c != "" {
		t.Fatalf("%s set a cookie: %q", what, c)
	}
}

func wantStatus(t *testing.T, what string, r resp, status int) {
	t.Helper()
	if r.Status != status {
		t.Fatalf("%s = %d %s, want %d", what, r.Status, r.Body, status)
	}
}

// Ten failed logins from one address, each at a different account, and the eleventh attempt
// from it is refused with 429 and Retry-After even with the right password; other addresses
// log in as usual, and the address may try again once its failures leave the window.
func TestLoginThrottledPerAddress(t *testing.T) {
	s := newLoginStack(t, auth.Options{ClientIPHeader: "X-Forwarded-For"}, nil)
	const guesser = "203.0.113.66"
	for i := range 10 {
		wantStatus(t, fmt.Sprintf("bad login %d", i+1), s.login(t, guesser, fmt.Sprintf("user%d@reel.local", i), "wrong-password"), 401)
	}
	wantThrottled(t, "11th attempt, right password", s.login(t, guesser, "admin@reel.local", adminPassword))
	wantThrottled(t, "12th attempt", s.login(t, guesser, "other@reel.local", "wrong-password"))
	wantStatus(t, "login from another address", s.login(t, "198.51.100.20", "admin@reel.local", adminPassword), 200)
	// Malformed bodies are no attempts and do not lift the lock either.
	for range 3 {
		r := do(t, http.DefaultClient, "POST", s.srv.URL+"/api/v1/auth/login", strings.NewReader(`{"email":`), "X-Forwarded-For", guesser)
		wantStatus(t, "malformed login", r, 400)
	}
	s.clock.Add(14 * time.Minute)
	wantThrottled(t, "after 14 minutes", s.login(t, guesser, "admin@reel.local", adminPassword))
	s.clock.Add(time.Minute)
	wantStatus(t, "after 15 minutes", s.login(t, guesser, "admin@reel.local", adminPassword), 200)
}

// Failed logins at one account from many addresses lock the account, for every address, with
// a lock that doubles with each further failure; a success ends the streak.
func TestLoginThrottledPerAccount(t *testing.T) {
	s := newLoginStack(t, auth.Options{ClientIPHeader: "X-Forwarded-For"}, nil)
	addr := func(i int) string { return fmt.Sprintf("192.0.2.%d", i) }
	for i := range 5 {
		wantStatus(t, fmt.Sprintf("bad login %d", i+1), s.login(t, addr(i), "admin@reel.local", "wrong-password"), 401)
	}
	wantThrottled(t, "right password from a new address during the lock", s.login(t, addr(100), "admin@reel.local", adminPassword))
	wantThrottled(t, "the email in capitals", s.login(t, addr(101), " ADMIN@reel.local", adminPassword))
	wantStatus(t, "another account meanwhile", s.login(t, addr(102), "nobody@reel.local", "wrong-password"), 401)

	s.clock.Add(time.Minute)
	wantStatus(t, "bad login after the 1-minute lock", s.login(t, addr(6), "admin@reel.local", "wrong-password"), 401)
	s.clock.Add(time.Minute)
	wantThrottled(t, "a minute into the doubled lock", s.login(t, addr(7), "admin@reel.local", adminPassword))
	s.clock.Add(time.Minute)
	wantStatus(t, "after the 2-minute lock", s.login(t, addr(8), "admin@reel.local", adminPassword), 200)

	// The success ended the streak: four more failures lock nothing.
	for i := range 4 {
		wantStatus(t, fmt.Sprintf("bad login %d after a success", i+1), s.login(t, addr(20+i), "admin@reel.local", "wrong-password"), 401)
	}
	wantStatus(t, "right password after four failures", s.login(t, addr(30), "admin@reel.local", adminPassword), 200)
}

// The client address header is trusted only when configured: without it, every request from
// this test is one address however it dresses up, so a guesser cannot spread over made-up
// addresses.
func TestLoginClientHeaderTrustedOnlyWhenConfigured(t *testing.T) {
	s := newLoginStack(t, auth.Options{}, nil)
	for i := range 10 {
		wantStatus(t, fmt.Sprintf("bad login %d", i+1), s.login(t, fmt.Sprintf("203.0.113.%d", i), fmt.Sprintf("user%d@reel.local", i), "wrong-password"), 401)
	}
	wantThrottled(t, "11th from a 'new' forwarded address", s.login(t, "198.51.100.1", "admin@reel.local", adminPassword))
	if !strings.Contains(s.log.String(), "addr=127.0.0.1") || strings.Contains(s.log.String(), "addr=203.0.113.") {
		t.Fatalf("an untrusted header reached the log:\n%s", s.log.String())
	}
}

// Every login outcome is logged with the client's address (the real one behind the trusted
// proxy); never with a password, nor the email of an attempt naming no account (it may be a
// password typed into the wrong field).
func TestLoginLogsCarryClientAddress(t *testing.T) {
	s := newLoginStack(t, auth.Options{ClientIPHeader: "X-Forwarded-For"}, nil)
	wantStatus(t, "bad login", s.login(t, "10.0.0.1, 198.51.100.7", "admin@reel.local", "not-the-password"), 401)
	wantStatus(t, "unknown account", s.login(t, "198.51.100.8", "secret-typed-here", "not-the-password"), 401)
	wantStatus(t, "login", s.login(t, "198.51.100.9", "admin@reel.local", adminPassword), 200)
	for range 5 {
		s.login(t, "198.51.100.10", "admin@reel.local", "not-the-password")
	}
	wantThrottled(t, "locked", s.login(t, "198.51.100.11", "admin@reel.local", adminPassword))

	logs := s.log.String()
	for _, want := range []string{
		`msg="login failed" addr=198.51.100.7 user=1 email=admin@reel.local`,
		`msg="login failed" addr=198.51.100.8 user=unknown`,
		`msg=login addr=198.51.100.9 user=1 email=admin@reel.local`,
		`msg="login throttled" addr=198.51.100.11 retry_after=1m0s`,
	} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %q:\n%s", want, logs)
		}
	}
	for _, secret := range []string{"not-the-password", adminPassword, "secret-typed-here", "10.0.0.1"} {
		if strings.Contains(logs, secret) {
			t.Errorf("log holds %q:\n%s", secret, logs)
		}
	}
}

// gatedUsers is the real store whose user lookup, the first step a login takes once it holds
// a hashing slot, waits at a gate and counts how many logins are inside at once.
type gatedUsers struct {
	*sqlite.DB
	open chan struct{}

	mu          sync.Mutex
	inside, max int
}

func (g *gatedUsers) UserByEmail(ctx context.Context, email string) (store.User, error) {
	g.mu.Lock()
	g.inside++
	g.max = max(g.max, g.inside)
	g.mu.Unlock()
	<-g.open
	defer func() { g.mu.Lock(); g.inside--; g.mu.Unlock() }()
	return g.DB.UserByEmail(ctx, email)
}

func (g *gatedUsers) counts() (inside, max int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.inside, g.max
}

// A flood of concurrent logins checks at most two passwords at a time (bcrypt is CPU-bound);
// the rest queue, and ingest is answered meanwhile.
func TestLoginHashingIsBounded(t *testing.T) {
	gate := &gatedUsers{open: make(chan struct{})}
	var once sync.Once
	openGate := func() { once.Do(func() { close(gate.open) }) }
	s := newLoginStack(t, auth.Options{ClientIPHeader: "X-Forwarded-For"}, gate)
	t.Cleanup(openGate) // before the server closes, which waits for the logins at the gate
	const n = 32
	results := make(chan resp, n)
	for i := range n {
		go func() {
			body := fmt.Sprintf(`{"email":"user%d@reel.local","password":"wrong-password"}`, i)
			req, _ := http.NewRequest("POST", s.srv.URL+"/api/v1/auth/login", strings.NewReader(body))
			req.Header.Set("X-Forwarded-For", fmt.Sprintf("203.0.113.%d", i))
			res, err := http.DefaultClient.Do(req)
			if err != nil {
				results <- resp{Status: -1, Body: []byte(err.Error())}
				return
			}
			res.Body.Close()
			results <- resp{Status: res.StatusCode}
		}()
	}
	// Wait until every login is either at the gate or queued for a slot.
	for {
		inside, _ := gate.counts()
		if inside+s.throttle.Waiting() == n {
			break
		}
		runtime.Gosched()
	}
	if inside, max := gate.counts(); inside != 2 || max != 2 || s.throttle.Waiting() != n-2 {
		t.Fatalf("logins checking passwords at once = %d (max %d), waiting %d; want 2 and %d", inside, max, s.throttle.Waiting(), n-2)
	}
	s.ingest(t, "s_during_login_flood", "t_tab00000001", 0, ev(4, time.Now().UnixMilli(), `{"href":"https://shop.example/","width":800,"height":600}`))
	openGate()
	for range n {
		if r := <-results; r.Status != 401 {
			t.Fatalf("queued login = %d %s, want 401", r.Status, r.Body)
		}
	}
	if _, max := gate.counts(); max != 2 {
		t.Fatalf("at most %d logins checked passwords at once, want 2", max)
	}
}
