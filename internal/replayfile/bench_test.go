package replayfile

import (
	"bytes"
	"fmt"
	"testing"
)

// BenchmarkRead measures the checking pass of an import: a recording of 20,000 events (a
// full snapshot every 1,000, mouse moves, clicks and mutations between), read token by token
// and every event run through ingest's decoder.
func BenchmarkRead(b *testing.B) {
	var buf bytes.Buffer
	buf.WriteString("[")
	t0 := int64(1764237600000)
	for i := 0; i < 20000; i++ {
		if i > 0 {
			buf.WriteString(",")
		}
		at := t0 + int64(i)*50
		switch {
		case i%1000 == 0:
			fmt.Fprintf(&buf, `{"type":4,"timestamp":%d,"data":{"href":"https://shop.example/p/%d","width":1280,"height":800}}`, at, i)
		case i%1000 == 1:
			fmt.Fprintf(&buf, `{"type":2,"timestamp":%d,"data":{"node":{"type":0,"id":1,"childNodes":[`, at)
			for j := 0; j < 200; j++ {
				if j > 0 {
					buf.WriteString(",")
				}
				fmt.Fprintf(&buf, `{"type":2,"id":%d,"tagName":"div","attributes":{"class":"card c%d"},"childNodes":[{"type":3,"id":%d,"textContent":"Product number %d, canvas tote"}]}`, 10+2*j, j, 11+2*j, j)
			}
			buf.WriteString(`]},"initialOffset":{"left":0,"top":0}}}`)
		case i%7 == 0:
			fmt.Fprintf(&buf, `{"type":3,"timestamp":%d,"data":{"source":2,"type":2,"id":%d,"x":120,"y":40}}`, at, 10+i%400)
		case i%5 == 0:
			fmt.Fprintf(&buf, `{"type":3,"timestamp":%d,"data":{"source":0,"texts":[{"id":11,"value":"x%d"}],"attributes":[],"removes":[],"adds":[]}}`, at, i)
		default:
			fmt.Fprintf(&buf, `{"type":3,"timestamp":%d,"data":{"source":1,"positions":[{"x":%d,"y":40,"id":10,"timeOffset":0},{"x":%d,"y":42,"id":10,"timeOffset":16}]}}`, at, i%900, i%900+3)
		}
	}
	buf.WriteString("]")
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if _, err := Read(bytes.NewReader(data), DefaultLimits(), nil); err != nil {
			b.Fatal(err)
		}
	}
}
