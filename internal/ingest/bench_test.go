package ingest

import (
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/reelhq/reel/internal/settings"
)

// benchBatch is a batch as the SDK sends it after the delta decode: a page view's Meta, a full
// snapshot of a product page with an inlined stylesheet, then mutations, mouse trails, clicks,
// scrolls, inputs and custom events.
func benchBatch() []byte {
	var evs []string
	add := func(typ, ts int, data string) {
		evs = append(evs, fmt.Sprintf(`{"type":%d,"data":%s,"timestamp":%d}`, typ, data, 1764237600000+ts))
	}
	add(4, 0, `{"href":"https://shop.example/products?page=2","width":1280,"height":720}`)
	css := strings.Repeat(`.card{display:flex;gap:8px;color:#333}\n.price::before{content:\"$\"}\n`, 200)
	var kids []string
	id := 10
	for i := range 400 {
		kids = append(kids, fmt.Sprintf(`{"type":2,"tagName":"div","attributes":{"class":"product card-%d","data-id":"%d","style":"display:flex;gap:8px"},"childNodes":[{"type":2,"tagName":"h2","attributes":{},"childNodes":[{"type":3,"textContent":"Product \"%d\"\n  now only","id":%d}],"id":%d},{"type":2,"tagName":"button","attributes":{"type":"button","aria-label":"Add to cart"},"childNodes":[{"type":3,"textContent":"Add to cart","id":%d}],"id":%d}],"id":%d}`,
			i, i, i, id+1, id+2, id+3, id+4, id))
		id += 5
	}
	head := `{"type":2,"tagName":"head","attributes":{},"childNodes":[{"type":2,"tagName":"style","attributes":{"_cssText":"` + css + `"},"childNodes":[],"id":4}],"id":3}`
	body := `{"type":2,"tagName":"body","attributes":{"class":"page"},"childNodes":[` + strings.Join(kids, ",") + `],"id":5}`
	add(2, 10, `{"node":{"type":0,"childNodes":[{"type":2,"tagName":"html","attributes":{"lang":"en"},"childNodes":[`+head+`,`+body+`],"id":2}],"id":0},"initialOffset":{"left":0,"top":0}}`)
	for i := range 600 {
		ts := 1000 + i*50
		switch i % 7 {
		case 0:
			var pos []string
			for j := range 10 {
				pos = append(pos, fmt.Sprintf(`{"x":%d,"y":%d,"id":%d,"timeOffset":%d}`, 100+j*3, 200+j, 10+j, -j*16))
			}
			add(3, ts, `{"source":1,"positions":[`+strings.Join(pos, ",")+`]}`)
		case 1:
			add(3, ts, fmt.Sprintf(`{"source":2,"type":2,"id":%d,"x":412,"y":%d,"pointerType":0}`, 13+i%400*5, 300+i))
		case 2:
			add(3, ts, fmt.Sprintf(`{"source":3,"id":1,"x":0,"y":%d}`, i*12))
		case 3:
			add(3, ts, fmt.Sprintf(`{"source":5,"text":"search term %d","isChecked":false,"id":9}`, i))
		case 4:
			add(3, ts, fmt.Sprintf(`{"source":0,"texts":[{"id":%d,"value":"%d items in cart"}],"attributes":[{"id":%d,"attributes":{"placeholder":"Search products"}}],"removes":[{"parentId":5,"id":%d}],"adds":[{"parentId":5,"nextId":null,"node":{"type":2,"tagName":"div","attributes":{"class":"toast"},"childNodes":[{"type":3,"textContent":"Added \u00e9 to cart","id":%d}],"id":%d}}]}`,
				11+i%400*5, i, 10+i%400*5, 5000+i-7, 5000+i+100000, 5000+i))
		case 5:
			add(3, ts, `{"source":4,"width":1280,"height":720}`)
		case 6:
			add(5, ts, fmt.Sprintf(`{"tag":"reel.network","payload":{"url":"https://shop.example/api/cart/%d","method":"POST","status":200,"duration":%d}}`, i, i%90))
		}
	}
	return batchJSON("s_session01", "t_tab00001", 3, evs...)
}

// BenchmarkDecodeSummarize is ingest's CPU work on a batch's JSON: validation
// (rrweb.ScanBatch), the summary with on-screen text (rrweb.FastParse, FastIncremental, Text)
// and the content markers (content.Refs).
func BenchmarkDecodeSummarize(b *testing.B) {
	raw := benchBatch()
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	loop(b, func() {
		batch, err := Decode(raw, DefaultLimits)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Summarize(batch); err != nil {
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

// BenchmarkScrub is the scrubber's pass over a batch's JSON text (the default settings, every
// kind on), the work it adds to every batch: the product page of benchBatch, in which it
// finds nothing, and the same with a card number, an email and a token in some of its text
// nodes, where it finds, masks and copies.
func BenchmarkScrub(b *testing.B) {
	clean := benchBatch()
	leaky := []byte(strings.Replace(strings.Replace(strings.Replace(string(clean),
		`Product \"7\"`, `Card 4111 1111 1111 1111`, 1),
		`Product \"8\"`, `Mail jane.doe@example.com`, 1),
		`Product \"9\"`, `Key sk_live_4eC39HqLyjWDarjtT1zdp7dc`, 1))
	s := settings.Default.Scrubber
	for _, tc := range []struct {
		name string
		raw  []byte
	}{{"clean", clean}, {"leaky", leaky}} {
		b.Run(tc.name, func(b *testing.B) {
			b.SetBytes(int64(len(tc.raw)))
			b.ReportAllocs()
			loop(b, func() {
				if _, counts := s.JSON(tc.raw); (counts != nil) != (tc.name == "leaky") {
					b.Fatalf("counts %v", counts)
				}
			})
		})
	}
}
