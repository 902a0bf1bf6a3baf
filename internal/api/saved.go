package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/reelhq/reel/internal/apierror"
	"github.com/reelhq/reel/internal/auth"
	"github.com/reelhq/reel/internal/search"
	"github.com/reelhq/reel/internal/store"
)

// saved keeps saved searches and playlists (store.Saved).
type saved interface {
	CreateSavedSearch(ctx context.Context, s store.SavedSearch) (store.SavedSearch, error)
	SavedSearches(ctx context.Context, projectID string, userID int64) ([]store.SavedSearch, error)
	SavedSearch(ctx context.Context, id, userID int64) (store.SavedSearch, error)
	UpdateSavedSearch(ctx context.Context, s store.SavedSearch) error
	DeleteSavedSearch(ctx context.Context, id int64) error
	VisitSavedSearch(ctx context.Context, id, userID int64, at time.Time) error
	CountSavedSearches(ctx context.Context, projectID string) (int, error)
	CreatePlaylist(ctx context.Context, p store.Playlist) (store.Playlist, error)
	Playlists(ctx context.Context, projectID string, userID int64) ([]store.Playlist, error)
	Playlist(ctx context.Context, id, userID int64) (store.Playlist, error)
	UpdatePlaylist(ctx context.Context, p store.Playlist) error
	DeletePlaylist(ctx context.Context, id int64) error
	CountPlaylists(ctx context.Context, projectID string) (int, error)
	PinSession(ctx context.Context, playlistID int64, pin store.Pin) (store.Pin, error)
	UnpinSession(ctx context.Context, playlistID int64, sessionID string) error
	Pins(ctx context.Context, playlistID int64) ([]store.Pin, error)
}

// Limits on what people save. A project's lists are shown whole and each saved search costs a
// count when listed, so both are bounded per project.
const (
	maxNameChars     = 100
	maxNoteChars     = 500
	maxSavedBody     = 16 << 10
	maxSavedSearches = 200 // per project
	maxPlaylists     = 200 // per project
	maxPins          = 1000
)

func badRequest(msg string) error { return apierror.New(http.StatusBadRequest, "bad_request", msg) }

var (
	errSavedNotFound    = apierror.New(http.StatusNotFound, "not_found", "saved search not found")
	errPlaylistNotFound = apierror.New(http.StatusNotFound, "not_found", "playlist not found")
)

// decodeBody reads one JSON object of at most maxSavedBody bytes, refusing unknown fields, so a
// typo ("shard") is an error instead of silently ignored.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) error {
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxSavedBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return apierror.New(http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("body is larger than %d bytes", maxSavedBody))
		}
		return badRequest("body must be one JSON object: " + strings.TrimPrefix(err.Error(), "json: "))
	}
	if _, err := dec.Token(); err != io.EOF {
		return badRequest("body must be one JSON object")
	}
	return nil
}

// checkName trims a name and checks it is 1-100 characters of UTF-8 without control characters.
func checkName(what, name string) (string, error) {
	name = strings.TrimSpace(name)
	if !utf8.ValidString(name) {
		return "", badRequest(what + " must be valid UTF-8")
	}
	if n := utf8.RuneCountInString(name); n == 0 || n > maxNameChars {
		return "", badRequest(fmt.Sprintf("%s must be 1-%d characters", what, maxNameChars))
	}
	if strings.IndexFunc(name, unicode.IsControl) >= 0 {
		return "", badRequest(what + " must not contain control characters")
	}
	return name, nil
}

// checkQuery parses a query so a malformed one is never saved; the answer carries the parser's
// reason and position, as the sessions list does.
func checkQuery(q string) (*search.Query, error) {
	plan, err := search.Parse(q)
	var perr *search.Error
	if errors.As(err, &perr) {
		return nil, apierror.New(http.StatusBadRequest, "bad_query", perr.Error())
	}
	return plan, err
}

func pathID(r *http.Request, what string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, badRequest("invalid " + what + " id")
	}
	return id, nil
}

func caller(r *http.Request) auth.Principal {
	p, _ := auth.PrincipalFrom(r.Context())
	return p
}

// mayChange says whether the caller may rename, reshare or delete an item: its owner or an
// admin. Anyone who sees a shared playlist may pin to it.
func mayChange(r *http.Request, owner int64) error {
	p := caller(r)
	if p.UserID == owner || p.Role == "admin" {
		return nil
	}
	return apierror.New(http.StatusForbidden, "forbidden", "only its owner or an admin may change this")
}

// projectParam is ?project=, "default" when absent, and must exist.
func (a *API) projectParam(r *http.Request, project string) (string, error) {
	if project == "" {
		project = "default"
	}
	if len(project) > 128 {
		return "", badRequest("invalid project")
	}
	if _, err := a.projectByID(r.Context(), project); err != nil {
		return "", err
	}
	return project, nil
}

type savedSearchJSON struct {
	ID        int64      `json:"id"`
	Project   string     `json:"project"`
	Name      string     `json:"name"`
	Query     string     `json:"query"`
	Shared    bool       `json:"shared"`
	Mine      bool       `json:"mine"`
	CreatedAt time.Time  `json:"createdAt"`
	UpdatedAt time.Time  `json:"updatedAt"`
	VisitedAt *time.Time `json:"visitedAt,omitempty"`
	// New counts the matching sessions that started since the caller's last visit (since the
	// search was created when they never ran it), up to store.CountCap.
	New          int  `json:"newSinceVisit"`
	NewIsAtLeast bool `json:"newIsLowerBound,omitempty"`
}

// newSince counts the sessions matching query that started at or after since.
func (a *API) newSince(ctx context.Context, project, query string, since time.Time) (int, bool, error) {
	plan, err := search.Parse(query)
	if err != nil {
		return 0, false, fmt.Errorf("api: saved query no longer parses: %w", err)
	}
	page, err := a.index.ListSessions(ctx, store.ListQuery{ProjectID: project, Limit: 1, Query: store.StartedSince(plan, since), Count: true})
	if err != nil {
		return 0, false, err
	}
	return page.Count, page.Capped, nil
}

func (a *API) savedOut(r *http.Request, s store.SavedSearch) (savedSearchJSON, error) {
	j := savedSearchJSON{ID: s.ID, Project: s.ProjectID, Name: s.Name, Query: s.Query, Shared: s.Shared, Mine: s.OwnerID == caller(r).UserID,
		CreatedAt: s.CreatedAt, UpdatedAt: s.UpdatedAt}
	since := s.CreatedAt
	if !s.VisitedAt.IsZero() {
		j.VisitedAt, since = &s.VisitedAt, s.VisitedAt
	}
	var err error
	j.New, j.NewIsAtLeast, err = a.newSince(r.Context(), s.ProjectID, s.Query, since)
	return j, err
}

// ListSavedSearches lists the project's saved searches the caller may see, each with how many
// matching sessions are new since the caller last ran it.
func (a *API) ListSavedSearches(w http.ResponseWriter, r *http.Request) error {
	project, err := a.projectParam(r, r.URL.Query().Get("project"))
	if err != nil {
		return err
	}
	list, err := a.index.SavedSearches(r.Context(), project, caller(r).UserID)
	if err != nil {
		return err
	}
	out := make([]savedSearchJSON, 0, len(list))
	for _, s := range list {
		j, err := a.savedOut(r, s)
		if err != nil {
			return err
		}
		out = append(out, j)
	}
	apierror.JSON(w, http.StatusOK, map[string]any{"savedSearches": out})
	return nil
}

type savedSearchIn struct {
	Project *string `json:"project"`
	Name    *string `json:"name"`
	Query   *string `json:"query"`
	Shared  *bool   `json:"shared"`
}

// CreateSavedSearch saves a query under a name, private unless shared is true.
func (a *API) CreateSavedSearch(w http.ResponseWriter, r *http.Request) error {
	var in savedSearchIn
	if err := decodeBody(w, r, &in); err != nil {
		return err
	}
	if in.Name == nil || in.Query == nil {
		return badRequest("name and query are required")
	}
	name, err := checkName("name", *in.Name)
	if err != nil {
		return err
	}
	if _, err := checkQuery(*in.Query); err != nil {
		return err
	}
	project, err := a.projectParam(r, deref(in.Project))
	if err != nil {
		return err
	}
	if n, err := a.index.CountSavedSearches(r.Context(), project); err != nil {
		return err
	} else if n >= maxSavedSearches {
		return apierror.New(http.StatusConflict, "limit_reached", fmt.Sprintf("a project keeps at most %d saved searches", maxSavedSearches))
	}
	s, err := a.index.CreateSavedSearch(r.Context(), store.SavedSearch{ProjectID: project, Name: name, Query: strings.TrimSpace(*in.Query),
		OwnerID: caller(r).UserID, Shared: in.Shared != nil && *in.Shared, CreatedAt: time.Now()})
	if err != nil {
		return err
	}
	j, err := a.savedOut(r, s)
	if err != nil {
		return err
	}
	apierror.JSON(w, http.StatusCreated, j)
	return nil
}

func deref(s *string) string {
	if s == nil {
		return ""
	}
	return *s
}

func (a *API) savedSearch(r *http.Request) (store.SavedSearch, error) {
	id, err := pathID(r, "saved search")
	if err != nil {
		return store.SavedSearch{}, err
	}
	s, err := a.index.SavedSearch(r.Context(), id, caller(r).UserID)
	if errors.Is(err, store.ErrNotFound) {
		return s, errSavedNotFound
	}
	return s, err
}

// GetSavedSearch returns one saved search with its new count.
func (a *API) GetSavedSearch(w http.ResponseWriter, r *http.Request) error {
	s, err := a.savedSearch(r)
	if err != nil {
		return err
	}
	j, err := a.savedOut(r, s)
	if err != nil {
		return err
	}
	apierror.JSON(w, http.StatusOK, j)
	return nil
}

// UpdateSavedSearch changes the name, query or sharing of a saved search; absent fields stay.
func (a *API) UpdateSavedSearch(w http.ResponseWriter, r *http.Request) error {
	s, err := a.savedSearch(r)
	if err != nil {
		return err
	}
	if err := mayChange(r, s.OwnerID); err != nil {
		return err
	}
	var in savedSearchIn
	if err := decodeBody(w, r, &in); err != nil {
		return err
	}
	if in.Project != nil && *in.Project != s.ProjectID {
		return badRequest("a saved search cannot move to another project")
	}
	if in.Name != nil {
		if s.Name, err = checkName("name", *in.Name); err != nil {
			return err
		}
	}
	if in.Query != nil {
		if _, err := checkQuery(*in.Query); err != nil {
			return err
		}
		s.Query = strings.TrimSpace(*in.Query)
	}
	if in.Shared != nil {
		s.Shared = *in.Shared
	}
	s.UpdatedAt = time.Now()
	if err := a.index.UpdateSavedSearch(r.Context(), s); errors.Is(err, store.ErrNotFound) {
		return errSavedNotFound
	} else if err != nil {
		return err
	}
	j, err := a.savedOut(r, s)
	if err != nil {
		return err
	}
	apierror.JSON(w, http.StatusOK, j)
	return nil
}

// DeleteSavedSearch removes a saved search and the alert rules that watch it.
func (a *API) DeleteSavedSearch(w http.ResponseWriter, r *http.Request) error {
	s, err := a.savedSearch(r)
	if err != nil {
		return err
	}
	if err := mayChange(r, s.OwnerID); err != nil {
		return err
	}
	if err := a.index.DeleteSavedSearch(r.Context(), s.ID); errors.Is(err, store.ErrNotFound) {
		return errSavedNotFound
	} else if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// VisitSavedSearch marks the saved search as seen by the caller now (the dashboard calls it
// when it runs the search), so its new count starts again from zero.
func (a *API) VisitSavedSearch(w http.ResponseWriter, r *http.Request) error {
	s, err := a.savedSearch(r)
	if err != nil {
		return err
	}
	now := time.Now()
	if err := a.index.VisitSavedSearch(r.Context(), s.ID, caller(r).UserID, now); errors.Is(err, store.ErrNotFound) {
		return errSavedNotFound
	} else if err != nil {
		return err
	}
	s.VisitedAt = now
	j, err := a.savedOut(r, s)
	if err != nil {
		return err
	}
	apierror.JSON(w, http.StatusOK, j)
	return nil
}

type playlistJSON struct {
	ID        int64     `json:"id"`
	Project   string    `json:"project"`
	Name      string    `json:"name"`
	Shared    bool      `json:"shared"`
	Mine      bool      `json:"mine"`
	Sessions  int       `json:"sessions"`
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
}

func playlistOut(r *http.Request, p store.Playlist) playlistJSON {
	return playlistJSON{ID: p.ID, Project: p.ProjectID, Name: p.Name, Shared: p.Shared, Mine: p.OwnerID == caller(r).UserID,
		Sessions: p.Sessions, CreatedAt: p.CreatedAt, UpdatedAt: p.UpdatedAt}
}

// ListPlaylists lists the project's playlists the caller may see.
func (a *API) ListPlaylists(w http.ResponseWriter, r *http.Request) error {
	project, err := a.projectParam(r, r.URL.Query().Get("project"))
	if err != nil {
		return err
	}
	list, err := a.index.Playlists(r.Context(), project, caller(r).UserID)
	if err != nil {
		return err
	}
	out := make([]playlistJSON, 0, len(list))
	for _, p := range list {
		out = append(out, playlistOut(r, p))
	}
	apierror.JSON(w, http.StatusOK, map[string]any{"playlists": out})
	return nil
}

type playlistIn struct {
	Project *string `json:"project"`
	Name    *string `json:"name"`
	Shared  *bool   `json:"shared"`
}

// CreatePlaylist creates an empty playlist, private unless shared is true.
func (a *API) CreatePlaylist(w http.ResponseWriter, r *http.Request) error {
	var in playlistIn
	if err := decodeBody(w, r, &in); err != nil {
		return err
	}
	if in.Name == nil {
		return badRequest("name is required")
	}
	name, err := checkName("name", *in.Name)
	if err != nil {
		return err
	}
	project, err := a.projectParam(r, deref(in.Project))
	if err != nil {
		return err
	}
	if n, err := a.index.CountPlaylists(r.Context(), project); err != nil {
		return err
	} else if n >= maxPlaylists {
		return apierror.New(http.StatusConflict, "limit_reached", fmt.Sprintf("a project keeps at most %d playlists", maxPlaylists))
	}
	p, err := a.index.CreatePlaylist(r.Context(), store.Playlist{ProjectID: project, Name: name, OwnerID: caller(r).UserID,
		Shared: in.Shared != nil && *in.Shared, CreatedAt: time.Now()})
	if err != nil {
		return err
	}
	apierror.JSON(w, http.StatusCreated, playlistOut(r, p))
	return nil
}

func (a *API) playlist(r *http.Request) (store.Playlist, error) {
	id, err := pathID(r, "playlist")
	if err != nil {
		return store.Playlist{}, err
	}
	p, err := a.index.Playlist(r.Context(), id, caller(r).UserID)
	if errors.Is(err, store.ErrNotFound) {
		return p, errPlaylistNotFound
	}
	return p, err
}

// GetPlaylist returns one playlist.
func (a *API) GetPlaylist(w http.ResponseWriter, r *http.Request) error {
	p, err := a.playlist(r)
	if err != nil {
		return err
	}
	apierror.JSON(w, http.StatusOK, playlistOut(r, p))
	return nil
}

// UpdatePlaylist renames or reshares a playlist; absent fields stay.
func (a *API) UpdatePlaylist(w http.ResponseWriter, r *http.Request) error {
	p, err := a.playlist(r)
	if err != nil {
		return err
	}
	if err := mayChange(r, p.OwnerID); err != nil {
		return err
	}
	var in playlistIn
	if err := decodeBody(w, r, &in); err != nil {
		return err
	}
	if in.Project != nil && *in.Project != p.ProjectID {
		return badRequest("a playlist cannot move to another project")
	}
	if in.Name != nil {
		if p.Name, err = checkName("name", *in.Name); err != nil {
			return err
		}
	}
	if in.Shared != nil {
		p.Shared = *in.Shared
	}
	p.UpdatedAt = time.Now()
	if err := a.index.UpdatePlaylist(r.Context(), p); errors.Is(err, store.ErrNotFound) {
		return errPlaylistNotFound
	} else if err != nil {
		return err
	}
	apierror.JSON(w, http.StatusOK, playlistOut(r, p))
	return nil
}

// DeletePlaylist removes a playlist and its pins; the sessions stay.
func (a *API) DeletePlaylist(w http.ResponseWriter, r *http.Request) error {
	p, err := a.playlist(r)
	if err != nil {
		return err
	}
	if err := mayChange(r, p.OwnerID); err != nil {
		return err
	}
	if err := a.index.DeletePlaylist(r.Context(), p.ID); errors.Is(err, store.ErrNotFound) {
		return errPlaylistNotFound
	} else if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// pinnedJSON is a session row as the sessions list returns it, plus where and why it is pinned.
type pinnedJSON struct {
	sessionJSON
	Position int       `json:"position"`
	Note     string    `json:"note,omitempty"`
	AddedAt  time.Time `json:"addedAt"`
}

// PlaylistSessions lists a playlist's sessions in its order.
func (a *API) PlaylistSessions(w http.ResponseWriter, r *http.Request) error {
	p, err := a.playlist(r)
	if err != nil {
		return err
	}
	pins, err := a.index.Pins(r.Context(), p.ID)
	if err != nil {
		return err
	}
	out := make([]pinnedJSON, 0, len(pins))
	for _, pin := range pins {
		out = append(out, pinnedJSON{sessionJSON: toJSON(pin.Session), Position: pin.Position, Note: pin.Note, AddedAt: pin.AddedAt})
	}
	apierror.JSON(w, http.StatusOK, map[string]any{"playlist": playlistOut(r, p), "sessions": out})
	return nil
}

// PinSession puts a session at the end of a playlist (or changes the note of one already
// there). Anyone who sees the playlist may pin to it.
func (a *API) PinSession(w http.ResponseWriter, r *http.Request) error {
	p, err := a.playlist(r)
	if err != nil {
		return err
	}
	sid := r.PathValue("session")
	if sid == "" || len(sid) > 128 {
		return badRequest("invalid session id")
	}
	var in struct {
		Note *string `json:"note"`
	}
	if r.ContentLength != 0 {
		if err := decodeBody(w, r, &in); err != nil {
			return err
		}
	}
	note := strings.TrimSpace(deref(in.Note))
	if !utf8.ValidString(note) || utf8.RuneCountInString(note) > maxNoteChars {
		return badRequest(fmt.Sprintf("note must be at most %d characters of UTF-8", maxNoteChars))
	}
	if p.Sessions >= maxPins {
		// Re-pinning one already there is still allowed; the store keeps its place.
		pins, err := a.index.Pins(r.Context(), p.ID)
		if err != nil {
			return err
		}
		found := false
		for _, x := range pins {
			found = found || x.Session.ID == sid
		}
		if !found {
			return apierror.New(http.StatusConflict, "limit_reached", fmt.Sprintf("a playlist holds at most %d sessions", maxPins))
		}
	}
	pin, err := a.index.PinSession(r.Context(), p.ID, store.Pin{Session: store.Session{ID: sid}, Note: note, AddedAt: time.Now(), AddedBy: caller(r).UserID})
	if errors.Is(err, store.ErrNotFound) {
		return errSessionNotFound
	}
	if err != nil {
		return err
	}
	apierror.JSON(w, http.StatusOK, map[string]any{"playlist": p.ID, "sessionId": sid, "position": pin.Position, "note": pin.Note, "addedAt": pin.AddedAt})
	return nil
}

// UnpinSession takes a session out of a playlist.
func (a *API) UnpinSession(w http.ResponseWriter, r *http.Request) error {
	p, err := a.playlist(r)
	if err != nil {
		return err
	}
	sid := r.PathValue("session")
	if sid == "" || len(sid) > 128 {
		return badRequest("invalid session id")
	}
	if err := a.index.UnpinSession(r.Context(), p.ID, sid); errors.Is(err, store.ErrNotFound) {
		return apierror.New(http.StatusNotFound, "not_found", "session is not in this playlist")
	} else if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
