package e2e

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"image/color"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// sdkSite serves e2e/testdata on its own origin (sites are never on Reel's origin), with
// {{ENDPOINT}} and {{KEY}} filled in, plus /echo, an API the network capture can record.
func sdkSite(t *testing.T, endpoint, key string) *httptest.Server {
	t.Helper()
	mux := http.NewServeMux()
	mux.HandleFunc("/echo", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		w.Header().Set("Set-Cookie", "sid=cookie-secret-value")
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprintf(w, `{"ok":true,"token":"response-token-secret","got":%d}`, len(b))
	})
	mux.HandleFunc("/fail", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusInternalServerError)
		w.Write([]byte("boom"))
	})
	// A picture that takes ?ms= to arrive (a page whose load event comes late).
	mux.HandleFunc("/slow.png", func(w http.ResponseWriter, r *http.Request) {
		ms, _ := strconv.Atoi(r.URL.Query().Get("ms"))
		select {
		case <-time.After(time.Duration(min(ms, 30000)) * time.Millisecond):
		case <-r.Context().Done():
			return
		}
		w.Header().Set("Content-Type", "image/png")
		w.Write(solidPNG(40, 40, color.RGBA{200, 30, 30, 255}))
	})
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, "/")
		if name == "" {
			name = "sdk.html"
		}
		b, err := os.ReadFile("testdata/" + name)
		if err != nil || strings.Contains(name, "..") {
			http.NotFound(w, r)
			return
		}
		b = bytes.ReplaceAll(b, []byte("{{ENDPOINT}}"), []byte(endpoint))
		b = bytes.ReplaceAll(b, []byte("{{KEY}}"), []byte(key))
		ms, _ := strconv.Atoi(r.URL.Query().Get("ms"))
		b = bytes.ReplaceAll(b, []byte("{{MS}}"), []byte(strconv.Itoa(ms)))
		switch {
		case strings.HasSuffix(name, ".html"):
			w.Header().Set("Content-Type", "text/html; charset=utf-8")
		case strings.HasSuffix(name, ".js"):
			w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
		}
		w.Write(b)
	})
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return srv
}

// sdkPage is the test page's URL with Reel.init options merged in.
func sdkPage(site *httptest.Server, page string, opts string) string {
	if opts == "" {
		opts = "{}"
	}
	return site.URL + "/" + page + "?o=" + url.QueryEscape(opts)
}

// ingestProxy stands between the SDK and Reel so a test can take the server "down" (connections
// dropped), answer 429, and see every ingest request the SDK made, decompressed.
type ingestProxy struct {
	*httptest.Server
	mu       sync.Mutex
	mode     string // "", "down", "429"
	n429     int
	config   string // when set, served as GET /api/v1/sdk-config
	target   *httputil.ReverseProxy
	requests []proxied
}

type proxied struct {
	at     time.Time
	status int
	query  url.Values
	body   string
}

func newIngestProxy(t *testing.T, target string) *ingestProxy {
	t.Helper()
	p := &ingestProxy{}
	p.retarget(target)
	p.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		rp, config := p.target, p.config
		p.mu.Unlock()
		if config != "" && r.URL.Path == "/api/v1/sdk-config" {
			w.Header().Set("Access-Control-Allow-Origin", "*")
			w.Header().Set("Content-Type", "application/json")
			w.Write([]byte(config))
			return
		}
		if !strings.HasPrefix(r.URL.Path, "/api/v1/ingest") {
			rp.ServeHTTP(w, r)
			return
		}
		body, _ := io.ReadAll(r.Body)
		text := body
		if zr, err := gzip.NewReader(bytes.NewReader(body)); err == nil {
			text, _ = io.ReadAll(zr)
		}
		p.mu.Lock()
		mode := p.mode
		if mode == "429" && p.n429 <= 0 {
			mode = ""
		}
		if mode == "429" {
			p.n429--
		}
		p.mu.Unlock()
		rec := proxied{at: time.Now(), query: r.URL.Query(), body: string(text)}
		switch mode {
		case "down":
			rec.status = -1
			p.add(rec)
			if hj, ok := w.(http.Hijacker); ok {
				c, _, _ := hj.Hijack()
				c.Close()
				return
			}
			w.WriteHeader(http.StatusBadGateway)
			return
		case "429":
			rec.status = 429
			p.add(rec)
			w.Header().Set("Access-Control-Allow-Origin", "*")
			// As docs/wire-format.md asks of the server: a cross-origin page can only read an exposed header.
			w.Header().Set("Access-Control-Expose-Headers", "Retry-After")
			w.Header().Set("Retry-After", "2")
			w.WriteHeader(http.StatusTooManyRequests)
			w.Write([]byte(`{"error":{"code":"rate_limited","message":"slow down"}}`))
			return
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		r.ContentLength = int64(len(body))
		sw := &statusWriter{ResponseWriter: w, status: 200}
		rp.ServeHTTP(sw, r)
		rec.status = sw.status
		p.add(rec)
	}))
	t.Cleanup(p.Close)
	return p
}

// retarget sends what follows to another Reel server.
func (p *ingestProxy) retarget(target string) {
	u, _ := url.Parse(target)
	p.mu.Lock()
	p.target = httputil.NewSingleHostReverseProxy(u)
	p.mu.Unlock()
}

func (p *ingestProxy) add(r proxied) {
	p.mu.Lock()
	p.requests = append(p.requests, r)
	p.mu.Unlock()
}

func (p *ingestProxy) set(mode string, n int) {
	p.mu.Lock()
	p.mode, p.n429 = mode, n
	p.mu.Unlock()
}

func (p *ingestProxy) seen() []proxied {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]proxied(nil), p.requests...)
}

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(code int) { s.status = code; s.ResponseWriter.WriteHeader(code) }

// sessionEvents returns the session's events as the API serves them, and their raw JSON.
func sessionEvents(t *testing.T, r *reel, id string) ([]event, string) {
	t.Helper()
	var raw json.RawMessage
	r.api(t, "/api/v1/sessions/"+id+"/events", &raw)
	var evs []event
	if err := json.Unmarshal(raw, &evs); err != nil {
		t.Fatal(err)
	}
	return evs, string(raw)
}

// reelEvent is a Reel custom event's data.
type reelEvent struct {
	Tag     string          `json:"tag"`
	Payload json.RawMessage `json:"payload"`
}

// customs returns the payloads of the custom events with this tag.
func customs(evs []event, tag string) []map[string]any {
	var out []map[string]any
	for _, e := range evs {
		if e.Type != 5 {
			continue
		}
		var d reelEvent
		if json.Unmarshal(e.Data, &d) != nil || d.Tag != tag {
			continue
		}
		var p map[string]any
		json.Unmarshal(d.Payload, &p)
		out = append(out, p)
	}
	return out
}

// flushSession flushes the SDK and returns the session id.
func flushSession(t *testing.T, ctx context.Context, step string) string {
	t.Helper()
	var id string
	run(t, ctx, step, chromedp.Evaluate(`Reel.flush().then(() => Reel.getSessionId())`, &id, awaitPromise))
	if id == "" {
		t.Fatalf("%s: no session id", step)
	}
	return id
}
