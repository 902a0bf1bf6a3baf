package funnel

import (
	"fmt"
	"testing"
	"time"

	"github.com/reelhq/reel/internal/store"
)

// BenchmarkCount counts 100,000 journeys of 20 things done each (pages, clicks, events)
// through a four-step funnel in each order: the in-memory part of POST /api/v1/funnels at
// half its session bound.
func BenchmarkCount(b *testing.B) {
	js := make([]store.Journey, 100_000)
	for i := range js {
		steps := make([]store.Step, 0, 20)
		for k := range 20 {
			at := t0.Add(time.Duration(i)*time.Minute + time.Duration(k)*time.Second)
			switch k % 4 {
			case 0:
				steps = append(steps, store.Step{At: at, Kind: store.StepPage, Path: fmt.Sprintf("/p/%d", (i+k)%7)})
			case 1:
				steps = append(steps, store.Step{At: at, Kind: store.StepClick, Name: "button#b", Text: fmt.Sprintf(`button "Go %d"`, k)})
			default:
				steps = append(steps, store.Step{At: at, Kind: store.StepEvent, Name: "viewed", Props: map[string]string{"n": fmt.Sprint(k % 3)}})
			}
		}
		js[i] = store.Journey{SessionID: fmt.Sprint(i), StartedAt: t0.Add(time.Duration(i) * time.Minute), Steps: steps}
	}
	for _, order := range []string{Ordered, Strict, Any} {
		d := Definition{Order: order, Steps: []Step{{Path: "/p/*"}, {Kind: "click", Text: "go"}, {Kind: "event", Name: "viewed", Props: map[string]string{"n": "2"}}, {Path: "/p/3"}}}
		if err := d.Validate(); err != nil {
			b.Fatal(err)
		}
		b.Run(order, func(b *testing.B) {
			for b.Loop() {
				Count(js, d, Day, t0, t0.AddDate(0, 0, 70))
			}
		})
	}
}
