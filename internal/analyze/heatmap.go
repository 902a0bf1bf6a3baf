package analyze

import (
	"bytes"
	"encoding/json"
	"math"

	"github.com/reelhq/reel/internal/rrweb"
)

// HeatClick is one click as heatmaps keep it: the element by selector and where in its box the
// click landed, so the point can be drawn on that element however the page is laid out when
// the heatmap is viewed, and the page position for when the selector no longer matches.
type HeatClick struct {
	Tab          int   // index of the tab in the session's tabs
	At           int64 // ms since epoch
	Path         string
	Selector     string
	X, Y         float64 // within the element's box, 0–1 from its top left corner
	W, H         int     // the element's size, CSS pixels
	PageX, PageY int
}

// PageDepth is how far down one page view got: the largest share of the document's height that
// was on screen.
type PageDepth struct {
	Tab   int   // index of the tab in the session's tabs
	At    int64 // when the page view began
	Seen  int64 // its last reel.click or reel.scroll: a moment at which that page is on screen
	Path  string
	Depth float64 // 0–1
}

// maxSelector bounds a stored selector; the SDK's are far shorter.
const maxSelector = 512

// Heat reads the SDK's reel.click and reel.scroll events of a session's tabs. A page view
// begins with a Meta event or a reel.navigation to another path and lasts until the next one;
// a checkout snapshot (a Meta event for the path already shown) continues it, so a reload of
// the same page counts as the same view. Views without a reel.scroll event (an SDK that does
// not record scroll depth) are left out rather than counted as unscrolled.
func Heat(tabs [][]json.RawMessage) ([]HeatClick, []PageDepth) {
	var h HeatReader
	for tab, events := range tabs {
		h.Feed(tab, events)
	}
	return h.Clicks, h.Views
}

// HeatReader reads a session's heatmap points a run of events at a time, as live analysis
// receives them: feeding each tab's events in several runs gives the points Heat gives for
// all of them at once (in another order when tabs interleave).
type HeatReader struct {
	Clicks []HeatClick
	Views  []PageDepth
	tabs   map[int]*heatTab
}

// heatTab is where one tab's page views stand between runs of its events.
type heatTab struct {
	cur   int // index in Views of the current page view, once it has a depth
	path  string
	start int64
	early float64 // a depth reported before the tab's first page view
}

// Feed reads more of tab's events, in time order, after those read before.
func (h *HeatReader) Feed(tab int, events []json.RawMessage) { h.FeedParsed(tab, Parse(events)) }

// FeedParsed is Feed for events already parsed.
func (h *HeatReader) FeedParsed(tab int, events []rrweb.Event) {
	if h.tabs == nil {
		h.tabs = map[int]*heatTab{}
	}
	st := h.tabs[tab]
	if st == nil {
		st = &heatTab{cur: -1, early: -1}
		h.tabs[tab] = st
	}
	clicks, views := h.Clicks, h.Views
	defer func() { h.Clicks, h.Views = clicks, views }()
	cur, path, start, early := st.cur, st.path, st.start, st.early
	defer func() { st.cur, st.path, st.start, st.early = cur, path, start, early }()
	enter := func(url string, at int64) {
		if p := Path(url); p != path || start == 0 {
			path, start, cur = p, at, -1
			if early >= 0 {
				views = append(views, PageDepth{Tab: tab, At: at, Seen: at, Path: path, Depth: early})
				cur, early = len(views)-1, -1
			}
		}
	}
	for _, ev := range events {
		switch ev.Type {
		case rrweb.Meta:
			if m, err := rrweb.ParseMeta(ev.Data); err == nil && m.Href != "" {
				enter(m.Href, ev.Timestamp)
			}
		case rrweb.Custom:
			if !bytes.Contains(ev.Data, []byte(`"reel.`)) {
				continue
			}
			var c struct {
				Tag     string `json:"tag"`
				Payload struct {
					URL      string   `json:"url"`
					Selector string   `json:"selector"`
					X        *float64 `json:"x"`
					Y        *float64 `json:"y"`
					W        float64  `json:"w"`
					H        float64  `json:"h"`
					PageX    float64  `json:"pageX"`
					PageY    float64  `json:"pageY"`
					Depth    *float64 `json:"depth"`
				} `json:"payload"`
			}
			if json.Unmarshal(ev.Data, &c) != nil {
				continue
			}
			p := c.Payload
			switch c.Tag {
			case "reel.navigation":
				if p.URL != "" {
					enter(p.URL, ev.Timestamp)
				}
			case "reel.click":
				if path == "" || p.Selector == "" || len(p.Selector) > maxSelector || p.X == nil || p.Y == nil {
					continue
				}
				if cur >= 0 {
					views[cur].Seen = ev.Timestamp
				}
				clicks = append(clicks, HeatClick{Tab: tab, At: ev.Timestamp, Path: path, Selector: p.Selector,
					X: unit(*p.X), Y: unit(*p.Y), W: pixels(p.W), H: pixels(p.H), PageX: pixels(p.PageX), PageY: pixels(p.PageY)})
			case "reel.scroll":
				if p.Depth == nil {
					continue
				}
				d := unit(*p.Depth)
				if path == "" {
					// Measured as the SDK started, a moment before rrweb's first snapshot
					// names the page: it belongs to the view that snapshot begins.
					early = max(early, d)
					continue
				}
				if cur < 0 {
					views = append(views, PageDepth{Tab: tab, At: start, Path: path})
					cur = len(views) - 1
				}
				views[cur].Seen = ev.Timestamp
				views[cur].Depth = max(views[cur].Depth, d)
			}
		}
	}
}

// unit clamps v to 0–1 (a click on an element's border can land a hair outside its box).
func unit(v float64) float64 {
	if math.IsNaN(v) {
		return 0
	}
	return math.Min(1, math.Max(0, v))
}

// pixels rounds a coordinate or size to whole pixels, bounded to what a page can measure.
func pixels(v float64) int {
	if math.IsNaN(v) {
		return 0
	}
	return int(math.Round(math.Min(1e7, math.Max(-1e7, v))))
}
