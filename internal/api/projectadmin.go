package api

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/reelhq/reel/internal/apierror"
	"github.com/reelhq/reel/internal/audit"
	"github.com/reelhq/reel/internal/auth"
	"github.com/reelhq/reel/internal/lifecycle"
	"github.com/reelhq/reel/internal/setup"
	"github.com/reelhq/reel/internal/store"
)

// Limits of project administration.
const (
	maxProjectBody = 4 << 10
	maxProjectID   = 40
	// maxGraceHours bounds how long a replaced key keeps ingesting: long enough to redeploy a
	// site, short enough that a leaked key stops working within a month.
	maxGraceHours     = 720
	defaultGraceHours = 24
)

// newPublicKey is a fresh public ingest key, as setup makes the default project's.
func newPublicKey() string { return "pk_" + auth.RandomToken(18) }

// CreateProject adds a project (POST /api/v1/projects; admins and owners, by the route table): {"name": "Shop"} gets an id
// made from the name ("shop", "shop-2" when taken), a fresh public key and the default
// retention.
func (a *API) CreateProject(w http.ResponseWriter, r *http.Request) error {
	var in struct {
		Name *string `json:"name"`
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxProjectBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil || in.Name == nil {
		return apierror.New(http.StatusBadRequest, "bad_request", fmt.Sprintf(`body must be {"name": "…"} (at most %d KiB)`, maxProjectBody>>10))
	}
	name := strings.TrimSpace(*in.Name)
	if name == "" || len(name) > 200 || strings.ContainsFunc(name, isControl) {
		return apierror.New(http.StatusBadRequest, "bad_request", "name must be 1-200 characters without control characters")
	}
	ctx := r.Context()
	base := slug(name)
	for n := 1; n <= 100; n++ {
		id := base
		if n > 1 {
			id = base + "-" + strconv.Itoa(n)
		}
		p := store.Project{ID: id, Name: name, PublicKey: newPublicKey(), CreatedAt: a.now().UTC(), RetentionDays: setup.DefaultRetentionDays}
		err := a.projects.CreateProject(ctx, p)
		if errors.Is(err, store.ErrDuplicate) {
			continue // the id is taken (a key clash is 2^-144)
		}
		if err != nil {
			return err
		}
		a.log.Info("project created", "project", id)
		a.audit.Record(r.Context(), r, audit.ProjectCreate, id, id, map[string]any{"name": p.Name})
		apierror.JSON(w, http.StatusCreated, a.projectOut(p))
		return nil
	}
	return apierror.New(http.StatusConflict, "limit_reached", "too many projects named like this; choose another name")
}

func isControl(r rune) bool { return r < 0x20 || r == 0x7f }

// slug makes a project id from a name: lowercase ASCII letters and digits, runs of anything
// else as one dash, at most maxProjectID characters; "project" when nothing is left.
func slug(name string) string {
	var b strings.Builder
	dash := false
	for _, c := range strings.ToLower(name) {
		switch {
		case c >= 'a' && c <= 'z' || c >= '0' && c <= '9':
			if dash && b.Len() > 0 {
				b.WriteByte('-')
			}
			dash = false
			b.WriteRune(c)
		default:
			dash = true
		}
		if b.Len() >= maxProjectID-4 { // room for "-100"
			break
		}
	}
	if b.Len() == 0 {
		return "project"
	}
	return b.String()
}

// RotateKey gives a project a new public key at once and keeps the old one ingesting for
// graceHours (POST /api/v1/projects/{project}/rotate-key, admins and owners; body {"graceHours": 0-720},
// default 24). With 0 the old key stops now: the way to cut off a leaked key.
func (a *API) RotateKey(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	p, err := a.projectByID(ctx, r.PathValue("project"))
	if err != nil {
		return err
	}
	in := struct {
		GraceHours *float64 `json:"graceHours"`
	}{}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxProjectBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil && !errors.Is(err, io.EOF) {
		return apierror.New(http.StatusBadRequest, "bad_request", `body must be {"graceHours": n} or empty`)
	}
	grace := float64(defaultGraceHours)
	if in.GraceHours != nil {
		grace = *in.GraceHours
	}
	if grace < 0 || grace > maxGraceHours {
		return apierror.New(http.StatusBadRequest, "bad_request", fmt.Sprintf("graceHours must be 0 to %d", maxGraceHours))
	}
	until := a.now().Add(time.Duration(grace * float64(time.Hour))).UTC()
	p, err = a.projects.RotateKey(ctx, p.ID, newPublicKey(), until)
	if errors.Is(err, store.ErrNotFound) {
		return apierror.New(http.StatusNotFound, "not_found", "project not found")
	}
	if err != nil {
		return err
	}
	a.log.Info("project key rotated", "project", p.ID, "grace", time.Duration(grace*float64(time.Hour)))
	a.audit.Record(r.Context(), r, audit.KeyRotate, p.ID, p.ID, map[string]any{"graceHours": grace})
	apierror.JSON(w, http.StatusOK, a.projectOut(p))
	return nil
}

// DeleteProject deletes a project and everything recorded in it (DELETE
// /api/v1/projects/{project}?confirm={project}, owners): every session is erased as an
// erasure does (blobs, content, tombstones), then the project with its saved searches,
// playlists and alert rules. The default project is never deleted: the demo shop records into
// it and every start creates it again.
func (a *API) DeleteProject(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	id := r.PathValue("project")
	p, err := a.projectByID(ctx, id)
	if err != nil {
		return err
	}
	if r.URL.Query().Get("confirm") != p.ID {
		return apierror.New(http.StatusBadRequest, "confirm_required", "deleting a project deletes every session recorded in it; repeat its id as ?confirm="+p.ID)
	}
	if p.ID == setup.DefaultProjectID {
		return apierror.New(http.StatusConflict, "project_protected", "the default project cannot be deleted (the demo shop records into it and every start creates it again); rename it or delete its sessions by retention")
	}
	// Its keys stop first, so no visitor starts a session in it while its sessions go.
	if _, err := a.projects.RotateKey(ctx, p.ID, newPublicKey(), time.Time{}); err != nil {
		return err
	}
	rep, err := a.eraser.DeleteProject(ctx, p.ID)
	if errors.Is(err, lifecycle.ErrBusy) {
		return &apierror.Error{Status: http.StatusServiceUnavailable, Code: "busy", Message: "a session of this project is being compacted; retry shortly (what was deleted stays deleted)", RetryAfter: 30}
	}
	if err != nil {
		return err
	}
	a.log.Info("project deleted", "project", p.ID, "sessions", rep.Sessions, "content", rep.Content)
	a.audit.Record(r.Context(), r, audit.ProjectDelete, p.ID, p.ID, map[string]any{"sessions": rep.Sessions})
	apierror.JSON(w, http.StatusOK, map[string]any{"deleted": map[string]any{"project": p.ID, "sessions": rep.Sessions, "content": rep.Content}})
	return nil
}
