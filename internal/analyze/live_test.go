package analyze

import (
	"compress/gzip"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"testing"

	"github.com/reelhq/reel/internal/rrweb/rrwebtest"
)

// recorded reads the sessions in testdata/sessions: real visits of the demo shop (and a page
// that rewrites a large table several times a second) recorded by the SDK in Chromium, each
// one tab's events as the server stored them.
func recorded(t testing.TB) map[string][]json.RawMessage {
	t.Helper()
	files, err := filepath.Glob("testdata/sessions/*.json.gz")
	if err != nil || len(files) == 0 {
		t.Fatalf("no recorded sessions in testdata/sessions: %v", err)
	}
	out := map[string][]json.RawMessage{}
	for _, f := range files {
		fh, err := os.Open(f)
		if err != nil {
			t.Fatal(err)
		}
		zr, err := gzip.NewReader(fh)
		if err != nil {
			t.Fatal(err)
		}
		var evs []json.RawMessage
		if err := json.NewDecoder(zr).Decode(&evs); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		fh.Close()
		out[filepath.Base(f)] = evs
	}
	return out
}

// identity is what names a finding across passes: kind, moment and element.
func identity(s Signal) string { return fmt.Sprintf("%s@%d %s %s", s.Kind, s.At, s.URL, s.Target) }

// TestLiveMatchesWholeSession replays recorded sessions batch by batch through the incremental
// path (one timeline per tab, fed each batch as it arrives) and compares with the whole-session
// pass: with every batch read the reports are equal, and no finding reported while the session
// was live is missing from the whole-session pass.
func TestLiveMatchesWholeSession(t *testing.T) {
	sessions := recorded(t)
	names := slices.Sorted(func(yield func(string) bool) {
		for k := range sessions {
			if !yield(k) {
				return
			}
		}
	})
	// The sessions singly, and pairs of them as two tabs of one session.
	cases := [][]string{}
	for _, n := range names {
		cases = append(cases, []string{n})
	}
	cases = append(cases, []string{names[0], names[1]}, []string{names[2], names[len(names)-1]})
	facts := Facts{UserID: "ada", Browser: "Chrome 131", OS: "Linux", DurationMS: 60_000}
	kinds := map[Kind]int{}
	for _, c := range cases {
		for _, every := range []int64{1000, 5000} {
			t.Run(fmt.Sprintf("%v/every-%dms", c, every), func(t *testing.T) {
				tabs := make([][]json.RawMessage, len(c))
				cut := make([][][]json.RawMessage, len(c))
				timelines := make([]*Timeline, len(c))
				var heat HeatReader
				for i, n := range c {
					tabs[i] = sessions[n]
					cut[i] = rrwebtest.Batches(sessions[n], every)
					timelines[i] = NewTimeline()
				}
				whole := Analyze(tabs, facts, Defaults)
				final := map[string]bool{}
				for _, s := range whole.Signals {
					final[identity(s)] = true
					kinds[s.Kind]++
				}
				// Batches arrive interleaved across tabs, one batch of each tab in turn.
				for b := 0; ; b++ {
					fed := false
					for i := range c {
						if b >= len(cut[i]) {
							continue
						}
						timelines[i].Feed(cut[i][b])
						heat.Feed(i, cut[i][b])
						fed = true
						live := Live(timelines, facts, Defaults)
						for _, s := range live.Signals {
							if !final[identity(s)] {
								t.Fatalf("after batch %d of tab %d the live pass found %s, which the whole-session pass does not", b, i, identity(s))
							}
						}
					}
					if !fed {
						break
					}
				}
				if got := Whole(timelines, facts, Defaults); !reflect.DeepEqual(got, whole) {
					t.Fatalf("fed batch by batch:\n%+v\nthe whole session at once:\n%+v", got, whole)
				}
				clicks, views := Heat(tabs)
				sortHeat(clicks, views)
				sortHeat(heat.Clicks, heat.Views)
				if !reflect.DeepEqual(heat.Clicks, clicks) || !reflect.DeepEqual(heat.Views, views) {
					t.Fatalf("heatmap fed batch by batch: %d clicks %d views; at once: %d clicks %d views", len(heat.Clicks), len(heat.Views), len(clicks), len(views))
				}
			})
		}
	}
	// The recordings hold findings to compare, not only quiet sessions.
	if kinds[RageClick]+kinds[DeadClick]+kinds[ErrorClick]+kinds[FormAbandon] == 0 {
		t.Fatalf("the recorded sessions show no click or form findings at all (%v): the comparison proves little", kinds)
	}
	t.Logf("findings compared: %v", kinds)
}

func sortHeat(clicks []HeatClick, views []PageDepth) {
	sort.Slice(clicks, func(i, j int) bool {
		if clicks[i].Tab != clicks[j].Tab {
			return clicks[i].Tab < clicks[j].Tab
		}
		return clicks[i].At < clicks[j].At
	})
	sort.Slice(views, func(i, j int) bool {
		if views[i].Tab != views[j].Tab {
			return views[i].Tab < views[j].Tab
		}
		return views[i].At < views[j].At
	})
}

// TestLiveWithholdsWhatLaterEventsDecide: a click on a button with nothing after it yet is not
// a dead click until its wait has passed in the tab's events, and typing on the page the tab is
// still on is not an abandoned form; the whole-session pass reports both.
func TestLiveWithholdsWhatLaterEventsDecide(t *testing.T) {
	snap := `{"type":2,"timestamp":1000,"data":{"node":{"type":0,"id":1,"childNodes":[{"type":2,"id":2,"tagName":"html","attributes":{},"childNodes":[{"type":2,"id":3,"tagName":"body","attributes":{},"childNodes":[` +
		`{"type":2,"id":4,"tagName":"button","attributes":{"id":"go","type":"button"},"childNodes":[{"type":3,"id":5,"textContent":"Go"}]},` +
		`{"type":2,"id":7,"tagName":"form","attributes":{"id":"address"},"childNodes":[` +
		`{"type":2,"id":6,"tagName":"input","attributes":{"name":"email"},"childNodes":[]},` +
		`{"type":2,"id":8,"tagName":"input","attributes":{"name":"street"},"childNodes":[]}]}]}]}]},"initialOffset":{"top":0,"left":0}}}`
	events := []json.RawMessage{
		json.RawMessage(`{"type":4,"timestamp":1000,"data":{"href":"https://shop.example/checkout","width":1200,"height":800}}`),
		json.RawMessage(snap),
		json.RawMessage(`{"type":3,"timestamp":2000,"data":{"source":5,"id":6,"text":"*****","isChecked":false}}`),
		json.RawMessage(`{"type":3,"timestamp":3000,"data":{"source":2,"type":2,"id":4,"x":10,"y":10}}`),
	}
	tl := NewTimeline()
	tl.Feed(events)
	live := Live([]*Timeline{tl}, Facts{}, Defaults)
	whole := Whole([]*Timeline{tl}, Facts{}, Defaults)
	kindsOf := func(r Report) []Kind {
		var ks []Kind
		for _, s := range r.Signals {
			ks = append(ks, s.Kind)
		}
		slices.Sort(ks)
		return ks
	}
	if got := kindsOf(live); len(got) != 0 {
		t.Fatalf("live pass right after the click: %v, want nothing yet", got)
	}
	if got, want := kindsOf(whole), []Kind{DeadClick, FormAbandon}; !slices.Equal(got, want) {
		t.Fatalf("whole-session pass: %v, want %v", got, want)
	}
	// Four seconds of mouse movement later the click is dead for the live pass too; the form
	// still waits, as the visitor is still on its page.
	tl.Feed([]json.RawMessage{json.RawMessage(`{"type":3,"timestamp":7000,"data":{"source":1,"positions":[{"x":50,"y":60,"id":3,"timeOffset":0}]}}`)})
	if got, want := kindsOf(Live([]*Timeline{tl}, Facts{}, Defaults)), []Kind{DeadClick}; !slices.Equal(got, want) {
		t.Fatalf("live pass after the wait: %v, want %v", got, want)
	}
	// Leaving the page settles the form.
	tl.Feed([]json.RawMessage{json.RawMessage(`{"type":4,"timestamp":8000,"data":{"href":"https://shop.example/","width":1200,"height":800}}`)})
	if got, want := kindsOf(Live([]*Timeline{tl}, Facts{}, Defaults)), []Kind{DeadClick, FormAbandon}; !slices.Equal(got, want) {
		t.Fatalf("live pass after leaving the page: %v, want %v", got, want)
	}
}

// TestLiveWaitsForALinksPage: a click on a link that nothing answered for longer than the
// dead-click wait is held back while no page has loaded since (the link's page may be slow),
// and the page it leads to answers it for both passes.
func TestLiveWaitsForALinksPage(t *testing.T) {
	tl := NewTimeline()
	tl.Feed([]json.RawMessage{
		json.RawMessage(`{"type":4,"timestamp":1000,"data":{"href":"https://shop.example/cart","width":1200,"height":800}}`),
		json.RawMessage(`{"type":2,"timestamp":1000,"data":{"node":{"type":0,"id":1,"childNodes":[{"type":2,"id":2,"tagName":"html","attributes":{},"childNodes":[{"type":2,"id":3,"tagName":"body","attributes":{},"childNodes":[` +
			`{"type":2,"id":4,"tagName":"a","attributes":{"href":"/checkout"},"childNodes":[{"type":3,"id":5,"textContent":"Checkout"}]}]}]}]},"initialOffset":{"top":0,"left":0}}}`),
		json.RawMessage(`{"type":3,"timestamp":2000,"data":{"source":2,"type":2,"id":5,"x":10,"y":10}}`),
		// The old page is still there, the mouse moving, while the checkout loads.
		json.RawMessage(`{"type":3,"timestamp":6000,"data":{"source":1,"positions":[{"x":50,"y":60,"id":3,"timeOffset":0}]}}`),
	})
	if n := len(Live([]*Timeline{tl}, Facts{}, Defaults).Signals); n != 0 {
		t.Fatalf("live pass while the link's page loads: %d findings, want none", n)
	}
	tl.Feed([]json.RawMessage{json.RawMessage(`{"type":4,"timestamp":6500,"data":{"href":"https://shop.example/checkout","width":1200,"height":800}}`)})
	for name, r := range map[string]Report{"live": Live([]*Timeline{tl}, Facts{}, Defaults), "whole": Whole([]*Timeline{tl}, Facts{}, Defaults)} {
		if len(r.Signals) != 0 {
			t.Fatalf("%s pass once the checkout loaded: %+v, want nothing", name, r.Signals)
		}
	}
}
