// Command analysis measures what analysing sessions costs (friction detectors, summary, score)
// per session-minute of events, against what ingesting the same events costs (gunzip, validate,
// summarise for the index), both on one goroutine in the same run: the whole-session pass at
// compaction, and live analysis, which reads each batch as it arrives into the timelines and
// heatmap reader it keeps and stores a report after every batch (the most passes a session can
// cost: a pass reads at least one new batch). Run it with bench/analysis.
package main

import (
	"encoding/json"
	"fmt"
	"log"
	"math/rand/v2"
	"os"
	"runtime"
	"runtime/pprof"
	"sort"
	"syscall"
	"time"

	"github.com/reelhq/reel/bench/internal/corpus"
	"github.com/reelhq/reel/internal/analyze"
	"github.com/reelhq/reel/internal/ingest"
	"github.com/reelhq/reel/internal/rrweb"
)

func main() {
	log.SetFlags(0)
	_, _, _, recs, cleanup, err := corpus.Setup(log.Printf)
	check(err)
	defer cleanup()

	rng := rand.New(rand.NewPCG(3, 4))
	type session struct {
		events  [][]json.RawMessage
		bodies  [][]byte
		batches [][]byte // each batch's events as the JSON array a chunk holds
	}
	var sessions []session
	var minutes float64
	for i := range 200 {
		evs := corpus.Vary(recs[i%len(recs)], 1764237600000+int64(i)*3_600_000, rng)
		var first, last struct{ Timestamp int64 }
		json.Unmarshal(evs[0], &first)
		json.Unmarshal(evs[len(evs)-1], &last)
		minutes += float64(last.Timestamp-first.Timestamp) / 60000
		s := session{events: [][]json.RawMessage{evs}}
		for seq, b := range corpus.Batches(evs) {
			body, _ := corpus.Body(fmt.Sprintf("s_an%05d", i), "t_benchtab", seq, b)
			s.bodies = append(s.bodies, body)
			arr, err := json.Marshal(b)
			check(err)
			s.batches = append(s.batches, arr)
		}
		sessions = append(sessions, s)
	}

	ingestCost := bestOf(3, func() {
		for _, s := range sessions {
			for _, body := range s.bodies {
				raw, err := ingest.Decompress(body, ingest.DefaultLimits, nil)
				check(err)
				b, err := ingest.Decode(raw, ingest.DefaultLimits)
				check(err)
				_, err = ingest.Summarize(b)
				check(err)
			}
		}
	})
	findings := 0
	if p := os.Getenv("REEL_CPUPROFILE"); p != "" {
		f, err := os.Create(p)
		check(err)
		pprof.StartCPUProfile(f)
		defer pprof.StopCPUProfile()
	}
	analysisCost := bestOf(3, func() {
		findings = 0
		for _, s := range sessions {
			r := analyze.Analyze(s.events, analyze.Facts{DurationMS: 60000}, analyze.Defaults)
			findings += len(r.Signals)
		}
	})
	passes, liveFindings := 0, 0
	liveCost := bestOf(3, func() {
		passes, liveFindings = 0, 0
		for _, s := range sessions {
			tl := analyze.NewTimeline()
			var heat analyze.HeatReader
			var r analyze.Report
			for _, b := range s.batches {
				// What a live pass does with a chunk it has read: cut it into events, parse
				// their envelopes once, put them in time order, read them.
				evs := rrweb.Events(b)
				sort.SliceStable(evs, func(i, j int) bool { return evs[i].Timestamp < evs[j].Timestamp })
				tl.FeedParsed(evs)
				heat.FeedParsed(0, evs)
				r = analyze.Live([]*analyze.Timeline{tl}, analyze.Facts{DurationMS: 60000}, analyze.Defaults)
				_, err := json.Marshal(r)
				check(err)
				passes++
			}
			liveFindings += len(r.Signals)
		}
	})
	fmt.Printf("%d sessions, %.1f session-minutes, %d findings (%d live after the last batch, %d live passes)\n", len(sessions), minutes, findings, liveFindings, passes)
	fmt.Printf("ingest decode+validate+summarise: %.2f ms per session-minute\n", ms(ingestCost)/minutes)
	fmt.Printf("analysis (detectors, summary, score): %.2f ms per session-minute\n", ms(analysisCost)/minutes)
	fmt.Printf("live analysis (a pass after every batch, heatmap points, report): %.2f ms per session-minute\n", ms(liveCost)/minutes)
	fmt.Printf("analysis: sessions=%d analysis_ms_per_min=%.2f ingest_ms_per_min=%.2f ratio=%.2f live_ms_per_min=%.2f live_ratio=%.2f\n",
		len(sessions), ms(analysisCost)/minutes, ms(ingestCost)/minutes, analysisCost.Seconds()/ingestCost.Seconds(),
		ms(liveCost)/minutes, liveCost.Seconds()/ingestCost.Seconds())
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// bestOf runs f n times and returns the least CPU time the process spent on one run (its own
// goroutine and the garbage collector's): on a machine shared with other work, waiting for a
// core inflates the wall clock and not this.
func bestOf(n int, f func()) time.Duration {
	best := time.Duration(1<<63 - 1)
	for range n {
		runtime.GC()
		t := cpuTime()
		f()
		best = min(best, cpuTime()-t)
	}
	return best
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
