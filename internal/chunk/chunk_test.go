package chunk

import (
	"bytes"
	"encoding/json"
	"testing"
)

func TestRoundTripKeepsBytes(t *testing.T) {
	events := []json.RawMessage{
		json.RawMessage(`{"type":4,"timestamp":1,"data":{"href":"http://x/"}}`),
		json.RawMessage(`{"type":3, "timestamp":2,"data":{"source":2,"type":2,"x":1e3}}`),
	}
	b, n := Encode(events)
	if n != len(events[0])+len(events[1])+3 {
		t.Fatalf("raw len = %d", n)
	}
	got, err := Decode(b)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 2 || !bytes.Equal(got[0], events[0]) || !bytes.Equal(got[1], events[1]) {
		t.Fatalf("events changed: %s", got)
	}
	arr, _ := DecodeArray(b)
	if string(Inner(arr)) != string(events[0])+","+string(events[1]) {
		t.Fatalf("Inner = %s", Inner(arr))
	}
}

func TestDecodeRejectsGarbage(t *testing.T) {
	for name, in := range map[string][]byte{
		"empty":     nil,
		"not zstd":  []byte("hello world"),
		"truncated": func() []byte { b, _ := Encode([]json.RawMessage{json.RawMessage(`{"a":1}`)}); return b[:len(b)-3] }(),
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := Decode(in); err == nil {
				t.Fatal("Decode succeeded on garbage")
			}
		})
	}
}
