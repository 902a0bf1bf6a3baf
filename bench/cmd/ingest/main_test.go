package main

import (
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/reelhq/reel/bench/internal/corpus"
	"github.com/reelhq/reel/internal/blob"
	"github.com/reelhq/reel/internal/chunk"
	"github.com/reelhq/reel/internal/ingest"
	"github.com/reelhq/reel/internal/settings"
	"github.com/reelhq/reel/internal/store"
	"github.com/reelhq/reel/internal/store/sqlite"
)

// The benchmarks here run the server's ingest work in process, on the bench's batches (the
// corpus bench/ingest records into bench/out/corpus; they skip without it), so a change can be
// compared with -count and benchstat instead of by single runs of the noisy end-to-end bench:
//
//	go test -run='^$' -bench=. -count=6 -cpu=1 ./bench/cmd/ingest

var (
	loadOnce sync.Once
	batches  []batch
	rawBytes int
)

func load(b *testing.B) []batch {
	loadOnce.Do(func() {
		recs, err := corpus.Load(context.Background(), "", "../../out/corpus", 10, b.Logf)
		if err != nil {
			return
		}
		rng := rand.New(rand.NewPCG(1, 2))
		start := time.Now().Add(-time.Hour).UnixMilli()
		for i := range 60 { // a fifth of bench/ingest's sessions
			evs := corpus.Vary(recs[i%len(recs)], start+int64(i)*1000, rng)
			id := fmt.Sprintf("s_ingest%05d", i)
			for seq, evb := range corpus.Batches(evs) {
				body, n := corpus.SDKBody(id, "t_benchtab", seq, evb)
				batches = append(batches, batch{session: id, body: body, raw: n, events: len(evb)})
				rawBytes += n
			}
		}
	})
	if len(batches) == 0 {
		b.Skip("no corpus in bench/out/corpus: run bench/ingest once")
	}
	return batches
}

// BenchmarkDecode is the CPU work of a batch before the committer: gunzip, delta decode,
// validation, summary and on-screen text, zstd.
func BenchmarkDecode(b *testing.B) {
	bs := load(b)
	b.SetBytes(int64(rawBytes))
	b.ReportAllocs()
	cpu := cpuTime()
	for b.Loop() {
		decodeAll(b, bs)
	}
	reportCPU(b, cpu)
}

func decodeAll(b *testing.B, bs []batch) {
	for _, x := range bs {
		raw, err := ingest.Decompress(x.body, ingest.DefaultLimits, nil)
		if err != nil {
			b.Fatal(err)
		}
		if raw, err = ingest.Undelta(raw, nil); err != nil {
			b.Fatal(err)
		}
		batch, err := ingest.Decode(raw, ingest.DefaultLimits)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := ingest.Summarize(batch); err != nil {
			b.Fatal(err)
		}
		chunk.EncodeArray(batch.EventsJSON)
	}
}

// BenchmarkScrub is the server-side scrubber's pass (default settings) over the bench's
// batches, decompressed and delta-decoded as ingest has them when it scrubs.
func BenchmarkScrub(b *testing.B) {
	bs := load(b)
	raws := make([][]byte, len(bs))
	for i, x := range bs {
		raw, err := ingest.Decompress(x.body, ingest.DefaultLimits, nil)
		if err != nil {
			b.Fatal(err)
		}
		if raws[i], err = ingest.Undelta(raw, nil); err != nil {
			b.Fatal(err)
		}
	}
	s := settings.Default.Scrubber
	b.SetBytes(int64(rawBytes))
	b.ReportAllocs()
	cpu := cpuTime()
	for b.Loop() {
		for _, raw := range raws {
			s.JSON(raw)
		}
	}
	reportCPU(b, cpu)
}

// cpuTime is the process's CPU time (user and system), less disturbed than the wall clock by
// other work on a shared machine.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

func reportCPU(b *testing.B, since time.Duration) {
	b.ReportMetric(float64(cpuTime()-since)/float64(b.N)/1e6, "cpu-ms/op")
}

// BenchmarkServe is the whole handler, index and blobs included, with 32 senders at once; each
// iteration stores the batches into a new data directory.
func BenchmarkServe(b *testing.B) {
	bs := load(b)
	b.SetBytes(int64(rawBytes))
	b.ReportAllocs()
	ctx := context.Background()
	var cpu time.Duration
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		dir := b.TempDir()
		db, err := sqlite.Open(ctx, filepath.Join(dir, "index.db"))
		if err != nil {
			b.Fatal(err)
		}
		if err := db.CreateProject(ctx, store.Project{ID: "default", Name: "Default", PublicKey: "pk_test"}); err != nil {
			b.Fatal(err)
		}
		blobs, err := blob.NewLocal(filepath.Join(dir, "blobs"))
		if err != nil {
			b.Fatal(err)
		}
		h := ingest.New(db, blobs, slog.New(slog.DiscardHandler), ingest.Options{PerIP: ingest.RateLimit{PerSecond: -1}, PerKey: ingest.RateLimit{PerSecond: -1}})
		work := make(chan []batch) // a session's batches, sent in order as by one browser
		var wg sync.WaitGroup
		b.StartTimer()
		c := cpuTime()
		for range 32 {
			wg.Go(func() {
				for s := range work {
					for _, x := range s {
						req := httptest.NewRequest(http.MethodPost, "/api/v1/ingest?v=1&key=pk_test"+corpus.SDKQuery, bytes.NewReader(x.body))
						w := httptest.NewRecorder()
						h.ServeHTTP(w, req)
						if w.Code != http.StatusOK {
							b.Errorf("ingest = %d %s", w.Code, w.Body)
						}
					}
				}
			})
		}
		for j := 0; j < len(bs); {
			k := j
			for k < len(bs) && bs[k].session == bs[j].session {
				k++
			}
			work <- bs[j:k]
			j = k
		}
		close(work)
		wg.Wait()
		cpu += cpuTime() - c
		b.StopTimer()
		db.Close()
		os.RemoveAll(dir)
		b.StartTimer()
	}
	b.ReportMetric(float64(cpu)/float64(b.N)/1e6, "cpu-ms/op")
}
