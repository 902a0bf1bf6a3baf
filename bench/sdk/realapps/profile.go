package main

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
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
	own := ownLines(filepath.Join(assets, recorder))
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
		name := func(n *profiler.ProfileNode) string {
			return fmt.Sprintf("%s@%d:%d", cmp.Or(n.CallFrame.FunctionName, "(anonymous)"), n.CallFrame.LineNumber+1, n.CallFrame.ColumnNumber+1)
		}
		for _, n := range prof.Nodes {
			ms := self[n.ID]
			total += ms
			file := path.Base(n.CallFrame.URL)
			if n.CallFrame.URL == "" {
				file = n.CallFrame.FunctionName // (program), (garbage collector), (idle)
			}
			byFile[file] += ms
			if recorder != "" && file == recorder {
				byFunc[name(n)] += ms
			}
		}
		fmt.Printf("== %s (%s): TaskDuration %.0f ms; sampled %.0f ms\n", a.name, variant, r.ms, total)
		fmt.Printf("   by file: %s\n", top(byFile, 8))
		if recorder != "" {
			fmt.Printf("   %s functions, self: %s\n", recorder, top(byFunc, topN()))
			fmt.Printf("   %s functions, with what they call: %s\n", recorder, top(inclusive(prof, self, recorder, name), 16))
		}
		if own != nil {
			fmt.Printf("   Reel's own code (src/, not rrweb), with what it calls: %.1f ms\n", inclusive(prof, self, recorder, func(n *profiler.ProfileNode) string {
				if own(int(n.CallFrame.LineNumber) + 1) {
					return "own"
				}
				return "rrweb"
			})["own"])
			fmt.Printf("   its functions, with what they call: %s\n", top(inclusive(prof, self, recorder, func(n *profiler.ProfileNode) string {
				if own(int(n.CallFrame.LineNumber) + 1) {
					return name(n)
				}
				return ""
			}), 14))
		}
	}
	return nil
}

// inclusive is each function of file's time with everything it calls (builtins such as
// JSON.stringify, the browser's work it causes), each sample counted once per function however
// deep it recurses, in ms. Names are readable in a build made with REEL_SDK_READABLE=1.
func inclusive(p *profiler.Profile, self map[int64]float64, file string, name func(*profiler.ProfileNode) string) map[string]float64 {
	parent := map[int64]int64{}
	byID := map[int64]*profiler.ProfileNode{}
	for _, n := range p.Nodes {
		byID[n.ID] = n
		for _, c := range n.Children {
			parent[c] = n.ID
		}
	}
	out := map[string]float64{}
	for id, ms := range self {
		seen := map[string]bool{}
		for n := byID[id]; n != nil; n = byID[parent[n.ID]] {
			if path.Base(n.CallFrame.URL) == file {
				if k := name(n); k != "" && !seen[k] {
					seen[k] = true
					out[k] += ms
				}
			}
			if _, ok := parent[n.ID]; !ok {
				break
			}
		}
	}
	return out
}

// ownLines tells, in an unminified reel.js (REEL_SDK_READABLE=1), whether a line is Reel's own
// code: esbuild heads each bundled file with a "// path" comment, and Reel's are under src/.
// It is nil for a minified bundle.
func ownLines(file string) func(line int) bool {
	b, err := os.ReadFile(file)
	if err != nil || minified(b) {
		return nil
	}
	var starts []int
	var mine []bool
	for i, l := range strings.Split(string(b), "\n") {
		if t := strings.TrimSpace(l); strings.HasPrefix(t, "// src/") || strings.HasPrefix(t, "// node_modules/") {
			starts = append(starts, i+1)
			mine = append(mine, strings.HasPrefix(t, "// src/"))
		}
	}
	return func(line int) bool {
		k, _ := slices.BinarySearch(starts, line+1)
		return k > 0 && mine[k-1]
	}
}

func minified(b []byte) bool { return bytes.Count(b, []byte("\n")) < 100 }

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

// topN is how many functions the profile lists (PROFILE_TOP, default 10).
func topN() int {
	if n, err := strconv.Atoi(os.Getenv("PROFILE_TOP")); err == nil && n > 0 {
		return n
	}
	return 10
}
