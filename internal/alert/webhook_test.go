package alert

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/reelhq/reel/internal/safehttp"
	"github.com/reelhq/reel/internal/store"
	"github.com/reelhq/reel/internal/store/sqlite"
)

// logs collects what an Evaluator logs, from several goroutines.
type logs struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (l *logs) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.Write(p)
}

func (l *logs) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.buf.String()
}

func (l *logs) logger() *slog.Logger { return slog.New(slog.NewTextHandler(l, nil)) }

// receiver serves h on addr and counts its requests.
func receiver(t *testing.T, addr string, h http.HandlerFunc) (*httptest.Server, *atomic.Int64) {
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

// withRules is an index holding one session with a rage click and a rule per webhook, each
// firing at its first pass.
func withRules(t *testing.T, webhooks ...string) *sqlite.DB {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "index.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.CreateProject(ctx, store.Project{ID: "default", Name: "d", PublicKey: "pk"}); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	b := store.Batch{ProjectID: "default", Chunk: store.Chunk{SessionID: "s_hook0001", Tab: "t", FirstAt: now, LastAt: now, BlobKey: "k"}}
	if err := db.AppendBatch(ctx, b); err != nil {
		t.Fatal(err)
	}
	if err := db.SaveAnalysis(ctx, store.Analysis{SessionID: "s_hook0001", Counts: map[string]int{"rage_click": 1}, At: now,
		Signals: []store.StoredSignal{{Kind: "rage_click", At: now, Path: "/cart", Target: "x", Fingerprint: "rage_click|/cart|x"}}}); err != nil {
		t.Fatal(err)
	}
	for i, hook := range webhooks {
		if _, err := db.CreateAlert(ctx, store.AlertRule{ProjectID: "default", Name: fmt.Sprintf("rule %d", i), Kind: "rage_click", Threshold: 1, Window: time.Hour, Webhook: hook}); err != nil {
			t.Fatal(err)
		}
	}
	return db
}

// A rule's webhook is typed by a project's admin; by default the server does not post into its
// own network, and says why in its log (without the URL, whose path is often the secret).
func TestWebhookToLoopbackRefusedUnlessAllowed(t *testing.T) {
	hook, hits := receiver(t, "127.0.0.1:0", func(w http.ResponseWriter, r *http.Request) {})
	for _, tc := range []struct {
		name  string
		opts  Options
		fired int
		hits  int64
		log   string
	}{
		{"refused by default", Options{}, 0, 0, "refusing a loopback, private or link-local address: 127.0.0.1 (--webhook-private allows it)"},
		{"allowed with --webhook-private", Options{AllowPrivate: true}, 1, 1, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hits.Store(0)
			db := withRules(t, hook.URL+"/services/T000/B000/secret-token")
			var l logs
			n, err := New(db, "http://reel.example", l.logger(), tc.opts).RunOnce(context.Background(), time.Now())
			if err != nil || n != tc.fired || hits.Load() != tc.hits {
				t.Fatalf("fired %d (%v), receiver asked %d times; want %d and %d", n, err, hits.Load(), tc.fired, tc.hits)
			}
			if !strings.Contains(l.String(), tc.log) || strings.Contains(l.String(), "secret-token") {
				t.Fatalf("log does not say %q, or names the URL:\n%s", tc.log, l.String())
			}
		})
	}
}

// A receiver that never answers costs its own rule a timeout; the other rules' messages go out
// meanwhile. (The timeout is the fast post's too, so it leaves room for a loaded machine.) The slow rule is first, and its receiver holds the request until the fast one has
// its message: posted one after the other, the fast one would wait behind it.
func TestSlowWebhookDoesNotHoldOthers(t *testing.T) {
	fastGot := make(chan struct{})
	var sawFast atomic.Bool
	slow, _ := receiver(t, "127.0.0.1:0", func(w http.ResponseWriter, r *http.Request) {
		io.ReadAll(r.Body) // then the server notices when the client hangs up
		select {
		case <-fastGot:
			sawFast.Store(true)
		case <-r.Context().Done():
			return
		}
		<-r.Context().Done() // never answers: the client gives up
	})
	var once sync.Once
	fast, fastHits := receiver(t, "127.0.0.1:0", func(w http.ResponseWriter, r *http.Request) {
		once.Do(func() { close(fastGot) })
	})
	db := withRules(t, slow.URL, fast.URL)
	var l logs
	e := New(db, "http://reel.example", l.logger(), Options{AllowPrivate: true, Timeout: 3 * time.Second, Retries: noRetries})
	n, err := e.RunOnce(context.Background(), time.Now())
	if err != nil || n != 1 || fastHits.Load() != 1 {
		t.Fatalf("fired %d (%v), fast receiver asked %d times", n, err, fastHits.Load())
	}
	if !sawFast.Load() {
		t.Fatal("the fast rule's message waited for the slow receiver")
	}
	if !strings.Contains(l.String(), "rule=1") || !strings.Contains(l.String(), `reason="timed out"`) {
		t.Fatalf("the slow rule's timeout is not logged:\n%s", l.String())
	}
}

// A receiver on an address the server may post to (127.0.0.1 stands for a public one here)
// that redirects into the private network is not followed there; nor is a chain of redirects.
func TestWebhookRedirects(t *testing.T) {
	private, privateHits := receiver(t, "127.0.0.2:0", func(w http.ResponseWriter, r *http.Request) {})
	var moved string
	public, _ := receiver(t, "127.0.0.1:0", func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/to-private":
			http.Redirect(w, r, private.URL+"/hook", http.StatusTemporaryRedirect)
		case "/loop":
			http.Redirect(w, r, "/loop", http.StatusTemporaryRedirect)
		case "/moved":
			http.Redirect(w, r, "/new", http.StatusPermanentRedirect)
		case "/new":
			moved = r.Method
		}
	})
	asPublic := func(ip netip.Addr) bool { return ip == netip.MustParseAddr("127.0.0.1") || safehttp.Public(ip) }
	db := withRules(t, public.URL+"/to-private", public.URL+"/loop", public.URL+"/moved")
	var l logs
	n, err := New(db, "http://reel.example", l.logger(), Options{allow: asPublic}).RunOnce(context.Background(), time.Now())
	if err != nil || n != 1 || moved != http.MethodPost {
		t.Fatalf("fired %d (%v); the moved receiver got %q", n, err, moved)
	}
	if privateHits.Load() != 0 {
		t.Fatalf("the private receiver was posted to %d times", privateHits.Load())
	}
	for _, want := range []string{"rule=1", "refusing a loopback, private or link-local address: 127.0.0.2", "rule=2", "too many redirects (more than 3)"} {
		if !strings.Contains(l.String(), want) {
			t.Fatalf("log does not say %q:\n%s", want, l.String())
		}
	}
}

// A receiver's refusal is logged with its status and the start of its answer, as one line.
func TestWebhookRefusalIsLogged(t *testing.T) {
	hook, _ := receiver(t, "127.0.0.1:0", func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusForbidden)
		w.Write([]byte("invalid_token\n\x1b[31m" + strings.Repeat("z", 1<<20)))
	})
	db := withRules(t, hook.URL)
	var l logs
	n, err := New(db, "http://reel.example", l.logger(), Options{AllowPrivate: true}).RunOnce(context.Background(), time.Now())
	if err != nil || n != 0 {
		t.Fatalf("fired %d (%v)", n, err)
	}
	if got := l.String(); !strings.Contains(got, `reason="webhook answered 403 Forbidden: invalid_token [31mzzz`) || strings.Count(got, "\n") != 1 || len(got) > 600 {
		t.Fatalf("log = %q", got)
	}
}

// Webhook URLs that reach the evaluator without the API's checks (stored by an older version,
// moved by `reel migrate`) are refused with a reason, and nothing is dialled.
func TestHostileWebhookURLs(t *testing.T) {
	for _, tc := range []struct{ url, reason string }{
		{"file:///etc/passwd", "only http and https URLs are fetched"},
		{"gopher://127.0.0.1:70/", "only http and https URLs are fetched"},
		{"http://", "only http and https URLs are fetched"},
		{"http://169.254.169.254/latest/meta-data/", "refusing a loopback, private or link-local address: 169.254.169.254"},
		{"http://[::1]:9/", "refusing a loopback, private or link-local address: ::1"},
		{"http://[::ffff:10.0.0.1]:9/", "refusing a loopback, private or link-local address: 10.0.0.1"},
		{"http://0.0.0.0:9/", "refusing a loopback, private or link-local address: 0.0.0.0"},
	} {
		t.Run(tc.url, func(t *testing.T) {
			db := withRules(t, tc.url)
			var l logs
			n, err := New(db, "http://reel.example", l.logger(), Options{}).RunOnce(context.Background(), time.Now())
			if err != nil || n != 0 || !strings.Contains(l.String(), tc.reason) {
				t.Fatalf("fired %d (%v); log:\n%s", n, err, l.String())
			}
		})
	}
}

// noRetries is for tests about one attempt: a timed-out post is otherwise tried again.
var noRetries = []time.Duration{}
