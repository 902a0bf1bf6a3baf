// Package api is the dashboard's REST API (docs/api.md): login, projects, sessions and their
// events. Handlers return errors; apierror turns them into the one JSON error shape.
package api

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/reelhq/reel/internal/analyze"
	"github.com/reelhq/reel/internal/apierror"
	"github.com/reelhq/reel/internal/auth"
	"github.com/reelhq/reel/internal/layout"
	"github.com/reelhq/reel/internal/search"
	"github.com/reelhq/reel/internal/settings"
	"github.com/reelhq/reel/internal/store"
	"github.com/reelhq/reel/internal/useragent"
)

// index is what the API reads from the store.
type index interface {
	Projects(ctx context.Context) ([]store.Project, error)
	Project(ctx context.Context, id string) (store.Project, error)
	UpdateProject(ctx context.Context, p store.Project) error
	ListSessions(ctx context.Context, q store.ListQuery) (store.SessionPage, error)
	GetSession(ctx context.Context, id string) (store.Session, error)
	Chunks(ctx context.Context, sessionID string) ([]store.Chunk, error)
	Segments(ctx context.Context, sessionID string) ([]store.Segment, error)
	ContentHashes(ctx context.Context, projectID string, ids []int64) (map[int64]string, error)
	secrets
	archives
	insights
	alerts
	heatmaps
	saved
}

// blobs is what the API reads from the blob store.
type blobs interface {
	Get(ctx context.Context, key string) ([]byte, error)
	GetRange(ctx context.Context, key string, offset, length int64) ([]byte, error)
}

// API holds the handlers' dependencies.
type API struct {
	index   index
	blobs   blobs
	auth    *auth.Auth
	log     *slog.Logger
	content *layout.Cache
	eraser  eraser
}

// New returns the API. cache resolves the content markers in stored events; erasure shares it
// so it can forget what it deleted.
func New(idx index, b blobs, a *auth.Auth, log *slog.Logger, cache *layout.Cache, e eraser) *API {
	return &API{index: idx, blobs: b, auth: a, log: log, content: cache, eraser: e}
}

// HandlerFunc is an API handler: it writes a response or returns an error.
type HandlerFunc func(w http.ResponseWriter, r *http.Request) error

// Handler adapts fn to http.Handler, answering its error with apierror.
func (a *API) Handler(fn HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if err := fn(w, r); err != nil {
			apierror.Write(w, r, a.log, err)
		}
	})
}

// NotFound answers unknown API paths.
func (a *API) NotFound(w http.ResponseWriter, r *http.Request) error {
	return apierror.New(http.StatusNotFound, "not_found", "no such endpoint: "+r.Method+" "+r.URL.Path)
}

type userJSON struct {
	Email string `json:"email"`
	Role  string `json:"role"`
}

// Login checks credentials and sets the login cookie.
func (a *API) Login(w http.ResponseWriter, r *http.Request) error {
	if !auth.SameOrigin(r) {
		return apierror.New(http.StatusForbidden, "cross_origin", "cross-origin login refused")
	}
	var body struct {
		Email    string `json:"email"`
		Password string `json:"password"`
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096))
	if err := dec.Decode(&body); err != nil {
		return apierror.New(http.StatusBadRequest, "bad_request", "body must be {\"email\": ..., \"password\": ...}")
	}
	tok, u, err := a.auth.Login(r.Context(), body.Email, body.Password)
	if errors.Is(err, auth.ErrInvalidCredentials) {
		return apierror.New(http.StatusUnauthorized, "invalid_credentials", "wrong email or password")
	}
	if err != nil {
		return err
	}
	a.auth.SetCookie(w, r, tok)
	apierror.JSON(w, http.StatusOK, map[string]any{"user": userJSON{Email: u.Email, Role: u.Role}})
	return nil
}

// Logout ends the caller's login.
func (a *API) Logout(w http.ResponseWriter, r *http.Request) error {
	if !auth.SameOrigin(r) {
		return apierror.New(http.StatusForbidden, "cross_origin", "cross-origin logout refused")
	}
	if err := a.auth.Logout(r.Context(), r); err != nil {
		return err
	}
	auth.ClearCookie(w, r)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// Me returns the authenticated caller.
func (a *API) Me(w http.ResponseWriter, r *http.Request) error {
	p, _ := auth.PrincipalFrom(r.Context())
	apierror.JSON(w, http.StatusOK, map[string]any{"user": userJSON{Email: p.Email, Role: p.Role}})
	return nil
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
}

func (a *API) projectOut(p store.Project) projectJSON {
	origins := p.AllowedOrigins
	if origins == nil {
		origins = []string{}
	}
	s := settings.Read(a.log, p)
	return projectJSON{ID: p.ID, Name: p.Name, PublicKey: p.PublicKey, AllowedOrigins: origins, CreatedAt: p.CreatedAt,
		RetentionDays: p.RetentionDays, SDKConfig: s.SDKConfig, Friction: s.Friction, Thresholds: s.Thresholds, Defaults: analyze.Defaults}
}

// Projects lists projects with their settings.
func (a *API) Projects(w http.ResponseWriter, r *http.Request) error {
	ps, err := a.index.Projects(r.Context())
	if err != nil {
		return err
	}
	out := make([]projectJSON, 0, len(ps))
	for _, p := range ps {
		out = append(out, a.projectOut(p))
	}
	apierror.JSON(w, http.StatusOK, map[string]any{"projects": out})
	return nil
}

type viewportJSON struct {
	Width  int `json:"width"`
	Height int `json:"height"`
}

type sessionJSON struct {
	ID         string       `json:"id"`
	ProjectID  string       `json:"projectId"`
	StartedAt  time.Time    `json:"startedAt"`
	EndedAt    time.Time    `json:"endedAt"`
	DurationMS int64        `json:"durationMs"`
	Pages      int          `json:"pages"`
	EntryURL   string       `json:"entryUrl"`
	ExitURL    string       `json:"exitUrl"`
	Clicks     int          `json:"clicks"`
	ActiveMS   int64        `json:"activeMs"`
	Events     int          `json:"events"`
	Tabs       int          `json:"tabs"`
	UserAgent  string       `json:"userAgent"`
	Browser    string       `json:"browser"`
	OS         string       `json:"os"`
	Device     string       `json:"device"`
	Viewport   viewportJSON `json:"viewport"`
	UpdatedAt  time.Time    `json:"updatedAt"`
	URLs       []string     `json:"urls,omitempty"`
	UserID     string       `json:"userId,omitempty"`
	Country    string       `json:"country,omitempty"`
	Errors     int          `json:"errors"`
	Failed     int          `json:"failedRequests"`
	// CompactedAt is set once the session has been rewritten into its at-rest layout.
	CompactedAt *time.Time `json:"compactedAt,omitempty"`
	// Analysis, filled once the session is compacted (docs/friction.md).
	Score      int    `json:"score"`
	Summary    string `json:"summary,omitempty"`
	Friction   int    `json:"friction"`
	RageClicks int    `json:"rageClicks"`
	DeadClicks int    `json:"deadClicks"`
}

func toJSON(s store.Session) sessionJSON {
	ua := useragent.Parse(s.UserAgent)
	out := sessionJSON{
		ID: s.ID, ProjectID: s.ProjectID, StartedAt: s.StartedAt, EndedAt: s.EndedAt, DurationMS: s.Duration().Milliseconds(),
		Pages: s.Pages, EntryURL: s.EntryURL, ExitURL: s.ExitURL, Clicks: s.Clicks, ActiveMS: s.ActiveMS, Events: s.Events, Tabs: s.Tabs,
		UserAgent: s.UserAgent, Browser: ua.Browser, OS: ua.OS, Device: ua.Device,
		Viewport: viewportJSON{s.Viewport.Width, s.Viewport.Height}, UpdatedAt: s.UpdatedAt, URLs: s.URLs, UserID: s.UserID,
		Country: s.Country, Errors: s.Errors, Failed: s.Failed,
	}
	if !s.Compacted.IsZero() {
		out.CompactedAt = &s.Compacted
	}
	out.Score, out.Summary, out.Friction, out.RageClicks, out.DeadClicks = s.Score, s.Summary, s.Friction, s.RageClicks, s.DeadClicks
	return out
}

// ListSessions lists sessions newest first, a page at a time.
func (a *API) ListSessions(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	limit := 50
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 200 {
			return apierror.New(http.StatusBadRequest, "bad_request", "limit must be an integer from 1 to 200")
		}
		limit = n
	}
	cursor := q.Get("cursor")
	if len(cursor) > 256 {
		return apierror.New(http.StatusBadRequest, "bad_request", "invalid cursor")
	}
	plan, err := search.Parse(q.Get("q"))
	var perr *search.Error
	if errors.As(err, &perr) {
		return apierror.New(http.StatusBadRequest, "bad_query", perr.Error())
	}
	if err != nil {
		return err
	}
	if v := q.Get("sort"); v != "" {
		s, err := search.ParseSort(v)
		if err != nil {
			return apierror.New(http.StatusBadRequest, "bad_query", "sort: "+err.Error())
		}
		if plan.SortGiven && plan.Sort != s {
			return apierror.New(http.StatusBadRequest, "bad_query", "sort given twice: "+string(plan.Sort)+" in q and "+string(s)+" in sort")
		}
		plan.Sort = s
	}
	// The first page counts the matches; later pages reuse the count the client already has.
	page, err := a.index.ListSessions(r.Context(), store.ListQuery{ProjectID: q.Get("project"), Limit: limit, Cursor: cursor, Query: plan, Count: cursor == ""})
	if errors.Is(err, store.ErrBadCursor) {
		return apierror.New(http.StatusBadRequest, "bad_request", "invalid cursor")
	}
	if err != nil {
		return err
	}
	out := struct {
		Sessions   []sessionJSON `json:"sessions"`
		NextCursor string        `json:"nextCursor,omitempty"`
		Query      string        `json:"query"`
		Sort       string        `json:"sort"`
		Count      *int          `json:"count,omitempty"`
		CountMore  bool          `json:"countIsLowerBound,omitempty"`
	}{Sessions: make([]sessionJSON, 0, len(page.Sessions)), NextCursor: page.Next, Query: q.Get("q"), Sort: string(plan.Sort), CountMore: page.Capped}
	if cursor == "" {
		out.Count = &page.Count
	}
	for _, s := range page.Sessions {
		out.Sessions = append(out.Sessions, toJSON(s))
	}
	apierror.JSON(w, http.StatusOK, out)
	return nil
}

var errSessionNotFound = apierror.New(http.StatusNotFound, "not_found", "session not found")

// GetSession returns one session's metadata.
func (a *API) GetSession(w http.ResponseWriter, r *http.Request) error {
	s, err := a.index.GetSession(r.Context(), r.PathValue("id"))
	if errors.Is(err, store.ErrNotFound) {
		return errSessionNotFound
	}
	if err != nil {
		return err
	}
	apierror.JSON(w, http.StatusOK, toJSON(s))
	return nil
}

// Events returns every rrweb event of a session as one JSON array in time order, exactly as
// recorded. With ?tab= only that tab's events are returned.
func (a *API) Events(w http.ResponseWriter, r *http.Request) error {
	return a.WriteEvents(w, r, r.PathValue("id"))
}
