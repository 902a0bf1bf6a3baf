// Command friction plays the labelled friction corpus (internal/frictioncorpus) in headless
// Chromium through the real SDK against a real `reel serve`, and prints precision and recall
// of every friction kind. Run it with bench/friction.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"regexp"
	"sort"
	"time"

	"github.com/reelhq/reel/bench/internal/corpus"
	"github.com/reelhq/reel/internal/frictioncorpus"
)

func main() {
	log.SetFlags(0)
	tabs := flag.Int("tabs", 8, "scenarios played at once")
	only := flag.String("run", "", "play only scenarios whose name matches this regular expression")
	verbose := flag.Bool("v", false, "print how long each scenario took")
	since := flag.Float64("since", 0, "when the bench started, in Unix seconds (bench/friction passes it, so the time reported includes building)")
	reel := flag.String("reel", "", "a reel binary built from this checkout (bench/friction builds it beside this command); empty: build one")
	flag.Parse()
	began := time.Now()
	if *since > 0 {
		began = time.Unix(0, int64(*since*1e9))
	}
	match, err := regexp.Compile(*only)
	check(err)
	root, _ := os.Getwd()
	tmp, err := os.MkdirTemp("", "reel-bench-friction")
	check(err)
	defer os.RemoveAll(tmp)
	bin := *reel
	if bin == "" {
		bin, err = corpus.Build(root, tmp)
		check(err)
	}
	fmt.Printf("built in %s\n", time.Since(began).Round(time.Second))
	r, err := corpus.Start(bin, tmp+"/data", nil)
	check(err)
	defer r.Stop()
	key, err := r.PublicKey()
	check(err)

	var scenarios []*frictioncorpus.Scenario
	for _, s := range frictioncorpus.All() {
		if match.MatchString(s.Name) {
			scenarios = append(scenarios, s)
		}
	}
	start := time.Now()
	results, err := frictioncorpus.Run(context.Background(), frictioncorpus.Server{URL: r.URL, Token: r.Token(), Key: key}, scenarios, *tabs, log.Printf)
	check(err)
	for _, m := range frictioncorpus.Mismatches(results) {
		fmt.Println("mismatch:", m)
	}
	if *verbose {
		byTime := append([]frictioncorpus.Result(nil), results...)
		sort.Slice(byTime, func(i, j int) bool { return byTime[i].Took > byTime[j].Took })
		for _, res := range byTime {
			fmt.Printf("%6.1fs %s\n", res.Took.Seconds(), res.Scenario.Name)
		}
	}
	f := frictioncorpus.Score(results)
	fmt.Printf("%d scenarios in %s\n", len(results), time.Since(start).Round(time.Second))
	fmt.Printf("%-18s %9s %6s %4s %4s %4s\n", "kind", "precision", "recall", "tp", "fp", "fn")
	for _, k := range frictioncorpus.Kinds {
		fmt.Printf("%-18s %9.2f %6.2f %4d %4d %4d\n", k.Kind, f.Precision(k.Kind), f.Recall(k.Kind), f.TP[k.Kind], f.FP[k.Kind], f.FN[k.Kind])
	}
	failed := 0
	for _, res := range results {
		if res.Err != nil {
			failed++
		}
	}
	if failed > 0 {
		r.Stop()
		log.Fatalf("friction: %d scenarios failed to play", failed)
	}
	fmt.Printf("%s seconds=%.0f\n", f.Line(len(results)), time.Since(began).Seconds())
}

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
