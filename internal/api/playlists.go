package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/reelhq/reel/internal/apierror"
	"github.com/reelhq/reel/internal/store"
)

// playlistIndex keeps playlists and the sessions pinned to them (store.Saved).
type playlistIndex interface {
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

// Limits on playlists: a project's are listed whole, and a playlist's sessions are too.
const (
	maxPlaylists = 200 // per project
	maxPins      = 1000
	maxNoteChars = 500
)

var errPlaylistNotFound = apierror.New(http.StatusNotFound, "not_found", "playlist not found")

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
	list, err := a.playlists.Playlists(r.Context(), project, caller(r).UserID)
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
	if n, err := a.playlists.CountPlaylists(r.Context(), project); err != nil {
		return err
	} else if n >= maxPlaylists {
		return apierror.New(http.StatusConflict, "limit_reached", fmt.Sprintf("a project keeps at most %d playlists", maxPlaylists))
	}
	p, err := a.playlists.CreatePlaylist(r.Context(), store.Playlist{ProjectID: project, Name: name, OwnerID: caller(r).UserID,
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
	p, err := a.playlists.Playlist(r.Context(), id, caller(r).UserID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !sees(r.Context(), p.ProjectID)) {
		return store.Playlist{}, errPlaylistNotFound
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
	if err := a.playlists.UpdatePlaylist(r.Context(), p); errors.Is(err, store.ErrNotFound) {
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
	if err := a.playlists.DeletePlaylist(r.Context(), p.ID); errors.Is(err, store.ErrNotFound) {
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
	pins, err := a.playlists.Pins(r.Context(), p.ID)
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
		pins, err := a.playlists.Pins(r.Context(), p.ID)
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
	pin, err := a.playlists.PinSession(r.Context(), p.ID, store.Pin{Session: store.Session{ID: sid}, Note: note, AddedAt: time.Now(), AddedBy: caller(r).UserID})
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
	if err := a.playlists.UnpinSession(r.Context(), p.ID, sid); errors.Is(err, store.ErrNotFound) {
		return apierror.New(http.StatusNotFound, "not_found", "session is not in this playlist")
	} else if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}
