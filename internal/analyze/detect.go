package analyze

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
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
	ErrorWaitMS: 2000,
	ThrashTurns: 20, ThrashWindowMS: 2000,
	QuickBackMS: 5000,
	ScrollTurns: 6, ScrollScreens: 5,
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
func Detect(t *Timeline, th Thresholds) []Signal {
	var out []Signal
	out = append(out, rageClicks(t, th)...)
	out = append(out, deadClicks(t, th)...)
	out = append(out, errorClicks(t, th)...)
	out = append(out, thrashedCursor(t, th)...)
	out = append(out, quickBacks(t, th)...)
	out = append(out, excessiveScrolling(t, th)...)
	out = append(out, formAbandonment(t, th)...)
	sort.SliceStable(out, func(i, j int) bool { return out[i].At < out[j].At })
	return out
}

// happened reports whether some time in ts (sorted) falls in (from, to].
func happened(ts []int64, from, to int64) bool {
	i := sort.Search(len(ts), func(i int) bool { return ts[i] > from })
	return i < len(ts) && ts[i] <= to
}

func rageClicks(t *Timeline, th Thresholds) []Signal {
	var out []Signal
	for i := 0; i < len(t.clicks); {
		first := t.clicks[i]
		j := i + 1
		for j < len(t.clicks) && t.clicks[j].at-first.at <= th.RageWindowMS &&
			math.Hypot(t.clicks[j].x-first.x, t.clicks[j].y-first.y) <= th.RageRadiusPx {
			j++
		}
		n := j - i
		last := t.clicks[j-1]
		// Triple-clicks that select text, clicks in editable text and on steppers are how
		// those things are used, not frustration.
		if n >= th.RageClicks && !first.editing && !first.stepper && !happened(t.selections, first.at, last.at+500) {
			out = append(out, Signal{Kind: RageClick, At: first.at, URL: first.url, NodeID: first.id, Target: first.target, Count: n})
			i = j
			continue
		}
		i++
	}
	return out
}

func deadClicks(t *Timeline, th Thresholds) []Signal {
	var out []Signal
	for _, c := range t.clicks {
		// Only what looks clickable can be a dead click; form fields take focus instead.
		if !c.clickable {
			continue
		}
		if happened(t.changes, c.at, c.at+th.DeadWaitMS) {
			continue
		}
		out = append(out, Signal{Kind: DeadClick, At: c.at, URL: c.url, NodeID: c.id, Target: c.target})
	}
	return out
}

func errorClicks(t *Timeline, th Thresholds) []Signal {
	var out []Signal
	for _, c := range t.clicks {
		if happened(t.errors, c.at-1, c.at+th.ErrorWaitMS) {
			out = append(out, Signal{Kind: ErrorClick, At: c.at, URL: c.url, NodeID: c.id, Target: c.target})
		}
	}
	return out
}

func thrashedCursor(t *Timeline, th Thresholds) []Signal {
	var out []Signal
	var turns []int64
	dx0, dy0 := 0.0, 0.0
	for i := 1; i < len(t.moves); i++ {
		dx, dy := t.moves[i].x-t.moves[i-1].x, t.moves[i].y-t.moves[i-1].y
		// A reversal is a change of direction on either axis after real movement (small
		// jitter is ignored).
		if (math.Abs(dx) >= 8 && dx*dx0 < 0) || (math.Abs(dy) >= 8 && dy*dy0 < 0) {
			turns = append(turns, t.moves[i].at)
		}
		if math.Abs(dx) >= 8 {
			dx0 = dx
		}
		if math.Abs(dy) >= 8 {
			dy0 = dy
		}
	}
	for i := 0; i+th.ThrashTurns-1 < len(turns); {
		if turns[i+th.ThrashTurns-1]-turns[i] <= th.ThrashWindowMS {
			out = append(out, Signal{Kind: ThrashedCursor, At: turns[i], URL: t.urlAt(turns[i]), Count: th.ThrashTurns})
			end := turns[i] + th.ThrashWindowMS
			for i < len(turns) && turns[i] <= end {
				i++
			}
			continue
		}
		i++
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

func quickBacks(t *Timeline, th Thresholds) []Signal {
	var out []Signal
	for i := 1; i+1 < len(t.pages); i++ {
		prev, cur, next := t.pages[i-1], t.pages[i], t.pages[i+1]
		if cur.url != prev.url && next.url == prev.url && next.at-cur.at <= th.QuickBackMS {
			out = append(out, Signal{Kind: QuickBack, At: cur.at, URL: cur.url, Detail: "back to " + prev.url})
		}
	}
	return out
}

func excessiveScrolling(t *Timeline, th Thresholds) []Signal {
	var out []Signal
	vh := t.viewportH
	if vh <= 0 {
		vh = 800
	}
	flagged := map[string]bool{}
	for i := 0; i < len(t.scrolls); {
		url := t.scrolls[i].url
		j := i
		turns, travel, dir := 0, 0.0, 0.0
		for j+1 < len(t.scrolls) && t.scrolls[j+1].url == url {
			d := t.scrolls[j+1].y - t.scrolls[j].y
			travel += math.Abs(d)
			if d*dir < 0 {
				turns++
			}
			if d != 0 {
				dir = d
			}
			j++
		}
		if turns >= th.ScrollTurns && travel >= th.ScrollScreens*vh && !flagged[url] {
			flagged[url] = true
			out = append(out, Signal{Kind: ExcessiveScroll, At: t.scrolls[i].at, URL: url, Count: turns})
		}
		i = j + 1
	}
	return out
}

func formAbandonment(t *Timeline, th Thresholds) []Signal {
	var out []Signal
	// Field hesitation: focus on a field, then no typing in it for a long time while still
	// there.
	for _, f := range t.focuses {
		firstInput := int64(-1)
		for _, in := range t.inputs {
			if in.id == f.id && in.at >= f.at {
				firstInput = in.at
				break
			}
		}
		if firstInput > 0 && firstInput-f.at >= th.HesitationMS {
			out = append(out, Signal{Kind: FieldHesitation, At: f.at, URL: f.url, NodeID: f.id, Target: t.fields[f.id], Detail: "typing started after a long pause"})
		}
	}
	// Abandonment: typed on a page, then left it (or the session ended) without a click on
	// anything that submits.
	byPage := map[string][]input{}
	var order []string
	for _, in := range t.inputs {
		if _, ok := byPage[in.url]; !ok {
			order = append(order, in.url)
		}
		byPage[in.url] = append(byPage[in.url], in)
	}
	for _, url := range order {
		ins := byPage[url]
		last := ins[len(ins)-1]
		submitted := false
		for _, c := range t.clicks {
			if c.url == url && c.at >= ins[0].at && c.submit {
				submitted = true
				break
			}
		}
		if !submitted {
			// Count is the fields typed in: the SDK sends a field's value several times a second
			// while it is typed, so the number of input events says nothing about the form.
			fields := map[int]bool{}
			for _, in := range ins {
				fields[in.id] = true
			}
			out = append(out, Signal{Kind: FormAbandon, At: last.at, URL: url, NodeID: last.id, Target: t.fields[last.id], Count: len(fields)})
		}
	}
	return out
}
