package rrweb

import (
	"fmt"
	"strings"
	"syscall"
	"testing"
	"time"
)

// benchEvents is a synthetic page view shaped like a recorded one: a Meta event, a full
// snapshot of a product page (nested elements with classes and styles, text with escapes, an
// inlined stylesheet), then mutations, mouse trails, clicks, scrolls and inputs. Each event is
// valid JSON as ingest validated it.
func benchEvents() [][]byte {
	var evs [][]byte
	add := func(typ, ts int, data string) {
		evs = append(evs, fmt.Appendf(nil, `{"type":%d,"data":%s,"timestamp":%d}`, typ, data, 1764237600000+ts))
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
	add(2, 10, `{"node":{"type":0,"childNodes":[{"type":1,"name":"html","publicId":"","systemId":"","id":1},{"type":2,"tagName":"html","attributes":{"lang":"en"},"childNodes":[`+head+`,`+body+`],"id":2}],"id":0},"initialOffset":{"left":0,"top":0}}`)
	for i := range 300 {
		ts := 1000 + i*50
		switch i % 6 {
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
			add(3, ts, fmt.Sprintf(`{"source":0,"texts":[{"id":%d,"value":"%d items in cart"}],"attributes":[{"id":%d,"attributes":{"class":"product card active","style":{"opacity":"0.5"}}}],"removes":[{"parentId":5,"id":%d}],"adds":[{"parentId":5,"nextId":null,"node":{"type":2,"tagName":"div","attributes":{"class":"toast"},"childNodes":[{"type":3,"textContent":"Added \u00e9 to cart","id":%d}],"id":%d}}]}`,
				11+i%400*5, i, 10+i%400*5, 5000+i-6, 5000+i+100000, 5000+i))
		case 5:
			add(3, ts, `{"source":4,"width":1280,"height":720}`)
		}
	}
	return evs
}

func benchBatch(evs [][]byte) []byte {
	parts := make([]string, len(evs))
	for i, e := range evs {
		parts[i] = string(e)
	}
	return []byte(`{"session":"s_bench0001","tab":"t_bench0001","seq":3,"sentAt":1764237603000,"meta":{"sdk":"reel-js/1.4.0","userAgent":"Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0"},"events":[` + strings.Join(parts, ",") + `]}`)
}

func BenchmarkScanBatch(b *testing.B) {
	raw := benchBatch(benchEvents())
	b.SetBytes(int64(len(raw)))
	loop(b, func() {
		if _, err := ScanBatch(raw, 512, 20000, 0); err != nil {
			b.Fatal(err)
		}
	})
}

func BenchmarkFastParse(b *testing.B) {
	evs := benchEvents()
	n := 0
	for _, e := range evs {
		n += len(e)
	}
	b.SetBytes(int64(n))
	loop(b, func() {
		for _, e := range evs {
			if _, err := FastParse(e); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkFastIncremental(b *testing.B) {
	var datas [][]byte
	for _, e := range benchEvents() {
		if ev, _ := FastParse(e); ev.Type == IncrementalSnapshot {
			datas = append(datas, ev.Data)
		}
	}
	loop(b, func() {
		for _, d := range datas {
			if _, err := FastIncremental(d); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkElements(b *testing.B) {
	env, _ := ScanBatch(benchBatch(benchEvents()), 512, 20000, 0)
	b.SetBytes(int64(len(env.EventsRaw)))
	loop(b, func() {
		Elements(env.EventsRaw, 1<<30)
	})
}

func BenchmarkTextMutation(b *testing.B) {
	var datas [][]byte
	for _, e := range benchEvents() {
		if ev, _ := FastParse(e); ev.Type == IncrementalSnapshot {
			if h, _ := FastIncremental(ev.Data); h.Source == SourceMutation {
				datas = append(datas, ev.Data)
			}
		}
	}
	loop(b, func() {
		x := &Text{Max: 1 << 16}
		for _, d := range datas {
			x.Mutation(d)
		}
	})
}

// BenchmarkGone is a seek's pruning over the page view: the snapshot and the mutations'
// adds and removes read, then the events rewritten.
func BenchmarkGone(b *testing.B) {
	evs := benchEvents()
	if _, n := Gone(evs); n == 0 {
		b.Fatal("nothing pruned: the benchmark would not rewrite")
	}
	loop(b, func() {
		Gone(evs)
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
