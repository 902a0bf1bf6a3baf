package ingest

import (
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
)

func TestSummarizeSearchFields(t *testing.T) {
	custom := func(tag, payload string) json.RawMessage {
		return json.RawMessage(`{"type":5,"timestamp":1,"data":{"tag":"` + tag + `","payload":` + payload + `}}`)
	}
	cases := []struct {
		name   string
		events []json.RawMessage
		check  func(t *testing.T, s Summary)
	}{
		{"errors counted, messages once", []json.RawMessage{
			custom("reel.error", `{"kind":"error","message":"TypeError: x"}`),
			custom("reel.error", `{"kind":"error","message":"TypeError: x"}`),
			custom("reel.error", `{"kind":"unhandledrejection"}`),
		}, func(t *testing.T, s Summary) {
			if s.Errors != 3 || !slices.Equal(s.ErrorMessages, []string{"TypeError: x"}) {
				t.Errorf("errors %d %q", s.Errors, s.ErrorMessages)
			}
		}},
		{"flags: every variant once, scalars only, bounded", append([]json.RawMessage{
			custom("reel.flags", `{"flags":{"checkout":"b","beta":true,"seats":3,"obj":{"x":1},"list":[1],"nul":null,"":"x","empty":""}}`),
			custom("reel.flags", `{"flags":{"checkout":"b"}}`),
			custom("reel.flags", `{"flags":{"checkout":"c","`+strings.Repeat("n", 300)+`":"`+strings.Repeat("v", 300)+`"}}`),
			custom("reel.flags", `{"flags":"not an object"}`),
			custom("reel.flags", `[1,2]`),
		}, manyFlags()...), func(t *testing.T, s Summary) {
			got := []string{}
			for _, f := range s.Flags[:5] {
				got = append(got, f.Name+"="+f.Variant)
			}
			want := []string{"beta=true", "checkout=b", "seats=3", "checkout=c", strings.Repeat("n", maxFlagName) + "=" + strings.Repeat("v", maxFlagName)}
			if !slices.Equal(got, want) {
				t.Errorf("flags = %q, want %q", got, want)
			}
			if len(s.Flags) != maxFlags {
				t.Errorf("%d flags kept from a flood, want %d", len(s.Flags), maxFlags)
			}
		}},
		{"failed requests", []json.RawMessage{
			custom("reel.network", `{"status":200}`),
			custom("reel.network", `{"status":404}`),
			custom("reel.network", `{"status":0,"failure":"net::ERR_FAILED"}`),
			custom("reel.network", `{"status":200,"failure":null}`),
			custom("reel.network", `"not an object"`),
		}, func(t *testing.T, s Summary) {
			if s.Failed != 2 {
				t.Errorf("failed = %d", s.Failed)
			}
		}},
		{"vitals: known names, sane values", []json.RawMessage{
			custom("reel.vitals", `{"name":"LCP","value":2600}`),
			custom("reel.vitals", `{"name":"CLS","value":0.125}`),
			custom("reel.vitals", `{"name":"ttfb","value":0}`),
			custom("reel.vitals", `{"name":"FID","value":10}`),
			custom("reel.vitals", `{"name":"INP","value":-1}`),
			custom("reel.vitals", `{"name":"INP","value":1e300}`),
			custom("reel.vitals", `{"name":"CLS","value":1001}`),
			custom("reel.vitals", `{"name":"FCP","value":"fast"}`),
			custom("reel.vitals", `{"name":"FCP"}`),
			custom("reel.vitals", `{"name":"FCP","value":null}`),
			custom("reel.vitals", `["LCP",1]`),
		}, func(t *testing.T, s Summary) {
			var got []string
			for _, v := range s.Vitals {
				got = append(got, fmt.Sprintf("%s:%s=%g", v.Tab, v.Metric, v.Value))
			}
			if want := []string{"tab_0001:lcp=2600", "tab_0001:cls=0.125", "tab_0001:ttfb=0"}; !slices.Equal(got, want) {
				t.Errorf("vitals %v, want %v", got, want)
			}
		}},
		{"vitals bounded", func() []json.RawMessage {
			var evs []json.RawMessage
			for range 500 {
				evs = append(evs, custom("reel.vitals", `{"name":"INP","value":40}`))
			}
			return evs
		}(), func(t *testing.T, s Summary) {
			if len(s.Vitals) != maxVitals {
				t.Errorf("%d vitals kept, want %d", len(s.Vitals), maxVitals)
			}
		}},
		{"track names lowercased once", []json.RawMessage{
			custom("reel.track", `{"name":"Signup_Clicked"}`),
			custom("reel.track", `{"name":"signup_clicked","props":{"a":1}}`),
			custom("reel.track", `{"name":""}`),
		}, func(t *testing.T, s Summary) {
			if !slices.Equal(s.EventNames, []string{"signup_clicked"}) {
				t.Errorf("names %q", s.EventNames)
			}
		}},
		{"identify traits: scalars, latest wins", []json.RawMessage{
			custom("reel.identify", `{"userId":42,"traits":{"plan":"free","seats":5,"beta":true,"org":{"id":1},"none":null}}`),
			custom("reel.identify", `{"userId":"42","traits":{"plan":"pro"}}`),
		}, func(t *testing.T, s Summary) {
			want := map[string]string{"plan": "pro", "seats": "5", "beta": "true"}
			if s.UserID != "42" || !maps.Equal(s.Traits, want) {
				t.Errorf("user %q traits %v", s.UserID, s.Traits)
			}
		}},
		{"every distinct identify kept, in order, first time", []json.RawMessage{
			json.RawMessage(`{"type":5,"timestamp":1000,"data":{"tag":"reel.identify","payload":{"userId":"alice"}}}`),
			json.RawMessage(`{"type":5,"timestamp":2000,"data":{"tag":"reel.identify","payload":{"userId":"mallory"}}}`),
			json.RawMessage(`{"type":5,"timestamp":3000,"data":{"tag":"reel.identify","payload":{"userId":"alice"}}}`),
			json.RawMessage(`{"type":5,"timestamp":500,"data":{"tag":"reel.identify","payload":{"userId":"mallory"}}}`),
			json.RawMessage(`{"type":5,"timestamp":600,"data":{"tag":"reel.identify","payload":{"userId":""}}}`),
		}, func(t *testing.T, s Summary) {
			var got []string
			for _, u := range s.UserIDs {
				got = append(got, fmt.Sprintf("%s@%d", u.UserID, u.FirstAt.UnixMilli()))
			}
			if s.UserID != "mallory" || !slices.Equal(got, []string{"alice@1000", "mallory@500"}) {
				t.Errorf("current %q, ids %v; want mallory, [alice@1000 mallory@500]", s.UserID, got)
			}
		}},
		{"user ids bounded", func() []json.RawMessage {
			var evs []json.RawMessage
			for i := range 100 {
				evs = append(evs, custom("reel.identify", fmt.Sprintf(`{"userId":"u%d"}`, i)))
			}
			return evs
		}(), func(t *testing.T, s Summary) {
			if len(s.UserIDs) != maxUserIDs || s.UserIDs[0].UserID != "u0" {
				t.Errorf("%d ids, first %+v", len(s.UserIDs), s.UserIDs[0])
			}
		}},
		{"bounded", func() []json.RawMessage {
			var evs []json.RawMessage
			for i := range 300 {
				evs = append(evs, custom("reel.track", `{"name":"`+string(rune('a'+i%26))+string(rune('a'+i/26))+strings.Repeat("n", 200)+`"}`))
			}
			return evs
		}(), func(t *testing.T, s Summary) {
			if len(s.EventNames) != maxNames || len(s.EventNames[0]) != maxNameLength {
				t.Errorf("%d names, first %d bytes", len(s.EventNames), len(s.EventNames[0]))
			}
		}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Summarize(&Batch{Tab: "tab_0001", Events: tc.events})
			if err != nil {
				t.Fatal(err)
			}
			tc.check(t, s)
		})
	}
}

// manyFlags is a page setting a new flag on every event.
func manyFlags() []json.RawMessage {
	var out []json.RawMessage
	for i := range 200 {
		out = append(out, json.RawMessage(fmt.Sprintf(`{"type":5,"timestamp":2,"data":{"tag":"reel.flags","payload":{"flags":{"f%d":"on"}}}}`, i)))
	}
	return out
}
