package store

import (
	"cmp"
	"math"
	"slices"
	"strings"
	"time"
)

// MaxHeatBins bounds the bins one heatmap returns: the most clicked cells of the most clicked
// elements.
const MaxHeatBins = 5000

// HeatAggregator folds the click and page-view rows a backend reads for a heatmap into a
// Heatmap, the same way on every backend: clicks binned into a grid of cells per element,
// scroll depth as the share of views reaching each tenth, and the backdrop. The backdrop is the
// latest page view of the page (or its latest click when no view reported its depth) on the
// device type with the most clicks (then views), so a heatmap of every device is drawn over the
// layout most of its clicks were made on, never desktop clicks over a phone's page because a
// phone came last. Times are milliseconds since the epoch, as the drivers store them.
type HeatAggregator struct {
	bins     int
	out      Heatmap
	cells    map[heatCell]*heatSum
	sessions map[string]bool
	devices  map[string]*heatDevice
}

// heatDevice is what the aggregator keeps per device type to choose the backdrop.
type heatDevice struct {
	clicks, views   int
	view, click     *Backdrop
	viewAt, clickAt int64
}

func (a *HeatAggregator) device(name string) *heatDevice {
	d := a.devices[name]
	if d == nil {
		d = &heatDevice{}
		a.devices[name] = d
	}
	return d
}

type heatCell struct {
	selector string
	bx, by   int
}

type heatSum struct{ n, px, py int64 }

// NewHeatAggregator aggregates into bins × bins cells (at least one).
func NewHeatAggregator(bins int) *HeatAggregator {
	return &HeatAggregator{bins: max(bins, 1), cells: map[heatCell]*heatSum{}, sessions: map[string]bool{}, devices: map[string]*heatDevice{}}
}

func (a *HeatAggregator) bin(v float64) int { return min(int(v*float64(a.bins)), a.bins-1) }

// Click counts one click of a session on the page at path, on a device type: x and y are its
// position within the element (0..1), pageX and pageY on the page.
func (a *HeatAggregator) Click(sessionID, device, path, tab string, at int64, selector string, x, y float64, pageX, pageY int64) {
	a.out.Clicks++
	a.sessions[sessionID] = true
	k := heatCell{selector, a.bin(x), a.bin(y)}
	s := a.cells[k]
	if s == nil {
		s = &heatSum{}
		a.cells[k] = s
	}
	s.n, s.px, s.py = s.n+1, s.px+pageX, s.py+pageY
	d := a.device(device)
	d.clicks++
	if d.click == nil || at > d.clickAt {
		d.click, d.clickAt = &Backdrop{SessionID: sessionID, Tab: tab, Path: path, Device: device, At: time.UnixMilli(at).UTC()}, at
	}
}

// View counts one page view that was seen at seen and reached depth percent of the page.
func (a *HeatAggregator) View(sessionID, device, path, tab string, at, seen, depth int64) {
	// A view that reached step k also reached every step below it.
	for k := 0; k <= int(min(depth/10, 10)) && k < len(a.out.Reached); k++ {
		a.out.Reached[k]++
	}
	a.out.Views++
	d := a.device(device)
	d.views++
	if d.view == nil || at > d.viewAt {
		d.view, d.viewAt = &Backdrop{SessionID: sessionID, Tab: tab, Path: path, Device: device, At: time.UnixMilli(seen).UTC()}, at
	}
}

// Result returns the heatmap (its bins most clicked first, at most MaxHeatBins) and the
// backdrop to draw it over, nil when there was nothing; the caller fills in the backdrop's
// session start.
func (a *HeatAggregator) Result() (Heatmap, *Backdrop) {
	out := a.out
	out.Sessions = len(a.sessions)
	bins := float64(a.bins)
	for k, s := range a.cells {
		out.Bins = append(out.Bins, HeatBin{Selector: k.selector, Clicks: int(s.n),
			X: (float64(k.bx) + 0.5) / bins, Y: (float64(k.by) + 0.5) / bins,
			PageX: int(math.Round(float64(s.px) / float64(s.n))), PageY: int(math.Round(float64(s.py) / float64(s.n)))})
	}
	slices.SortFunc(out.Bins, func(a, b HeatBin) int {
		if a.Clicks != b.Clicks {
			return b.Clicks - a.Clicks
		}
		if c := strings.Compare(a.Selector, b.Selector); c != 0 {
			return c
		}
		if a.X != b.X {
			return cmp.Compare(a.X, b.X)
		}
		return cmp.Compare(a.Y, b.Y)
	})
	if len(out.Bins) > MaxHeatBins {
		out.Bins = out.Bins[:MaxHeatBins]
	}
	var top *heatDevice
	var topName string
	for name, d := range a.devices {
		if top == nil || d.clicks > top.clicks || d.clicks == top.clicks && (d.views > top.views || d.views == top.views && name < topName) {
			top, topName = d, name
		}
	}
	if top == nil {
		return out, nil
	}
	if top.view != nil {
		return out, top.view
	}
	return out, top.click
}
