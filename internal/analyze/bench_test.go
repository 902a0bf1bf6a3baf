package analyze

import (
	"encoding/json"
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"
)

// BenchmarkBuildSnapshot is the one-pass node reader (parse.go) on a product page's full
// snapshot: nested elements with kept and other attributes, text with escapes, a stylesheet.
func BenchmarkBuildSnapshot(b *testing.B) {
	var kids []string
	id := 10
	for i := range 400 {
		kids = append(kids, fmt.Sprintf(`{"type":2,"tagName":"DIV","attributes":{"class":"product card-%d","data-id":"%d","style":"display:flex;gap:8px"},"childNodes":[{"type":2,"tagName":"h2","attributes":{},"childNodes":[{"type":3,"textContent":"Product \"%d\"\n  now only","id":%d}],"id":%d},{"type":2,"tagName":"button","attributes":{"type":"button","aria-label":"Add to cart","disabled":true},"childNodes":[{"type":3,"textContent":"Add to cart","id":%d}],"id":%d}],"id":%d}`,
			i, i, i, id+1, id+2, id+3, id+4, id))
		id += 5
	}
	css := strings.Repeat(`.card{display:flex;gap:8px;color:#333}\n.price::before{content:\"$\"}\n`, 200)
	head := `{"type":2,"tagName":"head","attributes":{},"childNodes":[{"type":2,"tagName":"style","attributes":{"_cssText":"` + css + `"},"childNodes":[],"id":4}],"id":3}`
	body := `{"type":2,"tagName":"body","attributes":{"class":"page"},"childNodes":[` + strings.Join(kids, ",") + `],"id":5}`
	snap := `{"type":2,"timestamp":1764237600010,"data":{"node":{"type":0,"childNodes":[{"type":1,"name":"html","publicId":"","systemId":"","id":1},{"type":2,"tagName":"html","attributes":{"lang":"en"},"childNodes":[` + head + `,` + body + `],"id":2}],"id":0},"initialOffset":{"left":0,"top":0}}}`
	events := []json.RawMessage{json.RawMessage(snap)}
	b.SetBytes(int64(len(snap)))
	b.ReportAllocs()
	loop(b, func() {
		if t := Build(events); len(t.nodes) != 2006 {
			b.Fatalf("read %d nodes", len(t.nodes))
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
