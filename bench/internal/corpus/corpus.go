// Package corpus records real sessions for the benchmarks: it drives Debian's headless
// Chromium through the demo shop (and a heavy page of its own) with the real SDK against a
// real `reel serve`, and exports each session's rrweb events through the API. Recordings are
// cached in bench/out/corpus so several benchmarks in one run share them.
package corpus

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// Session is one recorded session: its rrweb events as raw JSON, in order.
type Session struct {
	Name   string
	Events []json.RawMessage
}

const adminToken = "bench-admin-token-0123456789"

// Reel is a running `reel serve`.
type Reel struct {
	cmd *exec.Cmd
	URL string
	Dir string
}

var dashboardLine = regexp.MustCompile(`Dashboard\s+(http://\S+?)/?\s`)

// Build compiles the reel binary into dir and returns its path.
func Build(root, dir string) (string, error) {
	bin := filepath.Join(dir, "reel")
	cmd := exec.Command("go", "build", "-o", bin, "./cmd/reel")
	cmd.Dir = root
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("build reel: %w", err)
	}
	return bin, nil
}

// Start runs bin serve on a fresh data dir with extra flags and env.
func Start(bin, dataDir string, env []string, flags ...string) (*Reel, error) {
	args := append([]string{"serve", "--addr", "127.0.0.1:0", "--data", dataDir, "--log-level", "error"}, flags...)
	cmd := exec.Command(bin, args...)
	cmd.Env = append(append(os.Environ(), "REEL_ADMIN_TOKEN="+adminToken), env...)
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	found := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			if m := dashboardLine.FindStringSubmatch(sc.Text() + " "); m != nil {
				found <- m[1]
			}
		}
	}()
	select {
	case u := <-found:
		return &Reel{cmd: cmd, URL: u, Dir: dataDir}, nil
	case <-time.After(3 * time.Minute):
		cmd.Process.Kill()
		return nil, fmt.Errorf("reel did not start")
	}
}

// CPUSeconds returns the user+system CPU time the server process has used.
func (r *Reel) CPUSeconds() float64 { return procCPU(r.cmd.Process.Pid) }

// procCPU is the user+system CPU time process pid has used, in seconds (0 if it is gone).
func procCPU(pid int) float64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	f := strings.Fields(string(b[strings.LastIndexByte(string(b), ')')+2:]))
	var ut, st float64
	fmt.Sscan(f[11], &ut)
	fmt.Sscan(f[12], &st)
	return (ut + st) / 100 // clock ticks; 100 per second on Linux
}

// PostgresCPUSeconds is the CPU time used so far by this machine's PostgreSQL server processes
// that are alive now (the backends serving a bench's connections among them), so a bench on
// PostgreSQL can say how much of its time went to the database server.
func PostgresCPUSeconds() float64 {
	dirs, _ := os.ReadDir("/proc")
	total := 0.0
	for _, d := range dirs {
		pid, err := strconv.Atoi(d.Name())
		if err != nil {
			continue
		}
		if comm, err := os.ReadFile(fmt.Sprintf("/proc/%d/comm", pid)); err == nil && strings.TrimSpace(string(comm)) == "postgres" {
			total += procCPU(pid)
		}
	}
	return total
}

// Stop shuts the server down gracefully.
func (r *Reel) Stop() {
	r.cmd.Process.Signal(syscall.SIGTERM)
	r.cmd.Wait()
}

// Get calls the API with the admin token.
func (r *Reel) Get(path string, v any) error {
	req, _ := http.NewRequest(http.MethodGet, r.URL+path, nil)
	req.Header.Set("Authorization", "Bearer "+adminToken)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return fmt.Errorf("GET %s = %d %s", path, resp.StatusCode, b)
	}
	return json.Unmarshal(b, v)
}

// Patch sends body to path with PATCH and the admin token, expecting 200.
func (r *Reel) Patch(path, body string) error {
	req, _ := http.NewRequest(http.MethodPatch, r.URL+path, strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+adminToken)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return fmt.Errorf("PATCH %s = %d %s", path, resp.StatusCode, b)
	}
	return nil
}

// PublicKey returns the default project's ingest key.
func (r *Reel) PublicKey() (string, error) {
	var ps struct{ Projects []struct{ PublicKey string } }
	if err := r.Get("/api/v1/projects", &ps); err != nil {
		return "", err
	}
	return ps.Projects[0].PublicKey, nil
}

// Load returns the cached corpus in dir, recording it first with bin when missing.
func Load(ctx context.Context, bin, dir string, walks int, logf func(string, ...any)) ([]Session, error) {
	files, _ := filepath.Glob(filepath.Join(dir, "*.json"))
	if len(files) < walks+1 {
		if err := record(ctx, bin, dir, walks, logf); err != nil {
			return nil, err
		}
		files, _ = filepath.Glob(filepath.Join(dir, "*.json"))
	}
	sort.Strings(files)
	var out []Session
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		var evs []json.RawMessage
		if err := json.Unmarshal(b, &evs); err != nil {
			return nil, fmt.Errorf("%s: %w", f, err)
		}
		out = append(out, Session{Name: strings.TrimSuffix(filepath.Base(f), ".json"), Events: evs})
	}
	return out, nil
}

func record(ctx context.Context, bin, dir string, walks int, logf func(string, ...any)) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	data, err := os.MkdirTemp("", "reel-corpus")
	if err != nil {
		return err
	}
	defer os.RemoveAll(data)
	r, err := Start(bin, data, nil)
	if err != nil {
		return err
	}
	defer r.Stop()

	key, err := r.PublicKey()
	if err != nil {
		return err
	}
	heavy := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, heavyPage(r.URL, key))
	}))
	defer heavy.Close()

	path := os.Getenv("CHROMIUM")
	if path == "" {
		path = "/usr/bin/chromium"
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.DisableGPU, chromedp.WindowSize(1280, 800))
	for i := 0; i <= walks; i++ {
		actx, cancelA := chromedp.NewExecAllocator(ctx, append(opts, chromedp.UserDataDir(filepath.Join(data, fmt.Sprintf("chrome%d", i))))...)
		bctx, cancelB := chromedp.NewContext(actx)
		// A walk takes about 20 s; a busy 2-core machine may make it many times slower.
		tctx, cancelT := context.WithTimeout(bctx, 5*time.Minute)
		var id string
		var err error
		name := fmt.Sprintf("demo-%02d", i)
		if i == walks {
			name = "heavy"
			err = heavyWalk(tctx, heavy.URL, &id)
		} else {
			err = demoWalk(tctx, r.URL, rand.New(rand.NewPCG(uint64(i), 7)), &id)
		}
		cancelT()
		cancelB()
		cancelA()
		if err != nil {
			return fmt.Errorf("recording %s: %w", name, err)
		}
		var evs []json.RawMessage
		if err := r.Get("/api/v1/sessions/"+id+"/events", &evs); err != nil {
			return err
		}
		b, _ := json.Marshal(evs)
		if err := os.WriteFile(filepath.Join(dir, name+".json"), b, 0o644); err != nil {
			return err
		}
		logf("recorded %s: %d events, %d KB", name, len(evs), len(b)/1024)
	}
	return nil
}

func await(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }

func waitJS(cond string) chromedp.Action {
	return chromedp.ActionFunc(func(ctx context.Context) error {
		for {
			var ok bool
			if err := chromedp.Evaluate(`!!(`+cond+`)`, &ok).Do(ctx); err == nil && ok {
				return nil
			}
			select {
			case <-ctx.Done():
				return fmt.Errorf("waiting for %s: %w", cond, ctx.Err())
			case <-time.After(100 * time.Millisecond):
			}
		}
	})
}

// demoWalk is one visitor: browse, search, open a product, change quantity, add to cart, go to
// checkout and type into the form, each step varied by rng.
func demoWalk(ctx context.Context, base string, rng *rand.Rand, id *string) error {
	terms := []string{"mug", "tote", "lamp", "wool", "cap", "notebook"}
	pause := func() chromedp.Action { return chromedp.Sleep(time.Duration(150+rng.IntN(400)) * time.Millisecond) }
	move := func() chromedp.Action {
		return chromedp.Evaluate(fmt.Sprintf(`for (let i = 0; i < 20; i++) document.dispatchEvent(new MouseEvent("mousemove", {clientX: %d + i*7, clientY: %d + i*3, bubbles: true}))`, rng.IntN(600), rng.IntN(400)), nil)
	}
	steps := []chromedp.Action{
		chromedp.Navigate(base + "/demo/"),
		waitJS(`document.querySelector("[data-testid=add-to-cart]")`),
		move(), pause(),
		chromedp.Evaluate(fmt.Sprintf(`window.scrollTo({top: %d, behavior: "instant"})`, 200+rng.IntN(900)), nil), pause(),
		chromedp.Evaluate(`window.scrollTo({top: 0, behavior: "instant"})`, nil),
		chromedp.SendKeys(`[data-testid=search]`, terms[rng.IntN(len(terms))], chromedp.ByQuery), pause(),
		chromedp.Evaluate(`document.querySelector("[data-testid=search]").value = ""; document.querySelector("[data-testid=search]").dispatchEvent(new Event("input", {bubbles: true}))`, nil),
		pause(),
		chromedp.Evaluate(fmt.Sprintf(`document.querySelectorAll("[data-testid=product-link]")[%d].click()`, rng.IntN(8)), nil),
		waitJS(`document.querySelector("[data-testid=qty-plus]")`),
		move(), pause(),
	}
	for range rng.IntN(3) {
		steps = append(steps, chromedp.Click(`[data-testid=qty-plus]`, chromedp.ByQuery), pause())
	}
	steps = append(steps,
		chromedp.Evaluate(`window.scrollTo({top: 1200, behavior: "instant"})`, nil), pause(),
		chromedp.Evaluate(`window.scrollTo({top: 0, behavior: "instant"})`, nil),
		chromedp.Click(`[data-testid=add-to-cart]`, chromedp.ByQuery), pause(),
		chromedp.Evaluate(`location.href = "/demo/cart.html"`, nil),
		waitJS(`document.querySelector("[data-testid=checkout-link]")`),
		move(), pause(),
	)
	for range rng.IntN(4) {
		steps = append(steps, chromedp.Click(`[data-testid=apply-coupon]`, chromedp.ByQuery), chromedp.Sleep(120*time.Millisecond))
	}
	steps = append(steps,
		chromedp.Evaluate(`location.href = "/demo/checkout.html"`, nil),
		waitJS(`document.querySelector("[data-testid=field-name]")`),
		chromedp.SendKeys(`[data-testid=field-name]`, []string{"Ada Lovelace", "Grace Hopper", "Alan Turing"}[rng.IntN(3)], chromedp.ByQuery),
		chromedp.SendKeys(`[data-testid=field-email]`, "visitor@example.com", chromedp.ByQuery),
		chromedp.SendKeys(`[data-testid=field-card]`, "4242 4242 4242 4242", chromedp.ByQuery),
		chromedp.Click(`[data-testid=checkout-submit]`, chromedp.ByQuery), pause(), move(),
		chromedp.Evaluate(`Reel.flush().then(() => Reel.getSessionId())`, id, await),
	)
	return chromedp.Run(ctx, steps...)
}

func heavyWalk(ctx context.Context, url string, id *string) error {
	return chromedp.Run(ctx,
		chromedp.Navigate(url),
		waitJS(`window.Reel && Reel.getSessionId()`),
		chromedp.Sleep(6*time.Second),
		chromedp.Evaluate(`window.scrollTo({top: 3000, behavior: "instant"})`, nil),
		chromedp.Sleep(500*time.Millisecond),
		chromedp.Evaluate(`Reel.flush().then(() => Reel.getSessionId())`, id, await),
	)
}

// heavyPage is a dashboard-like page: a big stylesheet, a 1,500-row table, and a ticker that
// rewrites cells several times a second, the mutation load of a trading or monitoring app.
func heavyPage(reelURL, key string) string {
	var css, rows strings.Builder
	for i := range 400 {
		fmt.Fprintf(&css, ".c%d{color:#%06x;padding:%dpx;border-left:%dpx solid #%06x}\n", i, i*2654435%0xffffff, i%9, i%4, i*40503%0xffffff)
	}
	for i := range 1500 {
		fmt.Fprintf(&rows, "<tr><td class=c%d>Instrument %d</td><td id=p%d>%d.%02d</td><td>%s</td></tr>", i%400, i, i, 100+i%50, i%100, strings.Repeat("▮", i%7))
	}
	return `<!doctype html><html><head><title>Heavy</title><style>` + css.String() + `</style>
<script src="` + reelURL + `/sdk/reel.js"></script><script>Reel.init({key: "` + key + `", endpoint: "` + reelURL + `"})</script></head>
<body><h1>Market board</h1><table>` + rows.String() + `</table>
<script>setInterval(() => { for (let k = 0; k < 40; k++) { const i = Math.floor(Math.random()*1500); document.getElementById("p"+i).textContent = (100 + Math.random()*50).toFixed(2) } }, 200)</script>
</body></html>`
}

// Setup is what every corpus benchmark starts with: it builds reel into a temporary directory
// and loads (recording on first use) the corpus from bench/out/corpus. cleanup removes the
// temporary directory.
func Setup(logf func(string, ...any)) (root, tmp, bin string, recs []Session, cleanup func(), err error) {
	root, _ = os.Getwd()
	tmp, err = os.MkdirTemp("", "reel-bench")
	if err != nil {
		return
	}
	cleanup = func() { os.RemoveAll(tmp) }
	if bin, err = Build(root, tmp); err != nil {
		return
	}
	recs, err = Load(context.Background(), bin, filepath.Join(root, "bench/out/corpus"), 10, logf)
	return
}

// Token is the admin token the server was started with.
func (r *Reel) Token() string { return adminToken }
