// Command realapps runs bench/real-apps: third-party web apps from npm (bench/realapps), each
// driven through a scripted interaction in headless Chromium with no recorder, with plain
// rrweb record and with Reel's SDK. It measures main-thread time (CDP Performance
// TaskDuration) for each, and compares the screenshots taken at the script's checkpoints with
// the same moments replayed in Reel's own player at 1:1, for Reel's recording and for plain
// rrweb's (imported through the ingest endpoint).
//
//	realapps -assets DIR -apps DIR -reel BIN [-rounds N] [-deadline UNIX] [-only grid,chart] [-shots DIR]
//
// Each app gets -rounds rounds, then one more round per app in turn while the next would end
// before -deadline (at most maxRounds): a faster machine measures more rounds.
//
// DIR (assets) holds reel.js and rrweb-plain.js (bench/sdk/prepare.sh); apps holds pages/ and
// node_modules/ (bench/realapps after npm ci).
package main

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"image"
	"image/png"
	"io"
	"math"
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
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/performance"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/cdproto/storage"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"
)

// The recorded viewport; the player's window is large enough to show it at scale 1.
const (
	viewW, viewH = 1024, 640
	token        = "realapps-admin-token-0123456789"
	password     = "realapps-password-123"
)

// A checkpoint counts as identical when at most this share of its pixels differ by more than
// pixelTolerance in some channel (anti-aliasing of text and curves may differ by a few levels).
const (
	pixelTolerance = 24
	identicalShare = 0.001
)

// step is one action of an app's script.
type step struct {
	kind string // tap (an element by selector and text), at (click a point from JS), hover, wheel, keys, resize, wait (until the page is at rest, at most ms), check
	sel  string
	text string
	js   string
	x, y float64
	dy   float64
	n    int
	w, h int64
	ms   int
}

type app struct {
	name  string
	ready string // JS expression true once the app has rendered
	steps []step
}

func tap(sel, text string) step { return step{kind: "tap", sel: sel, text: text} }
func at(js string) step         { return step{kind: "at", js: js} }
func hover(js string) step      { return step{kind: "hover", js: js} }
func keys(s string) step        { return step{kind: "keys", text: s} }
func wait(ms int) step          { return step{kind: "wait", ms: ms} }
func check(name string) step    { return step{kind: "check", text: name} }
func resize(w, h int64) step    { return step{kind: "resize", w: w, h: h} }
func wheel(x, y, dy float64, n int) step {
	return step{kind: "wheel", x: x, y: y, dy: dy, n: n}
}

var apps = []app{
	{"grid", `document.querySelectorAll('.ag-row').length > 10`, []step{
		check("loaded"),
		wheel(400, 300, 300, 8), wait(500), check("scrolled"),
		tap(".ag-header-cell-text", "Price"), wait(400), check("sorted"),
		wheel(400, 300, 1200, 4), wait(500), check("scrolled-far"),
		resize(800, 600), wait(500), check("resized"),
	}},
	{"chart", `!!(window.Chart && Chart.getChart('c'))`, []step{
		wait(400), check("loaded"),
		at(`(() => { const ch = Chart.getChart('c'), b = ch.legend.legendHitBoxes[1], r = ch.canvas.getBoundingClientRect(); return [r.left + b.left + b.width / 2, r.top + b.top + b.height / 2]; })()`),
		wait(600), check("legend-toggled"),
		hover(`(() => { const ch = Chart.getChart('c'), p = ch.getDatasetMeta(0).data[7], r = ch.canvas.getBoundingClientRect(); return [r.left + p.x, r.top + p.y + 20]; })()`),
		wait(600), check("tooltip"),
		resize(800, 600), wait(700), check("resized"),
	}},
	{"calendar", `document.querySelectorAll('#cal button').length > 3`, []step{
		check("loaded"),
		tap("#cal button", "next"), wait(400), check("next-month"),
		tap("#cal button", "week"), wait(400), check("week"),
		wheel(500, 400, 300, 2), wait(400), check("week-scrolled"),
		resize(800, 600), wait(500), check("resized"),
	}},
	{"terminal", `!!document.querySelector('.xterm-rows')`, []step{
		check("loaded"),
		keys("ls\r"), wait(300), check("ls"),
		keys("seq 60\r"), wait(400), check("seq"),
		keys("echo hello world"), wait(300), check("typed"),
	}},
	{"editor", `!!document.querySelector('.CodeMirror-code')`, []step{
		check("loaded"),
		tap(".CodeMirror-line", ""), keys("const answer = 42;\r"), wait(300), check("typed"),
		wheel(500, 350, 400, 5), wait(400), check("scrolled"),
		resize(800, 600), wait(400), check("resized"),
	}},
	{"richtext", `!!document.querySelector('.ql-editor')`, []step{
		check("loaded"),
		tap(".ql-editor p", ""), keys("Decisions were made. "), wait(300), check("typed"),
		tap(".ql-editor li", "Hiring"), tap("button.ql-bold", ""), keys("Interns "), wait(300), check("bold"),
		tap(".ql-picker-label", ""), wait(300), check("menu"),
	}},
	{"slides", `!!document.querySelector('.reveal.ready')`, []step{
		wait(300), check("loaded"),
		keys(kb.ArrowRight), wait(1200), check("slide-2"),
		keys(kb.ArrowRight), wait(1200), check("slide-3"),
		keys(kb.ArrowDown), wait(1200), check("slide-3-down"),
		resize(800, 600), wait(800), check("resized"),
	}},
	{"apidocs", `!!document.querySelector('.opblock')`, []step{
		wait(300), check("loaded"),
		tap(".opblock-summary-path", "/pets/{id}"), wait(500), check("expanded"),
		tap("button.try-out__btn", ""), wait(400), check("try-out"),
		wheel(500, 400, 400, 2), wait(400), check("scrolled"),
	}},
}

// helpers is evaluated in each app page (by the driver, not the page): where an element is.
const helpers = `window.__where = (sel, text) => {
  const t = text.toLowerCase();
  const e = [...document.querySelectorAll(sel)].find((e) => !t || [e.textContent, e.title, e.getAttribute('aria-label')].some((s) => (s || '').trim().toLowerCase() === t || (t.length > 2 && (s || '').toLowerCase().includes(t))));
  if (!e) return null;
  const r = e.getBoundingClientRect();
  return [r.left + Math.min(r.width / 2, 40), r.top + r.height / 2];
}`

// quiet is evaluated in each app page before the page's own scripts (the driver's, for every
// variant alike): window.__settle(quietMs, maxMs) resolves once the page has asked for no
// animation frame for quietMs and runs no CSS animation or transition that ends (a spinner's
// or a hint's endless animation never does), or after maxMs. The
// script's pauses wait for that instead of a fixed time: a page at rest on a fast machine is
// not waited for longer, and a busy machine gets up to the pause it had before.
const quiet = `(() => {
  let last = performance.now();
  const raf = window.requestAnimationFrame;
  window.requestAnimationFrame = function (cb) { last = performance.now(); return raf.call(this, cb); };
  window.__settle = (quiet, max) => new Promise((done) => {
    const t0 = performance.now();
    const look = () => {
      const now = performance.now();
      const busy = now - last < quiet || document.getAnimations().some((a) => a.playState === "running" && a.effect && a.effect.getComputedTiming().endTime !== Infinity);
      if (!busy || now - t0 >= max) done(busy ? "busy" : ""); else setTimeout(look, 50);
    };
    setTimeout(look, Math.min(quiet, max));
  });
})()`

// Quiet periods of the script's pauses: after an action, and before the measured window
// opens and closes (where the recorders' trailing throttles, 150 ms for Reel's scroll
// positions, must have fired).
const (
	settleMs     = 150
	settleEdgeMs = 250
)

// normalise is added to every app page for every variant: the text caret blinks, and focus
// rings are not part of the DOM a recorder captures; both would differ by when the
// screenshot is taken rather than by what was recorded.
const normalise = `<style>*{caret-color:transparent!important}*:focus,*:focus-visible{outline:none!important}</style>`

type checkpoint struct {
	name string
	ts   int64 // page clock, ms
	png  []byte
}

type run struct {
	load      time.Duration // from the new tab to the measured window (wall time)
	ms        float64       // TaskDuration during the script
	flushMs   float64       // reel: of which during the final Reel.flush()
	flushWall time.Duration
	cpu       float64 // the main thread's CPU time (ThreadTime) during the script
	session   string  // reel: the SDK's session; rrweb: the imported one
	shoot     bool    // take screenshots at checkpoints (the first round), else only pause there
	checks    []checkpoint
}

func (r *run) loadOr() time.Duration {
	if r == nil {
		return 0
	}
	return r.load
}

func (r *run) msOr() float64 {
	if r == nil {
		return 0
	}
	return r.ms
}

func main() {
	assets := flag.String("assets", "", "directory with reel.js and rrweb-plain.js")
	appsDir := flag.String("apps", "", "bench/realapps (pages/ and node_modules/)")
	reelBin := flag.String("reel", "", "reel binary")
	rounds := flag.Int("rounds", 2, "cost rounds per app and variant, at least")
	deadline := flag.Int64("deadline", 0, "Unix time by which the last round ends: rounds are added while they fit (0: none added)")
	only := flag.String("only", "", "comma-separated app names")
	shots := flag.String("shots", "", "directory for live/replay screenshots of differing checkpoints")
	prof := flag.String("profile", "", "instead of the bench: profile this variant (reel or rrweb) on each app with Chromium's sampling profiler")
	flag.Parse()
	if *prof != "" {
		if err := profileApps(*assets, *appsDir, *reelBin, *prof, *only); err != nil {
			fmt.Fprintln(os.Stderr, "realapps:", err)
			os.Exit(1)
		}
		return
	}
	if err := bench(*assets, *appsDir, *reelBin, *rounds, time.Unix(*deadline, 0), *only, *shots); err != nil {
		fmt.Fprintln(os.Stderr, "realapps:", err)
		os.Exit(1)
	}
}

type server struct {
	reelURL, url, key string
	// hook, when set, runs at the start and the end of the measured window (the profiler).
	hook func(ctx context.Context, start bool) error
}

func startReel(bin string) (*exec.Cmd, string, string, error) {
	data, _ := os.MkdirTemp("", "realapps-data")
	// The server runs at the lowest priority: it stands for a server on another machine, and
	// its ingest and analysis of the batches it receives must not take the browser's cores
	// while a run is measured (docs/decisions.md, 2026-12-08).
	cmd := exec.Command("nice", "-n", "19", bin, "serve", "--addr", "127.0.0.1:0", "--data", data, "--log-level", "warn")
	cmd.Env = append(os.Environ(), "REEL_ADMIN_PASSWORD="+password, "REEL_ADMIN_TOKEN="+token)
	out, _ := cmd.StdoutPipe()
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		return nil, "", data, err
	}
	sc := bufio.NewScanner(out)
	re := regexp.MustCompile(`Dashboard\s+(http://\S+?)/?\s`)
	u := ""
	for sc.Scan() {
		if m := re.FindStringSubmatch(sc.Text() + " "); m != nil {
			u = m[1]
			break
		}
	}
	go io.Copy(io.Discard, out)
	if u == "" {
		return cmd, "", data, fmt.Errorf("reel did not start")
	}
	return cmd, u, data, nil
}

func api(method, u string, body io.Reader, into any) error {
	req, _ := http.NewRequest(method, u, body)
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	if res.StatusCode/100 != 2 {
		return fmt.Errorf("%s %s: %d %.200s", method, u, res.StatusCode, b)
	}
	if into != nil {
		return json.Unmarshal(b, into)
	}
	return nil
}

// maxRounds is where the rounds added while time allows stop.
const maxRounds = 7

func bench(assets, appsDir, reelBin string, rounds int, deadline time.Time, only, shots string) error {
	s, stop, err := setup(assets, appsDir, reelBin)
	defer stop()
	if err != nil {
		return err
	}
	reelURL := s.reelURL

	live, cancelLive := chromium(context.Background(), 1280, 800)
	defer cancelLive()
	player, cancelPlayer := chromium(context.Background(), 2200, 1400)
	defer cancelPlayer()
	// Each browser starts in its own long-lived context: a browser started inside a context
	// with a timeout would end with it.
	if err := chromedp.Run(live); err != nil {
		return err
	}
	if err := chromedp.Run(player); err != nil {
		return err
	}
	if err := login(player, reelURL); err != nil {
		return fmt.Errorf("log in to the dashboard: %w", err)
	}

	var list []app
	for _, a := range apps {
		if only == "" || slices.Contains(strings.Split(only, ","), a.name) {
			list = append(list, a)
		}
	}
	variants := []string{"none", "rrweb", "reel"}
	type result struct {
		got, gotCPU map[string][]float64
		first       map[string]*run
		roundTime   time.Duration  // the wall time of its last round
		same        map[string]int // identical checkpoints per recorder
		diffs       []string       // the checkpoints that differ
	}
	res := map[string]*result{}
	var runTime, replayTime time.Duration
	// round runs one round of an app's variants, in an order that rotates with the round.
	round := func(a app, round int) error {
		r0 := res[a.name]
		t := time.Now()
		for i := range variants {
			v := variants[(i+round)%len(variants)]
			t0 := time.Now()
			r, err := s.once(live, a, v, round == 0)
			runTime += time.Since(t0)
			flush := ""
			if r != nil && v == "reel" {
				flush = fmt.Sprintf(", %.0f ms of them in the final flush (%.0f ms)", r.flushMs, float64(r.flushWall.Microseconds())/1000)
			}
			fmt.Fprintf(os.Stderr, "%s/%s round %d: %.0f ms of tasks%s in %.1f s (%.1f s to load)\n", a.name, v, round, r.msOr(), flush, time.Since(t0).Seconds(), r.loadOr().Seconds())
			if err != nil {
				return fmt.Errorf("%s/%s: %w", a.name, v, err)
			}
			r0.got[v] = append(r0.got[v], r.ms)
			r0.gotCPU[v] = append(r0.gotCPU[v], r.cpu)
			if r0.first[v] == nil {
				r0.first[v] = r
			}
		}
		r0.roundTime = time.Since(t)
		return nil
	}

	var ratios, ratiosCPU, unpaired, unpairedCPU []float64
	totalSame, totalRRSame, total := 0, 0, 0
	failures := []string{}
	for _, a := range list {
		res[a.name] = &result{got: map[string][]float64{}, gotCPU: map[string][]float64{}, first: map[string]*run{}}
		for k := 0; k < rounds; k++ {
			if err := round(a, k); err != nil {
				return err
			}
		}
		first := res[a.name].first
		same := map[string]int{}
		var diffs []string
		for _, v := range []string{"rrweb", "reel"} {
			r := first[v]
			for i, c := range r.checks {
				t0 := time.Now()
				share, replay, err := s.compare(player, r.session, c, i == 0)
				replayTime += time.Since(t0)
				fmt.Fprintf(os.Stderr, "%s/%s/%s: %.2f%% of pixels differ (%.1f s)\n", a.name, v, c.name, share*100, time.Since(t0).Seconds())
				if err != nil {
					return fmt.Errorf("%s/%s/%s: replay: %w", a.name, v, c.name, err)
				}
				ok := share <= identicalShare
				if ok {
					same[v]++
				} else {
					diffs = append(diffs, fmt.Sprintf("%s:%s=%.2f%%", v, c.name, share*100))
					if v == "reel" {
						failures = append(failures, fmt.Sprintf("%s/%s %.2f%%", a.name, c.name, share*100))
					}
					if shots != "" {
						os.MkdirAll(shots, 0o755)
						os.WriteFile(filepath.Join(shots, fmt.Sprintf("%s-%s-%s-live.png", a.name, v, c.name)), c.png, 0o644)
						os.WriteFile(filepath.Join(shots, fmt.Sprintf("%s-%s-%s-replay.png", a.name, v, c.name)), replay, 0o644)
					}
				}
			}
		}
		n := len(first["reel"].checks)
		total += n
		totalSame += same["reel"]
		totalRRSame += same["rrweb"]
		res[a.name].same, res[a.name].diffs = same, diffs
	}

	// More rounds while the time left allows (the machine decides how many fit): each
	// further round goes to every app in turn, as long as that app's last round would still
	// end before the deadline.
	extra := rounds
	for more := true; more && extra < maxRounds; extra++ {
		for _, a := range list {
			if time.Now().Add(res[a.name].roundTime * 11 / 10).After(deadline) {
				more = false
				break
			}
			if err := round(a, extra); err != nil {
				return err
			}
		}
	}

	minRounds, maxDone := math.MaxInt, 0
	for _, a := range list {
		r := res[a.name]
		med, medCPU := map[string]float64{}, map[string]float64{}
		for _, v := range variants {
			med[v] = median(r.got[v])
			medCPU[v] = median(r.gotCPU[v])
		}
		ratio := pairedRatio(r.got)
		ratios = append(ratios, ratio)
		ratiosCPU = append(ratiosCPU, pairedRatio(r.gotCPU))
		unpaired = append(unpaired, addedRatio(med))
		unpairedCPU = append(unpairedCPU, addedRatio(medCPU))
		k := len(r.got["reel"])
		minRounds, maxDone = min(minRounds, k), max(maxDone, k)
		fmt.Printf("%-9s identical=%d/%d rrweb_identical=%d/%d rounds=%d task_ms none=%.0f rrweb=%.0f reel=%.0f added rrweb=%+.0f%% reel=%+.0f%% cost_ratio=%.2f (unpaired %.2f) cpu_ms none=%.0f rrweb=%.0f reel=%.0f cpu_ratio=%.2f (unpaired %.2f) %s\n",
			a.name, r.same["reel"], len(r.first["reel"].checks), r.same["rrweb"], len(r.first["rrweb"].checks), k, med["none"], med["rrweb"], med["reel"],
			100*(med["rrweb"]-med["none"])/med["none"], 100*(med["reel"]-med["none"])/med["none"], ratio, unpaired[len(unpaired)-1],
			medCPU["none"], medCPU["rrweb"], medCPU["reel"], ratiosCPU[len(ratiosCPU)-1], unpairedCPU[len(unpairedCPU)-1], strings.Join(r.diffs, " "))
		fmt.Fprintf(os.Stderr, "%s TaskDuration ms per run: none %v rrweb %v reel %v\n", a.name, round1(r.got["none"]), round1(r.got["rrweb"]), round1(r.got["reel"]))
		fmt.Fprintf(os.Stderr, "%s ThreadTime ms per run: none %v rrweb %v reel %v\n", a.name, round1(r.gotCPU["none"]), round1(r.gotCPU["rrweb"]), round1(r.gotCPU["reel"]))
	}
	fmt.Fprintf(os.Stderr, "time: recorded runs %.0f s, replays %.0f s\n", runTime.Seconds(), replayTime.Seconds())
	if len(failures) > 0 {
		fmt.Fprintf(os.Stderr, "reel checkpoints that differ: %s\n", strings.Join(failures, ", "))
	}
	roundsText := fmt.Sprint(minRounds)
	if maxDone != minRounds {
		roundsText = fmt.Sprintf("%d-%d", minRounds, maxDone)
	}
	fmt.Printf("real-apps: identical=%d/%d rrweb_identical=%d/%d cost_ratio=%.2f cpu_cost_ratio=%.2f cost_ratio_unpaired=%.2f cpu_cost_ratio_unpaired=%.2f apps=%d rounds=%s\n",
		totalSame, total, totalRRSame, total, median(ratios), median(ratiosCPU), median(unpaired), median(unpairedCPU), len(list), roundsText)
	return nil
}

// setup starts reel serve and the server of the app pages (which proxies the rest to reel).
func setup(assets, appsDir, reelBin string) (*server, func(), error) {
	cmd, reelURL, data, err := startReel(reelBin)
	var stops []func()
	stop := func() {
		for i := len(stops) - 1; i >= 0; i-- {
			stops[i]()
		}
	}
	stops = append(stops, func() { os.RemoveAll(data) })
	if cmd != nil {
		stops = append(stops, func() { cmd.Process.Signal(os.Interrupt); cmd.Wait() })
	}
	if err != nil {
		return nil, stop, err
	}
	var ps struct{ Projects []struct{ PublicKey string } }
	if err := api("GET", reelURL+"/api/v1/projects", nil, &ps); err != nil || len(ps.Projects) == 0 {
		return nil, stop, fmt.Errorf("no project: %v", err)
	}
	key := ps.Projects[0].PublicKey

	sdks := map[string]string{
		"none":  ``,
		"rrweb": `<script src="/assets/rrweb-plain.js"></script><script>rrwebStart()</script>`,
		// Masking is the one default changed: it turns every contenteditable into asterisks by
		// design, which no replay could show as the live page.
		"reel": `<script src="/assets/reel.js"></script><script>Reel.init({ key: "` + key + `", maskAllInputs: false })</script>`,
	}
	target, _ := url.Parse(reelURL)
	mux := http.NewServeMux()
	mux.Handle("GET /assets/", http.StripPrefix("/assets/", http.FileServer(http.Dir(assets))))
	// What reel.js loads on demand (reel-canvas.js) comes from the same fresh build.
	mux.Handle("GET /sdk/", http.StripPrefix("/sdk/", http.FileServer(http.Dir(assets))))
	mux.Handle("GET /nm/", http.StripPrefix("/nm/", http.FileServer(http.Dir(filepath.Join(appsDir, "node_modules")))))
	mux.HandleFunc("GET /app/{name}/{variant}", func(w http.ResponseWriter, r *http.Request) {
		b, err := os.ReadFile(filepath.Join(appsDir, "pages", filepath.Base(r.PathValue("name"))+".html"))
		if err != nil {
			http.NotFound(w, r)
			return
		}
		b = bytes.Replace(b, []byte("{{SDK}}"), []byte(normalise+sdks[r.PathValue("variant")]), 1)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Write(b)
	})
	mux.Handle("/", httputil.NewSingleHostReverseProxy(target))
	srv := httptest.NewServer(mux)
	stops = append(stops, srv.Close)
	return &server{reelURL: reelURL, url: srv.URL, key: key}, stop, nil

}

func chromium(ctx context.Context, w, h int) (context.Context, context.CancelFunc) {
	path := os.Getenv("CHROMIUM")
	if path == "" {
		path = "/usr/bin/chromium"
	}
	dir, _ := os.MkdirTemp("", "realapps-profile")
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.WindowSize(w, h), chromedp.UserDataDir(dir), chromedp.Flag("font-render-hinting", "none"))
	actx, cancelA := chromedp.NewExecAllocator(ctx, opts...)
	bctx, cancelB := chromedp.NewContext(actx)
	return bctx, func() { cancelB(); cancelA(); os.RemoveAll(dir) }
}

func login(ctx context.Context, reelURL string) error {
	c, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	return chromedp.Run(c,
		chromedp.Navigate(reelURL+"/login"),
		chromedp.WaitVisible(`[data-testid=login-email]`, chromedp.ByQuery),
		chromedp.SendKeys(`[data-testid=login-email]`, "admin@reel.local", chromedp.ByQuery),
		chromedp.SendKeys(`[data-testid=login-password]`, password, chromedp.ByQuery),
		chromedp.Click(`[data-testid=login-submit]`, chromedp.ByQuery),
		poll(`location.pathname === "/"`),
	)
}

func poll(expr string) chromedp.Action {
	return chromedp.Poll(expr, nil, chromedp.WithPollingInterval(50*time.Millisecond), chromedp.WithPollingTimeout(30*time.Second))
}

// settle waits until the page is at rest (see quiet), for at most maxMs.
func settle(quietMs, maxMs int) chromedp.Action {
	return chromedp.Evaluate(fmt.Sprintf(`__settle(%d, %d)`, quietMs, maxMs), nil, awaitPromise)
}

func awaitPromise(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }

// once loads one app with one variant in a new tab, with the origin's storage cleared (each
// Reel run is a session of its own), runs its script and returns the main thread's
// busy time during it. Every variant takes the same screenshots at the checkpoints.
func (s *server) once(bctx context.Context, a app, variant string, shoot bool) (*run, error) {
	t0 := time.Now()
	ctx, cancel := chromedp.NewContext(bctx)
	defer cancel()
	ctx, cancelT := context.WithTimeout(ctx, 3*time.Minute)
	defer cancelT()
	// Reel starts once its configuration came from the server (storage is empty): its first
	// snapshot must be taken before the measured window opens, as plain rrweb's is.
	started := "true"
	if variant == "reel" {
		started = "Reel.getSessionId() !== null"
	}
	err := chromedp.Run(ctx,
		storage.ClearDataForOrigin(s.url, "all"),
		emulation.SetDeviceMetricsOverride(viewW, viewH, 1, false),
		performance.Enable(),
		chromedp.ActionFunc(func(ctx context.Context) error {
			_, err := page.AddScriptToEvaluateOnNewDocument(quiet).Do(ctx)
			return err
		}),
		chromedp.Navigate(s.url+"/app/"+a.name+"/"+variant),
		poll(a.ready+" && "+started),
		chromedp.Evaluate(helpers, nil),
		settle(settleEdgeMs, 500),
	)
	if err != nil {
		return nil, fmt.Errorf("load: %w", err)
	}
	// The pointer rests in a corner first: where the previous run left it does not matter.
	if err := chromedp.Run(ctx, chromedp.MouseEvent(input.MouseMoved, viewW-3, viewH-3)); err != nil {
		return nil, err
	}
	before, err := taskDuration(ctx)
	if err != nil {
		return nil, err
	}
	if s.hook != nil {
		if err := chromedp.Run(ctx, chromedp.ActionFunc(func(ctx context.Context) error { return s.hook(ctx, true) })); err != nil {
			return nil, err
		}
	}
	r := &run{shoot: shoot, load: time.Since(t0)}
	for i, st := range a.steps {
		if err := s.do(ctx, st, r); err != nil {
			return nil, fmt.Errorf("step %d (%s %s%s): %w", i, st.kind, st.sel, st.text, err)
		}
	}
	if err := chromedp.Run(ctx, settle(settleEdgeMs, 700)); err != nil {
		return nil, err
	}
	// Read for every variant alike (a reading is a little work in the page), though only Reel
	// flushes.
	beforeFlush, err := taskDuration(ctx)
	if err != nil {
		return nil, err
	}
	var flushWall time.Duration
	if variant == "reel" {
		t := time.Now()
		if err := chromedp.Run(ctx, chromedp.Evaluate(`Reel.flush()`, nil, awaitPromise)); err != nil {
			return nil, err
		}
		flushWall = time.Since(t)
	}
	after, err := taskDuration(ctx)
	if err != nil {
		return nil, err
	}
	if variant == "reel" {
		r.flushMs = (after[0] - beforeFlush[0]) * 1000
		r.flushWall = flushWall
	}
	if s.hook != nil {
		if err := chromedp.Run(ctx, chromedp.ActionFunc(func(ctx context.Context) error { return s.hook(ctx, false) })); err != nil {
			return nil, err
		}
	}
	r.ms = (after[0] - before[0]) * 1000
	r.cpu = (after[1] - before[1]) * 1000
	switch variant {
	case "reel":
		err = chromedp.Run(ctx, chromedp.Evaluate(`Reel.getSessionId()`, &r.session))
	case "rrweb":
		if !r.shoot {
			break
		}
		var events string
		if err = chromedp.Run(ctx, chromedp.Evaluate(`JSON.stringify(rrwebEvents)`, &events)); err == nil {
			r.session, err = s.importRRweb(a.name, events)
		}
	}
	return r, err
}

func (s *server) do(ctx context.Context, st step, r *run) error {
	point := func(js string) (float64, float64, error) {
		var p []float64
		if err := chromedp.Run(ctx, chromedp.Evaluate(js, &p)); err != nil {
			return 0, 0, err
		}
		if len(p) != 2 {
			return 0, 0, fmt.Errorf("no element")
		}
		return p[0], p[1], nil
	}
	click := func(x, y float64) error {
		return chromedp.Run(ctx, chromedp.MouseEvent(input.MouseMoved, x, y), chromedp.MouseClickXY(x, y))
	}
	switch st.kind {
	case "tap":
		x, y, err := point(fmt.Sprintf(`__where(%q, %q)`, st.sel, st.text))
		if err != nil {
			return err
		}
		return click(x, y)
	case "at":
		x, y, err := point(st.js)
		if err != nil {
			return err
		}
		return click(x, y)
	case "hover":
		x, y, err := point(st.js)
		if err != nil {
			return err
		}
		return chromedp.Run(ctx, chromedp.MouseEvent(input.MouseMoved, x-30, y), chromedp.Sleep(50*time.Millisecond), chromedp.MouseEvent(input.MouseMoved, x, y))
	case "wheel":
		if err := chromedp.Run(ctx, chromedp.MouseEvent(input.MouseMoved, st.x, st.y)); err != nil {
			return err
		}
		for i := 0; i < st.n; i++ {
			if err := chromedp.Run(ctx, input.DispatchMouseEvent(input.MouseWheel, st.x, st.y).WithDeltaY(st.dy), chromedp.Sleep(80*time.Millisecond)); err != nil {
				return err
			}
		}
		return nil
	case "keys":
		return chromedp.Run(ctx, chromedp.KeyEvent(st.text))
	case "resize":
		return chromedp.Run(ctx, emulation.SetDeviceMetricsOverride(st.w, st.h, 1, false))
	case "wait":
		return chromedp.Run(ctx, settle(settleMs, st.ms))
	case "check":
		// The replay is looked at after the page settled: a checkpoint is a moment at rest.
		if !r.shoot {
			return chromedp.Run(ctx, chromedp.Sleep(300*time.Millisecond))
		}
		var ts float64
		var buf []byte
		if err := chromedp.Run(ctx, chromedp.Sleep(300*time.Millisecond), chromedp.Evaluate(`Date.now()`, &ts), chromedp.CaptureScreenshot(&buf)); err != nil {
			return err
		}
		r.checks = append(r.checks, checkpoint{name: st.text, ts: int64(ts), png: buf})
		return nil
	}
	return fmt.Errorf("unknown step %q", st.kind)
}

// importRRweb sends plain rrweb's events to Reel's ingest endpoint as one session, in batches
// of at most ~2 MB of JSON.
func (s *server) importRRweb(name, events string) (string, error) {
	var evs []json.RawMessage
	if err := json.Unmarshal([]byte(events), &evs); err != nil {
		return "", err
	}
	if len(evs) == 0 {
		return "", fmt.Errorf("rrweb recorded nothing")
	}
	id := fmt.Sprintf("s_rrweb_%s_%d", name, time.Now().UnixNano()%1e9)
	seq := 0
	for len(evs) > 0 {
		n, size := 0, 0
		for n < len(evs) && (n == 0 || size+len(evs[n]) < 2<<20) {
			size += len(evs[n])
			n++
		}
		raw, _ := json.Marshal(evs[:n])
		evs = evs[n:]
		var buf bytes.Buffer
		zw := gzip.NewWriter(&buf)
		fmt.Fprintf(zw, `{"session":%q,"tab":"t_rrwebtab01","seq":%d,"meta":{"sdk":"rrweb/plain","url":"","userAgent":"Mozilla/5.0 (X11; Linux x86_64) Chrome","language":"en","screen":{"width":%d,"height":%d},"referrer":""},"events":%s}`, id, seq, viewW, viewH, raw)
		zw.Close()
		res, err := http.Post(s.url+"/api/v1/ingest?v=1&key="+s.key, "text/plain", &buf)
		if err != nil {
			return "", err
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode != 200 {
			return "", fmt.Errorf("ingest: %d %.300s", res.StatusCode, b)
		}
		seq++
	}
	return id, nil
}

// replayStill is true once the replayed page has not changed for 400 ms, its DOM and the
// pictures the player shows for its canvases, and the player paints no canvas frame
// (data-canvas-busy on the frame: after a seek, pictures come a little after the page). A
// fixed pause was sometimes too short for a chart's picture on the loaded machine. A canvas
// with no recorded frame (plain rrweb's) has nothing to wait for.
const replayStill = `(() => {
	const f = document.querySelector('[data-testid=player] iframe');
	const d = f.contentDocument;
	if (f.dataset.canvasBusy) { window.__still = null; return false; }
	const sig = [...d.querySelectorAll('img[data-reel-canvas]')].map((i) => i.complete + ':' + i.dataset.frame).join() + '|' + d.body.innerHTML.length;
	const now = Date.now();
	if (!window.__still || window.__still.sig !== sig) { window.__still = { sig, since: now }; return false; }
	return now - window.__still.since >= 400;
})()`

// compare opens the session in Reel's player at the checkpoint's moment, at scale 1 and
// without the replayed cursor, and returns the share of pixels that differ from the live
// screenshot, and the replay's screenshot.
func (s *server) compare(ctx context.Context, session string, c checkpoint, first bool) (float64, []byte, error) {
	var sess struct {
		StartedAt time.Time `json:"startedAt"`
	}
	if err := api("GET", s.reelURL+"/api/v1/sessions/"+session, nil, &sess); err != nil {
		return 0, nil, err
	}
	t := max(c.ts-sess.StartedAt.UnixMilli(), 0)
	tctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	var rect []float64
	var scale string
	u := fmt.Sprintf("/sessions/%s?t=%d&scale=1&cursor=0", session, t)
	var open chromedp.Action = chromedp.Navigate(s.reelURL + u)
	if !first {
		// A later moment of the same session: the link is followed inside the open player, as
		// when a link to a moment is pasted (the dashboard's router takes it from history).
		open = chromedp.Evaluate(fmt.Sprintf(`history.pushState(null, "", %q); dispatchEvent(new Event("reel:navigate"))`, u), nil)
	}
	err := chromedp.Run(tctx,
		open,
		poll(`document.body.dataset.playerReady === "1"`),
		poll(fmt.Sprintf(`Math.abs(Number((document.querySelector('[data-testid=time]') || {dataset: {}}).dataset.currentMs) - %d) < 100`, t)),
		chromedp.Evaluate(`document.getElementById('realapps-style') || document.head.append(Object.assign(document.createElement('style'), {id: 'realapps-style', textContent: '.replayer-mouse,.replayer-mouse-tail,.click-ripple{display:none!important}'}))`, nil),
		// The replayed frame's images and fonts are loaded, and it has painted since.
		poll(`(() => { const d = document.querySelector('[data-testid=player] iframe').contentDocument; return !!d && d.fonts.status === 'loaded' && [...d.images].every((i) => i.complete); })()`),
		chromedp.Evaluate(`window.__still = null`, nil),
		poll(replayStill),
		chromedp.Evaluate(`(() => { const f = document.querySelector('[data-testid=player] iframe'); const r = f.getBoundingClientRect(); return [r.left, r.top, r.width, r.height]; })()`, &rect),
		chromedp.Evaluate(`(document.querySelector('[data-scale]') || {dataset: {}}).dataset.scale || ''`, &scale),
	)
	if err != nil {
		return 0, nil, err
	}
	if scale != "" && scale != "1.000" && scale != "1" {
		return 0, nil, fmt.Errorf("player scale %s: the window is too small for 1:1", scale)
	}
	var shot []byte
	err = chromedp.Run(tctx, chromedp.ActionFunc(func(ctx context.Context) error {
		var err error
		shot, err = page.CaptureScreenshot().WithFormat(page.CaptureScreenshotFormatPng).
			WithClip(&page.Viewport{X: rect[0], Y: rect[1], Width: rect[2], Height: rect[3], Scale: 1}).Do(ctx)
		return err
	}))
	if err != nil {
		return 0, nil, err
	}
	share, err := differ(c.png, shot)
	return share, shot, err
}

// differ returns the share of pixels of a that differ from b by more than pixelTolerance in
// some channel; images of different sizes differ entirely.
func differ(a, b []byte) (float64, error) {
	ia, err := png.Decode(bytes.NewReader(a))
	if err != nil {
		return 0, err
	}
	ib, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		return 0, err
	}
	ra, rb := ia.Bounds(), ib.Bounds()
	if ra.Dx() != rb.Dx() || ra.Dy() != rb.Dy() {
		return 1, nil
	}
	n := 0
	// Screenshots decode as 8-bit RGBA (opaque, so NRGBA is the same bytes): compare the bytes.
	if pa, sa, ok := pix(ia); ok {
		if pb, sb, ok := pix(ib); ok {
			d := func(p, q uint8) bool { return int(p)-int(q) > pixelTolerance || int(q)-int(p) > pixelTolerance }
			for y := 0; y < ra.Dy(); y++ {
				la, lb := pa[y*sa:], pb[y*sb:]
				for x := 0; x < 4*ra.Dx(); x += 4 {
					if d(la[x], lb[x]) || d(la[x+1], lb[x+1]) || d(la[x+2], lb[x+2]) {
						n++
					}
				}
			}
			return float64(n) / float64(ra.Dx()*ra.Dy()), nil
		}
	}
	for y := 0; y < ra.Dy(); y++ {
		for x := 0; x < ra.Dx(); x++ {
			if far(ia.At(ra.Min.X+x, ra.Min.Y+y), ib, rb.Min.X+x, rb.Min.Y+y) {
				n++
			}
		}
	}
	return float64(n) / float64(ra.Dx()*ra.Dy()), nil
}

// pix returns an opaque 8-bit RGBA image's bytes from its top left corner, and its stride.
func pix(m image.Image) ([]uint8, int, bool) {
	switch m := m.(type) {
	case *image.RGBA:
		return m.Pix[m.PixOffset(m.Rect.Min.X, m.Rect.Min.Y):], m.Stride, m.Opaque()
	case *image.NRGBA:
		return m.Pix[m.PixOffset(m.Rect.Min.X, m.Rect.Min.Y):], m.Stride, m.Opaque()
	}
	return nil, 0, false
}

func far(ca interface{ RGBA() (r, g, b, a uint32) }, ib image.Image, x, y int) bool {
	r1, g1, b1, _ := ca.RGBA()
	r2, g2, b2, _ := ib.At(x, y).RGBA()
	d := func(p, q uint32) bool { return math.Abs(float64(p>>8)-float64(q>>8)) > pixelTolerance }
	return d(r1, r2) || d(g1, g2) || d(b1, b2)
}

// taskDuration returns the renderer main thread's TaskDuration (wall time spent running
// tasks) and ThreadTime (its CPU time), in seconds. On a busy machine the first also counts
// the time a task waited for a core; the second does not.
func taskDuration(ctx context.Context) ([2]float64, error) {
	var v [2]float64
	err := chromedp.Run(ctx, chromedp.ActionFunc(func(ctx context.Context) error {
		ms, err := performance.GetMetrics().Do(ctx)
		for _, m := range ms {
			switch m.Name {
			case "TaskDuration":
				v[0] = m.Value
			case "ThreadTime":
				v[1] = m.Value
			}
		}
		return err
	}))
	return v, err
}

// addedRatio is Reel's added time over plain rrweb's, each + 1 % of the no-recorder time (which
// keeps tiny denominators sane). Added time below zero is noise (a recorder cannot make the
// page's own work cheaper) and counts as zero.
func addedRatio(med map[string]float64) float64 {
	pad := 0.01 * med["none"]
	return (max(med["reel"]-med["none"], 0) + pad) / (max(med["rrweb"]-med["none"], 0) + pad)
}

// pairedRatio is addedRatio with each recorder's added time taken round by round: the median
// over rounds of (recorder − none) in the same round, whose three runs follow one another. The
// machine drifts over a bench run (the no-recorder time of one app fell from 165 to 106 ms over
// five rounds), which a difference of medians taken over all rounds counts as the recorders'
// cost; a difference within a round does not (docs/decisions.md, 2026-12-08).
func pairedRatio(got map[string][]float64) float64 {
	added := func(v string) float64 {
		var d []float64
		for k := range got[v] {
			d = append(d, got[v][k]-got["none"][k])
		}
		return median(d)
	}
	pad := 0.01 * median(got["none"])
	return (max(added("reel"), 0) + pad) / (max(added("rrweb"), 0) + pad)
}

func median(xs []float64) float64 {
	if len(xs) == 0 {
		return 0
	}
	s := slices.Clone(xs)
	slices.Sort(s)
	if len(s)%2 == 0 {
		return (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	return s[len(s)/2]
}

func round1(xs []float64) []float64 {
	out := make([]float64, len(xs))
	for i, x := range xs {
		out[i] = math.Round(x*10) / 10
	}
	return out
}
