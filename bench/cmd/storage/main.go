// Command storage measures bytes at rest per session-minute: 200 sessions of one site (varied
// from real recordings of the demo shop and a heavy page) are ingested through a real
// `reel serve`, compacted, and the data directory is measured against the same events kept as
// rrweb JSON + gzip. Run it with bench/storage.
package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io/fs"
	"log"
	"math/rand/v2"
	"net/http"
	"path/filepath"
	"sync"
	"time"

	"github.com/reelhq/reel/bench/internal/corpus"
)

func main() {
	log.SetFlags(0)
	keep := flag.Bool("keep", false, "keep the data directory (its path is logged) to inspect it, e.g. with sqlite's dbstat")
	flag.Parse()
	_, tmp, bin, recs, cleanup, err := corpus.Setup(log.Printf)
	check(err)
	if *keep {
		log.Printf("keeping the data directory %s", filepath.Join(tmp, "data"))
	} else {
		defer cleanup()
	}

	const sessions = 200
	data := filepath.Join(tmp, "data")
	r, err := corpus.Start(bin, data, nil, "--compact-idle", "2s")
	check(err)
	key, err := r.PublicKey()
	check(err)

	rng := rand.New(rand.NewPCG(42, 42))
	var baseline, rawBytes int
	var minutes float64
	start := time.Now().Add(-24 * time.Hour).UnixMilli()
	type job struct {
		id     string
		events [][]byte
	}
	jobs := make(chan job)
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			for j := range jobs {
				for seq, b := range j.events {
					resp, err := http.Post(r.URL+"/api/v1/ingest?v=1&key="+key, "text/plain", bytesReader(b))
					check(err)
					resp.Body.Close()
					if resp.StatusCode != 200 {
						log.Fatalf("ingest %s/%d = %d", j.id, seq, resp.StatusCode)
					}
				}
			}
		})
	}
	sent := make([][]json.RawMessage, sessions)
	for i := range sessions {
		rec := recs[i%len(recs)]
		evs := corpus.Vary(rec, start+int64(i)*3_600_000, rng)
		sent[i] = evs
		baseline += corpus.GzipJSON(evs)
		var first, last struct{ Timestamp int64 }
		jsonUnmarshal(evs[0], &first)
		jsonUnmarshal(evs[len(evs)-1], &last)
		minutes += float64(last.Timestamp-first.Timestamp) / 60000
		id := fmt.Sprintf("s_bench%05d", i)
		var bodies [][]byte
		for seq, b := range corpus.Batches(evs) {
			body, n := corpus.Body(id, "t_benchtab", seq, b)
			rawBytes += n
			bodies = append(bodies, body)
		}
		jobs <- job{id, bodies}
		if (i+1)%50 == 0 {
			log.Printf("ingested %d/%d sessions", i+1, sessions)
		}
	}
	close(jobs)
	wg.Wait()

	// Wait for compaction of every session.
	deadline := time.Now().Add(10 * time.Minute) // slow on a busy machine, not fatal
	for {
		var page struct {
			Sessions []struct {
				CompactedAt *time.Time `json:"compactedAt"`
			}
		}
		check(r.Get("/api/v1/sessions?limit=200", &page))
		done := 0
		for _, s := range page.Sessions {
			if s.CompactedAt != nil {
				done++
			}
		}
		if done == sessions {
			break
		}
		if time.Now().After(deadline) {
			log.Fatalf("only %d/%d sessions compacted", done, sessions)
		}
		time.Sleep(time.Second)
	}
	// Round trip: what the API serves after compaction is, as JSON values, what went in.
	for i, evs := range sent {
		var got []json.RawMessage
		check(r.Get(fmt.Sprintf("/api/v1/sessions/s_bench%05d/events", i), &got))
		if len(got) != len(evs) {
			log.Fatalf("round trip: session %d has %d events, sent %d", i, len(got), len(evs))
		}
		for j := range evs {
			if !sameJSON(got[j], evs[j]) {
				log.Fatalf("round trip: session %d event %d differs:\n got %.300s\nsent %.300s", i, j, got[j], evs[j])
			}
		}
	}
	log.Printf("round trip: all %d sessions read back identical", sessions)
	r.Stop()

	var blobs, index int64
	filepath.WalkDir(data, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		info, _ := d.Info()
		if filepath.Dir(p) == data {
			index += info.Size()
		} else {
			blobs += info.Size()
		}
		return nil
	})
	reel := blobs + index
	fmt.Printf("sessions: %d, %.1f session-minutes, %.1f MB of rrweb JSON\n", sessions, minutes, float64(rawBytes)/1e6)
	fmt.Printf("rrweb JSON + gzip: %d bytes (%.0f bytes/session-minute)\n", baseline, float64(baseline)/minutes)
	fmt.Printf("reel at rest:      %d bytes = blobs %d + index %d (%.0f bytes/session-minute)\n", reel, blobs, index, float64(reel)/minutes)
	fmt.Printf("storage: sessions=%d reel_bytes_per_min=%.0f gzip_bytes_per_min=%.0f ratio=%.3f\n", sessions, float64(reel)/minutes, float64(baseline)/minutes, float64(reel)/float64(baseline))
}

func check(err error) {
	if err != nil {
		log.Fatal(err)
	}
}
