package rrweb

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestScanBatch(t *testing.T) {
	in := `{"session":"s_1","seq":3,"events":[{"type":4,"data":{"href":"x\"y"},"timestamp":17},{"type":3,"timestamp":1.5e3,"data":{"source":2}}],"meta":{}}`
	env, err := ScanBatch([]byte(in), 64, 100, 0)
	if err != nil {
		t.Fatal(err)
	}
	if string(env.Fields[`"session"`]) != `"s_1"` || string(env.Fields[`"seq"`]) != "3" || len(env.Events) != 2 {
		t.Fatalf("envelope = %+v", env)
	}
	for i := range env.Events {
		if err := env.Events[i].Check(); err != nil {
			t.Fatal(err)
		}
	}
	if env.Events[1].Timestamp != 1500 || env.Events[0].Type != Meta || string(env.Events[0].Data) != `{"href":"x\"y"}` {
		t.Fatalf("events = %+v", env.Events)
	}
	for name, bad := range map[string]string{
		"trailing comma":   `{"events":[1,]}`,
		"bad escape":       `{"a":"\q"}`,
		"control char":     "{\"a\":\"\x01\"}",
		"leading zero":     `{"a":01}`,
		"trailing garbage": `{"a":1}x`,
		"unterminated":     `{"a":"b`,
		"bare word":        `{"a":tru}`,
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := ScanBatch([]byte(bad), 64, 100, 0); !errors.Is(err, ErrSyntax) {
				t.Fatalf("err = %v, want ErrSyntax", err)
			}
		})
	}
	if _, err := ScanBatch([]byte(`{"a":"`+strings.Repeat("x", 100)+`"}`), 64, 100, 50); !errors.Is(err, ErrTooLong) {
		t.Fatalf("long string: %v", err)
	}
	if _, err := ScanBatch([]byte(`{"events":[`+strings.Repeat("[", 100)+strings.Repeat("]", 100)+`]}`), 64, 100, 0); !errors.Is(err, ErrTooDeep) {
		t.Fatalf("deep: %v", err)
	}
}

// FuzzScanMatchesEncodingJSON checks the hand-written validator against encoding/json.
func FuzzScanMatchesEncodingJSON(f *testing.F) {
	for _, s := range []string{`{"events":[{"type":1,"timestamp":2,"data":{}}]}`, `[1,2]`, `{"a":"\u00e9\n"}`, `-0.5e-3`, `{"a":[true,false,null]}`, `"\ud800"`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		_, err := ScanBatch([]byte(in), 200, 1000, 0)
		want := json.Valid([]byte(in))
		if errors.Is(err, ErrTooDeep) {
			return
		}
		if (err == nil) != want {
			t.Fatalf("ScanBatch(%q) err = %v, json.Valid = %v", in, err, want)
		}
	})
}

func TestFastIncremental(t *testing.T) {
	for _, c := range []struct {
		data  string
		want  IncrementalHeader
		click bool
	}{
		{`{"source":0,"texts":[],"adds":[{"parentId":1,"node":{"type":3,"textContent":"x","id":2}}]}`, IncrementalHeader{Source: SourceMutation, Type: -1, Width: -1, Height: -1}, false},
		{`{"source":2,"type":2,"id":5,"x":1,"y":2}`, IncrementalHeader{Source: SourceMouseInteraction, Type: 2, Width: -1, Height: -1}, true},
		{`{"type":2,"id":5,"source":2}`, IncrementalHeader{Source: SourceMouseInteraction, Type: 2, Width: -1, Height: -1}, true},
		{`{"source":2,"id":5,"type":1}`, IncrementalHeader{Source: SourceMouseInteraction, Type: 1, Width: -1, Height: -1}, false},
		{`{"source":4,"width":800,"height":600}`, IncrementalHeader{Source: SourceViewportResize, Type: -1, Width: 800, Height: 600}, false},
		{` { "source" : 1 , "positions" : [ ] } `, IncrementalHeader{Source: SourceMouseMove, Type: -1, Width: -1, Height: -1}, false},
	} {
		h, err := FastIncremental([]byte(c.data))
		if err != nil || h != c.want || h.IsClick() != c.click {
			t.Errorf("FastIncremental(%s) = %+v, %v; want %+v", c.data, h, err, c.want)
		}
	}
	for _, bad := range []string{`{"id":5}`, `[1]`, `{}`} {
		if _, err := FastIncremental([]byte(bad)); !errors.Is(err, ErrInvalid) {
			t.Errorf("FastIncremental(%s) = %v, want ErrInvalid", bad, err)
		}
	}
}
