package archive

import (
	"encoding/json"
	"fmt"
	"strings"
	"testing"
)

// BenchmarkCollect reads a page of 20,000 nodes (links, images, styled elements) the way
// compaction hands every session to archiving.
func BenchmarkCollect(b *testing.B) {
	var kids []string
	for i := 0; i < 20000; i++ {
		switch i % 4 {
		case 0:
			kids = append(kids, fmt.Sprintf(`{"type":2,"id":%d,"tagName":"a","attributes":{"href":"https://shop.example/p/%d","class":"card"},"childNodes":[{"type":3,"id":%d,"textContent":"Product %d"}]}`, i+10, i, i+100000, i))
		case 1:
			kids = append(kids, fmt.Sprintf(`{"type":2,"id":%d,"tagName":"img","attributes":{"src":"https://cdn.example/i/%d.png","alt":"x"},"childNodes":[]}`, i+10, i%50))
		case 2:
			kids = append(kids, fmt.Sprintf(`{"type":2,"id":%d,"tagName":"div","attributes":{"style":"background:url(https://cdn.example/bg%d.png)"},"childNodes":[]}`, i+10, i%20))
		default:
			kids = append(kids, fmt.Sprintf(`{"type":2,"id":%d,"tagName":"span","attributes":{},"childNodes":[{"type":3,"id":%d,"textContent":"some text here"}]}`, i+10, i+200000))
		}
	}
	snap := `{"type":2,"timestamp":2,"data":{"node":{"type":0,"id":1,"childNodes":[{"type":2,"id":2,"tagName":"html","attributes":{},"childNodes":[` + strings.Join(kids, ",") + `]}]}}}`
	tabs := [][]json.RawMessage{{json.RawMessage(`{"type":4,"timestamp":1,"data":{"href":"https://shop.example/","width":1,"height":1}}`), json.RawMessage(snap)}}
	b.SetBytes(int64(len(snap)))
	for b.Loop() {
		c := collect(tabs)
		if len(c.refs[kindImage]) != 25 || len(c.refs[kindResource]) != 5 {
			b.Fatalf("refs = %d images, %d resources", len(c.refs[kindImage]), len(c.refs[kindResource]))
		}
	}
}
