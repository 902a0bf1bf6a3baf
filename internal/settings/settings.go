// Package settings is a project's settings as typed values: its remote SDK configuration and its
// friction thresholds. The index keeps them as JSON (store.Project's SDKConfig and Friction,
// whatever the backend); this package is the one place that reads that JSON, with one policy.
// A value being set is checked strictly (Parse: the API refuses a bad one with a 400), so what is
// stored was valid when it was stored; a value read back is read leniently (Read: a setting that
// no longer parses, say after a downgrade, counts as unset, with a warning), so one bad setting
// never stops ingest, analysis or the settings page.
package settings

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"

	"github.com/reelhq/reel/internal/analyze"
	"github.com/reelhq/reel/internal/store"
)

// MaxSDKConfigBytes bounds a project's remote SDK configuration, which the SDK downloads on every
// page view.
const MaxSDKConfigBytes = 16 << 10

// Settings are a project's settings, parsed.
type Settings struct {
	// SDKConfig is the project's remote Reel.init options, a compact JSON object ({} when none),
	// served to the SDK as it is.
	SDKConfig json.RawMessage
	// Friction is the project's threshold overrides as set, a compact JSON object ({} when
	// none); Thresholds are what the detectors use: analyze.Defaults with Friction applied.
	Friction   json.RawMessage
	Thresholds analyze.Thresholds
}

// Default is the settings of a project that set nothing.
var Default = Settings{SDKConfig: json.RawMessage("{}"), Friction: json.RawMessage("{}"), Thresholds: analyze.Defaults}

// Parse reads p's settings strictly: the first setting that is not valid is an error naming it,
// fit to show to the admin who set it. An empty setting is unset.
func Parse(p store.Project) (Settings, error) {
	s := Default
	var err error
	if s.SDKConfig, err = parseSDKConfig(p.SDKConfig); err != nil {
		return Default, err
	}
	if s.Friction, s.Thresholds, err = parseFriction(p.Friction); err != nil {
		return Default, err
	}
	return s, nil
}

// Read reads p's settings leniently: a setting that does not parse is logged and counts as
// unset, the others keep their values.
func Read(log *slog.Logger, p store.Project) Settings {
	s := Default
	if cfg, err := parseSDKConfig(p.SDKConfig); err != nil {
		log.Warn("project settings: stored sdkConfig is invalid; serving none", "project", p.ID, "err", err)
	} else {
		s.SDKConfig = cfg
	}
	if raw, th, err := parseFriction(p.Friction); err != nil {
		log.Warn("project settings: stored friction thresholds are invalid; using the defaults", "project", p.ID, "err", err)
	} else {
		s.Friction, s.Thresholds = raw, th
	}
	return s
}

// sdkOptions are the Reel.init options a project may set remotely, with the JSON type each
// must have (sdk/src/index.ts). key, endpoint and remoteConfig are the site's alone.
var sdkOptions = map[string]string{
	"flushIntervalMs": "number", "maxBatchBytes": "number", "checkoutEveryNms": "number",
	"canvasFps": "number", "sampleRate": "number", "minDurationMs": "number",
	"maskAllInputs": "boolean", "maskAllText": "boolean", "recordCanvas": "boolean",
	"console": "boolean", "errors": "boolean", "page": "boolean", "requireConsent": "boolean",
	"privacySignals": "boolean", "maskSelector": "string", "blockSelector": "string",
	"network": "boolean or object",
}

// parseSDKConfig checks a remote SDK configuration: a JSON object of known options with the
// right types and sane numbers. It returns it compacted.
func parseSDKConfig(raw json.RawMessage) (json.RawMessage, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return Default.SDKConfig, nil
	}
	if len(raw) > MaxSDKConfigBytes {
		return nil, fmt.Errorf("sdkConfig must be at most %d KiB", MaxSDKConfigBytes>>10)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil || m == nil {
		return nil, errors.New("sdkConfig must be a JSON object of Reel.init options")
	}
	for k, v := range m {
		want, ok := sdkOptions[k]
		if !ok {
			return nil, fmt.Errorf("sdkConfig: %q is not an option the server may set", k)
		}
		var x any
		_ = json.Unmarshal(v, &x) // v is a valid JSON value: m decoded
		switch t := x.(type) {
		case float64:
			if want != "number" {
				break
			}
			if k == "sampleRate" && (t < 0 || t > 1) {
				return nil, errors.New("sdkConfig: sampleRate must be between 0 and 1")
			}
			if t < 0 || t > 1e9 {
				return nil, fmt.Errorf("sdkConfig: %s must be between 0 and 1e9", k)
			}
			continue
		case bool:
			if want == "boolean" || want == "boolean or object" {
				continue
			}
		case string:
			if want == "string" {
				if len(t) > 2048 {
					return nil, fmt.Errorf("sdkConfig: %s must be at most 2048 characters", k)
				}
				continue
			}
		case map[string]any:
			if want == "boolean or object" {
				continue
			}
		}
		return nil, fmt.Errorf("sdkConfig: %s must be a %s", k, want)
	}
	var compact bytes.Buffer
	_ = json.Compact(&compact, raw) // valid: it decoded
	return compact.Bytes(), nil
}

// parseFriction checks a project's threshold overrides, a JSON object of thresholds, and
// returns them compacted with the thresholds they make.
func parseFriction(raw json.RawMessage) (json.RawMessage, analyze.Thresholds, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return Default.Friction, analyze.Defaults, nil
	}
	bad := errors.New("friction must be a JSON object of thresholds")
	if raw[0] != '{' {
		return nil, analyze.Defaults, bad
	}
	th, err := analyze.Defaults.Override(raw)
	if err != nil {
		return nil, analyze.Defaults, err
	}
	var compact bytes.Buffer
	if err := json.Compact(&compact, raw); err != nil {
		return nil, analyze.Defaults, bad
	}
	return compact.Bytes(), th, nil
}
