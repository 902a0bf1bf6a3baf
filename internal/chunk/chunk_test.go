package chunk

import "testing"

func TestRoundTripKeepsBytes(t *testing.T) {
	arr := []byte(`[{"type":4,"timestamp":1,"data":{"href":"http://x/"}}, {"type":3, "timestamp":2,"data":{"source":2,"type":2,"x":1e3}}]`)
	got, err := DecodeArray(EncodeArray(arr))
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(arr) {
		t.Fatalf("events changed: %s", got)
	}
	if back, err := Decompress(Compress([]byte("anything"))); err != nil || string(back) != "anything" {
		t.Fatalf("Compress round trip = %q, %v", back, err)
	}
}

func TestDecodeRejectsGarbage(t *testing.T) {
	for name, in := range map[string][]byte{
		"empty":        nil,
		"not zstd":     []byte("hello world"),
		"truncated":    func() []byte { b := EncodeArray([]byte(`[{"a":1}]`)); return b[:len(b)-3] }(),
		"not an array": Compress([]byte(`{"a":1}`)),
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := DecodeArray(in); err == nil {
				t.Fatal("DecodeArray succeeded on garbage")
			}
		})
	}
}
