// Command seek measures how fast the dashboard's player shows the frame at minute 55 of a
// 60-minute recording when it seeks from the nearest full snapshot (events?from=&to=), against
// loading the whole session first (the player's ?load=all), in the same run, in headless
// Chromium, against a real `reel serve` fed through its real ingest endpoint. It does so for
// three hours (shapes): a visitor browsing a shop whose product grid re-renders as they filter
// and sort (ratio=), one browsing pages that change little once loaded (lean_ratio=), and one
// page left open all hour (light_ratio=).
//
// Usage: seek -reel <path to reel binary> [-runs 3]. bench/seek builds and runs it.
package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"maps"
	"math/rand/v2"
	"net/http"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/reelhq/reel/bench/internal/corpus"
)

const (
	password = "bench-password-123"
	session  = "s_seekbench0001" // a visitor browsing a shop that re-renders as they filter
	light    = "s_seekbench0002" // one page all hour, recorded afresh every 5 minutes
	lean     = "s_seekbench0003" // a visitor browsing pages that change little once loaded
	tab      = "t_seekbench0001"
	minutes  = 60
	target   = 55*60*1000 + 30*1000 // 55:30, half a minute after the nearest full snapshot
)

// A shape is one recorded hour the bench measures.
type shape struct {
	id string
	// pageEvery returns how long the visitor stays on the page just opened, in ms.
	pageEvery func(*rand.Rand) int64
	// filterEvery is the mean time, in ms, between the visitor's filter and sort changes, each
	// of which renders the product grid afresh, as single-page shops do; 0 for none.
	filterEvery int64
}

var browsing = func(rng *rand.Rand) int64 { return int64(30000 + rng.IntN(60000)) }

var shapes = []shape{
	// About 2 MB of events a minute, less than any real recording we know of (docs/player.md).
	{id: session, pageEvery: browsing, filterEvery: 16000},
	// A visitor on pages that change little once loaded: 0.7 MB a minute.
	{id: lean, pageEvery: browsing},
	// One page left open, recorded afresh every 5 minutes (rrweb's checkoutEveryNms).
	{id: light, pageEvery: func(*rand.Rand) int64 { return 5 * 60 * 1000 }},
}

func main() {
	reelBin := flag.String("reel", "", "path to the reel binary")
	runs := flag.Int("runs", 3, "measurements of each way")
	chromium := flag.String("chromium", "/usr/bin/chromium", "Chromium binary")
	flag.Parse()
	if err := run(*reelBin, *chromium, *runs); err != nil {
		fmt.Fprintln(os.Stderr, "seek:", err)
		os.Exit(1)
	}
}

func run(reelBin, chromium string, runs int) error {
	dir, err := os.MkdirTemp("", "reel-seek-bench")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)

	// A finished session is compacted, with its seek index, once it has been idle a moment.
	r, err := corpus.Start(reelBin, dir, []string{"REEL_ADMIN_PASSWORD=" + password, "REEL_COMPACT_IDLE=2s"})
	if err != nil {
		return err
	}
	defer r.Stop()
	base := r.URL
	key, err := r.PublicKey()
	if err != nil {
		return err
	}
	start := time.Now().Add(-time.Duration(minutes)*time.Minute - 30*time.Second).UnixMilli()
	sizes := map[string]int{}
	var events int
	for _, sh := range shapes {
		id := sh.id
		batches, lastView := generate(start, sh)
		var raw, n int
		for seq, b := range batches {
			body := fmt.Sprintf(`{"session":%q,"tab":%q,"seq":%d,"meta":{"sdk":"reel-js/bench","url":"https://shop.example/catalogue","userAgent":"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36"},"events":[%s]}`,
				id, tab, seq, strings.Join(b, ","))
			raw += len(body)
			n += len(b)
			if err := ingest(base, key, body); err != nil {
				return fmt.Errorf("%s batch %d: %w", id, seq, err)
			}
		}
		sizes[id] = raw
		if id == session {
			events = n
		}
		fmt.Fprintf(os.Stderr, "ingested %s: %d batches, %d events, %.1f MB of JSON; the page at 55:30 was loaded %.0f s before\n", id, len(batches), n, float64(raw)/1e6, float64(target-lastView)/1000)
	}
	time.Sleep(6 * time.Second) // let the compactor pick the sessions up

	ctx, cancel, err := browser(chromium, dir)
	if err != nil {
		return err
	}
	defer cancel()
	if err := chromedp.Run(ctx,
		chromedp.Navigate(base+"/login"),
		chromedp.WaitVisible(`[data-testid=login-email]`, chromedp.ByQuery),
		chromedp.SendKeys(`[data-testid=login-email]`, "admin@reel.local", chromedp.ByQuery),
		chromedp.SendKeys(`[data-testid=login-password]`, password, chromedp.ByQuery),
		chromedp.Click(`[data-testid=login-submit]`, chromedp.ByQuery),
		chromedp.WaitVisible(`[data-testid=session-row]`, chromedp.ByQuery),
	); err != nil {
		return fmt.Errorf("log in: %w", err)
	}

	var bootMs []float64
	// The player's load-to-frame time: from when it starts fetching events to the first frame
	// at the target on screen. Booting the dashboard (HTML, script, login check, session
	// metadata) is the same either way and is reported separately.
	measure := func(id, query string, link bool) (float64, error) {
		url := fmt.Sprintf("%s/sessions/%s?t=%d%s", base, id, target, query)
		// Generous for a busy machine: a slow measurement is reported as slow, not cut off.
		tctx, cancel := context.WithTimeout(ctx, 5*time.Minute)
		defer cancel()
		// Loopback, or a good office link to a self-hosted server: 100 Mbit/s, 20 ms.
		cond := network.EmulateNetworkConditions(false, 0, -1, -1)
		if link {
			cond = network.EmulateNetworkConditions(false, 20, 100e6/8, 50e6/8)
		}
		if err := chromedp.Run(tctx, network.Enable(), cond, chromedp.Navigate("about:blank")); err != nil {
			return 0, err
		}
		// What the last load left the server doing (the whole recording the player reads after
		// the frame, the analysis for the panes) finishes first: someone opening a link does
		// not share the server with the previous viewer's leftovers.
		quiet(r)
		var at, boot float64
		var text, text2 string
		err := chromedp.Run(tctx,
			chromedp.Navigate(url),
			chromedp.Poll(`document.body.dataset.firstFrameAt ? Number(document.body.dataset.firstFrameAt) : 0`, &at, chromedp.WithPollingInterval(5*time.Millisecond), chromedp.WithPollingTimeout(290*time.Second)),
			chromedp.Evaluate(`document.querySelector('[data-testid=player] iframe').contentDocument.getElementById('clock').textContent`, &text),
			chromedp.Evaluate(`Number(document.body.dataset.loadStartAt)`, &boot),
			chromedp.Evaluate(`performance.getEntriesByType('resource').filter(e => e.name.includes('/events')).map(e => e.name.replace(/^.*events/, 'events') + ' start=' + Math.round(e.startTime) + ' ttfb=' + Math.round(e.responseStart - e.startTime) + ' dur=' + Math.round(e.duration) + ' bytes=' + e.decodedBodySize).join('; ')`, &text2),
		)
		fmt.Fprintf(os.Stderr, "  %s %s link=%v: boot %.0f ms, frame at %.0f ms; %s\n", id, query, link, boot, at, text2)
		if err != nil {
			return 0, err
		}
		if text != "Minute 55" {
			return 0, fmt.Errorf("%s shows %q, want the frame at minute 55", url, text)
		}
		bootMs = append(bootMs, boot)
		return at - boot, nil
	}
	var seek, full, seekNet, fullNet []float64
	// One untimed load of each way first, so neither pays for a cold browser and server alone.
	for _, q := range []string{"", "&load=all"} {
		if _, err := measure(session, q, false); err != nil {
			return fmt.Errorf("warm-up: %w", err)
		}
	}
	seek, full, bootMs = nil, nil, nil
	var lightSeek, lightFull, leanSeek, leanFull []float64
	for i := range runs {
		order := []struct {
			id    string
			query string
			link  bool
			into  *[]float64
		}{{session, "", false, &seek}, {session, "&load=all", false, &full}, {session, "", true, &seekNet}, {session, "&load=all", true, &fullNet},
			{lean, "", false, &leanSeek}, {lean, "&load=all", false, &leanFull},
			{light, "", false, &lightSeek}, {light, "&load=all", false, &lightFull}}
		if i%2 == 1 { // alternate which way goes first
			for j := 0; j < len(order); j += 2 {
				order[j], order[j+1] = order[j+1], order[j]
			}
		}
		for _, m := range order {
			v, err := measure(m.id, m.query, m.link)
			if err != nil {
				// A navigation can race a DevTools evaluation on a busy machine; measure again once.
				fmt.Fprintf(os.Stderr, "  retrying after: %v\n", err)
				v, err = measure(m.id, m.query, m.link)
			}
			if err != nil {
				return fmt.Errorf("run %d%s: %w", i, m.query, err)
			}
			*m.into = append(*m.into, v)
		}
		fmt.Fprintf(os.Stderr, "run %d: loopback seek %.0f ms vs whole session first %.0f ms; 100 Mbit/s 20 ms link: %.0f ms vs %.0f ms; lean hour %.0f vs %.0f ms; one-page hour %.0f vs %.0f ms\n",
			i+1, seek[i], full[i], seekNet[i], fullNet[i], leanSeek[i], leanFull[i], lightSeek[i], lightFull[i])
	}
	ms, mf := median(seek), median(full)
	fmt.Printf("seek: session=%dmin target=55:30 events=%d json_mb=%.1f runs=%d boot_ms=%.0f seek_ms=%.0f full_ms=%.0f link100_seek_ms=%.0f link100_full_ms=%.0f link100_ratio=%.3f lean_json_mb=%.1f lean_seek_ms=%.0f lean_full_ms=%.0f lean_ratio=%.3f light_json_mb=%.1f light_seek_ms=%.0f light_full_ms=%.0f light_ratio=%.3f ratio=%.3f\n",
		minutes, events, float64(sizes[session])/1e6, runs, median(bootMs), ms, mf, median(seekNet), median(fullNet), median(seekNet)/median(fullNet),
		float64(sizes[lean])/1e6, median(leanSeek), median(leanFull), median(leanSeek)/median(leanFull),
		float64(sizes[light])/1e6, median(lightSeek), median(lightFull), median(lightSeek)/median(lightFull), ms/mf)
	return nil
}

// quiet waits, at most 20 s, until the server has used under 5 ms of CPU in each of three
// 100 ms intervals in a row.
func quiet(r *corpus.Reel) {
	last, calm := r.CPUSeconds(), 0
	for deadline := time.Now().Add(20 * time.Second); calm < 3 && time.Now().Before(deadline); {
		time.Sleep(100 * time.Millisecond)
		now := r.CPUSeconds()
		if now-last < 0.005 {
			calm++
		} else {
			calm = 0
		}
		last = now
	}
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

func ingest(base, key, body string) error {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write([]byte(body))
	zw.Close()
	for {
		res, err := http.Post(base+"/api/v1/ingest?v=1&key="+key, "text/plain", bytes.NewReader(buf.Bytes()))
		if err != nil {
			return err
		}
		b, _ := io.ReadAll(res.Body)
		res.Body.Close()
		switch res.StatusCode {
		case 200:
			return nil
		case 429, 503:
			time.Sleep(time.Second)
			continue
		}
		return fmt.Errorf("ingest = %d %s", res.StatusCode, b)
	}
}

func browser(path, dir string) (context.Context, context.CancelFunc, error) {
	opts := append(chromedp.DefaultExecAllocatorOptions[:],
		chromedp.ExecPath(path), chromedp.NoSandbox, chromedp.DisableGPU,
		chromedp.WindowSize(1280, 800), chromedp.UserDataDir(dir+"/chromium"),
		// Every load is a cold load: what someone opening a link sees.
		chromedp.Flag("disable-http-cache", true),
	)
	actx, cancelA := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancelC := chromedp.NewContext(actx)
	if err := chromedp.Run(ctx); err != nil {
		cancelC()
		cancelA()
		return nil, nil, fmt.Errorf("starting Chromium: %w", err)
	}
	return ctx, func() { cancelC(); cancelA() }, nil
}

// generate returns the batches an SDK would send for 60 minutes on a shop's catalogue, shaped
// by sh: a page view (rrweb's Meta and full snapshot of a new document) as often as
// sh.pageEvery says, and on each page mouse movement, scrolling that loads more products,
// clicks, typing and DOM updates, with idle stretches, one batch every 5 seconds; where
// sh.filterEvery is set, the visitor changes a filter or the sort order every 8–24 s on a
// page and the grid is rendered afresh (150 cards removed, 150 added, as a single-page shop
// does). A page every 30–90 s is about the time people spend on a shop page; with the
// re-renders that comes to some 2 MB of events a minute, without them 0.7 MB. Both are
// less than any recording we know of (2.3–2.9 MB/min for bench/internal/corpus's demo shop
// walks, 6.5 for its heavy page; 2.7 and 6 MB/min in public reports, docs/player.md), so the
// whole-session load a seek is compared with is not flattered.
func generate(start int64, sh shape) (batches [][]string, lastView int64) {
	rng := rand.New(rand.NewPCG(1, 2))
	var cur []string
	nextBatch := start + 5000
	flush := func(now int64) {
		for now >= nextBatch {
			if len(cur) > 0 {
				batches = append(batches, cur)
				cur = nil
			}
			nextBatch += 5000
		}
	}
	emit := func(typ int, ts int64, data any) {
		flush(ts)
		b, _ := json.Marshal(map[string]any{"type": typ, "timestamp": ts, "data": data})
		cur = append(cur, string(b))
	}

	var p page
	end := start + minutes*60*1000
	minute := -1
	idleUntil := int64(0)
	nextView, views := start, 0
	nextFilter := int64(0)
	for ts := start; ts < end; ts += 100 {
		off := ts - start
		if m := int(off / 60000); m != minute {
			minute = m
			if ts < nextView {
				emit(3, ts+2, map[string]any{"source": 0, "texts": []any{map[string]any{"id": p.clock, "value": fmt.Sprintf("Minute %d", m)}}, "attributes": []any{}, "removes": []any{}, "adds": []any{}})
			}
		}
		if ts >= nextView { // the next page: a new document, recorded from scratch
			p = newPage(rng, minute)
			views++
			if off <= target {
				lastView = off
			}
			emit(4, ts, map[string]any{"href": fmt.Sprintf("https://shop.example/catalogue?page=%d", views), "width": 1280, "height": 720})
			emit(2, ts+1, map[string]any{"node": p.doc, "initialOffset": map[string]int{"left": 0, "top": 0}})
			nextView = ts + sh.pageEvery(rng)
			idleUntil = 0
			if sh.filterEvery > 0 {
				nextFilter = ts + sh.filterEvery/2 + rng.Int64N(sh.filterEvery)
			}
			continue
		}
		if ts < idleUntil {
			continue
		}
		if sh.filterEvery > 0 && ts >= nextFilter { // a filter or sort changed: the grid is rendered afresh
			nextFilter = ts + sh.filterEvery/2 + rng.Int64N(sh.filterEvery)
			emit(3, ts, map[string]any{"source": 2, "type": 2, "id": p.filter, "x": rng.IntN(1280), "y": rng.IntN(80)})
			emit(3, ts+120, map[string]any{"source": 0, "texts": []any{}, "attributes": []any{}, "removes": p.clearGrid(), "adds": p.fillGrid(rng, 150)})
			continue
		}
		switch r := rng.IntN(1000); {
		case r < 1 && rng.IntN(4) == 0: // now and then, wander off for 20–90 s
			idleUntil = ts + int64(20000+rng.IntN(70000))
		case r < 300: // mouse moves, sampled as rrweb does
			pos := []any{}
			for i := range 5 {
				pos = append(pos, map[string]any{"x": rng.IntN(1280), "y": rng.IntN(720), "id": p.ids[rng.IntN(len(p.ids))], "timeOffset": -100 + i*20})
			}
			emit(3, ts, map[string]any{"source": 1, "positions": pos})
		case r < 340:
			emit(3, ts, map[string]any{"source": 3, "id": 1, "x": 0, "y": rng.IntN(3000)})
			if rng.IntN(8) == 0 { // scrolled near the end: the next products load in
				emit(3, ts+150, map[string]any{"source": 0, "texts": []any{}, "attributes": []any{}, "removes": []any{}, "adds": p.fillGrid(rng, 12)})
			}
		case r < 350:
			id := p.ids[rng.IntN(len(p.ids))]
			emit(3, ts, map[string]any{"source": 2, "type": 1, "id": id, "x": rng.IntN(1280), "y": rng.IntN(720)})
			emit(3, ts+60, map[string]any{"source": 2, "type": 0, "id": id, "x": rng.IntN(1280), "y": rng.IntN(720)})
			emit(3, ts+61, map[string]any{"source": 2, "type": 2, "id": id, "x": rng.IntN(1280), "y": rng.IntN(720)})
		case r < 370:
			emit(3, ts, map[string]any{"source": 5, "id": p.input, "text": strings.Repeat("*", 1+rng.IntN(12)), "isChecked": false})
		case r < 520: // the page updates: prices, badges, stock, new products loading in
			adds := []any{}
			if rng.IntN(4) == 0 {
				adds = p.fillGrid(rng, 1)
			}
			emit(3, ts, map[string]any{"source": 0,
				"texts":      []any{map[string]any{"id": p.prices[rng.IntN(len(p.prices))], "value": fmt.Sprintf("$%d.%02d", 5+rng.IntN(200), rng.IntN(100))}},
				"attributes": []any{map[string]any{"id": p.ids[rng.IntN(len(p.ids))], "attributes": map[string]any{"class": fmt.Sprintf("card state-%d", rng.IntN(5))}}},
				"removes":    []any{}, "adds": adds})
		}
	}
	flush(end + 5000)
	if len(cur) > 0 {
		batches = append(batches, cur)
	}
	return batches, lastView
}

type page struct {
	doc    map[string]any
	next   int
	ids    []int // every element, for events to land on
	prices []int
	clock  int
	input  int
	grid   int
	filter int   // the link that changes the sort order
	cards  []int // the product cards in the grid
	// inCard holds the node ids of the cards; a card's ids are the ones from its first to
	// its own (children are numbered before their parent).
	inCard map[int]bool
}

// fillGrid returns the mutation adds that put n new cards at the end of the grid.
func (p *page) fillGrid(rng *rand.Rand, n int) []any {
	adds := []any{}
	for range n {
		adds = flatten(adds, p.grid, p.card(rng))
	}
	return adds
}

// flatten appends the adds that build node under parent as rrweb records them: one entry per
// node, each with its parent's id and no children of its own (the replayer builds an added
// node alone, without its childNodes).
func flatten(adds []any, parent int, node map[string]any) []any {
	alone := maps.Clone(node)
	kids, _ := node["childNodes"].([]map[string]any)
	if kids != nil {
		alone["childNodes"] = []any{}
	}
	adds = append(adds, map[string]any{"parentId": parent, "nextId": nil, "node": alone})
	for _, k := range kids {
		adds = flatten(adds, node["id"].(int), k)
	}
	return adds
}

// clearGrid returns the mutation removes that empty the grid, and forgets its nodes.
func (p *page) clearGrid() []any {
	removes := []any{}
	for _, id := range p.cards {
		removes = append(removes, map[string]any{"parentId": p.grid, "id": id})
	}
	p.ids = slices.DeleteFunc(p.ids, func(id int) bool { return p.inCard[id] })
	p.prices = p.prices[:0]
	p.cards = p.cards[:0]
	clear(p.inCard)
	return removes
}

func (p *page) el(tag string, attrs map[string]any, kids ...map[string]any) map[string]any {
	p.next++
	id := p.next
	p.ids = append(p.ids, id)
	if kids == nil {
		kids = []map[string]any{}
	}
	return map[string]any{"type": 2, "tagName": tag, "attributes": attrs, "childNodes": kids, "id": id}
}

func (p *page) text(s string) map[string]any {
	p.next++
	return map[string]any{"type": 3, "textContent": s, "id": p.next}
}

var words = strings.Fields("canvas field tote linen shirt wool scarf leather wallet ceramic mug oak desk lamp cotton throw pillow travel bottle steel knife walnut board")

func (p *page) card(rng *rand.Rand) map[string]any {
	first := p.next + 1
	defer func() {
		p.cards = append(p.cards, p.next)
		for id := first; id <= p.next; id++ {
			p.inCard[id] = true
		}
	}()
	name := words[rng.IntN(len(words))] + " " + words[rng.IntN(len(words))]
	price := p.text(fmt.Sprintf("$%d.00", 5+rng.IntN(200)))
	p.prices = append(p.prices, price["id"].(int))
	u := func() string { return fmt.Sprintf("u-%d u-%d u-%d", rng.IntN(2500), rng.IntN(2500), rng.IntN(2500)) }
	return p.el("article", map[string]any{"class": "card " + u(), "data-sku": fmt.Sprint(rng.IntN(1e6))},
		p.el("a", map[string]any{"href": fmt.Sprintf("/p/%d", rng.IntN(1e6)), "class": u()},
			p.el("picture", map[string]any{"class": u()},
				p.el("source", map[string]any{"srcset": fmt.Sprintf("https://cdn.shop.example/p/%d.webp 1x, https://cdn.shop.example/p/%d@2x.webp 2x", rng.IntN(1e6), rng.IntN(1e6)), "type": "image/webp"}),
				p.el("img", map[string]any{"src": fmt.Sprintf("https://cdn.shop.example/p/%d.jpg", rng.IntN(1e6)), "alt": name, "width": "240", "height": "180", "loading": "lazy"})),
			p.el("h3", map[string]any{"class": "card-title " + u()}, p.text(name))),
		p.el("p", map[string]any{"class": "card-desc " + u()}, p.text("Made to last, "+strings.Repeat(words[rng.IntN(len(words))]+" ", 12))),
		p.el("div", map[string]any{"class": "rating " + u(), "aria-label": "4.5 stars"},
			p.el("span", map[string]any{"class": u()}, p.text("★★★★☆")), p.el("span", map[string]any{"class": u()}, p.text(fmt.Sprintf("(%d)", rng.IntN(900))))),
		p.el("div", map[string]any{"class": "buy " + u()},
			p.el("span", map[string]any{"class": "price " + u()}, price),
			p.el("button", map[string]any{"class": "add " + u(), "type": "button"}, p.text("Add to cart"))),
	)
}

// newPage builds a catalogue page of about 1,000 nodes with its stylesheet inlined, as rrweb
// serializes a real shop page (~150 kB).
func newPage(rng *rand.Rand, minute int) page {
	p := page{next: 1, inCard: map[int]bool{}} // the document is node 1, as rrweb numbers it
	// Real shops inline 100–300 kB of CSS into every snapshot (rrweb's _cssText): thousands of
	// distinct rules, utility classes, hover states and media queries, few matching any node.
	var css strings.Builder
	for i := range 2500 {
		fmt.Fprintf(&css, ".u-%d{margin:%dpx %dpx;padding:%dpx;color:#%06x;border-radius:%dpx}\n", i, i%17, i%9, i%13, rng.IntN(1<<24), i%7)
		if i%10 == 0 {
			fmt.Fprintf(&css, ".u-%d:hover{background:#%06x}\n@media (min-width:%dpx){.u-%d{display:flex;gap:%dpx}}\n", i, rng.IntN(1<<24), 400+i%800, i, i%11)
		}
	}
	head := p.el("head", map[string]any{}, p.el("style", map[string]any{"_cssText": css.String()}), p.el("title", map[string]any{}, p.text("Catalogue")))
	clockText := p.text(fmt.Sprintf("Minute %d", minute))
	p.clock = clockText["id"].(int)
	clock := p.el("div", map[string]any{"id": "clock"}, clockText)
	search := p.el("input", map[string]any{"type": "search", "placeholder": "Search"})
	p.input = search["id"].(int)
	cards := []map[string]any{}
	for range 150 {
		cards = append(cards, p.card(rng))
	}
	grid := p.el("main", map[string]any{"class": "grid"}, cards...)
	p.grid = grid["id"].(int)
	nav := []map[string]any{}
	for i := range 20 {
		nav = append(nav, p.el("a", map[string]any{"href": fmt.Sprintf("/c/%d", i)}, p.text(words[i%len(words)])))
	}
	sort := p.el("button", map[string]any{"class": "sort", "type": "button"}, p.text("Sort by price"))
	p.filter = sort["id"].(int)
	body := p.el("body", map[string]any{}, p.el("header", map[string]any{}, p.el("nav", map[string]any{}, nav...), search, sort, clock), grid)
	html := p.el("html", map[string]any{"lang": "en"}, head, body)
	p.next++
	doctype := map[string]any{"type": 1, "name": "html", "publicId": "", "systemId": "", "id": p.next}
	p.doc = map[string]any{"type": 0, "childNodes": []any{doctype, html}, "id": 1}
	return p
}
