package content

import (
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"
)

// benchText is a stored chunk's events array: snapshots and mutations of a product page with
// an inlined stylesheet and an image in a data URI, repeated over page views.
func benchText() []byte {
	css := strings.Repeat(`.card{display:flex;gap:8px;color:#333}\n.price::before{content:\"$\"}\n`, 60)
	img := "data:image/png;base64," + strings.Repeat("iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk", 40)
	var evs []string
	for v := range 20 {
		var kids []string
		for i := range 60 {
			kids = append(kids, fmt.Sprintf(`{"type":2,"tagName":"div","attributes":{"class":"product card-%d","style":"display:flex;gap:8px"},"childNodes":[{"type":3,"textContent":"Product \"%d\"\n  now only %d.99","id":%d},{"type":2,"tagName":"img","attributes":{"src":"%s"},"childNodes":[],"id":%d}],"id":%d}`,
				i, i, v, 3*i+11, img, 3*i+12, 3*i+10))
		}
		evs = append(evs, fmt.Sprintf(`{"type":2,"timestamp":%d,"data":{"node":{"type":0,"childNodes":[{"type":2,"tagName":"style","attributes":{"_cssText":"%s"},"childNodes":[],"id":3},{"type":2,"tagName":"body","attributes":{},"childNodes":[%s],"id":4}],"id":1},"initialOffset":{"left":0,"top":0}}}`,
			v*1000, css, strings.Join(kids, ",")))
		for m := range 30 {
			evs = append(evs, fmt.Sprintf(`{"type":3,"timestamp":%d,"data":{"source":0,"texts":[{"id":%d,"value":"%d items"}],"attributes":[],"removes":[],"adds":[{"parentId":4,"nextId":null,"node":{"type":3,"textContent":"toast \u00e9 %d","id":%d}}]}}`,
				v*1000+m+1, 11+m, m, m, 9000+m))
		}
	}
	return []byte("[" + strings.Join(evs, ",") + "]")
}

func BenchmarkExternalize(b *testing.B) {
	in := benchText()
	b.SetBytes(int64(len(in)))
	loop(b, func() {
		if _, _, err := Externalize(in, 512); err != nil {
			b.Fatal(err)
		}
	})
}

// BenchmarkRefs is ingest's look for markers in every batch, on text that holds them.
func BenchmarkRefs(b *testing.B) {
	out, _, _ := Externalize(benchText(), 512)
	b.SetBytes(int64(len(out)))
	loop(b, func() {
		if len(Refs(out)) == 0 {
			b.Fatal("no markers")
		}
	})
}

func BenchmarkResolve(b *testing.B) {
	out, taken, _ := Externalize(benchText(), 512)
	lookup := func(h string) ([]byte, error) { return taken[h], nil }
	b.SetBytes(int64(len(out)))
	loop(b, func() {
		if _, err := Resolve(out, lookup); err != nil {
			b.Fatal(err)
		}
	})
}

// loop runs f for the benchmark's iterations and reports the process's CPU time per
// iteration (cpu-ns/op) beside the wall clock: on a shared machine, waiting for a core
// inflates the one and not the other, so a 3% difference can be told from noise.
func loop(b *testing.B, f func()) {
	start := cpuTime()
	for b.Loop() {
		f()
	}
	b.ReportMetric(float64(cpuTime()-start)/float64(b.N), "cpu-ns/op")
}

func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
