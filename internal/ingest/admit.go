package ingest

import (
	"net/http"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"github.com/reelhq/reel/internal/apierror"
	"github.com/reelhq/reel/internal/clientip"
)

// RateLimit is a token bucket: a steady rate of requests per second and a burst.
type RateLimit struct {
	PerSecond float64
	Burst     int
}

// DefaultPerIP allows an office behind one NAT address (hundreds of tabs each sending a batch
// every few seconds) while stopping one machine from flooding the server.
var DefaultPerIP = RateLimit{PerSecond: 200, Burst: 400}

// DefaultPerKey bounds what one project can push into a shared server.
var DefaultPerKey = RateLimit{PerSecond: 2000, Burst: 4000}

// limiters keeps one token bucket per key, forgetting keys idle for a while so a stream of
// spoofed or one-off addresses cannot grow the map without bound.
type limiters struct {
	mu      sync.Mutex
	limit   RateLimit
	buckets map[string]*bucket
	swept   time.Time
}

type bucket struct {
	lim  *rate.Limiter
	seen time.Time
}

func newLimiters(l RateLimit) *limiters {
	return &limiters{limit: l, buckets: map[string]*bucket{}, swept: time.Now()}
}

// allow reports whether a request for key may proceed now and, if not, how long to wait.
func (l *limiters) allow(key string, now time.Time) (bool, time.Duration) {
	if l == nil || l.limit.PerSecond <= 0 {
		return true, 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if now.Sub(l.swept) > time.Minute {
		for k, b := range l.buckets {
			if now.Sub(b.seen) > 5*time.Minute {
				delete(l.buckets, k)
			}
		}
		l.swept = now
	}
	b := l.buckets[key]
	if b == nil {
		b = &bucket{lim: rate.NewLimiter(rate.Limit(l.limit.PerSecond), max(1, l.limit.Burst))}
		l.buckets[key] = b
	}
	b.seen = now
	r := b.lim.ReserveN(now, 1)
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// clientIP is the visitor's address: from the trusted proxy's header when one is configured
// and holds an address, else the connection's (the rule login throttling shares).
func (h *Handler) clientIP(r *http.Request) string { return clientip.From(r, h.clientIPHeader) }

func rateLimited(wait time.Duration, what string) error {
	secs := int(wait/time.Second) + 1
	return &apierror.Error{Status: http.StatusTooManyRequests, Code: "rate_limited", Message: "too many requests from this " + what + ", retry later", RetryAfter: secs}
}

func atCapacity() error {
	return &apierror.Error{Status: http.StatusServiceUnavailable, Code: "unavailable", Message: "ingest is at capacity, retry later", RetryAfter: 2}
}

// DefaultOpenPerIP allows the uploads an office behind one NAT address has in flight at once
// (each takes milliseconds for the SDK's small batches) while keeping one address from
// holding connections open by trickling bodies.
const DefaultOpenPerIP = 64

// uploads counts the uploads each client address has open, forgetting an address when it has
// none, so the map holds only addresses with a request in flight.
type uploads struct {
	mu    sync.Mutex
	limit int // <= 0: unlimited
	n     map[string]int
}

func newUploads(limit int) *uploads {
	return &uploads{limit: limit, n: map[string]int{}}
}

// start counts an upload from address, or reports false when the address has its limit open.
func (u *uploads) start(address string) bool {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.limit > 0 && u.n[address] >= u.limit {
		return false
	}
	u.n[address]++
	return true
}

// done ends an upload start counted.
func (u *uploads) done(address string) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.n[address]--; u.n[address] <= 0 {
		delete(u.n, address)
	}
}

// open is how many uploads address has open.
func (u *uploads) open(address string) int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.n[address]
}
