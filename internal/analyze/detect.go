package analyze

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"net/url"
	"sort"
	"strings"
)

// Thresholds tune the detectors; a project may override any of them. Defaults and their
// reasons: docs/friction.md.
type Thresholds struct {
	RageClicks     int     `json:"rageClicks"`     // clicks …
	RageWindowMS   int64   `json:"rageWindowMs"`   // … within this long …
	RageRadiusPx   float64 `json:"rageRadiusPx"`   // … within this distance of the first
	DeadWaitMS     int64   `json:"deadWaitMs"`     // nothing happens this long after a click on something clickable
	ErrorWaitMS    int64   `json:"errorWaitMs"`    // a JS error this soon after a click
	ThrashTurns    int     `json:"thrashTurns"`    // cursor direction reversals …
	ThrashWindowMS int64   `json:"thrashWindowMs"` // … within this long
	QuickBackMS    int64   `json:"quickBackMs"`    // left a page back to the previous one within this long
	ScrollTurns    int     `json:"scrollTurns"`    // scroll direction reversals on one page …
	ScrollScreens  float64 `json:"scrollScreens"`  // … covering this many viewport heights of travel
	HesitationMS   int64   `json:"hesitationMs"`   // focus on a field and no typing for this long
}

// Defaults are Reel's thresholds (docs/friction.md says why).
var Defaults = Thresholds{
	RageClicks: 3, RageWindowMS: 1000, RageRadiusPx: 30,
	DeadWaitMS:  3000,
	ErrorWaitMS: 5000,
	ThrashTurns: 8, ThrashWindowMS: 2000,
	QuickBackMS: 5000,
	ScrollTurns: 4, ScrollScreens: 5,
	HesitationMS: 10000,
}

// Override returns t with the thresholds set in the JSON object raw (a project's overrides;
// absent keys keep t's value). Unknown keys and values outside the sane range of each
// threshold are errors that name the key, so a typo never silently keeps a default.
func (t Thresholds) Override(raw []byte) (Thresholds, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return t, nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	out := t
	if err := dec.Decode(&out); err != nil {
		return t, fmt.Errorf("friction thresholds: %w", err)
	}
	if dec.More() {
		return t, errors.New("friction thresholds: trailing data after the object")
	}
	if err := out.Validate(); err != nil {
		return t, err
	}
	return out, nil
}

// Validate checks every threshold is in a range where its detector still means something.
func (t Thresholds) Validate() error {
	ints := []struct {
		name      string
		v, lo, hi int64
	}{
		{"rageClicks", int64(t.RageClicks), 2, 20},
		{"rageWindowMs", t.RageWindowMS, 100, 10_000},
		{"deadWaitMs", t.DeadWaitMS, 500, 30_000},
		{"errorWaitMs", t.ErrorWaitMS, 100, 30_000},
		{"thrashTurns", int64(t.ThrashTurns), 4, 200},
		{"thrashWindowMs", t.ThrashWindowMS, 200, 10_000},
		{"quickBackMs", t.QuickBackMS, 500, 60_000},
		{"scrollTurns", int64(t.ScrollTurns), 2, 100},
		{"hesitationMs", t.HesitationMS, 1000, 300_000},
	}
	for _, c := range ints {
		if c.v < c.lo || c.v > c.hi {
			return fmt.Errorf("friction thresholds: %s must be between %d and %d, got %d", c.name, c.lo, c.hi, c.v)
		}
	}
	if !(t.RageRadiusPx >= 1 && t.RageRadiusPx <= 500) {
		return fmt.Errorf("friction thresholds: rageRadiusPx must be between 1 and 500, got %g", t.RageRadiusPx)
	}
	if !(t.ScrollScreens >= 1 && t.ScrollScreens <= 100) {
		return fmt.Errorf("friction thresholds: scrollScreens must be between 1 and 100, got %g", t.ScrollScreens)
	}
	return nil
}

// Detect runs every detector over a tab's timeline and returns the findings in time order.
// One click gives at most one finding: an error click if its handler threw, else a rage
// click if it was part of a burst nothing answered, else a dead click.
func Detect(t *Timeline, th Thresholds) []Signal {
	var out []Signal
	blamed := t.blame(th)
	rage, inBurst := rageClicks(t, th, blamed)
	out = append(out, rage...)
	out = append(out, deadClicks(t, th, blamed, inBurst)...)
	out = append(out, errorClicks(t, th, blamed)...)
	out = append(out, thrashedCursor(t, th)...)
	out = append(out, quickBacks(t, th)...)
	out = append(out, excessiveScrolling(t, th)...)
	out = append(out, formAbandonment(t, th)...)
	out = append(out, fieldHesitation(t, th)...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].At < out[j].At })
	return out
}

// happened reports whether some time in ts (sorted) falls in (from, to].
func happened(ts []int64, from, to int64) bool {
	i := sort.Search(len(ts), func(i int) bool { return ts[i] > from })
	return i < len(ts) && ts[i] <= to
}

// Answers. A click is answered by what its handler visibly did: a navigation, the page
// scrolling at once (an anchor), or a change to the DOM. Not every change is an answer: a
// countdown, a clock or a carousel playing by itself change the page all the time, so a change
// to an element that changes by itself — twice or more from 10 s before the click to 5 s
// after, each time not within 1 s after a click or typing, or whose siblings do — counts only
// when it is immediate and close to the clicked element (a carousel's own arrow).

const (
	busyBeforeMS = 10_000
	busyAfterMS  = 5_000
	promptMS     = 1000 // a change this soon after a click or typing was prompted by it
	immediateMS  = 500
	// leadMS: a synchronous handler's DOM changes (and errors) can be recorded a moment
	// before the click itself, which the recorder sees after the element's own listeners.
	leadMS = 40
)

// busy reports whether element id was changing by itself around at.
func (t *Timeline) busy(id int, at int64) bool {
	if t.unprompted(t.changed[id], at) >= 2 {
		return true
	}
	// Siblings taking turns (slides) make their parent busy; not a page-wide container,
	// whose children are unrelated.
	n := t.nodes[id]
	if n == nil || n.Parent <= 0 {
		return false
	}
	if p := t.nodes[n.Parent]; p == nil || p.Tag == "body" || p.Tag == "html" || p.Tag == "main" || len(t.children[p.ID]) > 20 {
		return false
	}
	return t.unprompted(t.kidsChanged[n.Parent], at) >= 2
}

// unprompted counts the times in ts around at that no click or typing prompted.
func (t *Timeline) unprompted(ts []int64, at int64) int {
	n := 0
	i := sort.Search(len(ts), func(i int) bool { return ts[i] >= at-busyBeforeMS })
	for ; i < len(ts) && ts[i] <= at+busyAfterMS; i++ {
		if !t.prompted(ts[i]) {
			if n++; n >= 2 {
				break
			}
		}
	}
	return n
}

// prompted reports whether the visitor clicked or typed just before at (or at the same moment).
func (t *Timeline) prompted(at int64) bool {
	i := sort.Search(len(t.clicks), func(i int) bool { return t.clicks[i].at >= at-promptMS })
	if i < len(t.clicks) && t.clicks[i].at <= at+leadMS {
		return true
	}
	j := sort.Search(len(t.inputs), func(i int) bool { return t.inputs[i].at >= at-promptMS })
	return j < len(t.inputs) && t.inputs[j].at <= at+leadMS
}

// near reports whether element id is the clicked element's container or inside it.
func (t *Timeline) near(id int, c click) bool {
	parent := c.el
	if n := t.nodes[c.el]; n != nil && n.Parent > 0 {
		if p := t.nodes[n.Parent]; p != nil && p.Tag != "body" && p.Tag != "html" && p.Tag != "main" {
			parent = n.Parent
		}
	}
	for i, n := 0, t.nodes[id]; n != nil && i < 12; i, n = i+1, t.nodes[n.Parent] {
		if n.ID == parent || n.ID == c.el {
			return true
		}
		if n.Parent == n.ID {
			break
		}
	}
	return false
}

// answered reports whether something answered click c in (from, to].
func (t *Timeline) answered(c click, from, to int64) bool {
	if happened(t.navs, from, to) || happened(t.pageScroll, c.at, min(to, c.at+500)) {
		return true
	}
	from -= leadMS
	i := sort.Search(len(t.muts), func(i int) bool { return t.muts[i].at > from })
	for ; i < len(t.muts) && t.muts[i].at <= to; i++ {
		m := t.muts[i]
		for _, id := range m.ids {
			if !t.busy(id, c.at) || (m.at <= c.at+immediateMS && t.near(id, c)) {
				return true
			}
		}
	}
	return false
}

// waitFor is how long to wait for an answer to c: the dead-click wait, or longer while a
// request the click started is still out (a slow but working button).
func (t *Timeline) waitFor(c click, th Thresholds) int64 {
	until := c.at + th.DeadWaitMS
	for _, r := range t.requests {
		if r.start >= c.at-50 && r.start <= c.at+immediateMS {
			until = max(until, min(r.end+th.DeadWaitMS/3, c.at+5*th.DeadWaitMS))
		}
	}
	return until
}

// blame ties each JS error to the click whose handler threw it, or to none: an error in the
// same moment as a click (a synchronous handler), or later with an element's event handler
// in its stack (an async handler) and within ErrorWaitMS of the click before it. Errors from
// timers and background work stay unblamed, even in the same moment as a click when their
// whole stack says so; an error without a stack (a cross-origin "Script error.") or with one
// that names no receivers (Firefox, Safari) or was cut short is blamed only in the same
// moment as the click.
// The result maps click indexes to the number of errors blamed on them.
func (t *Timeline) blame(th Thresholds) map[int]int {
	out := map[int]int{}
	for _, e := range t.jsErrors {
		i := sort.Search(len(t.clicks), func(i int) bool { return t.clicks[i].at > e.at+leadMS }) - 1
		if i < 0 {
			continue
		}
		gap := e.at - t.clicks[i].at
		if e.background {
			continue
		}
		if (gap >= -leadMS && gap <= 100) || (e.handler && gap <= th.ErrorWaitMS) {
			out[i]++
		}
	}
	return out
}

// rageClicks finds bursts of clicks in one spot that mostly went unanswered. It returns the
// findings and the clicks that belong to a flagged burst (they are not also dead clicks).
func rageClicks(t *Timeline, th Thresholds, blamed map[int]int) ([]Signal, map[int]bool) {
	var out []Signal
	inBurst := map[int]bool{}
	for i := 0; i < len(t.clicks); {
		first := t.clicks[i]
		j := i + 1
		for j < len(t.clicks) && t.clicks[j].at-first.at <= th.RageWindowMS &&
			math.Hypot(t.clicks[j].x-first.x, t.clicks[j].y-first.y) <= th.RageRadiusPx {
			j++
		}
		n := j - i
		last := t.clicks[j-1]
		if n >= th.RageClicks && !first.editing && !happened(t.selections, first.at, last.at+500) {
			// Each click's answer is what happened before the next one (the last gets a
			// second): a stepper, a zoom button or a toggle answers every click. A change
			// recorded in the moment before the next click is that click's (a synchronous
			// handler's), so one change never answers two clicks: a carousel's autoplay
			// landing just before a click is not two answers.
			answered, threw := 0, false
			for k := i; k < j; k++ {
				to := t.clicks[k].at + 1000
				if k+1 < j {
					to = max(t.clicks[k+1].at-leadMS, t.clicks[k].at)
				}
				if t.answered(t.clicks[k], t.clicks[k].at, to) {
					answered++
				}
				if blamed[k] > 0 {
					threw = true
				}
			}
			// A burst whose handler threw is an error click (one finding for the burst).
			if answered*2 < n && !threw {
				// Clicks that keep coming on the same spot, each within the window of the one
				// before, are the same burst.
				for j < len(t.clicks) && t.clicks[j].at-t.clicks[j-1].at <= th.RageWindowMS &&
					math.Hypot(t.clicks[j].x-first.x, t.clicks[j].y-first.y) <= th.RageRadiusPx {
					j++
				}
				n = j - i
				out = append(out, Signal{Kind: RageClick, At: first.at, URL: first.url, NodeID: first.id, Target: first.target, Count: n})
				for k := i; k < j; k++ {
					inBurst[k] = true
				}
				i = j
				continue
			}
		}
		i++
	}
	return out, inBurst
}

// deadClicks finds clicks on clickable things that nothing answered; clicks on one element
// in a row, each within the wait of the one before, are one finding.
func deadClicks(t *Timeline, th Thresholds, blamed map[int]int, inBurst map[int]bool) []Signal {
	var out []Signal
	prev := -1
	for i, c := range t.clicks {
		if !c.clickable || inBurst[i] || blamed[i] > 0 || t.answered(c, c.at, t.waitFor(c, th)) || t.loaded(c) {
			continue
		}
		if prev >= 0 && len(out) > 0 && t.clicks[prev].el == c.el && c.at-t.clicks[prev].at <= th.DeadWaitMS && out[len(out)-1].NodeID == t.clicks[prev].id {
			out[len(out)-1].Count++
			prev = i
			continue
		}
		out = append(out, Signal{Kind: DeadClick, At: c.at, URL: c.url, NodeID: c.id, Target: c.target, Count: 1})
		prev = i
	}
	return out
}

// errorClicks reports the clicks errors were blamed on; a burst on one element is one finding.
func errorClicks(t *Timeline, th Thresholds, blamed map[int]int) []Signal {
	var out []Signal
	prev := -1
	for i, c := range t.clicks {
		if blamed[i] == 0 {
			continue
		}
		if prev >= 0 && t.clicks[prev].el == c.el && c.at-t.clicks[prev].at <= th.RageWindowMS {
			out[len(out)-1].Count++
			prev = i
			continue
		}
		out = append(out, Signal{Kind: ErrorClick, At: c.at, URL: c.url, NodeID: c.id, Target: c.target, Count: 1})
		prev = i
	}
	return out
}

// thrashedCursor finds the mouse shaken back and forth: ThrashTurns reversals on one axis
// within ThrashWindowMS. Each axis counts on its own, so circling (which reverses both axes
// once a turn) is not mistaken for shaking; moves with a button held (drawing, dragging)
// were left out when the timeline was built.
func thrashedCursor(t *Timeline, th Thresholds) []Signal {
	var out []Signal
	var turnsX, turnsY []int64
	dx0, dy0 := 0.0, 0.0
	for i := 1; i < len(t.moves); i++ {
		dx, dy := t.moves[i].x-t.moves[i-1].x, t.moves[i].y-t.moves[i-1].y
		if t.moves[i].at-t.moves[i-1].at > 500 {
			dx0, dy0 = 0, 0 // the cursor rested: a new gesture
		}
		// A reversal is a change of direction after real movement (jitter is ignored).
		if math.Abs(dx) >= 8 {
			if dx*dx0 < 0 {
				turnsX = append(turnsX, t.moves[i].at)
			}
			dx0 = dx
		}
		if math.Abs(dy) >= 8 {
			if dy*dy0 < 0 {
				turnsY = append(turnsY, t.moves[i].at)
			}
			dy0 = dy
		}
	}
	var starts []int64
	for _, turns := range [][]int64{turnsX, turnsY} {
		for i := 0; i+th.ThrashTurns-1 < len(turns); {
			if turns[i+th.ThrashTurns-1]-turns[i] <= th.ThrashWindowMS {
				starts = append(starts, turns[i])
				// The shake goes on while reversals keep coming: one finding for it all.
				i += th.ThrashTurns
				for i < len(turns) && turns[i]-turns[i-1] <= 1000 {
					i++
				}
				continue
			}
			i++
		}
	}
	sort.Slice(starts, func(i, j int) bool { return starts[i] < starts[j] })
	for i, s := range starts {
		// A diagonal shake reverses both axes: one finding.
		if i > 0 && s-starts[i-1] <= th.ThrashWindowMS {
			continue
		}
		out = append(out, Signal{Kind: ThrashedCursor, At: s, URL: t.urlAt(s), Count: th.ThrashTurns})
	}
	return out
}

func (t *Timeline) urlAt(at int64) string {
	url := ""
	for _, p := range t.pages {
		if p.at > at {
			break
		}
		url = p.url
	}
	return url
}

// pageKey is a page without its fragment: in-page tabs and anchors are the same page.
func pageKey(u string) string {
	if i := strings.IndexByte(u, '#'); i >= 0 {
		return u[:i]
	}
	return u
}

// quickBacks finds A → B → A with little time on B. Time on B ends when the visitor left it:
// at their click on a link to A, or else when A's navigation started (A's own timing says by
// when), not when A, loading slowly, was recorded, and never before the visitor's last move on
// B. A page that sent the visitor back by itself (a redirect: under redirectMS between B's
// record and A's and no input on B) is not a u-turn.
func quickBacks(t *Timeline, th Thresholds) []Signal {
	var views []pageView
	for _, p := range t.pages {
		if len(views) > 0 && pageKey(views[len(views)-1].url) == pageKey(p.url) {
			continue
		}
		views = append(views, p)
	}
	var out []Signal
	for i := 1; i+1 < len(views); i++ {
		prev, cur, next := views[i-1], views[i], views[i+1]
		stay := next.at - cur.at
		left := next.navBy
		if i := sort.Search(len(t.active), func(i int) bool { return t.active[i] >= next.at }) - 1; i >= 0 {
			left = max(left, t.active[i])
		}
		if c, ok := t.linkTo(cur, next); ok {
			left = c.at
		}
		if pageKey(next.url) != pageKey(prev.url) || max(left, cur.at)-cur.at > th.QuickBackMS {
			continue
		}
		if stay < redirectMS && !happened(t.active, cur.at, next.at-1) {
			continue
		}
		out = append(out, Signal{Kind: QuickBack, At: cur.at, URL: cur.url, Detail: "back to " + prev.url})
	}
	return out
}

// linkTo returns the visitor's last click on page view cur before next, when it followed a
// link to next's page: that click is when they left.
func (t *Timeline) linkTo(cur, next pageView) (click, bool) {
	i := sort.Search(len(t.clicks), func(i int) bool { return t.clicks[i].at >= next.at }) - 1
	if i < 0 || t.clicks[i].at < cur.at {
		return click{}, false
	}
	c := t.clicks[i]
	return c, c.href != "" && linkPage(c) == pageKey(next.url)
}

// linkPage is the page a click on a link leads to (without its fragment), "" when the click was
// not on a link or its address does not parse.
func linkPage(c click) string {
	if c.href == "" {
		return ""
	}
	base, err := url.Parse(c.url)
	if err != nil {
		return ""
	}
	ref, err := url.Parse(c.href)
	if err != nil {
		return ""
	}
	return pageKey(base.ResolveReference(ref).String())
}

// nextPage returns the first page load recorded after at.
func (t *Timeline) nextPage(at int64) (pageView, bool) {
	i := sort.Search(len(t.pages), func(i int) bool { return t.pages[i].at > at })
	for ; i < len(t.pages); i++ {
		if t.pages[i].doc {
			return t.pages[i], true
		}
	}
	return pageView{}, false
}

// loaded reports whether click c followed a link whose page was the next to load, or sent a
// form and the next page loaded before any other click, however long it took: the browser
// was loading it (a slow server is not a dead link or a dead submit button).
func (t *Timeline) loaded(c click) bool {
	if c.submit {
		p, ok := t.nextPage(c.at)
		if !ok {
			return false
		}
		i := sort.Search(len(t.clicks), func(i int) bool { return t.clicks[i].at > c.at })
		return i == len(t.clicks) || t.clicks[i].at > p.at
	}
	to := linkPage(c)
	if to == "" || to == pageKey(c.url) { // an in-page link ("#", "#specs") loads no page
		return false
	}
	p, ok := t.nextPage(c.at)
	return ok && to == pageKey(p.url)
}

// redirectMS is how long a page may take to send the visitor on by itself: a session check
// or a sign-in bounce takes from half a second to a few on a slow phone or a busy machine
// (a 400 ms redirect measured 1.5 s on a loaded one), and a visitor who turns back within it
// without a move of the mouse, a scroll or a key has left nothing to tell it from one.
const redirectMS = 3000

// excessiveScrolling finds a page scrolled up and down, searching: ScrollTurns reversals
// between long legs (each at least half a screen), ScrollScreens of travel in all. Short
// look-backs while reading, and elements with scrollbars of their own (carousels, wide
// tables), do not count.
func excessiveScrolling(t *Timeline, th Thresholds) []Signal {
	var out []Signal
	vh := t.viewportH
	if vh <= 0 {
		vh = 800
	}
	byURL := map[string][]scroll{}
	var order []string
	for _, s := range t.scrolls {
		if !t.isDocument(s.id) {
			continue
		}
		if _, ok := byURL[s.url]; !ok {
			order = append(order, s.url)
		}
		byURL[s.url] = append(byURL[s.url], s)
	}
	for _, url := range order {
		ss := byURL[url]
		travel := 0.0
		var legs []float64 // signed travel of each run in one direction
		for i := 1; i < len(ss); i++ {
			d := ss[i].y - ss[i-1].y
			travel += math.Abs(d)
			if d == 0 {
				continue
			}
			if len(legs) > 0 && legs[len(legs)-1]*d > 0 {
				legs[len(legs)-1] += d
			} else {
				legs = append(legs, d)
			}
		}
		turns, dir := 0, 0.0
		for _, l := range legs {
			if math.Abs(l) < vh/2 {
				continue
			}
			if dir != 0 && l*dir < 0 {
				turns++
			}
			dir = l
		}
		if turns >= th.ScrollTurns && travel >= th.ScrollScreens*vh {
			out = append(out, Signal{Kind: ExcessiveScroll, At: ss[0].at, URL: url, Count: turns})
		}
	}
	return out
}

// fieldHesitation finds a long pause between focusing a form field and typing in it, before
// focus moved on. Search boxes and lone fields are not forms, and a pause after typing began
// is thinking, not hesitation.
func fieldHesitation(t *Timeline, th Thresholds) []Signal {
	var out []Signal
	for _, f := range t.focuses {
		if !f.field.filling {
			continue
		}
		i := sort.Search(len(t.inputs), func(i int) bool { return t.inputs[i].at >= f.at })
		first := int64(-1)
		for ; i < len(t.inputs); i++ {
			if t.inputs[i].id == f.id {
				first = t.inputs[i].at
				break
			}
		}
		if first < 0 || first-f.at < th.HesitationMS || t.leftField(f, first) {
			continue
		}
		out = append(out, Signal{Kind: FieldHesitation, At: f.at, URL: f.url, NodeID: f.id, Target: t.fields[f.id], Detail: "typing started after a long pause"})
	}
	return out
}

// leftField reports whether focus left field f before `until`: it was blurred, or another field
// was focused (the blur of the field before and the focus of this one can be recorded in either
// order within a moment).
func (t *Timeline) leftField(f input, until int64) bool {
	i := sort.Search(len(t.blurs), func(i int) bool { return t.blurs[i].at > f.at })
	for ; i < len(t.blurs) && t.blurs[i].at < until; i++ {
		b := t.blurs[i]
		if b.id == -f.id || (b.id > 0 && b.id != f.id && b.at > f.at+50) {
			return true
		}
	}
	return false
}

// formAbandonment finds forms typed into and then left (or the session ended) unsent. A form
// is a <form> or a group of two or more fields; typing into a search box, a filter, a lone
// field, a grid cell, a slider or a switch is not filling in a form, and neither is typing only
// a promo code. Sent means a click on the form's own submit button (or, for a form without a
// <form> element, on any control inside it), or a new page right after typing with no click
// in between (Enter).
func formAbandonment(t *Timeline, th Thresholds) []Signal {
	type key struct {
		url  string
		form int
	}
	byForm := map[key][]input{}
	var order []key
	for _, in := range t.inputs {
		if !in.field.filling {
			continue
		}
		k := key{in.url, in.field.form}
		if _, ok := byForm[k]; !ok {
			order = append(order, k)
		}
		byForm[k] = append(byForm[k], in)
	}
	var out []Signal
	for _, k := range order {
		ins := byForm[k]
		fields, started := map[int]bool{}, false
		for _, in := range ins {
			fields[in.id] = true
			started = started || !in.field.aux
		}
		if !started || t.sent(k.url, k.form, ins) {
			continue
		}
		last := ins[len(ins)-1]
		// Count is the fields typed in: the SDK sends a field's value several times a second
		// while it is typed, so the number of input events says nothing about the form.
		out = append(out, Signal{Kind: FormAbandon, At: last.at, URL: k.url, NodeID: last.id, Target: t.fields[last.id], Count: len(fields)})
	}
	return out
}

// sent reports whether form (on page url, typed into at ins) was sent.
func (t *Timeline) sent(url string, form int, ins []input) bool {
	// Whether it is a <form> was known when it was typed in: node ids are reused by the
	// pages that follow.
	isForm := ins[0].field.element
	for _, c := range t.clicks {
		if c.url != url || c.at < ins[0].at {
			continue
		}
		if isForm && c.submit && c.form == form {
			return true
		}
		if !isForm && c.el != 0 && c.clickable {
			for _, a := range c.anc {
				if a == form {
					return true
				}
			}
		}
	}
	// Enter: the next page came soon after the last keystroke, with no click in between. A
	// field's last value can be recorded a moment after the click that took focus away from it
	// (the field's change event follows the blur), so a click on a link or a control up to
	// enterLeadMS before the last value recorded counts as in between too.
	last := ins[len(ins)-1].at
	i := sort.Search(len(t.pages), func(i int) bool { return t.pages[i].at > last })
	if i < len(t.pages) && t.pages[i].at-last <= 2000 {
		j := sort.Search(len(t.clicks), func(j int) bool { return t.clicks[j].at > last-enterLeadMS })
		for ; j < len(t.clicks) && t.clicks[j].at <= t.pages[i].at; j++ {
			if t.clicks[j].at > last || t.clicks[j].clickable {
				return false
			}
		}
		return true
	}
	return false
}

// enterLeadMS is how long before a field's last recorded value a click may have come and
// still be what left the page: the value is recorded when the field loses focus, which a
// busy page does a few hundred milliseconds late.
const enterLeadMS = 1000
