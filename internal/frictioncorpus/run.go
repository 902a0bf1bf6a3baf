// Package frictioncorpus is the labelled corpus behind Reel's friction figures: pages of its own
// in the style of real apps (a product page, an editor, an orders grid, a checkout, a long
// guide), scripted visits over them, and for each visit the findings a careful analyst would
// report. Run plays visits in headless Chromium through the real SDK against a running
// `reel serve` and reads back what the server found; Score turns that into precision and recall
// per kind. bench/friction runs all of it; e2e runs a subset in CI.
package frictioncorpus

import (
	"context"
	"embed"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
)

//go:embed all:pages
var pages embed.FS

// Kinds are the friction kinds, in report order, with the short names the figures use.
var Kinds = []struct{ Kind, Short string }{
	{"rage_click", "rage"}, {"dead_click", "dead"}, {"error_click", "error"}, {"thrashed_cursor", "thrash"},
	{"quick_back", "quickback"}, {"excessive_scroll", "scroll"}, {"form_abandonment", "abandon"}, {"field_hesitation", "hesitation"},
}

func long(short string) string {
	for _, k := range Kinds {
		if k.Short == short {
			return k.Kind
		}
	}
	panic("frictioncorpus: unknown kind " + short)
}

// Scenario is one scripted visit and its label: how many findings of each kind a careful
// analyst would report (absent kinds: none).
type Scenario struct {
	Name string
	Page string         // the path the visit starts on
	Want map[string]int // by kind (analyze.Kind)
	CI   bool           // part of the subset e2e runs
	// Solo visits are played after the others, a few at a time and with no other visit at
	// work: a save that answers in 2.2 s (of the dead-click wait's 3) needs the page's timers
	// on time, and a glance at a page before going back a few quick steps of the browser,
	// which eight windows at work on two loaded cores stretch past the quick back's 5 s.
	Solo bool
	// Alone visits are played last, one at a time: a shake of the mouse needs the page's
	// timers on time at 60 moves a second, which a loaded machine starves even with two
	// other windows at work (a shake recorded too sparsely to reverse 8 times in 2 s).
	Alone bool
	Play  func(t *Tab)
}

// Result is what the server found for one scenario.
type Result struct {
	Scenario *Scenario
	Session  string
	Got      map[string]int
	Findings []Finding
	Summary  string
	Err      error
	Took     time.Duration // from opening the window to reading the findings
}

// estimate is how long the visit takes, from its script alone (its waits, keystrokes, bursts
// and paths, and a round trip per browser step): Run starts the longest first, so a long
// visit does not start last and keep the run waiting for it alone.
func (sc *Scenario) estimate() time.Duration {
	t := &Tab{dry: true}
	t.Go(sc.Page)
	sc.Play(t)
	return t.est
}

// Finding is one signal as the API returns it.
type Finding struct {
	Kind   string `json:"kind"`
	At     int64  `json:"at"`
	URL    string `json:"url"`
	Target string `json:"target"`
	Count  int    `json:"count"`
	Detail string `json:"detail"`
}

// Server is the running Reel the visits record into.
type Server struct {
	URL, Token, Key string
}

func (s Server) get(ctx context.Context, path string, v any) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.URL+path, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+s.Token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET %s = %d %s", path, resp.StatusCode, b)
	}
	return json.Unmarshal(b, v)
}

// Site serves the corpus pages with the SDK pointed at srv, plus a slow endpoint, a failing
// one and downloadable files.
func Site(srv Server) *httptest.Server {
	head, _ := pages.ReadFile("pages/_head.html")
	nav, _ := pages.ReadFile("pages/_nav.html")
	mux := http.NewServeMux()
	mux.HandleFunc("GET /slow", func(w http.ResponseWriter, r *http.Request) {
		ms, _ := strconv.Atoi(r.URL.Query().Get("ms"))
		select {
		case <-time.After(time.Duration(min(ms, 10_000)) * time.Millisecond):
		case <-r.Context().Done():
			return
		}
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"n":7}`)
	})
	mux.HandleFunc("POST /fail", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "upstream unavailable", http.StatusBadGateway)
	})
	mux.HandleFunc("GET /files/", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/octet-stream")
		w.Header().Set("Content-Disposition", "attachment")
		fmt.Fprint(w, "file body")
	})
	mux.HandleFunc("GET /", func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, "/")
		b, err := pages.ReadFile("pages/" + name)
		if err != nil || strings.HasPrefix(name, "_") || !strings.HasSuffix(name, ".html") {
			http.NotFound(w, r)
			return
		}
		s := strings.NewReplacer("{{HEAD}}", string(head), "{{NAV}}", string(nav)).Replace(string(b))
		s = strings.NewReplacer("{{REEL}}", srv.URL, "{{KEY}}", srv.Key).Replace(s)
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		fmt.Fprint(w, s)
	})
	return httptest.NewServer(mux)
}

// Run plays the scenarios, `tabs` at a time, longest first, each in a window and on an origin of
// its own (so each is one session), and returns their results in the scenarios' order. Solo
// scenarios are played after the others, five at a time, and Alone ones last, one at a time.
func Run(ctx context.Context, srv Server, scenarios []*Scenario, tabs int, logf func(string, ...any)) ([]Result, error) {
	site := Site(srv)
	defer site.Close()
	path := os.Getenv("CHROMIUM")
	if path == "" {
		path = "/usr/bin/chromium"
	}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.WindowSize(1280, 800), chromedp.Flag("disable-popup-blocking", true),
		// A page restored from the back/forward cache is not recorded as a new page view by
		// the SDK (reported in #19's SDK work); quick backs here go through a real load.
		chromedp.Flag("disable-features", "BackForwardCache"))
	actx, cancelA := chromedp.NewExecAllocator(ctx, opts...)
	defer cancelA()
	bctx, cancelB := chromedp.NewContext(actx)
	defer cancelB()
	if err := chromedp.Run(bctx); err != nil {
		return nil, fmt.Errorf("frictioncorpus: start chromium: %w", err)
	}
	results := make([]Result, len(scenarios))
	// playAll plays the scenarios at these indexes, n at a time, in this order.
	playAll := func(order []int, n int) {
		next := make(chan int)
		var wg sync.WaitGroup
		for range max(n, 1) {
			wg.Add(1)
			go func() {
				defer wg.Done()
				for i := range next {
					// Each visit gets an origin of its own (s7.localhost resolves to loopback),
					// so its storage, and with it its session, is its own.
					base := strings.Replace(site.URL, "127.0.0.1", fmt.Sprintf("s%d.localhost", i), 1)
					results[i] = play(bctx, srv, base, scenarios[i])
					if results[i].Err != nil {
						logf("%s: %v", scenarios[i].Name, results[i].Err)
					}
				}
			}()
		}
		for _, i := range order {
			next <- i
		}
		close(next)
		wg.Wait()
	}
	var order, solo, alone []int
	est := make([]time.Duration, len(scenarios))
	for i, sc := range scenarios {
		est[i] = sc.estimate()
		switch {
		case sc.Alone:
			alone = append(alone, i)
		case sc.Solo:
			solo = append(solo, i)
		default:
			order = append(order, i)
		}
	}
	sort.SliceStable(order, func(a, b int) bool { return est[order[a]] > est[order[b]] })
	playAll(order, tabs)
	sort.SliceStable(solo, func(a, b int) bool { return est[solo[a]] > est[solo[b]] })
	playAll(solo, min(tabs, 5))
	playAll(alone, 1)
	return results, nil
}

func play(bctx context.Context, srv Server, base string, sc *Scenario) Result {
	start := time.Now()
	res := playOnce(bctx, srv, base, sc)
	res.Took = time.Since(start)
	return res
}

func playOnce(bctx context.Context, srv Server, base string, sc *Scenario) Result {
	res := Result{Scenario: sc, Got: map[string]int{}}
	// A window of its own: a background tab renders nothing, so it would fire no scroll
	// events, and switching tabs blurs the focused field.
	var tid target.ID
	if err := chromedp.Run(bctx, chromedp.ActionFunc(func(ctx context.Context) error {
		var err error
		tid, err = target.CreateTarget("about:blank").WithNewWindow(true).Do(cdp.WithExecutor(ctx, chromedp.FromContext(ctx).Browser))
		return err
	})); err != nil {
		res.Err = fmt.Errorf("open a window: %w", err)
		return res
	}
	defer chromedp.Run(bctx, chromedp.ActionFunc(func(ctx context.Context) error {
		return target.CloseTarget(tid).Do(cdp.WithExecutor(ctx, chromedp.FromContext(ctx).Browser))
	}))
	cctx, cancel := chromedp.NewContext(bctx, chromedp.WithTargetID(tid))
	defer cancel()
	if err := chromedp.Run(cctx, emulation.SetFocusEmulationEnabled(true)); err != nil {
		res.Err = fmt.Errorf("focus emulation: %w", err)
		return res
	}
	tctx, cancelT := context.WithTimeout(cctx, 150*time.Second)
	defer cancelT()
	t := &Tab{ctx: tctx, base: base}
	t.Go(sc.Page)
	sc.Play(t)
	t.Wait(700)
	var id string
	if t.err == nil {
		t.err = chromedp.Run(tctx, chromedp.Evaluate(`Reel.flush().then(() => Reel.getSessionId())`, &id, await))
	}
	if t.err != nil {
		res.Err = t.err
		return res
	}
	res.Session = id
	var rep struct {
		Signals []Finding `json:"signals"`
		Summary string    `json:"summary"`
	}
	// The last batch of a page left just before is sent as that page unloads and may still
	// be on its way: read the session until two reads agree before asking for its analysis.
	settle(srv, id)
	if err := srv.get(context.Background(), "/api/v1/sessions/"+id+"/signals?pass=whole", &rep); err != nil {
		res.Err = err
		return res
	}
	res.Findings, res.Summary = rep.Signals, rep.Summary
	if dir := os.Getenv("REEL_FRICTION_DUMP"); dir != "" {
		// The session's events, to see why a scenario's findings differ from its label.
		var evs json.RawMessage
		if err := srv.get(context.Background(), "/api/v1/sessions/"+id+"/events", &evs); err == nil {
			os.MkdirAll(dir, 0o755)
			os.WriteFile(dir+"/"+strings.ReplaceAll(sc.Name, "/", "_")+".json", evs, 0o644)
		}
	}
	for _, f := range rep.Signals {
		res.Got[f.Kind]++
	}
	return res
}

func settle(srv Server, id string) {
	prev := -1
	for range 40 {
		time.Sleep(200 * time.Millisecond)
		var evs []json.RawMessage
		if srv.get(context.Background(), "/api/v1/sessions/"+id+"/events", &evs) != nil {
			continue
		}
		if len(evs) == prev {
			return
		}
		prev = len(evs)
	}
}

func await(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) }

// Figures are precision and recall per kind over a run.
type Figures struct {
	TP, FP, FN map[string]int
}

// Score counts, per kind, the findings that match a label (true positives), the findings
// beyond the label (false positives) and the labelled findings missing (false negatives).
func Score(results []Result) Figures {
	f := Figures{TP: map[string]int{}, FP: map[string]int{}, FN: map[string]int{}}
	for _, r := range results {
		if r.Err != nil {
			continue
		}
		for _, k := range Kinds {
			want, got := r.Scenario.Want[k.Kind], r.Got[k.Kind]
			f.TP[k.Kind] += min(want, got)
			f.FP[k.Kind] += max(0, got-want)
			f.FN[k.Kind] += max(0, want-got)
		}
	}
	return f
}

// Precision is the share of findings of kind that are right (1 when there are none).
func (f Figures) Precision(kind string) float64 {
	if kind == "" {
		return ratio(sum(f.TP), sum(f.TP)+sum(f.FP))
	}
	return ratio(f.TP[kind], f.TP[kind]+f.FP[kind])
}

// Recall is the share of labelled findings of kind that were found (1 when there are none).
func (f Figures) Recall(kind string) float64 {
	if kind == "" {
		return ratio(sum(f.TP), sum(f.TP)+sum(f.FN))
	}
	return ratio(f.TP[kind], f.TP[kind]+f.FN[kind])
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 1
	}
	return float64(a) / float64(b)
}

func sum(m map[string]int) int {
	n := 0
	for _, v := range m {
		n += v
	}
	return n
}

// Mismatches lists, for each scenario whose findings differ from its label, what was
// expected and what came back.
func Mismatches(results []Result) []string {
	var out []string
	for _, r := range results {
		if r.Err != nil {
			out = append(out, fmt.Sprintf("%s: %v", r.Scenario.Name, r.Err))
			continue
		}
		diff := false
		for _, k := range Kinds {
			if r.Scenario.Want[k.Kind] != r.Got[k.Kind] {
				diff = true
			}
		}
		if !diff {
			continue
		}
		var fs []string
		for _, f := range r.Findings {
			fs = append(fs, fmt.Sprintf("%s %s %q %d %s", f.Kind, f.URL, f.Target, f.Count, f.Detail))
		}
		out = append(out, fmt.Sprintf("%s (session %s): want %v, got %v\n\t%s", r.Scenario.Name, r.Session, label(r.Scenario.Want), label(r.Got), strings.Join(fs, "\n\t")))
	}
	return out
}

func label(m map[string]int) string {
	var ks []string
	for k, v := range m {
		if v > 0 {
			ks = append(ks, fmt.Sprintf("%s=%d", k, v))
		}
	}
	sort.Strings(ks)
	return "{" + strings.Join(ks, " ") + "}"
}

// Line is the figures as one `friction: …` line.
func (f Figures) Line(scenarios int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "friction: scenarios=%d", scenarios)
	for _, k := range Kinds {
		fmt.Fprintf(&b, " precision.%s=%.2f recall.%s=%.2f", k.Short, f.Precision(k.Kind), k.Short, f.Recall(k.Kind))
	}
	fmt.Fprintf(&b, " precision=%.2f recall=%.2f", f.Precision(""), f.Recall(""))
	return b.String()
}

// Tab drives one visit. The first failing step stops the rest and is the scenario's error.
// A dry tab drives nothing and adds up how long the visit would take (Scenario.estimate).
type Tab struct {
	ctx   context.Context
	base  string
	err   error
	pos   [2]float64 // where the mouse is
	moved bool
	dry   bool
	est   time.Duration
}

func (t *Tab) run(step string, actions ...chromedp.Action) {
	if t.err != nil {
		return
	}
	if t.dry {
		t.est += 20 * time.Millisecond // a round trip to the browser
		return
	}
	if err := chromedp.Run(t.ctx, actions...); err != nil {
		t.err = fmt.Errorf("%s: %w", step, err)
	}
}

// Wait pauses the visit.
func (t *Tab) Wait(ms int) {
	if t.dry {
		t.est += time.Duration(ms) * time.Millisecond
		return
	}
	if t.err == nil {
		select {
		case <-time.After(time.Duration(ms) * time.Millisecond):
		case <-t.ctx.Done():
			t.err = t.ctx.Err()
		}
	}
}

// Eval runs script in the page.
func (t *Tab) Eval(script string) { t.run("eval "+script, chromedp.Evaluate(script, nil)) }

// Go loads path and waits until the SDK records.
func (t *Tab) Go(path string) {
	t.run("navigate "+path, chromedp.Navigate(t.base+path))
	t.Loaded(path)
	// The product page's carousel plays by itself every 2 s: visitors look at a page for a few
	// seconds before they click, long enough to tell such changes from answers.
	if strings.HasPrefix(path, "/shop.html") {
		t.Wait(3000)
	}
}

// Loaded waits until the page at path (its path part) is loaded and recording.
func (t *Tab) Loaded(path string) {
	p := path
	if i := strings.IndexAny(p, "?#"); i >= 0 {
		p = p[:i]
	}
	t.until(fmt.Sprintf(`location.pathname === %q && document.readyState === "complete" && window.Reel && Reel.getSessionId()`, p))
	t.Wait(300)
}

func (t *Tab) until(cond string) {
	t.run("wait for "+cond, chromedp.ActionFunc(func(ctx context.Context) error {
		for {
			var ok bool
			if err := chromedp.Evaluate(`!!(`+cond+`)`, &ok).Do(ctx); err == nil && ok {
				return nil
			}
			select {
			case <-ctx.Done():
				var state string
				sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 2*time.Second)
				defer cancel()
				_ = chromedp.Evaluate(`JSON.stringify({href: location.href, ready: document.readyState, reel: typeof Reel, session: window.Reel && Reel.getSessionId && Reel.getSessionId()})`, &state).Do(sctx)
				return fmt.Errorf("%w (page: %s)", ctx.Err(), state)
			case <-time.After(50 * time.Millisecond):
			}
		}
	}))
}

// center scrolls the element into view if needed and returns its centre in the viewport.
func (t *Tab) center(sel string) (float64, float64) {
	if t.dry {
		t.run("find " + sel)
		return 0, 0
	}
	var xy []float64
	t.run("find "+sel, chromedp.Evaluate(fmt.Sprintf(`(() => { const e = document.querySelector(%q); e.scrollIntoView({block: "nearest", inline: "nearest"}); const r = e.getBoundingClientRect(); return [r.x + r.width/2, r.y + r.height/2] })()`, sel), &xy))
	if len(xy) != 2 {
		if t.err == nil {
			t.err = fmt.Errorf("no element %s", sel)
		}
		return 0, 0
	}
	return xy[0], xy[1]
}

// Click clicks the centre of the element with a real (CDP) mouse, moving there first.
func (t *Tab) Click(sel string) { t.Clicks(sel, 1, 0) }

// Clicks clicks the element n times, gapMS apart. A single click is a real (CDP) click; a
// burst is dispatched from inside the page (pointer, mouse and click events, as a mouse
// sends them) so that a busy machine cannot stretch it out: each click is timed from the
// burst's start, so a late timer delays one click, not every click after it.
func (t *Tab) Clicks(sel string, n, gapMS int) {
	x, y := t.center(sel)
	t.MoveTo(x, y)
	if n == 1 {
		t.run("click "+sel, chromedp.MouseClickXY(x, y))
		return
	}
	if t.dry {
		t.est += time.Duration((n-1)*gapMS) * time.Millisecond
	}
	var ok bool
	t.run("clicks "+sel, chromedp.Evaluate(fmt.Sprintf(`new Promise(done => {
  const x = %g, y = %g, gap = %d, t0 = performance.now(); let i = 0;
  const one = () => {
    const el = document.elementFromPoint(x, y) || document.body, o = {clientX: x, clientY: y, bubbles: true, cancelable: true, view: window, detail: 1};
    el.dispatchEvent(new PointerEvent("pointerdown", {...o, pointerType: "mouse", buttons: 1}));
    el.dispatchEvent(new MouseEvent("mousedown", {...o, buttons: 1}));
    el.dispatchEvent(new PointerEvent("pointerup", {...o, pointerType: "mouse"}));
    el.dispatchEvent(new MouseEvent("mouseup", o));
    el.dispatchEvent(new MouseEvent("click", o));
    if (++i < %d) setTimeout(one, Math.max(0, t0 + i * gap - performance.now())); else done(true);
  };
  one();
})`, x, y, gapMS, n), &ok, await))
}

// TripleClick selects a paragraph the way people do.
func (t *Tab) TripleClick(sel string) {
	x, y := t.center(sel)
	t.MoveTo(x, y)
	for i := 1; i <= 3; i++ {
		t.run("click "+sel, chromedp.MouseClickXY(x, y, chromedp.ClickCount(i)))
		t.Wait(90)
	}
}

// Hover moves the mouse onto the element.
func (t *Tab) Hover(sel string) {
	x, y := t.center(sel)
	t.MoveTo(x, y)
	t.Wait(300)
}

// MoveTo glides the mouse to x, y in a few steps.
func (t *Tab) MoveTo(x, y float64) {
	from := t.pos
	if !t.moved {
		from = [2]float64{640, 400}
	}
	for i := 1; i <= 6; i++ {
		f := float64(i) / 6
		t.move(from[0]+(x-from[0])*f, from[1]+(y-from[1])*f, false)
		t.Wait(16)
	}
}

func (t *Tab) move(x, y float64, pressed bool) {
	ev := input.DispatchMouseEvent(input.MouseMoved, x, y)
	if pressed {
		ev = ev.WithButton(input.Left).WithButtons(1)
	}
	t.run("move", ev)
	t.pos, t.moved = [2]float64{x, y}, true
}

// Path moves the mouse along x(s), y(s) (JavaScript expressions of s, the seconds since the
// start) for the given seconds, 60 times a second, from inside the page so a busy machine
// does not thin the motion out; with pressed the left button is held (drawing, dragging).
func (t *Tab) Path(seconds float64, pressed bool, x, y string) {
	if t.dry {
		t.est += time.Duration(seconds * float64(time.Second))
	}
	script := fmt.Sprintf(`new Promise(done => {
  const X = (s) => %s, Y = (s) => %s, t0 = performance.now();
  const fire = (type, s, buttons) => { const x = X(s), y = Y(s), el = document.elementFromPoint(x, y) || document.body, o = {clientX: x, clientY: y, bubbles: true, buttons, pointerType: "mouse"};
    if (type !== "mousemove") el.dispatchEvent(new PointerEvent(type === "mousedown" ? "pointerdown" : "pointerup", o));
    el.dispatchEvent(new MouseEvent(type, o)) };
  if (%t) fire("mousedown", 0, 1);
  const step = () => {
    const s = (performance.now() - t0) / 1000;
    if (s > %g) { if (%t) fire("mouseup", s, 0); return done(true) }
    fire("mousemove", s, %t ? 1 : 0);
    setTimeout(step, 16);
  };
  step();
})`, x, y, pressed, seconds, pressed, pressed)
	var ok bool
	t.run("move along a path", chromedp.Evaluate(script, &ok, await))
}

// Shake moves the mouse back and forth around cx, cy: amplitude ax, ay px, hz times a second.
func (t *Tab) Shake(cx, cy, ax, ay, hz, seconds float64) {
	w := fmt.Sprintf("Math.sin(2 * Math.PI * %g * s)", hz)
	t.Path(seconds, false, fmt.Sprintf("%g + %g * %s", cx, ax, w), fmt.Sprintf("%g + %g * %s", cy, ay, w))
}

// Type clicks the field and types text, perKeyMS between keys.
func (t *Tab) Type(sel, text string, perKeyMS int) {
	t.Click(sel)
	t.Keys(text, perKeyMS)
}

// Keys types text into whatever has focus.
func (t *Tab) Keys(text string, perKeyMS int) {
	for _, r := range text {
		t.run("type", chromedp.KeyEvent(string(r)))
		t.Wait(perKeyMS)
	}
}

// ScrollTo scrolls the page to y and lets the SDK's scroll sampling see it.
func (t *Tab) ScrollTo(y int) {
	t.Eval(fmt.Sprintf(`window.scrollTo({top: %d, behavior: "instant"})`, y))
	t.Wait(250)
}

// ScrollEl scrolls an element horizontally to x.
func (t *Tab) ScrollEl(sel string, x int) {
	t.Eval(fmt.Sprintf(`document.querySelector(%q).scrollTo({left: %d, behavior: "instant"})`, sel, x))
	t.Wait(250)
}

// Back goes back in history and waits for path.
func (t *Tab) Back(path string) {
	t.Eval(`history.back()`)
	t.Loaded(path)
}
