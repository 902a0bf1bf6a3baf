package archive

import (
	"context"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"syscall"
	"time"
)

// Limits bound what one fetch, and one session, may cost.
type Limits struct {
	// Timeout bounds one resource: connecting, redirects and reading the body.
	Timeout time.Duration
	// CSS and Other cap one stylesheet, and one font or image, in bytes.
	CSS, Other int64
	// Session caps the bytes of all resources one session uses, and Resources how many.
	Session   int64
	Resources int
	// Concurrency is how many fetches run at once, across sessions.
	Concurrency int
	// Deadline bounds archiving one session, fetches included.
	Deadline time.Duration
}

// DefaultLimits: a real site's stylesheet is tens to hundreds of kB and a web font 20–200 kB;
// the caps are ten times that, and a session's total keeps one page full of large images from
// filling the disk.
var DefaultLimits = Limits{Timeout: 10 * time.Second, CSS: 2 << 20, Other: 4 << 20, Session: 32 << 20, Resources: 200,
	Concurrency: 4, Deadline: time.Minute}

// Errors a fetch is refused with before anything is sent; a refused URL is not recorded.
var (
	ErrScheme  = errors.New("archive: only http and https URLs are fetched")
	ErrPrivate = errors.New("archive: refusing a loopback, private or link-local address")
)

// Fetched is a resource as the server fetched it.
type Fetched struct {
	Body []byte
	Type string // the Content-Type it is served with (see serveType)
}

// fetcher makes the HTTP requests: no cookies, no proxy from the environment, redirects only
// to http(s), and every connection's address checked after name resolution.
type fetcher struct {
	client *http.Client
	limits Limits
	agent  string
	sem    chan struct{}
}

// public reports whether a fetch may connect to ip: not loopback, private (RFC 1918, unique
// local), link-local, multicast, unspecified, shared (CGNAT), or otherwise reserved.
func public(ip netip.Addr) bool {
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

// newFetcher returns a fetcher; allow decides which addresses may be dialled (nil: public ones).
func newFetcher(limits Limits, agent string, allow func(netip.Addr) bool) *fetcher {
	if allow == nil {
		allow = public
	}
	dialer := &net.Dialer{
		Timeout: limits.Timeout,
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
		Proxy:                 nil,
		DialContext:           dialer.DialContext,
		ForceAttemptHTTP2:     true,
		TLSHandshakeTimeout:   limits.Timeout,
		ResponseHeaderTimeout: limits.Timeout,
		MaxIdleConns:          16,
		IdleConnTimeout:       30 * time.Second,
	}
	client := &http.Client{
		Transport: transport,
		Timeout:   limits.Timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 5 {
				return errors.New("archive: more than 5 redirects")
			}
			if req.URL.Scheme != "http" && req.URL.Scheme != "https" {
				return fmt.Errorf("%w: redirect to %s", ErrScheme, req.URL.Scheme)
			}
			return nil
		},
	}
	n := max(limits.Concurrency, 1)
	return &fetcher{client: client, limits: limits, agent: agent, sem: make(chan struct{}, n)}
}

// kind is what a reference is expected to be.
type kind int

const (
	kindStylesheet kind = iota // a <link rel=stylesheet> or an @import
	kindResource               // a url() in CSS: a font, a background image, a cursor
	kindImage                  // an <img> source
)

// get fetches u as the visitor's browser would have for the page at referer (sent as its origin
// only), without cookies or credentials.
func (f *fetcher) get(ctx context.Context, u string, k kind, referer, userAgent string) (Fetched, error) {
	parsed, err := url.Parse(u)
	if err != nil || (parsed.Scheme != "http" && parsed.Scheme != "https") || parsed.Host == "" {
		return Fetched{}, ErrScheme
	}
	select {
	case f.sem <- struct{}{}:
		defer func() { <-f.sem }()
	case <-ctx.Done():
		return Fetched{}, ctx.Err()
	}
	ctx, cancel := context.WithTimeout(ctx, f.limits.Timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, parsed.String(), nil)
	if err != nil {
		return Fetched{}, err
	}
	agent := f.agent
	if userAgent != "" {
		agent = userAgent + " " + f.agent
	}
	req.Header.Set("User-Agent", agent)
	switch k {
	case kindStylesheet:
		req.Header.Set("Accept", "text/css,*/*;q=0.1")
	case kindImage:
		req.Header.Set("Accept", "image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8")
	default:
		req.Header.Set("Accept", "*/*")
	}
	if r, err := url.Parse(referer); err == nil && (r.Scheme == "http" || r.Scheme == "https") && r.Host != "" {
		req.Header.Set("Referer", r.Scheme+"://"+r.Host+"/")
	}
	resp, err := f.client.Do(req)
	if err != nil {
		return Fetched{}, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return Fetched{}, fmt.Errorf("archive: HTTP %d", resp.StatusCode)
	}
	limit := f.limits.Other
	if k == kindStylesheet {
		limit = f.limits.CSS
	}
	if resp.ContentLength > limit {
		return Fetched{}, fmt.Errorf("archive: %d bytes, over the %d-byte cap", resp.ContentLength, limit)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, limit+1))
	if err != nil {
		return Fetched{}, err
	}
	if int64(len(body)) > limit {
		return Fetched{}, fmt.Errorf("archive: over the %d-byte cap", limit)
	}
	typ, err := serveType(k, resp.Header.Get("Content-Type"), body)
	if err != nil {
		return Fetched{}, err
	}
	return Fetched{Body: body, Type: typ}, nil
}

// served are the Content-Types an archived copy may be served with; anything else is served as
// application/octet-stream (with nosniff), which browsers still accept for fonts and images.
var served = map[string]bool{
	"text/css": true, "image/png": true, "image/jpeg": true, "image/gif": true, "image/webp": true, "image/avif": true,
	"image/svg+xml": true, "image/x-icon": true, "image/vnd.microsoft.icon": true, "image/bmp": true, "image/apng": true,
	"font/woff": true, "font/woff2": true, "font/ttf": true, "font/otf": true, "font/sfnt": true, "font/collection": true,
	"application/font-woff": true, "application/font-woff2": true, "application/x-font-ttf": true, "application/x-font-otf": true,
	"application/font-sfnt": true, "application/vnd.ms-fontobject": true,
}

// serveType decides the Content-Type of an archived copy from what the server declared and the
// body. A page (HTML) is refused whatever was asked for: a resource behind a login usually
// answers with the login page, which is not the resource.
func serveType(k kind, declared string, body []byte) (string, error) {
	mt, _, _ := mime.ParseMediaType(declared)
	mt = strings.ToLower(mt)
	sniffed, _, _ := mime.ParseMediaType(http.DetectContentType(body))
	if mt == "text/html" || mt == "application/xhtml+xml" || sniffed == "text/html" || strings.Contains(mt, "javascript") {
		return "", fmt.Errorf("archive: got %s, not a resource", firstNonEmpty(mt, sniffed))
	}
	if k == kindStylesheet {
		return "text/css", nil
	}
	switch {
	case served[mt]:
		return mt, nil
	case len(body) >= 4 && string(body[:4]) == "wOF2":
		return "font/woff2", nil
	case len(body) >= 4 && string(body[:4]) == "wOFF":
		return "font/woff", nil
	case len(body) >= 4 && (string(body[:4]) == "\x00\x01\x00\x00" || string(body[:4]) == "true"):
		return "font/ttf", nil
	case len(body) >= 4 && string(body[:4]) == "OTTO":
		return "font/otf", nil
	case served[sniffed]:
		return sniffed, nil
	}
	return "application/octet-stream", nil
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
