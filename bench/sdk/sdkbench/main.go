// Command sdkbench measures Reel's browser SDK in headless Chromium against plain rrweb, for
// bench/sdk-cost and bench/wire-bytes (which build its inputs and run it).
//
//	sdkbench cost -assets DIR               main-thread time of a scripted interaction
//	sdkbench wire -assets DIR -reel BIN     bytes on the wire per session-minute
//
// DIR holds reel.js (the SDK build), rrweb-plain.js and rrweb-shim.js (bench/sdk/baseline.mjs)
// and the pages of bench/sdk/pages.
package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/reelhq/reel/internal/ingest"

	"github.com/chromedp/cdproto/performance"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

func main() {
	if len(os.Args) < 2 {
		fmt.Fprintln(os.Stderr, "usage: sdkbench cost|wire -assets DIR [-reel BIN]")
		os.Exit(2)
	}
	fs := flag.NewFlagSet(os.Args[1], flag.ExitOnError)
	assets := fs.String("assets", "", "directory with reel.js, rrweb-plain.js, rrweb-shim.js and the pages")
	reelBin := fs.String("reel", "", "reel binary (wire)")
	rounds := fs.Int("rounds", 5, "rounds per variant (cost)")
	fs.Parse(os.Args[2:])
	var err error
	switch os.Args[1] {
	case "cost":
		err = cost(*assets, *rounds)
	case "wire":
		err = wire(*assets, *reelBin)
	default:
		err = fmt.Errorf("unknown command %q", os.Args[1])
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "sdkbench:", err)
		os.Exit(1)
	}
}

func chromium(ctx context.Context) (context.Context, context.CancelFunc) {
	path := os.Getenv("CHROMIUM")
	if path == "" {
		path = "/usr/bin/chromium"
	}
	dir, _ := os.MkdirTemp("", "sdkbench-profile")
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.WindowSize(1280, 800), chromedp.UserDataDir(dir))
	actx, cancelA := chromedp.NewExecAllocator(ctx, opts...)
	bctx, cancelB := chromedp.NewContext(actx)
	return bctx, func() { cancelB(); cancelA(); os.RemoveAll(dir) }
}

func page(assets, name, sdk string, fill map[string]string) ([]byte, error) {
	b, err := os.ReadFile(filepath.Join(assets, name))
	if err != nil {
		return nil, err
	}
	b = bytes.ReplaceAll(b, []byte("{{SDK}}"), []byte(sdk))
	for k, v := range fill {
		b = bytes.ReplaceAll(b, []byte(k), []byte(v))
	}
	return b, nil
}

// A busy 2-core machine (other builds, other browsers) can make one round many times slower
// than usual: a round gets roundTimeout, and one that still fails is run again, up to
// `attempts` times, before the bench gives up. A slow round is slow, not fatal; every
// attempt starts from scratch, so a retried round measures the same thing.
const (
	roundTimeout = 8 * time.Minute
	stepTimeout  = 2 * time.Minute
	attempts     = 3
)

// steps runs the actions one at a time, each within stepTimeout: an action that hangs (a
// wait that lost its page to a navigation) fails its round in minutes, not at roundTimeout.
func steps(ctx context.Context, actions ...chromedp.Action) error {
	for i, a := range actions {
		sctx, cancel := context.WithTimeout(ctx, stepTimeout)
		err := chromedp.Run(sctx, a)
		cancel()
		if err != nil {
			return fmt.Errorf("step %d (%T): %w", i+1, a, err)
		}
	}
	return nil
}

func patiently(what string, f func() error) error {
	var err error
	for i := 1; i <= attempts; i++ {
		start := time.Now()
		if err = f(); err == nil {
			return nil
		}
		fmt.Fprintf(os.Stderr, "sdkbench: %s: attempt %d of %d failed after %.0f s: %v\n", what, i, attempts, time.Since(start).Seconds(), err)
	}
	return err
}

// ---- cost ----

func cost(assets string, rounds int) error {
	sdks := map[string]string{
		"none":  ``,
		"rrweb": `<script src="/rrweb-plain.js"></script><script>rrwebStart()</script>`,
		"reel":  `<script src="/reel.js"></script><script>Reel.init({ key: "pk_bench", flushIntervalMs: 5000 })</script>`,
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /api/v1/ingest", func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"ok":true,"duplicate":false,"events":1}`))
	})
	mux.HandleFunc("GET /api/v1/sdk-config", func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(`{}`)) })
	mux.HandleFunc("GET /page/{variant}", func(w http.ResponseWriter, r *http.Request) {
		b, err := page(assets, "mutations.html", sdks[r.PathValue("variant")], nil)
		if err != nil {
			http.Error(w, err.Error(), 500)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(b)
	})
	mux.Handle("GET /", http.FileServer(http.Dir(assets)))
	srv := httptest.NewServer(mux)
	defer srv.Close()

	bctx, cancel := chromium(context.Background())
	defer cancel()
	if err := chromedp.Run(bctx); err != nil {
		return err
	}
	variants := []string{"none", "rrweb", "reel"}
	got := map[string][]float64{}
	for round := 0; round < rounds; round++ {
		for i := range variants {
			v := variants[(i+round)%len(variants)] // rotate the order: no variant always runs first
			var d float64
			err := patiently(fmt.Sprintf("round %d/%s", round, v), func() (err error) {
				d, err = measure(bctx, srv.URL+"/page/"+v, v == "reel")
				return err
			})
			if err != nil {
				return fmt.Errorf("%s: %w", v, err)
			}
			got[v] = append(got[v], d)
		}
	}
	med := map[string]float64{}
	for _, v := range variants {
		med[v] = median(got[v])
		fmt.Fprintf(os.Stderr, "%-6s TaskDuration ms per run: %v  median %.1f\n", v, round1(got[v]), med[v])
	}
	ratio := med["reel"] / med["rrweb"]
	added := (med["reel"] - med["none"]) / (med["rrweb"] - med["none"])
	fmt.Printf("sdk-cost: ratio=%.3f added_ratio=%.3f none_ms=%.1f rrweb_ms=%.1f reel_ms=%.1f rounds=%d\n",
		ratio, added, med["none"], med["rrweb"], med["reel"], rounds)
	return nil
}

// measure loads the page in a new tab, then returns the main thread's busy time (CDP
// Performance TaskDuration) during the scripted interaction: 300 animation frames of page
// updates, 60 mouse moves, 40 typed characters, then 1.5 s for deferred work. For Reel the
// window ends with Reel.flush(), so cutting, compressing and sending the batch is counted.
func measure(bctx context.Context, u string, reel bool) (float64, error) {
	ctx, cancel := chromedp.NewContext(bctx)
	defer cancel()
	ctx, cancelT := context.WithTimeout(ctx, roundTimeout)
	defer cancelT()
	if err := chromedp.Run(ctx, performance.Enable(), chromedp.Navigate(u), chromedp.WaitReady("#q", chromedp.ByQuery), chromedp.Sleep(800*time.Millisecond)); err != nil {
		return 0, err
	}
	before, err := taskDuration(ctx)
	if err != nil {
		return 0, err
	}
	err = chromedp.Run(ctx,
		chromedp.ActionFunc(func(ctx context.Context) error {
			done := make(chan error, 1)
			go func() {
				done <- chromedp.Evaluate(`interact()`, nil, func(p *runtimeEval) *runtimeEval { return p.WithAwaitPromise(true) }).Do(ctx)
			}()
			for i := 0; i < 60; i++ {
				if err := chromedp.MouseEvent("mouseMoved", float64(100+i*8), float64(200+i*3)).Do(ctx); err != nil {
					return err
				}
				time.Sleep(15 * time.Millisecond)
			}
			return <-done
		}),
		chromedp.Click("#q", chromedp.ByQuery),
		chromedp.SendKeys("#q", strings.Repeat("market ", 6)[:40], chromedp.ByQuery),
		chromedp.Sleep(1500*time.Millisecond),
	)
	if err != nil {
		return 0, err
	}
	if reel {
		if err := chromedp.Run(ctx, chromedp.Evaluate(`Reel.flush()`, nil, func(p *runtimeEval) *runtimeEval { return p.WithAwaitPromise(true) })); err != nil {
			return 0, err
		}
	}
	after, err := taskDuration(ctx)
	return (after - before) * 1000, err
}

func taskDuration(ctx context.Context) (float64, error) {
	var v float64
	err := chromedp.Run(ctx, chromedp.ActionFunc(func(ctx context.Context) error {
		ms, err := performance.GetMetrics().Do(ctx)
		for _, m := range ms {
			if m.Name == "TaskDuration" {
				v = m.Value
			}
		}
		return err
	}))
	return v, err
}

func median(xs []float64) float64 {
	s := slices.Clone(xs)
	slices.Sort(s)
	return s[len(s)/2]
}

func round1(xs []float64) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = float64(int(x*10)) / 10
	}
	return out
}

// ---- wire ----

// counter adds up what one mode put on the wire.
type counter struct {
	mu    sync.Mutex
	reel  int // gzip bodies posted to /api/v1/ingest, as sent
	rrweb int // JSON batches posted to /__rrweb, gzipped here (level 6, like CompressionStream)
	// The recorded span: the first and last event timestamps the server was sent.
	first, last int64
}

// span notes the timestamps of the events in one request's JSON: a Reel batch (delta-encoded
// when enc says so) or the baseline's array of rrweb events.
func (c *counter) span(raw []byte, enc string) {
	if enc == ingest.EncodingDelta {
		var err error
		if raw, err = ingest.Undelta(raw, nil); err != nil {
			return
		}
	}
	type ev struct{ Timestamp int64 }
	var evs []ev
	if len(raw) > 0 && raw[0] == '{' {
		var b struct{ Events []ev }
		json.Unmarshal(raw, &b)
		evs = b.Events
	} else {
		json.Unmarshal(raw, &evs)
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range evs {
		if e.Timestamp <= 0 {
			continue
		}
		if c.first == 0 || e.Timestamp < c.first {
			c.first = e.Timestamp
		}
		c.last = max(c.last, e.Timestamp)
	}
}

func wire(assets, reelBin string) error {
	data, _ := os.MkdirTemp("", "sdkbench-data")
	defer os.RemoveAll(data)
	const token = "bench-admin-token-0123456789"
	cmd := exec.Command(reelBin, "serve", "--addr", "127.0.0.1:0", "--data", data, "--log-level", "warn")
	cmd.Env = append(os.Environ(), "REEL_ADMIN_PASSWORD=bench-password-123", "REEL_ADMIN_TOKEN="+token)
	out, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return err
	}
	defer func() { cmd.Process.Signal(os.Interrupt); cmd.Wait() }()
	reelURL := ""
	sc := bufio.NewScanner(out)
	re := regexp.MustCompile(`Dashboard\s+(http://\S+?)/?\s`)
	for sc.Scan() {
		if m := re.FindStringSubmatch(sc.Text() + " "); m != nil {
			reelURL = m[1]
			break
		}
	}
	go io.Copy(io.Discard, out)
	if reelURL == "" {
		return fmt.Errorf("reel did not start")
	}
	req, _ := http.NewRequest("GET", reelURL+"/api/v1/projects", nil)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	var ps struct{ Projects []struct{ PublicKey string } }
	json.NewDecoder(res.Body).Decode(&ps)
	res.Body.Close()
	if len(ps.Projects) == 0 {
		return fmt.Errorf("no project")
	}
	key := ps.Projects[0].PublicKey

	var mode, scenario string // "reel" or "rrweb"; the scenario running
	var mu sync.Mutex
	// SDKBENCH_DUMP=DIR keeps every request body, decompressed, as DIR/<scenario>-<mode>-<n>.json,
	// to see what the bytes are made of.
	dump := os.Getenv("SDKBENCH_DUMP")
	dumped := 0
	dumpBody := func(m string, body []byte) {
		if dump == "" {
			return
		}
		mu.Lock()
		dumped++
		name := filepath.Join(dump, fmt.Sprintf("%s-%s-%03d.json", scenario, m, dumped))
		mu.Unlock()
		os.MkdirAll(dump, 0o755)
		os.WriteFile(name, body, 0o644)
	}
	count := &counter{}
	target, _ := url.Parse(reelURL)
	rp := httputil.NewSingleHostReverseProxy(target)
	css := bigCSS()
	sdkTag := `<script src="/sdk/reel.js"></script><script>Reel.init({ key: "` + key + `" })</script>`
	mux := http.NewServeMux()
	mux.HandleFunc("/sdk/reel.js", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		m := mode
		mu.Unlock()
		name := "reel.js"
		if m == "rrweb" {
			name = "rrweb-shim.js"
		}
		w.Header().Set("Content-Type", "text/javascript")
		http.ServeFile(w, r, filepath.Join(assets, name))
	})
	mux.HandleFunc("/api/v1/ingest", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		count.mu.Lock()
		count.reel += len(body)
		count.mu.Unlock()
		raw := body
		if zr, err := gzip.NewReader(bytes.NewReader(body)); err == nil {
			raw, _ = io.ReadAll(zr)
		}
		count.span(raw, r.URL.Query().Get("enc"))
		r.Body = io.NopCloser(bytes.NewReader(body))
		sw := &statusWriter{ResponseWriter: w}
		rp.ServeHTTP(sw, r)
		if os.Getenv("SDKBENCH_DEBUG") != "" {
			fmt.Fprintf(os.Stderr, "ingest %d: %d B gzip, %d B json, %.120s\n", sw.status, len(body), len(raw), raw)
		}
		dumpBody("reel", raw)
	})
	mux.HandleFunc("/__rrweb", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		dumpBody("rrweb", body)
		count.span(body, "")
		var buf bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&buf, 6)
		zw.Write(body)
		zw.Close()
		count.mu.Lock()
		count.rrweb += buf.Len()
		count.mu.Unlock()
	})
	mux.HandleFunc("/bench/{page}", func(w http.ResponseWriter, r *http.Request) {
		b, err := page(assets, r.PathValue("page"), sdkTag, map[string]string{"{{CSS}}": css})
		if err != nil {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(b)
	})
	mux.Handle("/", rp)
	srv := httptest.NewServer(mux)
	defer srv.Close()

	type result struct{ bytes, ms float64 }
	scenarios := []struct {
		name string
		run  func(ctx context.Context, base string) error
	}{
		{"demo", demoScenario},
		{"mutations", mutationScenario},
		{"styled-spa", styledScenario},
	}
	results := map[string]map[string]result{}
	for _, s := range scenarios {
		results[s.name] = map[string]result{}
		for _, m := range []string{"reel", "rrweb"} {
			mu.Lock()
			mode, scenario = m, s.name
			mu.Unlock()
			var dur time.Duration
			err := patiently(s.name+"/"+m, func() error {
				count.mu.Lock()
				count.reel, count.rrweb, count.first, count.last = 0, 0, 0, 0
				count.mu.Unlock()
				bctx, cancel := chromium(context.Background())
				defer cancel()
				// The browser starts on a context of its own: a step's timeout would close it.
				if err := chromedp.Run(bctx); err != nil {
					return err
				}
				ctx, cancelT := context.WithTimeout(bctx, roundTimeout)
				defer cancelT()
				start := time.Now()
				err := s.run(ctx, srv.URL)
				if err == nil {
					// Deliver the rest: flush, then leave the page so page-hide paths run too.
					err = chromedp.Run(ctx, chromedp.Evaluate(`Reel.flush()`, nil, func(p *runtimeEval) *runtimeEval { return p.WithAwaitPromise(true) }))
				}
				dur = time.Since(start)
				chromedp.Run(ctx, chromedp.Navigate("about:blank"))
				time.Sleep(500 * time.Millisecond)
				return err
			})
			if err != nil {
				return fmt.Errorf("%s/%s: %w", s.name, m, err)
			}
			count.mu.Lock()
			b := count.reel
			if m == "rrweb" {
				b = count.rrweb
			}
			// Per minute of what was recorded (first to last event), not of the wall clock
			// around it: page loads and DevTools round trips vary from run to run.
			span := count.last - count.first
			count.mu.Unlock()
			fmt.Fprintf(os.Stderr, "%s/%s: %d B in %.1f s recorded (%.1f s wall)\n", s.name, m, b, float64(span)/1000, dur.Seconds())
			if span <= 0 {
				return fmt.Errorf("%s/%s: no events reached the server", s.name, m)
			}
			results[s.name][m] = result{float64(b), float64(span)}
		}
	}
	var sumReel, sumRR float64
	var parts []string
	for _, s := range scenarios {
		r, b := results[s.name]["reel"], results[s.name]["rrweb"]
		perMinReel := r.bytes / (r.ms / 60000)
		perMinRR := b.bytes / (b.ms / 60000)
		sumReel += perMinReel
		sumRR += perMinRR
		fmt.Fprintf(os.Stderr, "%-11s reel %8.0f B/min   rrweb JSON+gzip %8.0f B/min   ratio %.3f\n", s.name, perMinReel, perMinRR, perMinReel/perMinRR)
		parts = append(parts, fmt.Sprintf("%s=%.3f", strings.ReplaceAll(s.name, "-", "_"), perMinReel/perMinRR))
	}
	fmt.Printf("wire-bytes: ratio=%.3f %s reel_kb_per_min=%.1f rrweb_kb_per_min=%.1f\n", sumReel/sumRR, strings.Join(parts, " "), sumReel/1000/float64(len(scenarios)), sumRR/1000/float64(len(scenarios)))
	return nil
}

func demoScenario(ctx context.Context, base string) error {
	return steps(ctx,
		chromedp.Navigate(base+"/demo/"),
		chromedp.WaitVisible(`[data-testid=add-to-cart]`, chromedp.ByQuery),
		chromedp.Sleep(time.Second),
		chromedp.Evaluate(`window.scrollTo(0, 600)`, nil),
		chromedp.Sleep(time.Second),
		chromedp.Evaluate(`window.scrollTo(0, 0)`, nil),
		chromedp.Click(`[data-testid=add-to-cart]`, chromedp.ByQuery),
		chromedp.Sleep(time.Second),
		chromedp.Click(`[data-testid=cart-link]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid=checkout-link]`, chromedp.ByQuery),
		chromedp.Sleep(time.Second),
		chromedp.SendKeys(`[data-testid=coupon-input]`, "SPRING10", chromedp.ByQuery),
		chromedp.Click(`[data-testid=apply-coupon]`, chromedp.ByQuery),
		chromedp.Sleep(time.Second),
		chromedp.Click(`[data-testid=checkout-link]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid=field-name]`, chromedp.ByQuery),
		chromedp.SendKeys(`[data-testid=field-name]`, "Ada Lovelace", chromedp.ByQuery),
		chromedp.SendKeys(`[data-testid=field-email]`, "ada@example.com", chromedp.ByQuery),
		chromedp.Click(`[data-testid=checkout-submit]`, chromedp.ByQuery),
		chromedp.Sleep(time.Second),
		chromedp.Click(`[data-testid=home-link]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid=add-to-cart]`, chromedp.ByQuery),
		chromedp.Sleep(2*time.Second),
	)
}

func mutationScenario(ctx context.Context, base string) error {
	actions := []chromedp.Action{chromedp.Navigate(base + "/bench/mutations.html?ticker"), chromedp.WaitReady("#q", chromedp.ByQuery)}
	for i := 0; i < 10; i++ {
		actions = append(actions,
			chromedp.MouseEvent("mouseMoved", float64(100+i*40), float64(300+i*10)),
			chromedp.Sleep(time.Second),
			chromedp.Evaluate(`window.scrollTo(0, `+fmt.Sprint((i%3)*150)+`)`, nil),
			chromedp.Sleep(time.Second))
	}
	actions = append(actions, chromedp.SendKeys("#q", "filter text", chromedp.ByQuery), chromedp.Sleep(time.Second))
	return steps(ctx, actions...)
}

func styledScenario(ctx context.Context, base string) error {
	var actions []chromedp.Action
	for view := 0; view < 4; view++ {
		actions = append(actions, chromedp.Navigate(base+"/bench/styled.html"), chromedp.WaitReady(".grid", chromedp.ByQuery), chromedp.Sleep(time.Second))
		for _, r := range []string{"docs", "pricing", "blog"} {
			actions = append(actions, chromedp.Click(`[data-route=`+r+`]`, chromedp.ByQuery), chromedp.Sleep(800*time.Millisecond),
				chromedp.Evaluate(`window.scrollTo(0, 400)`, nil), chromedp.Sleep(400*time.Millisecond))
		}
	}
	return steps(ctx, actions...)
}

// bigCSS is a utility-class stylesheet of ~80 KB, deterministic, like the CSS frameworks real
// sites ship on every page.
func bigCSS() string {
	var b strings.Builder
	props := []string{"margin", "padding", "margin-top", "margin-bottom", "padding-left", "padding-right"}
	for _, p := range props {
		for i := 0; i <= 64; i++ {
			fmt.Fprintf(&b, ".%s-%d{%s:%.2frem}\n", strings.ReplaceAll(p, "-", ""), i, p, float64(i)*0.25)
		}
	}
	colors := []string{"gray", "red", "green", "blue", "indigo", "purple", "pink", "yellow"}
	for ci, c := range colors {
		for s := 100; s <= 900; s += 100 {
			fmt.Fprintf(&b, ".text-%s-%d{color:#%02x%02x%02x}\n.bg-%s-%d{background-color:#%02x%02x%02x}\n.border-%s-%d{border-color:#%02x%02x%02x}\n",
				c, s, (ci*31+s)%256, (ci*57+s/3)%256, (ci*91+s/7)%256, c, s, (ci*13+s)%256, (ci*47+s/5)%256, (ci*71+s/9)%256, c, s, (ci*17+s)%256, (ci*29+s/2)%256, (ci*37+s/4)%256)
		}
	}
	for bp, w := range map[string]int{"sm": 640, "md": 768, "lg": 1024, "xl": 1280} {
		fmt.Fprintf(&b, "@media (min-width:%dpx){", w)
		for i := 1; i <= 12; i++ {
			fmt.Fprintf(&b, ".%s\\:w-%d\\/12{width:%.4f%%}.%s\\:grid-cols-%d{grid-template-columns:repeat(%d,minmax(0,1fr))}", bp, i, float64(i)*100/12, bp, i, i)
		}
		b.WriteString("}\n")
	}
	b.WriteString(".grid{display:grid;grid-template-columns:repeat(4,1fr);gap:8px}.card{border:1px solid #ddd;border-radius:8px}.btn{padding:4px 10px;border-radius:4px}.btn-primary{background:#2563eb;color:#fff}.nav a{margin-right:12px}.container{max-width:1100px;margin:0 auto}\n")
	return b.String()
}

type runtimeEval = runtime.EvaluateParams

type statusWriter struct {
	http.ResponseWriter
	status int
}

func (s *statusWriter) WriteHeader(c int) { s.status = c; s.ResponseWriter.WriteHeader(c) }
