// Package measure holds the one definition of a session's numbers that people compare across
// the dashboard: active time, pages and duration (docs/player.md, "The numbers"). Ingest, the
// index, analysis and the player all count with these functions or their TypeScript twin in
// web/src/measure.ts, so the list, the Session pane, the summary and search agree.
package measure

import (
	"net/url"
	"slices"
	"time"

	"github.com/reelhq/reel/internal/rrweb"
)

// IdleGap is the longest pause between a person's events still counted as active time; it is
// also the player's idle threshold (web/src/measure.ts IDLE_MS).
const IdleGap = 10 * time.Second

// UserActivity reports whether an incremental source means a person did something: mouse,
// scroll, input, touch, drag or selection, not the page changing by itself.
func UserActivity(src rrweb.IncrementalSource) bool {
	switch src {
	case rrweb.SourceMouseMove, rrweb.SourceMouseInteraction, rrweb.SourceScroll, rrweb.SourceInput,
		rrweb.SourceTouchMove, rrweb.SourceDrag, rrweb.SourceSelection:
		return true
	}
	return false
}

// ActiveMS is the active time of a set of user-activity timestamps (ms, any order, all tabs
// together): the sum of the gaps between consecutive ones that are shorter than IdleGap.
func ActiveMS(times []int64) int64 {
	ts := slices.Clone(times)
	slices.Sort(ts)
	var sum int64
	for i := 1; i < len(ts); i++ {
		if gap := ts[i] - ts[i-1]; gap < IdleGap.Milliseconds() {
			sum += gap
		}
	}
	return sum
}

// View is one page view: a Meta event (a page load or a new snapshot) or a reel.navigation
// event (a single-page app changing its URL).
type View struct {
	At  int64 // ms since the epoch
	URL string
}

// Path is the part of a URL pages are told apart by, as the index stores it: its path ("/" for
// a bare host; empty when the URL does not parse).
func Path(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	if u.Path == "" && u.Host != "" {
		return "/"
	}
	return u.Path
}

// Pages returns the pages of a session from its views (all tabs together, in time order, ties
// in the order given): a view whose path is the one before it (a reload, a new snapshot, a
// change of query or fragment) is not a new page.
func Pages(views []View) []View {
	vs := slices.Clone(views)
	slices.SortStableFunc(vs, func(a, b View) int {
		switch {
		case a.At < b.At:
			return -1
		case a.At > b.At:
			return 1
		}
		return 0
	})
	var out []View
	for _, v := range vs {
		if len(out) > 0 && Path(out[len(out)-1].URL) == Path(v.URL) {
			continue
		}
		out = append(out, v)
	}
	return out
}
