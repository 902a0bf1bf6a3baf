package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/reelhq/reel/internal/apierror"
	"github.com/reelhq/reel/internal/search"
	"github.com/reelhq/reel/internal/store"
)

// savedSearchIndex keeps saved searches (store.Saved).
type savedSearchIndex interface {
	CreateSavedSearch(ctx context.Context, s store.SavedSearch) (store.SavedSearch, error)
	SavedSearches(ctx context.Context, projectID string, userID int64) ([]store.SavedSearch, error)
	SavedSearch(ctx context.Context, id, userID int64) (store.SavedSearch, error)
	UpdateSavedSearch(ctx context.Context, s store.SavedSearch) error
	DeleteSavedSearch(ctx context.Context, id int64) error
	VisitSavedSearch(ctx context.Context, id, userID int64, at time.Time) error
	CountSavedSearches(ctx context.Context, projectID string) (int, error)
}

// maxSavedSearches bounds a project's saved searches: they are listed whole, each with a count.
const maxSavedSearches = 200

var errSavedNotFound = apierror.New(http.StatusNotFound, "not_found", "saved search not found")

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
	page, err := a.sessions.ListSessions(ctx, store.ListQuery{ProjectID: project, Limit: 1, Query: store.StartedSince(plan, since), Count: true})
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
	list, err := a.searches.SavedSearches(r.Context(), project, caller(r).UserID)
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
	if n, err := a.searches.CountSavedSearches(r.Context(), project); err != nil {
		return err
	} else if n >= maxSavedSearches {
		return apierror.New(http.StatusConflict, "limit_reached", fmt.Sprintf("a project keeps at most %d saved searches", maxSavedSearches))
	}
	s, err := a.searches.CreateSavedSearch(r.Context(), store.SavedSearch{ProjectID: project, Name: name, Query: strings.TrimSpace(*in.Query),
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

func (a *API) savedSearch(r *http.Request) (store.SavedSearch, error) {
	id, err := pathID(r, "saved search")
	if err != nil {
		return store.SavedSearch{}, err
	}
	s, err := a.searches.SavedSearch(r.Context(), id, caller(r).UserID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !sees(r.Context(), s.ProjectID)) {
		return store.SavedSearch{}, errSavedNotFound
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
	if err := a.searches.UpdateSavedSearch(r.Context(), s); errors.Is(err, store.ErrNotFound) {
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
	if err := a.searches.DeleteSavedSearch(r.Context(), s.ID); errors.Is(err, store.ErrNotFound) {
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
	if err := a.searches.VisitSavedSearch(r.Context(), s.ID, caller(r).UserID, now); errors.Is(err, store.ErrNotFound) {
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
