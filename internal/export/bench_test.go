package export

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
)

// benchSession is one tab of a page with many rows of text, a pointer moving every 100 ms for
// seconds and the status line changing each second.
func benchSession(rows int, seconds int) *Session {
	var body strings.Builder
	id := 10
	for i := range rows {
		fmt.Fprintf(&body, `,{"type":2,"id":%d,"tagName":"p","attributes":{},"childNodes":[{"type":3,"id":%d,"textContent":"Row %d of the order history, with enough words to look like a page"}]}`, id, id+1, i)
		id += 2
	}
	const t0 = 1764237600000
	evs := []string{
		fmt.Sprintf(`{"type":4,"timestamp":%d,"data":{"href":"https://shop.example/","width":1024,"height":640}}`, t0),
		fmt.Sprintf(`{"type":2,"timestamp":%d,"data":{"node":{"type":0,"id":1,"childNodes":[{"type":2,"id":2,"tagName":"html","attributes":{},"childNodes":[{"type":2,"id":3,"tagName":"head","attributes":{},"childNodes":[]},{"type":2,"id":4,"tagName":"body","attributes":{},"childNodes":[{"type":2,"id":5,"tagName":"h1","attributes":{},"childNodes":[{"type":3,"id":6,"textContent":"Status 0"}]}%s]}]}]},"initialOffset":{"left":0,"top":0}}}`, t0, body.String()),
	}
	for ms := 100; ms <= seconds*1000; ms += 100 {
		evs = append(evs, fmt.Sprintf(`{"type":3,"timestamp":%d,"data":{"source":1,"positions":[{"x":%d,"y":%d,"id":4,"timeOffset":0}]}}`, t0+int64(ms), ms%1000, 100+ms/100))
		if ms%1000 == 0 {
			evs = append(evs, fmt.Sprintf(`{"type":3,"timestamp":%d,"data":{"source":0,"texts":[{"id":6,"value":"Status %d"}],"attributes":[],"removes":[],"adds":[]}}`, t0+int64(ms), ms/1000))
		}
	}
	return &Session{Info: Info{ID: "s_bench000001"}, Meta: json.RawMessage(`{"id":"s_bench000001"}`),
		Tabs: []Tab{{Events: json.RawMessage("[" + strings.Join(evs, ",") + "]")}}}
}

// BenchmarkHTML builds the offline HTML of a session of about 10 MB of events.
func BenchmarkHTML(b *testing.B) {
	s := benchSession(80000, 10)
	b.SetBytes(int64(len(s.Tabs[0].Events)))
	for b.Loop() {
		if _, err := HTML(s, false); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVideo renders 10 s of activity (100 frames) in headless Chromium and ffmpeg; its
// figure is ms per frame, Chromium's start included.
func BenchmarkVideo(b *testing.B) {
	s := benchSession(200, 10)
	for b.Loop() {
		if err := Video(context.Background(), s, filepath.Join(b.TempDir(), "v.webm"), VideoOptions{}); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.Elapsed().Milliseconds())/float64(b.N)/100, "ms/frame")
}
