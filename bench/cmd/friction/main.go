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
	"time"

	"github.com/reelhq/reel/bench/internal/corpus"
	"github.com/reelhq/reel/internal/frictioncorpus"
)

func main() {
	log.SetFlags(0)
	tabs := flag.Int("tabs", 4, "scenarios played at once")
	only := flag.String("run", "", "play only scenarios whose name matches this regular expression")
	flag.Parse()
	match, err := regexp.Compile(*only)
	check(err)
	root, _ := os.Getwd()
	tmp, err := os.MkdirTemp("", "reel-bench-friction")
	check(err)
	defer os.RemoveAll(tmp)
	bin, err := corpus.Build(root, tmp)
	check(err)
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
	fmt.Println(f.Line(len(results)))
}

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
