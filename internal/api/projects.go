package api

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/reelhq/reel/internal/analyze"
	"github.com/reelhq/reel/internal/apierror"
	"github.com/reelhq/reel/internal/audit"
	"github.com/reelhq/reel/internal/settings"
	"github.com/reelhq/reel/internal/store"
)

// projectIndex reads and changes projects and their settings.
type projectIndex interface {
	Projects(ctx context.Context) ([]store.Project, error)
	Project(ctx context.Context, id string) (store.Project, error)
	UpdateProject(ctx context.Context, p store.Project) error
	CreateProject(ctx context.Context, p store.Project) error
	RotateKey(ctx context.Context, id, newKey string, graceUntil time.Time) (store.Project, error)
}

type projectJSON struct {
	ID             string          `json:"id"`
	Name           string          `json:"name"`
	PublicKey      string          `json:"publicKey"`
	AllowedOrigins []string        `json:"allowedOrigins"`
	CreatedAt      time.Time       `json:"createdAt"`
	RetentionDays  int             `json:"retentionDays"`
	SDKConfig      json.RawMessage `json:"sdkConfig"`
	// Friction holds the project's overrides; Thresholds what the detectors use (the
	// defaults with the overrides applied), Defaults the defaults, so a settings page can show
	// all three.
	Friction   json.RawMessage    `json:"friction"`
	Thresholds analyze.Thresholds `json:"thresholds"`
	Defaults   analyze.Thresholds `json:"defaults"`
	// Scrub is the project's server-side scrubber settings ({} when none: every kind on).
	Scrub json.RawMessage `json:"scrub"`
	// PreviousKey is the key a rotation replaced, while it still ingests (until
	// PreviousKeyExpiresAt); absent otherwise.
	PreviousKey          string     `json:"previousKey,omitempty"`
	PreviousKeyExpiresAt *time.Time `json:"previousKeyExpiresAt,omitempty"`
}

func (a *API) projectOut(p store.Project) projectJSON {
	origins := p.AllowedOrigins
	if origins == nil {
		origins = []string{}
	}
	s := settings.Read(a.log, p)
	j := projectJSON{ID: p.ID, Name: p.Name, PublicKey: p.PublicKey, AllowedOrigins: origins, CreatedAt: p.CreatedAt,
		RetentionDays: p.RetentionDays, SDKConfig: s.SDKConfig, Friction: s.Friction, Thresholds: s.Thresholds, Defaults: analyze.Defaults,
		Scrub: s.Scrub}
	if p.PreviousKey != "" && p.KeyValid(p.PreviousKey, a.now()) {
		until := p.PreviousKeyUntil
		j.PreviousKey, j.PreviousKeyExpiresAt = p.PreviousKey, &until
	}
	return j
}

// Projects lists projects with their settings.
func (a *API) Projects(w http.ResponseWriter, r *http.Request) error {
	ps, err := a.projects.Projects(r.Context())
	if err != nil {
		return err
	}
	out := make([]projectJSON, 0, len(ps))
	for _, p := range ps {
		if !sees(r.Context(), p.ID) {
			continue
		}
		out = append(out, a.projectOut(p))
	}
	apierror.JSON(w, http.StatusOK, map[string]any{"projects": out})
	return nil
}

func (a *API) projectByID(ctx context.Context, id string) (store.Project, error) {
	p, err := a.projects.Project(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !sees(ctx, id)) {
		return store.Project{}, errProjectNotFound
	}
	return p, err
}

// Project settings limits: a project is configured by people, so these are generous but keep
// one request from storing megabytes the SDK would then download on every page view.
const (
	maxSettingsBody  = 64 << 10
	maxOrigins       = 100
	maxRetentionDays = 3650
)

// settingsJSON is what an admin sends to change a project; absent (or null) fields stay as
// they are.
type settingsJSON struct {
	Name           *string          `json:"name"`
	AllowedOrigins *[]string        `json:"allowedOrigins"`
	RetentionDays  *int             `json:"retentionDays"`
	SDKConfig      *json.RawMessage `json:"sdkConfig"`
	Friction       *json.RawMessage `json:"friction"`
	Scrub          *json.RawMessage `json:"scrub"`
}

// UpdateProject changes a project's name, allowed origins, retention, remote SDK
// configuration, friction thresholds and scrubber settings (PATCH /api/v1/projects/{project}). Every field is
// checked before any is stored, so a bad one changes nothing.
func (a *API) UpdateProject(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	p, err := a.projectByID(ctx, r.PathValue("project"))
	if err != nil {
		return err
	}
	before := p
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
	if in.SDKConfig != nil || in.Friction != nil || in.Scrub != nil {
		// Only what is being set is checked: a setting left as it is was checked when set.
		var set store.Project
		if in.SDKConfig != nil {
			set.SDKConfig = *in.SDKConfig
		}
		if in.Friction != nil {
			set.Friction = *in.Friction
		}
		if in.Scrub != nil {
			set.Scrub = *in.Scrub
		}
		s, err := settings.Parse(set)
		if err != nil {
			return apierror.New(http.StatusBadRequest, "bad_request", err.Error())
		}
		if in.SDKConfig != nil {
			p.SDKConfig = s.SDKConfig
		}
		if in.Friction != nil {
			p.Friction = s.Friction
		}
		if in.Scrub != nil {
			p.Scrub = s.Scrub
		}
	}
	if err := a.projects.UpdateProject(ctx, p); err != nil {
		return err
	}
	a.audit.Record(r.Context(), r, audit.ProjectUpdate, p.ID, p.ID, map[string]any{"changed": changedSettings(before, p)})
	a.log.Info("project settings changed", "project", p.ID)
	apierror.JSON(w, http.StatusOK, a.projectOut(p))
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

// changedSettings names the settings an update changed, for the audit log (values stay out:
// an SDK configuration may be long).
func changedSettings(before, after store.Project) []string {
	out := []string{}
	if before.Name != after.Name {
		out = append(out, "name")
	}
	if !slices.Equal(before.AllowedOrigins, after.AllowedOrigins) {
		out = append(out, "allowedOrigins")
	}
	if before.RetentionDays != after.RetentionDays {
		out = append(out, "retentionDays")
	}
	if !bytes.Equal(before.SDKConfig, after.SDKConfig) {
		out = append(out, "sdkConfig")
	}
	if !bytes.Equal(before.Friction, after.Friction) {
		out = append(out, "friction")
	}
	if !bytes.Equal(before.Scrub, after.Scrub) {
		out = append(out, "scrub")
	}
	return out
}
