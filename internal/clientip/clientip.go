// Package clientip finds the address a request came from: the connection's, or the one a
// trusted proxy in front of Reel names in a header the operator configured
// (--client-ip-header). Ingest rate limits and login throttling use the same rule, so behind a
// proxy both see visitors rather than the proxy, and neither trusts a header nobody vouched for.
package clientip

import (
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// From returns the client's address for r. When header is set and holds an address, its last
// entry wins: each proxy appends to X-Forwarded-For, so only the entry the nearest (trusted)
// proxy added is not the client's own say-so. Otherwise it is the connection's address.
func From(r *http.Request, header string) string {
	if header != "" {
		v := r.Header.Get(header)
		if i := strings.LastIndexByte(v, ','); i >= 0 {
			v = v[i+1:]
		}
		if ip, err := netip.ParseAddr(strings.TrimSpace(v)); err == nil {
			return ip.String()
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
