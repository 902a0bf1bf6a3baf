package settings

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"

	"github.com/reelhq/reel/internal/analyze"
	"github.com/reelhq/reel/internal/store"
)

func TestParse(t *testing.T) {
	rage := analyze.Defaults
	rage.RageClicks = 5
	for _, tc := range []struct {
		name               string
		sdk, friction      string
		wantSDK, wantFrict string
		want               analyze.Thresholds
		err                string
	}{
		{name: "unset", wantSDK: `{}`, wantFrict: `{}`, want: analyze.Defaults},
		{name: "set, compacted", sdk: `{ "sampleRate": 0.5, "network": {"body": false} }`, friction: ` { "rageClicks": 5 } `,
			wantSDK: `{"sampleRate":0.5,"network":{"body":false}}`, wantFrict: `{"rageClicks":5}`, want: rage},
		{name: "sdk not an object", sdk: `[]`, err: "sdkConfig must be a JSON object"},
		{name: "sdk unknown option", sdk: `{"endpoint":"x"}`, err: `"endpoint" is not an option`},
		{name: "sdk wrong type", sdk: `{"maskAllText":"yes"}`, err: "maskAllText must be a boolean"},
		{name: "privacy signals off", sdk: `{"privacySignals": false}`, wantSDK: `{"privacySignals":false}`, wantFrict: `{}`, want: analyze.Defaults},
		{name: "privacy signals wrong type", sdk: `{"privacySignals":"no"}`, err: "privacySignals must be a boolean"},
		{name: "sdk sample rate", sdk: `{"sampleRate":2}`, err: "sampleRate must be between 0 and 1"},
		{name: "sdk too big", sdk: `{"maskSelector":"` + strings.Repeat("a", MaxSDKConfigBytes) + `"}`, err: "at most 16 KiB"},
		{name: "friction not an object", friction: `3`, err: "friction must be a JSON object"},
		{name: "friction unknown key", friction: `{"rage":3}`, err: "unknown field"},
		{name: "friction out of range", friction: `{"rageClicks":1}`, err: "rageClicks must be between"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Parse(store.Project{SDKConfig: json.RawMessage(tc.sdk), Friction: json.RawMessage(tc.friction)})
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("Parse error = %v, want one containing %q", err, tc.err)
				}
				return
			}
			if err != nil || string(s.SDKConfig) != tc.wantSDK || string(s.Friction) != tc.wantFrict || s.Thresholds != tc.want {
				t.Fatalf("Parse = %s %s %+v, %v", s.SDKConfig, s.Friction, s.Thresholds, err)
			}
		})
	}
}

func TestReadIsLenientPerSetting(t *testing.T) {
	var logs bytes.Buffer
	log := slog.New(slog.NewTextHandler(&logs, nil))
	s := Read(log, store.Project{ID: "p1", SDKConfig: json.RawMessage(`{"sampleRate":0.1}`), Friction: json.RawMessage(`{"rageClicks":"many"}`)})
	if string(s.SDKConfig) != `{"sampleRate":0.1}` || string(s.Friction) != `{}` || s.Thresholds != analyze.Defaults {
		t.Fatalf("Read = %s %s %+v; want the good setting kept and the bad one unset", s.SDKConfig, s.Friction, s.Thresholds)
	}
	if !strings.Contains(logs.String(), "friction") || !strings.Contains(logs.String(), "project=p1") {
		t.Fatalf("no warning naming the setting and project: %s", logs.String())
	}
	logs.Reset()
	s = Read(log, store.Project{ID: "p2", SDKConfig: json.RawMessage(`not json`)})
	if string(s.SDKConfig) != `{}` || !strings.Contains(logs.String(), "sdkConfig") {
		t.Fatalf("Read = %s, log %q", s.SDKConfig, logs.String())
	}
}
