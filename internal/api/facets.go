package api

import (
	"context"
	"net/http"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/reelhq/reel/internal/apierror"
	"github.com/reelhq/reel/internal/store"
)

// facetIndex is what the dashboard's pickers read (store.Facets).
type facetIndex interface {
	Countries(ctx context.Context, projectID string) ([]store.FacetCount, error)
	HeatPages(ctx context.Context, projectID string, limit int) ([]store.FacetCount, error)
}

// heatPagesLimit is how many pages GET /api/v1/heatmaps/pages answers unless asked for fewer or
// more (at most heatPagesMax): enough for a picker's suggestions.
const (
	heatPagesLimit = 100
	heatPagesMax   = 500
)

// facetProject reads and checks ?project= as the heatmaps do: "default" when absent, and a
// project the caller cannot see is not found (an unknown one an admin asks for has no values).
func facetProject(r *http.Request) (string, error) {
	p := r.URL.Query().Get("project")
	if p == "" {
		p = "default"
	}
	if len(p) > 64 || !utf8.ValidString(p) || strings.ContainsFunc(p, unicode.IsControl) {
		return "", apierror.New(http.StatusBadRequest, "bad_request", "project must be a project id")
	}
	if !sees(r.Context(), p) {
		return "", errProjectNotFound
	}
	return p, nil
}

type countryJSON struct {
	Code     string `json:"code"`
	Sessions int    `json:"sessions"`
}

// Countries answers the countries present in the project's recent sessions, most sessions
// first, so the dashboard's Country filter lists only those (and hides itself when there are
// none: no country source is configured).
func (a *API) Countries(w http.ResponseWriter, r *http.Request) error {
	project, err := facetProject(r)
	if err != nil {
		return err
	}
	cs, err := a.facets.Countries(r.Context(), project)
	if err != nil {
		return err
	}
	out := make([]countryJSON, 0, len(cs))
	for _, c := range cs {
		out = append(out, countryJSON{Code: c.Value, Sessions: c.Sessions})
	}
	apierror.JSON(w, http.StatusOK, map[string]any{"project": project, "countries": out, "ofLatestSessions": store.FacetSessions})
	return nil
}

type heatPageJSON struct {
	Path     string `json:"path"`
	Sessions int    `json:"sessions"`
}

// HeatPages answers the project's pages that have heatmap data, the most visited first, for
// the heatmap page's suggestions.
func (a *API) HeatPages(w http.ResponseWriter, r *http.Request) error {
	project, err := facetProject(r)
	if err != nil {
		return err
	}
	limit := heatPagesLimit
	if v := r.URL.Query().Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > heatPagesMax {
			return apierror.New(http.StatusBadRequest, "bad_request", "limit must be an integer from 1 to "+strconv.Itoa(heatPagesMax))
		}
		limit = n
	}
	ps, err := a.facets.HeatPages(r.Context(), project, limit)
	if err != nil {
		return err
	}
	out := make([]heatPageJSON, 0, len(ps))
	for _, p := range ps {
		out = append(out, heatPageJSON{Path: p.Value, Sessions: p.Sessions})
	}
	apierror.JSON(w, http.StatusOK, map[string]any{"project": project, "pages": out})
	return nil
}
