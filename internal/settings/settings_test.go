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
		{name: "masking choices", sdk: `{"maskEditable":"typed","maskEmailInputs":false,"maskTelInputs":false,"maskCardInputs":false}`,
			wantSDK: `{"maskEditable":"typed","maskEmailInputs":false,"maskTelInputs":false,"maskCardInputs":false}`, wantFrict: `{}`, want: analyze.Defaults},
		{name: "mask editable unknown", sdk: `{"maskEditable":"none"}`, err: `maskEditable must be "all" or "typed"`},
		{name: "mask editable wrong type", sdk: `{"maskEditable":true}`, err: `maskEditable must be "all" or "typed"`},
		{name: "mask card wrong type", sdk: `{"maskCardInputs":0}`, err: "maskCardInputs must be a boolean"},
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

func TestScrubSettings(t *testing.T) {
	for _, tc := range []struct {
		name, set, want, err string
	}{
		{name: "unset", want: `{}`},
		{name: "set, compacted", set: ` { "off": ["phone"], "patterns": ["ORD-[0-9]{6}"] } `, want: `{"off":["phone"],"patterns":["ORD-[0-9]{6}"]}`},
		{name: "off", set: `{"disabled":true}`, want: `{"disabled":true}`},
		{name: "not an object", set: `[]`, err: "scrub must be a JSON object"},
		{name: "unknown field", set: `{"kinds":[]}`, err: "scrub must be a JSON object"},
		{name: "bad pattern", set: `{"patterns":["a(b"]}`, err: `pattern 1 "a(b": is not a valid regular expression`},
		{name: "costly pattern", set: `{"patterns":["[a-z]{1,900}[0-9]{1,900}"]}`, err: `is too costly`},
		{name: "unknown kind", set: `{"off":["ssn"]}`, err: `"ssn" is not a kind`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, err := Parse(store.Project{Scrub: json.RawMessage(tc.set)})
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("Parse: %v, want %q", err, tc.err)
				}
				// Read is lenient: the stored setting counts as unset, and the scrubber is the
				// default one, everything on, not none.
				var logs bytes.Buffer
				got := Read(slog.New(slog.NewTextHandler(&logs, nil)), store.Project{ID: "p", Scrub: json.RawMessage(tc.set)})
				if string(got.Scrub) != "{}" || !strings.Contains(logs.String(), "scrubber settings are invalid") {
					t.Fatalf("Read = %s, logs %q", got.Scrub, logs.String())
				}
				if out, _ := got.Scrubber.String("jane@example.com"); out == "jane@example.com" {
					t.Fatal("the fallback scrubber scrubs nothing")
				}
				return
			}
			if err != nil || string(s.Scrub) != tc.want {
				t.Fatalf("Parse = %s, %v; want %s", s.Scrub, err, tc.want)
			}
		})
	}
}

// TestScrubberCached: the compiled scrubber is reused while the settings' text is the same, and
// a change of settings gives a new one at once.
func TestScrubberCached(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	p := store.Project{ID: "p", Scrub: json.RawMessage(`{"patterns":["ORD-[0-9]+"]}`)}
	a, b := Scrubber(log, p), Scrubber(log, p)
	if a != b {
		t.Fatal("the same settings compiled twice")
	}
	if out, _ := a.String("ORD-12"); out != "██████" {
		t.Fatalf("String = %q", out)
	}
	p.Scrub = json.RawMessage(`{"patterns":["ORD-[0-9]+"],"disabled":true}`)
	if c := Scrubber(log, p); c == a || c.On() {
		t.Fatal("changed settings kept the old scrubber")
	}
	if Scrubber(log, store.Project{}) != Default.Scrubber {
		t.Fatal("a project without settings does not get the default scrubber")
	}
}
