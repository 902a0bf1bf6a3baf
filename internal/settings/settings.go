// Package settings is a project's settings as typed values: its remote SDK configuration, its
// friction thresholds and its server-side scrubber. The index keeps them as JSON (store.Project's SDKConfig and Friction,
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
	"strings"
	"sync"
	"sync/atomic"

	"github.com/reelhq/reel/internal/analyze"
	"github.com/reelhq/reel/internal/scrub"
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
	// Scrub is the project's scrubber settings as set, a compact JSON object ({} when none:
	// everything on); Scrubber is them compiled.
	Scrub    json.RawMessage
	Scrubber *scrub.Scrubber
}

// defaultScrubber is the scrubber of a project that set nothing: every built-in kind on.
var defaultScrubber = func() *scrub.Scrubber {
	s, err := scrub.Compile(scrub.Config{})
	if err != nil {
		panic(err) // the zero Config always compiles
	}
	return s
}()

// Default is the settings of a project that set nothing.
var Default = Settings{SDKConfig: json.RawMessage("{}"), Friction: json.RawMessage("{}"), Thresholds: analyze.Defaults,
	Scrub: json.RawMessage("{}"), Scrubber: defaultScrubber}

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
	if s.Scrub, s.Scrubber, err = parseScrub(p.Scrub); err != nil {
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
	s.Scrub, s.Scrubber = readScrub(log, p)
	return s
}

// Scrubber is p's compiled scrubber, read leniently (a stored setting that no longer compiles
// gives the default scrubber, everything on, never none). Compiled scrubbers are kept per
// settings text, so ingest compiles a project's patterns once per change, not once per batch.
func Scrubber(log *slog.Logger, p store.Project) *scrub.Scrubber {
	_, s := readScrub(log, p)
	return s
}

func readScrub(log *slog.Logger, p store.Project) (json.RawMessage, *scrub.Scrubber) {
	key := string(bytes.TrimSpace(p.Scrub))
	if key == "" || key == "{}" {
		return Default.Scrub, Default.Scrubber
	}
	if c, ok := scrubbers.Load(key); ok {
		c := c.(compiled)
		return c.raw, c.s
	}
	raw, s, err := parseScrub(p.Scrub)
	if err != nil {
		log.Warn("project settings: stored scrubber settings are invalid; using the defaults (everything on)", "project", p.ID, "err", err)
		raw, s = Default.Scrub, Default.Scrubber
	}
	if scrubberCount.Add(1) > maxScrubbers {
		scrubbers.Clear()
		scrubberCount.Store(1)
	}
	scrubbers.Store(key, compiled{raw, s})
	return raw, s
}

// scrubbers caches compiled scrubbers by their settings' stored text, at most maxScrubbers
// (then it starts again: a project's next batch compiles its settings once more).
var (
	scrubbers     sync.Map // string → compiled
	scrubberCount atomic.Int64
)

const maxScrubbers = 10000

type compiled struct {
	raw json.RawMessage
	s   *scrub.Scrubber
}

// parseScrub checks a project's scrubber settings, a JSON object of scrub.Config, and
// returns them compacted and compiled. A pattern that does not compile or costs too much is an
// error naming it.
func parseScrub(raw json.RawMessage) (json.RawMessage, *scrub.Scrubber, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return Default.Scrub, Default.Scrubber, nil
	}
	if len(raw) > MaxSDKConfigBytes {
		return nil, nil, fmt.Errorf("scrub must be at most %d KiB", MaxSDKConfigBytes>>10)
	}
	var c scrub.Config
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if raw[0] != '{' || dec.Decode(&c) != nil || dec.More() {
		return nil, nil, errors.New(`scrub must be a JSON object: {"disabled": bool, "off": [kinds], "patterns": [regular expressions]}`)
	}
	s, err := scrub.Compile(c)
	if err != nil {
		return nil, nil, err
	}
	var compact bytes.Buffer
	_ = json.Compact(&compact, raw) // valid: it decoded
	return compact.Bytes(), s, nil
}

// sdkOptions are the Reel.init options a project may set remotely, with the JSON type each
// must have (sdk/src/index.ts). key, endpoint and remoteConfig are the site's alone.
var sdkOptions = map[string]string{
	"flushIntervalMs": "number", "maxBatchBytes": "number", "checkoutEveryNms": "number",
	"canvasFps": "number", "sampleRate": "number", "minDurationMs": "number",
	"maskAllInputs": "boolean", "maskAllText": "boolean", "recordCanvas": "boolean",
	"maskEmailInputs": "boolean", "maskTelInputs": "boolean", "maskCardInputs": "boolean",
	"maskEditable": `"all" or "typed"`,
	"console":      "boolean", "errors": "boolean", "page": "boolean", "requireConsent": "boolean",
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
			if want == `"all" or "typed"` && (t == "all" || t == "typed") {
				continue
			}
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
		return nil, fmt.Errorf("sdkConfig: %s must be %s", k, article(want))
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

// article puts "a" before a type name ("a boolean"), nothing before a list of values.
func article(want string) string {
	if strings.HasPrefix(want, `"`) {
		return want
	}
	return "a " + want
}
