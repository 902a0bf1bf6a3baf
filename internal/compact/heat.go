package compact

import (
	"encoding/json"
	"time"

	"github.com/reelhq/reel/internal/analyze"
	"github.com/reelhq/reel/internal/store"
	"github.com/reelhq/reel/internal/useragent"
)

// Heat extracts a session's heatmap clicks and scroll depths; tabs[i] holds the events of the
// tab named names[i]. The device type is the session's, from its User-Agent.
func Heat(sess store.Session, names []string, tabs [][]json.RawMessage) store.Heat {
	clicks, views := analyze.Heat(tabs)
	return heat(sess, names, clicks, views)
}

// heat shapes heatmap points for the index; names[i] is the tab the points of tab i are from.
func heat(sess store.Session, names []string, clicks []analyze.HeatClick, views []analyze.PageDepth) store.Heat {
	h := store.Heat{SessionID: sess.ID, Device: useragent.Parse(sess.UserAgent).Device}
	for _, c := range clicks {
		h.Clicks = append(h.Clicks, store.HeatClick{Tab: names[c.Tab], At: time.UnixMilli(c.At), Path: c.Path, Selector: c.Selector,
			X: c.X, Y: c.Y, W: c.W, H: c.H, PageX: c.PageX, PageY: c.PageY})
	}
	for _, v := range views {
		h.Views = append(h.Views, store.PageDepth{Tab: names[v.Tab], At: time.UnixMilli(v.At), Seen: time.UnixMilli(v.Seen), Path: v.Path, Depth: v.Depth})
	}
	return h
}

// Steps is what funnels keep of a session besides its pages: its clicks and track events.
func Steps(tabs [][]json.RawMessage) []store.Step { return storeSteps(analyze.Steps(tabs)) }

// storeSteps is analysis's steps as the index keeps them.
func storeSteps(steps []analyze.Step) []store.Step {
	out := make([]store.Step, 0, len(steps))
	for _, s := range steps {
		st := store.Step{At: time.UnixMilli(s.At).UTC(), Kind: s.Kind, Path: analyze.Path(s.URL), Props: s.Props}
		if s.Kind == store.StepClick {
			st.Name, st.Text = s.Selector, s.Target
		} else {
			st.Name = s.Name
		}
		out = append(out, st)
	}
	return out
}
