package main

import (
	"cmp"
	"context"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/chromedp/cdproto/profiler"
	"github.com/chromedp/chromedp"
)

// profileApps runs each app's script once with the given variant under Chromium's sampling
// profiler (CDP Profiler, 200 µs samples) and prints where the main thread's script time went:
// self time per script file, and the recorder's heaviest functions.
func profileApps(assets, appsDir, reelBin, variant, only string) error {
	s, stop, err := setup(assets, appsDir, reelBin)
	defer stop()
	if err != nil {
		return err
	}
	live, cancel := chromium(context.Background(), 1280, 800)
	defer cancel()
	if err := chromedp.Run(live); err != nil {
		return err
	}
	recorder := map[string]string{"reel": "reel.js", "rrweb": "rrweb-plain.js", "none": ""}[variant]
	for _, a := range apps {
		if only != "" && !slices.Contains(strings.Split(only, ","), a.name) {
			continue
		}
		var prof *profiler.Profile
		s.hook = func(ctx context.Context, start bool) error {
			if start {
				if err := profiler.Enable().Do(ctx); err != nil {
					return err
				}
				if err := profiler.SetSamplingInterval(200).Do(ctx); err != nil {
					return err
				}
				return profiler.Start().Do(ctx)
			}
			p, err := profiler.Stop().Do(ctx)
			prof = p
			return err
		}
		r, err := s.once(live, a, variant, false)
		s.hook = nil
		if err != nil {
			return fmt.Errorf("%s: %w", a.name, err)
		}
		byFile := map[string]float64{}
		byFunc := map[string]float64{}
		total := 0.0
		self := selfTimes(prof)
		for _, n := range prof.Nodes {
			ms := self[n.ID]
			total += ms
			file := path.Base(n.CallFrame.URL)
			if n.CallFrame.URL == "" {
				file = n.CallFrame.FunctionName // (program), (garbage collector), (idle)
			}
			byFile[file] += ms
			if recorder != "" && file == recorder {
				byFunc[fmt.Sprintf("%s@%d:%d", cmp.Or(n.CallFrame.FunctionName, "(anonymous)"), n.CallFrame.LineNumber+1, n.CallFrame.ColumnNumber+1)] += ms
			}
		}
		fmt.Printf("== %s (%s): TaskDuration %.0f ms; sampled %.0f ms\n", a.name, variant, r.ms, total)
		fmt.Printf("   by file: %s\n", top(byFile, 8))
		if recorder != "" {
			fmt.Printf("   %s functions: %s\n", recorder, top(byFunc, 10))
		}
	}
	return nil
}

// selfTimes spreads the profile's sample intervals over its nodes, in ms.
func selfTimes(p *profiler.Profile) map[int64]float64 {
	out := map[int64]float64{}
	for i, id := range p.Samples {
		if i < len(p.TimeDeltas)-1 {
			out[int64(id)] += float64(p.TimeDeltas[i+1]) / 1000
		}
	}
	return out
}

func top(m map[string]float64, n int) string {
	type kv struct {
		k string
		v float64
	}
	var xs []kv
	for k, v := range m {
		if k != "(idle)" {
			xs = append(xs, kv{k, v})
		}
	}
	slices.SortFunc(xs, func(a, b kv) int { return cmp.Compare(b.v, a.v) })
	var parts []string
	for i, x := range xs {
		if i == n || x.v < 1 {
			break
		}
		parts = append(parts, fmt.Sprintf("%s %.0f", x.k, x.v))
	}
	return strings.Join(parts, ", ")
}
