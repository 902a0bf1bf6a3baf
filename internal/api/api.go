// Package api is the dashboard's REST API (docs/api.md): login, projects, sessions and their
// events. Handlers return errors; apierror turns them into the one JSON error shape.
package api

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/reelhq/reel/internal/apierror"
	"github.com/reelhq/reel/internal/audit"
	"github.com/reelhq/reel/internal/auth"
	"github.com/reelhq/reel/internal/layout"
)

// index is everything the API reads from the store: one value (a store.Index) satisfying each
// handler group's interface, which lives beside that group's handlers and names only what it
// uses. Each group reaches the store through its own field of API, so a handler can call only
// what its group declares.
type index interface {
	sessionIndex
	eventIndex
	projectIndex
	insightIndex
	reportIndex
	alertIndex
	heatmapIndex
	facetIndex
	savedSearchIndex
	playlistIndex
	shareIndex
	commentIndex
	archiveIndex
	tokenIndex
	auditIndex
	userIndex
	previewIndex
	subjectIndex
	vitalIndex
	funnelIndex
}

// blobs is what the API reads from the blob store.
type blobs interface {
	Get(ctx context.Context, key string) ([]byte, error)
	GetRange(ctx context.Context, key string, offset, length int64) ([]byte, error)
}

// API holds the handlers' dependencies.
type API struct {
	sessions  sessionIndex
	events    eventIndex
	projects  projectIndex
	insights  insightIndex
	reports   reportIndex
	alerts    alertIndex
	heatmaps  heatmapIndex
	facets    facetIndex
	funnels   funnelIndex
	searches  savedSearchIndex
	playlists playlistIndex
	shares    shareIndex
	comments  commentIndex
	archives  archiveIndex
	tokens    tokenIndex
	auditLog  auditIndex
	audit     *audit.Recorder
	users     userIndex
	previews  previewIndex
	pkeys     previewKeys
	subjects  subjectIndex
	vitals    vitalIndex
	links     LinkOptions
	blobs     blobs
	auth      *auth.Auth
	log       *slog.Logger
	content   *layout.Cache
	eraser    eraser
	now       func() time.Time

	alertTester alertTester   // what "Send test" posts through (SetAlertTester)
	observe     Observer      // internal/metrics; nil: nobody (SetObserver)
	clips       chan struct{} // clips being rendered (SetVideoClips); nil: the video endpoint is off
}

// Observer watches what the API does for the operator's metrics: each session search (whether
// its query has free text, fields, both or neither) and each poll of a session's live edge.
type Observer interface {
	Searched(text, filters bool, took time.Duration)
	WatchingLive(session, viewer string)
}

// SetObserver has the API report searches and live viewers to o.
func (a *API) SetObserver(o Observer) { a.observe = o }

// SetClock replaces the API's clock (share links' and rotated keys' times), for tests.
func (a *API) SetClock(now func() time.Time) { a.now = now }

// New returns the API. cache resolves the content markers in stored events; erasure shares it
// so it can forget what it deleted.
func New(idx index, b blobs, a *auth.Auth, log *slog.Logger, cache *layout.Cache, e eraser) *API {
	return &API{sessions: idx, events: idx, projects: idx, insights: idx, reports: idx, alerts: idx, heatmaps: idx, facets: idx, funnels: idx, searches: idx,
		playlists: idx, shares: idx, comments: idx, archives: idx, tokens: idx, auditLog: idx, audit: audit.New(idx, log, audit.Options{}),
		users: idx, previews: idx, subjects: idx, vitals: idx, blobs: b, auth: a, log: log, content: cache, eraser: e, now: time.Now}
}

// SetAudit replaces the audit recorder New made (one that trusts no client address header).
func (a *API) SetAudit(r *audit.Recorder) { a.audit = r }

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
