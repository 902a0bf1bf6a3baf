package rrweb

import (
	"encoding/json"
	"reflect"
	"testing"
)

// Events reads what Elements and FastParse read, element by element, leaving out what is not
// an event.
func TestEventsMatchesElementsAndFastParse(t *testing.T) {
	for _, arr := range []string{
		`[]`,
		` [ {"type":4,"timestamp":1,"data":{"href":"http://x/","width":1,"height":2}} , {"type":3,"timestamp":2.0,"data":{"source":1,"positions":[{"x":1,"y":"}]"}]},"extra":[1,{"a":"b"}]} ]`,
		`[{"type":9,"timestamp":1,"data":{}},1,"x",{"timestamp":3,"data":{}},{"type":5,"timestamp":4,"data":{"tag":"a\"b","payload":{}}},null,[{"type":2}]]`,
	} {
		want := []Event{}
		for _, raw := range Elements([]byte(arr), 1<<30) {
			if ev, err := FastParse(raw); err == nil {
				want = append(want, ev)
			}
		}
		got := append([]Event{}, Events([]byte(arr))...)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s\nEvents: %+v\nElements+FastParse: %+v", arr, got, want)
		}
	}
}

func FuzzEvents(f *testing.F) {
	f.Add(`[{"type":3,"timestamp":2,"data":{"source":1}},{"type":2,"timestamp":1,"data":{}}]`)
	f.Add(`[1,[],{"data":{}}]`)
	f.Fuzz(func(t *testing.T, arr string) {
		var probe []json.RawMessage
		if json.Unmarshal([]byte(arr), &probe) != nil {
			return // Events reads validated arrays only
		}
		want := []Event{}
		for _, raw := range Elements([]byte(arr), 1<<30) {
			if ev, err := FastParse(raw); err == nil {
				want = append(want, ev)
			}
		}
		got := append([]Event{}, Events([]byte(arr))...)
		if !reflect.DeepEqual(got, want) {
			t.Fatalf("%s\nEvents: %+v\nElements+FastParse: %+v", arr, got, want)
		}
	})
}
