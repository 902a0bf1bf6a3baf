package api

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"github.com/reelhq/reel/internal/analyze"
	"github.com/reelhq/reel/internal/apierror"
)

// Project settings limits: a project is configured by people, so these are generous but keep
// one request from storing megabytes the SDK would then download on every page view.
const (
	maxSettingsBody   = 64 << 10
	maxOrigins        = 100
	maxRetentionDays  = 3650
	maxSDKConfigBytes = 16 << 10
)

// settingsJSON is what an admin sends to change a project; absent (or null) fields stay as
// they are.
type settingsJSON struct {
	Name           *string          `json:"name"`
	AllowedOrigins *[]string        `json:"allowedOrigins"`
	RetentionDays  *int             `json:"retentionDays"`
	SDKConfig      *json.RawMessage `json:"sdkConfig"`
	Friction       *json.RawMessage `json:"friction"`
}

// UpdateProject changes a project's name, allowed origins, retention, remote SDK
// configuration and friction thresholds (PATCH /api/v1/projects/{project}). Every field is
// checked before any is stored, so a bad one changes nothing.
func (a *API) UpdateProject(w http.ResponseWriter, r *http.Request) error {
	if err := requireAdmin(r); err != nil {
		return err
	}
	ctx := r.Context()
	p, err := a.projectByID(ctx, r.PathValue("project"))
	if err != nil {
		return err
	}
	var in settingsJSON
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxSettingsBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return apierror.New(http.StatusBadRequest, "bad_request", fmt.Sprintf("body must be a JSON object of project settings (at most %d KiB): %v", maxSettingsBody>>10, err))
	}
	if in.Name != nil {
		name := strings.TrimSpace(*in.Name)
		if name == "" || len(name) > 200 {
			return apierror.New(http.StatusBadRequest, "bad_request", "name must be 1-200 characters")
		}
		p.Name = name
	}
	if in.AllowedOrigins != nil {
		origins, err := cleanOrigins(*in.AllowedOrigins)
		if err != nil {
			return apierror.New(http.StatusBadRequest, "bad_request", err.Error())
		}
		p.AllowedOrigins = origins
	}
	if in.RetentionDays != nil {
		if *in.RetentionDays < 0 || *in.RetentionDays > maxRetentionDays {
			return apierror.New(http.StatusBadRequest, "bad_request", fmt.Sprintf("retentionDays must be 0 (keep forever) to %d", maxRetentionDays))
		}
		p.RetentionDays = *in.RetentionDays
	}
	if in.SDKConfig != nil {
		cfg, err := cleanSDKConfig(*in.SDKConfig)
		if err != nil {
			return apierror.New(http.StatusBadRequest, "bad_request", err.Error())
		}
		p.SDKConfig = cfg
	}
	if in.Friction != nil {
		raw := bytes.TrimSpace(*in.Friction)
		if len(raw) == 0 || raw[0] != '{' {
			return apierror.New(http.StatusBadRequest, "bad_request", "friction must be a JSON object of thresholds")
		}
		if _, err := analyze.Defaults.Override(raw); err != nil {
			return apierror.New(http.StatusBadRequest, "bad_request", err.Error())
		}
		var compact bytes.Buffer
		if err := json.Compact(&compact, raw); err != nil {
			return apierror.New(http.StatusBadRequest, "bad_request", "friction must be a JSON object of thresholds")
		}
		p.Friction = compact.Bytes()
	}
	if err := a.index.UpdateProject(ctx, p); err != nil {
		return err
	}
	a.log.Info("project settings changed", "project", p.ID)
	apierror.JSON(w, http.StatusOK, projectOut(p))
	return nil
}

// cleanOrigins checks each allowed origin is scheme://host[:port] and returns them normalised
// (lowercase, no trailing slash), each once.
func cleanOrigins(in []string) ([]string, error) {
	if len(in) > maxOrigins {
		return nil, fmt.Errorf("at most %d allowed origins", maxOrigins)
	}
	out := []string{}
	seen := map[string]bool{}
	for _, o := range in {
		o = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(o)), "/")
		u, err := url.Parse(o)
		if err != nil || len(o) > 300 || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" ||
			u.Path != "" || u.RawQuery != "" || u.Fragment != "" || u.User != nil {
			return nil, fmt.Errorf("allowed origin %q must look like https://shop.example or http://localhost:3000", o)
		}
		if !seen[o] {
			seen[o] = true
			out = append(out, o)
		}
	}
	return out, nil
}

// sdkOptions are the Reel.init options a project may set remotely, with the JSON type each
// must have (sdk/src/index.ts). key, endpoint and remoteConfig are the site's alone.
var sdkOptions = map[string]string{
	"flushIntervalMs": "number", "maxBatchBytes": "number", "checkoutEveryNms": "number",
	"canvasFps": "number", "sampleRate": "number", "minDurationMs": "number",
	"maskAllInputs": "boolean", "maskAllText": "boolean", "recordCanvas": "boolean",
	"console": "boolean", "errors": "boolean", "page": "boolean", "requireConsent": "boolean",
	"maskSelector": "string", "blockSelector": "string",
	"network": "boolean or object",
}

// cleanSDKConfig checks a remote SDK configuration: a JSON object of known options with the
// right types and sane numbers.
func cleanSDKConfig(raw json.RawMessage) (json.RawMessage, error) {
	if len(raw) > maxSDKConfigBytes {
		return nil, fmt.Errorf("sdkConfig must be at most %d KiB", maxSDKConfigBytes>>10)
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
