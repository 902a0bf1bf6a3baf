package archive

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/reelhq/reel/internal/safehttp"
)

// counted serves h and counts its requests.
type counted struct {
	*httptest.Server
	n atomic.Int64
}

func serve(t *testing.T, addr string, h http.HandlerFunc) *counted {
	t.Helper()
	c := &counted{}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		c.n.Add(1)
		h(w, r)
	}))
	if addr != "" {
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			// Linux answers on all of 127.0.0.0/8; a machine that does not cannot run this test.
			t.Fatalf("cannot listen on %s: %v", addr, err)
		}
		srv.Listener.Close()
		srv.Listener = ln
	}
	srv.Start()
	t.Cleanup(srv.Close)
	c.Server = srv
	return c
}

// onlyLoopback1 treats 127.0.0.1 as a public address and everything else by the default rule,
// so a test server on 127.0.0.1 stands for a public site and 127.0.0.2 for a private one.
func onlyLoopback1(ip netip.Addr) bool {
	return ip == netip.MustParseAddr("127.0.0.1") || safehttp.Public(ip)
}

func TestFetchLimits(t *testing.T) {
	big := strings.Repeat("a", 3<<20)
	site := serve(t, "127.0.0.1:0", func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/big.css":
			w.Header().Set("Content-Type", "text/css")
			w.Write([]byte(big))
		case "/big-chunked.css":
			w.Header().Set("Content-Type", "text/css")
			for i := 0; i < 3; i++ {
				w.Write([]byte(big[:1<<20]))
				w.(http.Flusher).Flush()
			}
		case "/slow.css":
			select {
			case <-time.After(3 * time.Second):
			case <-r.Context().Done():
			}
			w.Write([]byte("body{}"))
		case "/ok.css":
			w.Header().Set("Content-Type", "text/css")
			w.Write([]byte("body{color:red}"))
		case "/login.css":
			w.Header().Set("Content-Type", "text/html")
			w.Write([]byte("<!doctype html><form>Sign in</form>"))
		case "/login-untyped.css":
			w.Write([]byte("<!DOCTYPE html><html><body>Sign in</body></html>"))
		case "/font":
			w.Header().Set("Content-Type", "application/octet-stream")
			w.Write([]byte("wOF2\x00\x01\x00\x00rest-of-font"))
		case "/forbidden.css":
			http.Error(w, "no", http.StatusForbidden)
		case "/to-private":
			http.Redirect(w, r, r.URL.Query().Get("to"), http.StatusFound)
		case "/to-file":
			http.Redirect(w, r, "file:///etc/passwd", http.StatusFound)
		case "/to-ftp":
			http.Redirect(w, r, "ftp://example.com/x.css", http.StatusFound)
		default:
			http.NotFound(w, r)
		}
	})
	private := serve(t, "127.0.0.2:0", func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte("body{color:secret}"))
	})
	_, port, _ := net.SplitHostPort(strings.TrimPrefix(site.URL, "http://"))

	// Only the timeout case has a short timeout: on a loaded machine, reading 2 MiB to find
	// the cap can take longer than the slow case's wait.
	short := DefaultLimits
	short.Timeout = 300 * time.Millisecond
	asPublic := newFetcher(DefaultLimits, "test", onlyLoopback1)
	byDefault := newFetcher(DefaultLimits, "test", nil)
	impatient := newFetcher(short, "test", onlyLoopback1)

	tests := []struct {
		name    string
		f       *fetcher
		url     string
		kind    kind
		want    string // body on success
		wantTyp string
		err     error  // errors.Is
		errText string // or a substring of reason(err)
	}{
		{name: "fetches a stylesheet", f: asPublic, url: site.URL + "/ok.css", want: "body{color:red}", wantTyp: "text/css"},
		{name: "font type from its bytes", f: asPublic, url: site.URL + "/font", kind: kindResource, wantTyp: "font/woff2", want: "wOF2\x00\x01\x00\x00rest-of-font"},
		{name: "size cap from Content-Length", f: asPublic, url: site.URL + "/big.css", errText: "cap"},
		{name: "size cap while reading", f: asPublic, url: site.URL + "/big-chunked.css", errText: "cap"},
		{name: "timeout", f: impatient, url: site.URL + "/slow.css", errText: "timed out"},
		{name: "HTTP error", f: asPublic, url: site.URL + "/forbidden.css", errText: "HTTP 403"},
		{name: "login page instead of a stylesheet", f: asPublic, url: site.URL + "/login.css", errText: "not a resource"},
		{name: "login page without a type", f: asPublic, url: site.URL + "/login-untyped.css", errText: "not a resource"},
		{name: "loopback refused by default", f: byDefault, url: site.URL + "/ok.css", err: ErrPrivate},
		{name: "name resolving to loopback refused", f: byDefault, url: "http://localhost:" + port + "/ok.css", err: ErrPrivate},
		{name: "private address refused", f: asPublic, url: private.URL + "/x.css", err: ErrPrivate},
		{name: "redirect to a private address refused", f: asPublic, url: site.URL + "/to-private?to=" + private.URL + "/x.css", err: ErrPrivate},
		{name: "redirect to file: refused", f: asPublic, url: site.URL + "/to-file", err: ErrScheme},
		{name: "redirect to ftp: refused", f: asPublic, url: site.URL + "/to-ftp", err: ErrScheme},
		{name: "file: refused", f: asPublic, url: "file:///etc/passwd", err: ErrScheme},
		{name: "ftp: refused", f: asPublic, url: "ftp://127.0.0.1/x.css", err: ErrScheme},
		{name: "data: refused", f: asPublic, url: "data:text/css,body{}", err: ErrScheme},
		{name: "javascript: refused", f: asPublic, url: "javascript:alert(1)", err: ErrScheme},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := tc.f.get(context.Background(), tc.url, tc.kind, "https://shop.example/page?secret=1", "Mozilla/5.0 test")
			switch {
			case tc.err != nil:
				if !errors.Is(err, tc.err) {
					t.Fatalf("err = %v, want %v", err, tc.err)
				}
			case tc.errText != "":
				if err == nil || !strings.Contains(reason(err), tc.errText) {
					t.Fatalf("err = %v (reason %q), want %q", err, reasonOf(err), tc.errText)
				}
			default:
				if err != nil {
					t.Fatal(err)
				}
				if string(got.Body) != tc.want || got.Type != tc.wantTyp {
					t.Fatalf("got %q as %s, want %q as %s", got.Body, got.Type, tc.want, tc.wantTyp)
				}
			}
		})
	}
	if n := private.n.Load(); n != 0 {
		t.Errorf("the private server was asked %d times", n)
	}
}

func reasonOf(err error) string {
	if err == nil {
		return ""
	}
	return reason(err)
}

// TestFetchSendsNoCredentials checks what the archiver tells the site: the page's origin as
// the Referer (never its path or query), the visitor's User-Agent with Reel's added, no cookies.
func TestFetchSendsNoCredentials(t *testing.T) {
	var got http.Header
	site := serve(t, "127.0.0.1:0", func(w http.ResponseWriter, r *http.Request) {
		got = r.Header.Clone()
		w.Write([]byte("body{}"))
	})
	f := newFetcher(DefaultLimits, "Reel-Archiver/1", onlyLoopback1)
	if _, err := f.get(context.Background(), site.URL+"/a.css", kindStylesheet, "https://shop.example/account?token=abc", "Mozilla/5.0 X"); err != nil {
		t.Fatal(err)
	}
	if got.Get("Referer") != "https://shop.example/" || got.Get("Cookie") != "" || got.Get("Authorization") != "" ||
		got.Get("User-Agent") != "Mozilla/5.0 X Reel-Archiver/1" {
		t.Fatalf("request headers = %v", got)
	}
}

func ExampleKey() {
	for _, s := range []string{"https://cdn.example/a.css#x", "/relative.png", "data:image/png;base64,AA", " http://x.example/i.png "} {
		fmt.Printf("%q\n", Key(s))
	}
	// Output:
	// "https://cdn.example/a.css"
	// ""
	// ""
	// "http://x.example/i.png"
}
