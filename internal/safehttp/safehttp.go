// Package safehttp builds the HTTP client Reel uses for every request to a URL someone else
// chose: archived resources (a URL from a recording, which anyone with a project's public key
// can send) and alert webhooks (a URL a project's admin typed). Such a request must not become
// a way into the network Reel runs in, nor tie Reel up: the client refuses loopback, private,
// link-local and otherwise reserved addresses at dial time (after name resolution, for every
// redirect), follows a few redirects to http(s) only, takes no proxy from the environment and
// keeps no cookies, and bounds every request's time and the size of what it reads.
package safehttp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"os"
	"syscall"
	"time"
)

// Errors a request is refused with before anything is sent to the address.
var (
	ErrScheme    = errors.New("only http and https URLs are fetched")
	ErrPrivate   = errors.New("refusing a loopback, private or link-local address")
	ErrRedirects = errors.New("too many redirects")
	ErrTooLarge  = errors.New("response over the size cap")
)

// Options shape a client.
type Options struct {
	// Timeout bounds one request: connecting, redirects, headers and reading the body.
	Timeout time.Duration
	// Redirects is how many redirects are followed; one more fails the request.
	Redirects int
	// AllowPrivate lets requests reach loopback, private and link-local addresses (a site or
	// a chat server on the same machine or network as Reel; tests).
	AllowPrivate bool
	// Allow, when set, decides which addresses may be dialled instead (tests that need one
	// loopback address to stand for a public one).
	Allow func(netip.Addr) bool
	// MaxHeaderBytes bounds the response headers (default 64 KiB).
	MaxHeaderBytes int64
	// Idle is how many idle connections are kept for reuse (default 16).
	Idle int
}

// New returns a client built as the package comment says.
func New(o Options) *http.Client {
	allow := o.Allow
	if allow == nil {
		allow = Public
		if o.AllowPrivate {
			allow = func(netip.Addr) bool { return true }
		}
	}
	if o.MaxHeaderBytes <= 0 {
		o.MaxHeaderBytes = 64 << 10
	}
	if o.Idle <= 0 {
		o.Idle = 16
	}
	dialer := &net.Dialer{
		Timeout: o.Timeout,
		// Control sees the address actually dialled, after name resolution and for every
		// redirect, so a name that resolves to a private address is refused like the address.
		Control: func(network, address string, _ syscall.RawConn) error {
			host, _, err := net.SplitHostPort(address)
			if err != nil {
				return err
			}
			ip, err := netip.ParseAddr(host)
			if err != nil || !allow(ip) {
				return fmt.Errorf("%w: %s", ErrPrivate, host)
			}
			return nil
		},
	}
	transport := &http.Transport{
		Proxy:                  nil,
		DialContext:            dialer.DialContext,
		ForceAttemptHTTP2:      true,
		TLSHandshakeTimeout:    o.Timeout,
		ResponseHeaderTimeout:  o.Timeout,
		MaxResponseHeaderBytes: o.MaxHeaderBytes,
		MaxIdleConns:           o.Idle,
		IdleConnTimeout:        30 * time.Second,
	}
	return &http.Client{
		Transport: transport,
		Timeout:   o.Timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) > o.Redirects {
				return fmt.Errorf("%w (more than %d)", ErrRedirects, o.Redirects)
			}
			if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
				return fmt.Errorf("%w: redirect to %s", ErrScheme, req.URL.Scheme)
			}
			return nil
		},
	}
}

// Read reads a response body of at most limit bytes; a longer one is ErrTooLarge, found from
// Content-Length before reading when the server declares it.
func Read(resp *http.Response, limit int64) ([]byte, error) {
	if resp.ContentLength > limit {
		return nil, fmt.Errorf("%w: %d bytes, over %d", ErrTooLarge, resp.ContentLength, limit)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(body)) > limit {
		return nil, fmt.Errorf("%w of %d bytes", ErrTooLarge, limit)
	}
	return body, nil
}

// Public reports whether a request may connect to ip: not loopback, private (RFC 1918, unique
// local), link-local, multicast, unspecified, shared (CGNAT), or otherwise reserved.
func Public(ip netip.Addr) bool {
	ip = ip.Unmap()
	if ip.IsLoopback() || ip.IsPrivate() || ip.IsLinkLocalUnicast() || ip.IsLinkLocalMulticast() ||
		ip.IsInterfaceLocalMulticast() || ip.IsMulticast() || ip.IsUnspecified() || !ip.IsValid() {
		return false
	}
	for _, p := range reserved {
		if p.Contains(ip) {
			return false
		}
	}
	return true
}

var reserved = []netip.Prefix{
	netip.MustParsePrefix("0.0.0.0/8"),       // "this network"
	netip.MustParsePrefix("100.64.0.0/10"),   // shared address space (CGNAT)
	netip.MustParsePrefix("192.0.0.0/24"),    // IETF protocol assignments
	netip.MustParsePrefix("198.18.0.0/15"),   // benchmarking
	netip.MustParsePrefix("240.0.0.0/4"),     // reserved, and broadcast
	netip.MustParsePrefix("64:ff9b::/96"),    // NAT64: an IPv4 address behind an IPv6 prefix
	netip.MustParsePrefix("64:ff9b:1::/48"),  // local-use NAT64
	netip.MustParsePrefix("2002::/16"),       // 6to4, which embeds an IPv4 address
	netip.MustParsePrefix("2001::/32"),       // Teredo, likewise
	netip.MustParsePrefix("fec0::/10"),       // deprecated site-local
	netip.MustParsePrefix("::/96"),           // IPv4-compatible (deprecated), and unspecified
	netip.MustParsePrefix("100::/64"),        // discard-only
	netip.MustParsePrefix("2001:db8::/32"),   // documentation
	netip.MustParsePrefix("3fff::/20"),       // documentation
	netip.MustParsePrefix("5f00::/16"),       // segment routing
	netip.MustParsePrefix("ff00::/8"),        // multicast
	netip.MustParsePrefix("::ffff:0:0/96"),   // IPv4-mapped, when not unmapped above
	netip.MustParsePrefix("::ffff:0:0:0/96"), // IPv4-translated
}

// Reason says briefly why a request failed, for a log line or a stored row: without the URL
// (the caller has it), and for a refusal naming only the refused address or scheme.
func Reason(err error) string {
	for _, sentinel := range []error{ErrPrivate, ErrScheme, ErrRedirects, ErrTooLarge} {
		if errors.Is(err, sentinel) {
			return policy(err, sentinel)
		}
	}
	var ne net.Error
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, os.ErrDeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout()) {
		return "timed out"
	}
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return "host not found"
	}
	var op *net.OpError
	if errors.As(err, &op) {
		return "could not connect"
	}
	return "request failed"
}

// policy returns the message of the error in err's chain that states the refusal (the one this
// package made), not the wrappers around it that repeat the URL.
func policy(err, sentinel error) string {
	for e := err; e != nil; e = errors.Unwrap(e) {
		switch e.(type) {
		case *url.Error, *net.OpError:
			continue
		}
		if errors.Is(e, sentinel) {
			return e.Error()
		}
	}
	return sentinel.Error()
}
