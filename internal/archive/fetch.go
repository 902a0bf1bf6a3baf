package archive

import (
	"context"
	"fmt"
	"mime"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"github.com/reelhq/reel/internal/safehttp"
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
	ErrScheme  = safehttp.ErrScheme
	ErrPrivate = safehttp.ErrPrivate
)

// Fetched is a resource as the server fetched it.
type Fetched struct {
	Body []byte
	Type string // the Content-Type it is served with (see serveType)
}

// fetcher makes the HTTP requests through a safehttp client: no cookies, no proxy from the
// environment, redirects only to http(s), and every connection's address checked after name
// resolution.
type fetcher struct {
	client *http.Client
	limits Limits
	agent  string
	sem    chan struct{}
}

// newFetcher returns a fetcher; allow decides which addresses may be dialled (nil: public ones).
func newFetcher(limits Limits, agent string, allow func(netip.Addr) bool) *fetcher {
	client := safehttp.New(safehttp.Options{Timeout: limits.Timeout, Redirects: 5, Allow: allow})
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
	body, err := safehttp.Read(resp, limit)
	if err != nil {
		return Fetched{}, err
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
