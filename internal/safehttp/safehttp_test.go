package safehttp

import (
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// listen serves h on addr (127.0.0.2 stands for a private host next to a "public" 127.0.0.1)
// and counts its requests.
func listen(t *testing.T, addr string, h http.HandlerFunc) (*httptest.Server, *atomic.Int64) {
	t.Helper()
	var n atomic.Int64
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n.Add(1)
		h(w, r)
	}))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatalf("cannot listen on %s: %v", addr, err)
	}
	srv.Listener.Close()
	srv.Listener = ln
	srv.Start()
	t.Cleanup(srv.Close)
	return srv, &n
}

// asPublic treats 127.0.0.1 as a public address and everything else by the default rule.
func asPublic(ip netip.Addr) bool { return ip == netip.MustParseAddr("127.0.0.1") || Public(ip) }

func TestClientRules(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	site, _ := listen(t, "127.0.0.1:0", func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/ok":
			w.Write([]byte("ok"))
		case "/to":
			http.Redirect(w, r, r.URL.Query().Get("to"), http.StatusFound)
		case "/loop":
			http.Redirect(w, r, "/loop", http.StatusFound)
		case "/slow":
			select {
			case <-release:
			case <-r.Context().Done():
			}
		case "/big":
			w.Write([]byte(strings.Repeat("x", 2000)))
		case "/headers":
			w.Header().Set("X-Big", strings.Repeat("h", 100<<10))
		}
	})
	private, privateHits := listen(t, "127.0.0.2:0", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("secret")) })
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(site.URL, "http://"))

	strict := New(Options{Timeout: 5 * time.Second, Redirects: 3})
	public := New(Options{Timeout: 5 * time.Second, Redirects: 3, Allow: asPublic})
	open := New(Options{Timeout: 5 * time.Second, Redirects: 3, AllowPrivate: true})
	short := New(Options{Timeout: 100 * time.Millisecond, Allow: asPublic})

	tests := []struct {
		name   string
		c      *http.Client
		url    string
		err    error  // errors.Is; nil: the request succeeds
		reason string // Reason(err) contains
	}{
		{"loopback refused by default", strict, site.URL + "/ok", ErrPrivate, "refusing a loopback, private or link-local address: 127.0.0.1"},
		{"a name resolving to loopback refused", strict, "http://localhost:" + port + "/ok", ErrPrivate, "127.0.0.1"},
		{"private allowed by the option", open, private.URL + "/", nil, ""},
		{"public fetched", public, site.URL + "/ok", nil, ""},
		{"private refused", public, private.URL + "/", ErrPrivate, "127.0.0.2"},
		{"redirect to a private address refused", public, site.URL + "/to?to=" + private.URL + "/", ErrPrivate, "127.0.0.2"},
		{"redirect to file: refused", public, site.URL + "/to?to=file:///etc/passwd", ErrScheme, "redirect to file"},
		{"endless redirects stop", public, site.URL + "/loop", ErrRedirects, "more than 3"},
		{"timeout", short, site.URL + "/slow", nil, "timed out"},
		{"huge headers refused", public, site.URL + "/headers", nil, "request failed"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			resp, err := tc.c.Get(tc.url)
			if err == nil {
				resp.Body.Close()
			}
			switch {
			case tc.err != nil && !errors.Is(err, tc.err):
				t.Fatalf("err = %v, want %v", err, tc.err)
			case tc.err == nil && tc.reason == "" && err != nil:
				t.Fatalf("err = %v", err)
			case tc.reason != "" && (err == nil || !strings.Contains(Reason(err), tc.reason)):
				t.Fatalf("err = %v, reason %q, want %q", err, reasonOf(err), tc.reason)
			}
		})
	}
	if n := privateHits.Load(); n != 1 {
		t.Errorf("the private server was asked %d times, want once (with AllowPrivate)", n)
	}
}

func reasonOf(err error) string {
	if err == nil {
		return ""
	}
	return Reason(err)
}

func TestReadCapsTheBody(t *testing.T) {
	site, _ := listen(t, "127.0.0.1:0", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/chunked" {
			for range 4 {
				w.Write([]byte(strings.Repeat("c", 500)))
				w.(http.Flusher).Flush()
			}
			return
		}
		w.Write([]byte(strings.Repeat("x", 2000)))
	})
	c := New(Options{Timeout: 5 * time.Second, Allow: asPublic})
	for _, path := range []string{"/declared", "/chunked"} {
		resp, err := c.Get(site.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		_, err = Read(resp, 1000)
		resp.Body.Close()
		if !errors.Is(err, ErrTooLarge) || !strings.Contains(Reason(err), "over the size cap") {
			t.Errorf("%s: err = %v", path, err)
		}
		resp, err = c.Get(site.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		b, err := Read(resp, 2000)
		resp.Body.Close()
		if err != nil || len(b) != 2000 {
			t.Errorf("%s within the cap: %d bytes, %v", path, len(b), err)
		}
	}
}

func TestPublicAddresses(t *testing.T) {
	for addr, want := range map[string]bool{
		"8.8.8.8": true, "2606:4700::1111": true, "93.184.216.34": true,
		"127.0.0.1": false, "10.1.2.3": false, "172.16.0.1": false, "192.168.1.1": false, "169.254.169.254": false,
		"100.64.0.1": false, "0.0.0.0": false, "::1": false, "fe80::1": false, "fd00::1": false, "::ffff:127.0.0.1": false,
		"::ffff:169.254.169.254": false, "64:ff9b::a9fe:a9fe": false, "::7f00:1": false, "224.0.0.1": false, "255.255.255.255": false,
	} {
		if got := Public(netip.MustParseAddr(addr)); got != want {
			t.Errorf("Public(%s) = %v, want %v", addr, got, want)
		}
	}
}
