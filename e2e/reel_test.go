package e2e

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

const (
	adminEmail    = "admin@reel.local"
	adminPassword = "e2e-password-123"
	adminToken    = "e2e-admin-token-0123456789"
)

var reelBin string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "reel-e2e-bin")
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	reelBin = filepath.Join(dir, "reel")
	build := exec.Command("go", "build", "-o", reelBin, "../cmd/reel")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		fmt.Fprintln(os.Stderr, "e2e: building reel:", err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// reel is a running `reel serve` process.
type reel struct {
	cmd  *exec.Cmd
	URL  string
	logs *strings.Builder
}

var dashboardLine = regexp.MustCompile(`Dashboard\s+(http://\S+?)/?\s`)

// startReel runs the real binary on dataDir, on a free loopback port, and waits until it answers.
func startReel(t *testing.T, dataDir string) *reel {
	t.Helper()
	cmd := exec.Command(reelBin, "serve", "--addr", "127.0.0.1:0", "--data", dataDir, "--log-level", "warn")
	cmd.Env = append(os.Environ(), "REEL_ADMIN_PASSWORD="+adminPassword, "REEL_ADMIN_TOKEN="+adminToken)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	logs := &strings.Builder{}
	cmd.Stderr = logs
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	r := &reel{cmd: cmd, logs: logs}
	t.Cleanup(func() { r.stop(t) })
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if m := dashboardLine.FindStringSubmatch(sc.Text() + " "); m != nil {
				found <- m[1]
			}
		}
	}()
	select {
	case r.URL = <-found:
	case <-time.After(60 * time.Second):
		t.Fatalf("reel did not print its dashboard address; stderr:\n%s", logs)
	}
	return r
}

func (r *reel) stop(t *testing.T) {
	if r.cmd.ProcessState != nil {
		return
	}
	r.cmd.Process.Signal(syscall.SIGTERM)
	done := make(chan error, 1)
	go func() { done <- r.cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("reel exited with %v after SIGTERM; stderr:\n%s", err, r.logs)
		}
	case <-time.After(20 * time.Second):
		r.cmd.Process.Kill()
		t.Errorf("reel did not shut down within 20s of SIGTERM")
	}
}

// api calls the REST API with the admin token and decodes the JSON answer into v.
func (r *reel) api(t *testing.T, path string, v any) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodGet, r.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+adminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s = %d %s", path, resp.StatusCode, b)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("GET %s: %v", path, err)
	}
}

// browser starts Debian's headless Chromium with the flags this machine needs.
func browser(t *testing.T) context.Context {
	t.Helper()
	path := os.Getenv("CHROMIUM")
	if path == "" {
		path = "/usr/bin/chromium"
	}
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("Chromium not found at %s (install Debian's chromium; scripts/test does it): %v", path, err)
	}
	profile, err := os.MkdirTemp("", "reel-e2e-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path),
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.WindowSize(1280, 800),
		chromedp.Flag("disable-quic", true),
		chromedp.UserDataDir(profile),
	)
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelCtx := chromedp.NewContext(actx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 3*time.Minute)
	t.Cleanup(func() {
		cancelTimeout()
		cancelCtx()
		cancelAlloc()
		// Chromium's helper processes can still be writing the profile for a moment after
		// the browser has exited (t.TempDir's one RemoveAll then fails the test): retry.
		for i := 0; os.RemoveAll(profile) != nil && i < 40; i++ {
			time.Sleep(50 * time.Millisecond)
		}
	})
	if err := chromedp.Run(ctx); err != nil {
		t.Fatalf("starting Chromium: %v", err)
	}
	return ctx
}

// run performs the actions one by one, each with its own time limit, so a failure names the
// exact action that stalled.
func run(t *testing.T, ctx context.Context, step string, actions ...chromedp.Action) {
	t.Helper()
	for i, a := range actions {
		actx, cancel := context.WithTimeout(ctx, 30*time.Second)
		err := chromedp.Run(actx, a)
		cancel()
		if err != nil {
			var where string
			dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
			chromedp.Run(dctx, chromedp.Evaluate(`location.href + "\n" + document.body.innerText.slice(0, 600)`, &where))
			cancel()
			t.Fatalf("%s, action %d (%T): %v\npage: %s", step, i+1, a, err, where)
		}
	}
}

func awaitPromise(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }

// rrweb event as the API returns it.
type event struct {
	Type      int             `json:"type"`
	Timestamp int64           `json:"timestamp"`
	Data      json.RawMessage `json:"data"`
}

type sessionJSON struct {
	ID         string `json:"id"`
	Pages      int    `json:"pages"`
	Clicks     int    `json:"clicks"`
	DurationMS int64  `json:"durationMs"`
	Browser    string `json:"browser"`
	StartedAt  time.Time
	URLs       []string `json:"urls"`
}

// waitFor polls a JavaScript condition until it is true. Unlike chromedp's WaitVisible it
// survives the page navigating underneath it (a click on a link), because each check is a
// fresh evaluation in whatever document is current.
func waitFor(cond string) chromedp.Action {
	return chromedp.ActionFunc(func(ctx context.Context) error {
		var last error
		for {
			var ok bool
			ectx, cancel := context.WithTimeout(ctx, 2*time.Second)
			last = chromedp.Evaluate(`!!(`+cond+`)`, &ok).Do(ectx)
			cancel()
			if last == nil && ok {
				return nil
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("waiting for %s: %w (last error: %v)", cond, ctx.Err(), last)
			case <-time.After(100 * time.Millisecond):
			}
		}
	})
}

// visible is a waitFor condition: some element matching sel is rendered with a size.
func visible(sel string) string {
	return fmt.Sprintf(`[...document.querySelectorAll(%q)].some(e => e.getClientRects().length > 0 && getComputedStyle(e).visibility !== "hidden")`, sel)
}
