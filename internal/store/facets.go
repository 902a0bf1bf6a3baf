package store

import "context"

// Facets answers what the dashboard's pickers offer: the values actually present in a
// project's data, so a picker never lists a country nobody came from or makes people type a
// page path from memory.
type Facets interface {
	// Countries returns the countries of the project's latest FacetSessions sessions, most
	// sessions first (then by code), without the empty "unknown" country; nil when no session
	// has one (no country source is configured).
	Countries(ctx context.Context, projectID string) ([]FacetCount, error)
	// HeatPages returns up to limit paths of the project that have heatmap data, the ones with
	// the most sessions first (then by path).
	HeatPages(ctx context.Context, projectID string, limit int) ([]FacetCount, error)
}

// FacetCount is a value and how many sessions have it.
type FacetCount struct {
	Value    string
	Sessions int
}

// FacetSessions bounds the sessions Countries reads: the newest ones, so the answer costs the
// same on a project of a billion sessions and still lists every country seen lately.
const FacetSessions = 10000
