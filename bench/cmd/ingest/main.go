// Command ingest measures durable ingest throughput per core against its ceiling: the cost of
// merely gunzipping and parsing the same batches, measured in the same run. Batches are cut and
// encoded (delta, gzip) as the SDK sends them, from real recordings of the demo shop and a heavy
// page. The server runs with GOMAXPROCS=1, so its figure is per core; the ceiling runs on one
// goroutine. Each is timed three times and the best taken, the durable rounds under fresh
// session ids. Run it with bench/ingest.
//
// The server scrubs every batch for personal data, as it does by default (internal/scrub); the
// same batches are also sent, round by round in turns, to a server whose project has the
// scrubber off, and that ratio is printed beside the other (scrub_off_ratio=), the figure this
// bench showed before the scrubber (docs/decisions.md, 2026-12-07).
//
// With -db postgres://… (or REEL_DB) the durable side also runs on a fresh PostgreSQL database
// of that server, in the same run: the last line's figures are then PostgreSQL's, with the
// embedded ratio beside them (embedded_ratio=).
package main

import (
	"bytes"
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"log"
	"math/rand/v2"
	"net/http"
	"path/filepath"
	"sync"
	"sync/atomic"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/reelhq/reel/bench/internal/corpus"
)

type batch struct {
	session string
	body    []byte
	raw     int
	events  int
}

func main() {
	log.SetFlags(0)
	dbFlag := flag.String("db", "", "PostgreSQL server to measure beside the embedded index (REEL_DB): a URL of a role that may create databases")
	flag.Parse()
	db := corpus.DB(*dbFlag)
	_, tmp, bin, recs, cleanup, err := corpus.Setup(log.Printf)
	check(err)
	defer cleanup()

	// 300 sessions' worth of batches, grouped per session so each is sent in order; the same
	// visits under other session ids for each round of the durable run, which is timed three
	// times like the ceiling (a resent batch would be acknowledged as a duplicate, unwritten).
	const rounds = 3
	rng := rand.New(rand.NewPCG(1, 2))
	sessions := make([][][]batch, rounds)
	var rawTotal, eventsTotal int
	start := time.Now().Add(-time.Hour).UnixMilli()
	for i := range 300 {
		evs := corpus.Vary(recs[i%len(recs)], start+int64(i)*1000, rng)
		parts := corpus.Batches(evs)
		for round := range rounds {
			id := fmt.Sprintf("s_ingest%d%04d", round, i)
			var bs []batch
			for seq, b := range parts {
				body, n := corpus.SDKBody(id, "t_benchtab", seq, b)
				bs = append(bs, batch{session: id, body: body, raw: n, events: len(b)})
				if round == 0 {
					rawTotal += n
					eventsTotal += len(b)
				}
			}
			sessions[round] = append(sessions[round], bs)
		}
	}
	nBatches := 0
	for _, s := range sessions[0] {
		nBatches += len(s)
	}
	log.Printf("%d batches, %d events, %.1f MB of JSON", nBatches, eventsTotal, float64(rawTotal)/1e6)

	// Ceiling: gunzip and parse every batch on one goroutine.
	ceiling := bestOf(rounds, func() {
		for _, s := range sessions[0] {
			for _, b := range s {
				zr, err := gzip.NewReader(bytes.NewReader(b.body))
				check(err)
				raw, err := io.ReadAll(zr)
				check(err)
				var env struct {
					Session string            `json:"session"`
					Tab     string            `json:"tab"`
					Seq     int               `json:"seq"`
					Events  []json.RawMessage `json:"events"`
				}
				check(json.Unmarshal(raw, &env))
			}
		}
	})

	mb := float64(rawTotal) / 1e6
	fmt.Printf("ceiling (gunzip + parse, 1 core): %8.0f events/s %6.1f MB/s\n", float64(eventsTotal)/ceiling.Seconds(), mb/ceiling.Seconds())
	// The scrubber on (the default) and off, round by round in turns, so a change in the
	// machine's load falls on both.
	both := durableRuns(bin, []string{filepath.Join(tmp, "data"), filepath.Join(tmp, "data-unscrubbed")}, sessions, nil, []bool{true, false})
	durable, unscrubbed := both[0], both[1]
	fmt.Printf("durable ingest (reel, 1 core):    %8.0f events/s %6.1f MB/s  (%d batches acknowledged after fsync)\n", float64(eventsTotal)/durable.Seconds(), mb/durable.Seconds(), nBatches)
	fmt.Printf("durable ingest, scrubber off:     %8.0f events/s %6.1f MB/s\n", float64(eventsTotal)/unscrubbed.Seconds(), mb/unscrubbed.Seconds())
	if db == "" {
		fmt.Printf("ingest: events_per_s=%.0f mb_per_s=%.1f ceiling_mb_per_s=%.1f ratio=%.2f scrub_off_ratio=%.2f\n",
			float64(eventsTotal)/durable.Seconds(), mb/durable.Seconds(), mb/ceiling.Seconds(), ceiling.Seconds()/durable.Seconds(),
			ceiling.Seconds()/unscrubbed.Seconds())
		return
	}
	url, drop, err := corpus.FreshPostgres(context.Background(), db)
	check(err)
	defer drop()
	onPG := durableRuns(bin, []string{filepath.Join(tmp, "data-pg")}, sessions, []string{"--db", url}, []bool{true})[0]
	fmt.Printf("durable ingest (reel on PostgreSQL, 1 core): %8.0f events/s %6.1f MB/s  (%d batches acknowledged after commit)\n", float64(eventsTotal)/onPG.Seconds(), mb/onPG.Seconds(), nBatches)
	fmt.Printf("ingest: db=postgres events_per_s=%.0f mb_per_s=%.1f ceiling_mb_per_s=%.1f ratio=%.2f embedded_ratio=%.2f\n",
		float64(eventsTotal)/onPG.Seconds(), mb/onPG.Seconds(), mb/ceiling.Seconds(), ceiling.Seconds()/onPG.Seconds(), ceiling.Seconds()/durable.Seconds())
}

// durableRuns starts one real server per data directory, each on one core (fsync'd), with the
// project's scrubber on or off as scrubbed says, and sends every round to each in turn (32
// concurrent senders standing for browsers; the server that goes first alternates), returning
// each server's best round's wall time. All senders share one loopback address here, so the
// per-address rate limit, meant for one machine, is lifted.
func durableRuns(bin string, dataDirs []string, sessions [][][]batch, flags []string, scrubbed []bool) []time.Duration {
	type server struct {
		r    *corpus.Reel
		url  string
		best time.Duration
	}
	servers := make([]*server, len(dataDirs))
	for i, dir := range dataDirs {
		r, err := corpus.Start(bin, dir, []string{"GOMAXPROCS=1"}, append([]string{"--ingest-rate-per-ip", "0"}, flags...)...)
		check(err)
		defer r.Stop()
		key, err := r.PublicKey()
		check(err)
		if !scrubbed[i] {
			var ps struct{ Projects []struct{ ID string } }
			check(r.Get("/api/v1/projects", &ps))
			check(r.Patch("/api/v1/projects/"+ps.Projects[0].ID, `{"scrub":{"disabled":true}}`))
		}
		servers[i] = &server{r: r, url: r.URL + "/api/v1/ingest?v=1&key=" + key + corpus.SDKQuery, best: time.Duration(1<<63 - 1)}
	}
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	var retries atomic.Int64
	send := func(url string, round [][]batch) {
		work := make(chan []batch)
		var wg sync.WaitGroup
		for range 32 {
			wg.Go(func() {
				for s := range work {
					for _, b := range s {
						for {
							resp, err := client.Post(url, "text/plain", bytes.NewReader(b.body))
							check(err)
							io.Copy(io.Discard, resp.Body)
							resp.Body.Close()
							if resp.StatusCode == 200 {
								break
							}
							if resp.StatusCode != 429 && resp.StatusCode != 503 {
								log.Fatalf("ingest = %d", resp.StatusCode)
							}
							retries.Add(1)
							time.Sleep(50 * time.Millisecond)
						}
					}
				}
			})
		}
		for _, s := range round {
			work <- s
		}
		close(work)
		wg.Wait()
	}
	for i, round := range sessions {
		for k := range servers {
			j := (k + i) % len(servers)
			sv := servers[j]
			cpu0, pg0 := sv.r.CPUSeconds(), corpus.PostgresCPUSeconds()
			t0 := time.Now()
			send(sv.url, round)
			d := time.Since(t0)
			sv.best = min(sv.best, d)
			log.Printf("round %d (scrubber %s): %.2fs wall, server CPU %.2fs, PostgreSQL CPU %.2fs", i+1, map[bool]string{true: "on", false: "off"}[scrubbed[j]],
				d.Seconds(), sv.r.CPUSeconds()-cpu0, corpus.PostgresCPUSeconds()-pg0)
		}
	}
	log.Printf("%d requests asked to retry", retries.Load())
	out := make([]time.Duration, len(servers))
	for i, sv := range servers {
		out[i] = sv.best
	}
	return out
}

func bestOf(n int, f func()) time.Duration {
	best := time.Duration(1<<63 - 1)
	for range n {
		t := time.Now()
		f()
		best = min(best, time.Since(t))
	}
	return best
}

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
