package demo

import (
	"encoding/json"
	"io"
	"io/fs"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

const testKey = "pk_test_demo"

// pages lists every HTML page with the headline a browser test can assert
// on. product.html fills its h1 from the catalogue in JavaScript, so only its
// placeholder element is checked here.
var pages = []struct {
	path     string
	headline string
}{
	{"/demo/", "Reel Supply Co."},
	{"/demo/index.html", "Reel Supply Co."},
	{"/demo/product.html?id=field-tote", `data-testid="product-title"`},
	{"/demo/cart.html", "Your cart"},
	{"/demo/checkout.html", "Checkout"},
	{"/demo/thanks.html", "Thank you for your order"},
}

// newServer mounts the handler the way the reel server does, behind a
// ServeMux at Prefix, so path cleaning and redirects behave as in production.
func newServer(t *testing.T, key string) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.Handle(Prefix, Handler(key))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

func get(t *testing.T, rawURL string) (*http.Response, string) {
	t.Helper()
	resp, err := http.Get(rawURL)
	if err != nil {
		t.Fatalf("GET %s: %v", rawURL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: read body: %v", rawURL, err)
	}
	return resp, string(body)
}

func mediaType(t *testing.T, resp *http.Response) string {
	t.Helper()
	mt, _, err := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if err != nil {
		t.Fatalf("parse Content-Type %q: %v", resp.Header.Get("Content-Type"), err)
	}
	return mt
}

func TestServesFiles(t *testing.T) {
	srv := newServer(t, testKey)
	tests := []struct {
		name, path, wantType, wantBody string
	}{
		{"root is the index", "/demo/", "text/html", "<h1"},
		{"index", "/demo/index.html", "text/html", "Reel Supply Co."},
		{"product", "/demo/product.html?id=brass-pen", "text/html", `data-testid="qty-plus"`},
		{"cart", "/demo/cart.html", "text/html", "Your cart"},
		{"checkout", "/demo/checkout.html", "text/html", "Checkout"},
		{"thanks", "/demo/thanks.html", "text/html", "Thank you"},
		{"stylesheet", "/demo/shop.css", "text/css", ":root"},
		{"shared script", "/demo/shop.js", "text/javascript", "localStorage"},
		{"page script", "/demo/checkout.js", "text/javascript", "luhn"},
		{"favicon", "/demo/favicon.svg", "image/svg+xml", "<svg"},
		{"config", "/demo/config.js", "text/javascript", "Reel.init("},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, body := get(t, srv.URL+tt.path)
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status = %d, want 200", resp.StatusCode)
			}
			if got := mediaType(t, resp); got != tt.wantType {
				t.Errorf("Content-Type = %q, want %q", got, tt.wantType)
			}
			if !strings.Contains(body, tt.wantBody) {
				t.Errorf("body does not contain %q", tt.wantBody)
			}
		})
	}
}

func TestPageHeadlines(t *testing.T) {
	srv := newServer(t, testKey)
	for _, p := range pages {
		t.Run(p.path, func(t *testing.T) {
			_, body := get(t, srv.URL+p.path)
			h1 := regexp.MustCompile(`(?s)<h1[^>]*>.*?</h1>`).FindString(body)
			if !strings.Contains(h1, p.headline) {
				t.Errorf("first h1 = %q, want it to contain %q", h1, p.headline)
			}
		})
	}
}

// TestEveryPageIsListed keeps pages in step with the embedded site, so a new
// page cannot skip the script and link checks below.
func TestEveryPageIsListed(t *testing.T) {
	listed := map[string]bool{}
	for _, p := range pages {
		u, _ := url.Parse(p.path)
		listed[strings.TrimPrefix(u.Path, Prefix)] = true
	}
	names, err := fs.Glob(site, "site/*.html")
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range names {
		if n := strings.TrimPrefix(n, "site/"); !listed[n] {
			t.Errorf("%s is embedded but not in pages", n)
		}
	}
}

func TestConfig(t *testing.T) {
	tests := []struct {
		name, key string
	}{
		{"plain key", "pk_live_0123456789abcdef"},
		{"empty key", ""},
		{"quotes and script end", `"); alert(1); ("</script><script>alert(2)</script>`},
		{"backslashes and newlines", "a\\\"b\nc\r\u2028\u2029d"},
		{"html comment", "<!-- -->"},
	}
	literal := regexp.MustCompile(`^Reel\.init\(\{ key: ("(?:[^"\\]|\\.)*") \}\);\n$`)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newServer(t, tt.key)
			resp, body := get(t, srv.URL+"/demo/config.js")
			if resp.StatusCode != http.StatusOK {
				t.Fatalf("status = %d, want 200", resp.StatusCode)
			}
			if got := mediaType(t, resp); got != "text/javascript" {
				t.Errorf("Content-Type = %q, want text/javascript", got)
			}
			if got := resp.Header.Get("Cache-Control"); got != "no-store" {
				t.Errorf("Cache-Control = %q, want no-store", got)
			}
			m := literal.FindStringSubmatch(body)
			if m == nil {
				t.Fatalf("config.js = %q, want exactly one Reel.init call with a string key", body)
			}
			var got string
			if err := json.Unmarshal([]byte(m[1]), &got); err != nil {
				t.Fatalf("key literal %s: %v", m[1], err)
			}
			if got != tt.key {
				t.Errorf("key = %q, want %q", got, tt.key)
			}
			for _, bad := range []string{"<", ">", "\u2028", "\u2029", "\r"} {
				if strings.Contains(m[1], bad) {
					t.Errorf("key literal %s contains unescaped %q", m[1], bad)
				}
			}
		})
	}
}

func TestNotFound(t *testing.T) {
	srv := newServer(t, testKey)
	direct := httptest.NewServer(Handler(testKey))
	t.Cleanup(direct.Close)
	tests := []struct {
		name, base, path string
	}{
		{"unknown page", srv.URL, "/demo/nope.html"},
		{"embed directory name", srv.URL, "/demo/site/index.html"},
		{"config with another extension", srv.URL, "/demo/config.json"},
		{"file as directory", srv.URL, "/demo/index.html/x"},
		{"outside the prefix", direct.URL, "/other/index.html"},
		{"prefix without slash", direct.URL, "/demo"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp, _ := get(t, tt.base+tt.path)
			if resp.StatusCode != http.StatusNotFound {
				t.Errorf("status = %d, want 404", resp.StatusCode)
			}
		})
	}
}

// TestTraversal sends paths exactly as written, both to the bare handler
// (which sees them uncleaned) and through a ServeMux (which cleans and
// redirects), and checks that nothing outside the site comes back.
func TestTraversal(t *testing.T) {
	paths := []string{
		"/demo/../go.mod",
		"/demo/../../../../etc/passwd",
		"/demo/..%2fgo.mod",
		"/demo/%2e%2e/go.mod",
		"/demo/%2e%2e%2fgo.mod",
		"/demo/%2E%2E%2F%2E%2E%2Fgo.mod",
		"/demo/..%5cgo.mod",
		"/demo/..\\go.mod",
		"/demo//etc/passwd",
		"/demo/%2fetc%2fpasswd",
		"/demo/.%2e/demo.go",
		"/demo/../internal/demo/demo.go",
	}
	direct := httptest.NewServer(Handler(testKey))
	t.Cleanup(direct.Close)
	servers := map[string]string{"bare handler": direct.URL, "behind mux": newServer(t, testKey).URL}
	for sname, base := range servers {
		for _, p := range paths {
			t.Run(sname+" "+p, func(t *testing.T) {
				req, err := http.NewRequest(http.MethodGet, base, nil)
				if err != nil {
					t.Fatal(err)
				}
				// Set the request line by hand so the client sends the dots
				// and escapes untouched.
				req.URL.Opaque = p
				resp, err := http.DefaultClient.Do(req)
				if err != nil {
					t.Fatalf("GET %s: %v", p, err)
				}
				body, _ := io.ReadAll(resp.Body)
				resp.Body.Close()
				if resp.StatusCode != http.StatusNotFound {
					t.Errorf("status = %d, want 404", resp.StatusCode)
				}
				for _, leak := range []string{"module github.com", "root:", "package demo"} {
					if strings.Contains(string(body), leak) {
						t.Errorf("body contains %q", leak)
					}
				}
			})
		}
	}
}

func TestMethods(t *testing.T) {
	srv := newServer(t, testKey)
	tests := []struct {
		method string
		want   int
	}{
		{http.MethodGet, http.StatusOK},
		{http.MethodHead, http.StatusOK},
		{http.MethodPost, http.StatusMethodNotAllowed},
		{http.MethodDelete, http.StatusMethodNotAllowed},
	}
	for _, tt := range tests {
		t.Run(tt.method, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, srv.URL+"/demo/cart.html", nil)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tt.want {
				t.Errorf("status = %d, want %d", resp.StatusCode, tt.want)
			}
		})
	}
}

func TestRevalidation(t *testing.T) {
	srv := newServer(t, testKey)
	resp, _ := get(t, srv.URL+"/demo/shop.css")
	etag := resp.Header.Get("ETag")
	if etag == "" {
		t.Fatal("no ETag on a static file")
	}
	req, _ := http.NewRequest(http.MethodGet, srv.URL+"/demo/shop.css", nil)
	req.Header.Set("If-None-Match", etag)
	resp2, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp2.Body.Close()
	if resp2.StatusCode != http.StatusNotModified {
		t.Errorf("status with matching If-None-Match = %d, want 304", resp2.StatusCode)
	}
}

var (
	scriptTag = regexp.MustCompile(`(?is)<script\b([^>]*)>(.*?)</script\s*>`)
	srcAttr   = regexp.MustCompile(`(?i)\bsrc\s*=\s*"([^"]*)"`)
	anyTag    = regexp.MustCompile(`(?s)<[a-zA-Z][^>]*>`)
	handler   = regexp.MustCompile(`(?i)\son[a-z]+\s*=`)
	linkAttr  = regexp.MustCompile(`(?i)\s(?:href|src)\s*=\s*"([^"]*)"`)
	cssURL    = regexp.MustCompile(`url\(\s*['"]?([^'")]+)`)
)

// TestPageScripts checks the contract the SDK relies on: every page loads the
// SDK and then its config before anything else, and no page has inline code,
// so the shop runs under a strict Content-Security-Policy and the dashboard's
// no-script replay shows it as it was.
func TestPageScripts(t *testing.T) {
	srv := newServer(t, testKey)
	for _, p := range pages {
		t.Run(p.path, func(t *testing.T) {
			_, body := get(t, srv.URL+p.path)
			head, _, ok := strings.Cut(body, "</head>")
			if !ok {
				t.Fatal("no </head>")
			}
			scripts := scriptTag.FindAllStringSubmatch(body, -1)
			if len(scripts) < 2 {
				t.Fatalf("found %d scripts, want at least the SDK and its config", len(scripts))
			}
			for i, want := range []string{`<script src="/sdk/reel.js"></script>`, `<script src="/demo/config.js"></script>`} {
				if scripts[i][0] != want {
					t.Errorf("script %d = %q, want %q", i, scripts[i][0], want)
				}
				if !strings.Contains(head, want) {
					t.Errorf("%s is not in <head>", want)
				}
			}
			for i, s := range scripts {
				if strings.TrimSpace(s[2]) != "" {
					t.Errorf("script %d has an inline body: %q", i, s[2])
				}
				if !srcAttr.MatchString(s[1]) {
					t.Errorf("script %d has no src: %q", i, s[0])
				}
				if i >= 2 && !strings.Contains(s[1], "defer") {
					t.Errorf("page script %q is not deferred", s[0])
				}
			}
			for _, tag := range anyTag.FindAllString(body, -1) {
				if handler.MatchString(tag) {
					t.Errorf("inline event handler in %q", tag)
				}
				if strings.Contains(strings.ToLower(tag), "javascript:") {
					t.Errorf("javascript: URL in %q", tag)
				}
			}
		})
	}
}

// outsideDemo lists the only links the pages may make outside /demo/: the SDK
// itself and the dashboard that replays the visit. Both are served by other
// parts of the reel server.
var outsideDemo = map[string]bool{"/sdk/reel.js": true, "/": true}

// TestLinksResolve crawls the site from /demo/ and follows every local href
// and src, plus the page links the scripts build (product.html?id=…), and
// every url() in the stylesheet, asserting none is a 404 and none leaves the
// server.
func TestLinksResolve(t *testing.T) {
	srv := newServer(t, testKey)
	base, _ := url.Parse(srv.URL)
	start := base.ResolveReference(&url.URL{Path: Prefix})
	seen := map[string]bool{start.String(): true}
	queue := []*url.URL{start}
	// Links that scripts build are not in the HTML; seed one of each kind.
	for _, p := range []string{"product.html?id=field-tote", "product.html?id=no-such-product"} {
		u := start.ResolveReference(&url.URL{Path: strings.Split(p, "?")[0], RawQuery: strings.Split(p, "?")[1]})
		seen[u.String()] = true
		queue = append(queue, u)
	}
	for len(queue) > 0 {
		page := queue[0]
		queue = queue[1:]
		resp, body := get(t, page.String())
		if resp.StatusCode != http.StatusOK {
			t.Errorf("GET %s: status %d", page.Path, resp.StatusCode)
			continue
		}
		var refs []string
		switch mediaType(t, resp) {
		case "text/html":
			for _, m := range linkAttr.FindAllStringSubmatch(body, -1) {
				refs = append(refs, m[1])
			}
		case "text/css":
			for _, m := range cssURL.FindAllStringSubmatch(body, -1) {
				refs = append(refs, m[1])
			}
		case "text/javascript":
			for _, m := range regexp.MustCompile(`"([a-z]+\.html)(?:[?#"]|$)`).FindAllStringSubmatch(body, -1) {
				refs = append(refs, m[1])
			}
		}
		for _, ref := range refs {
			if ref == "" || strings.HasPrefix(ref, "#") || strings.HasPrefix(ref, "data:") {
				continue
			}
			u, err := page.Parse(ref)
			if err != nil {
				t.Errorf("%s: bad link %q: %v", page.Path, ref, err)
				continue
			}
			u.Fragment = ""
			if u.Host != base.Host || u.Scheme != base.Scheme {
				t.Errorf("%s: link %q leaves the server", page.Path, ref)
				continue
			}
			if !strings.HasPrefix(u.Path, Prefix) {
				if !outsideDemo[u.Path] {
					t.Errorf("%s: link %q points outside %s", page.Path, ref, Prefix)
				}
				continue
			}
			if !seen[u.String()] {
				seen[u.String()] = true
				queue = append(queue, u)
			}
		}
	}
	// The crawl must have reached every embedded file; anything it did not
	// reach is dead weight in the binary or a page nothing links to.
	reached := map[string]bool{}
	for s := range seen {
		u, _ := url.Parse(s)
		name := strings.TrimPrefix(u.Path, Prefix)
		if name == "" {
			name = "index.html"
		}
		reached[name] = true
	}
	err := fs.WalkDir(site, "site", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		if n := strings.TrimPrefix(name, "site/"); !reached[n] {
			t.Errorf("%s is embedded but nothing links to it", n)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
