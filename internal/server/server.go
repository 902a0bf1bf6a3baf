// Package server puts Reel's handlers behind one http.ServeMux (every route is listed in
// Routes) and runs the HTTP server with graceful shutdown.
package server

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime/debug"
	"time"

	"github.com/klauspost/compress/gzhttp"
	"github.com/klauspost/compress/gzip"
	"github.com/reelhq/reel/internal/api"
	"github.com/reelhq/reel/internal/apierror"
	"github.com/reelhq/reel/internal/auth"
	"github.com/reelhq/reel/internal/sso"
)

// Components are the handlers the routes dispatch to.
type Components struct {
	API    *api.API
	Auth   *auth.Auth
	Ingest http.Handler
	// SDKConfig serves the project's remote SDK configuration to the public key.
	SDKConfig http.Handler
	UI        http.Handler
	SDK       http.Handler
	Demo      http.Handler // nil: the demo shop is off (--demo) and /demo/ is not found
	// SSO signs people in through an OpenID provider; nil when single sign-on is off.
	SSO *sso.SSO
	// Metrics times every route and serves /metrics (internal/metrics); nil: no metrics.
	Metrics Instruments
	Log     *slog.Logger
}

// Instruments are the request metrics: a wrapper per route, and the page a scraper reads.
type Instruments interface {
	Route(pattern string, h http.Handler) http.Handler
	Handler() http.Handler
}

// Route is one entry of Reel's HTTP surface: a ServeMux pattern, what its caller's role must
// allow (auth.Need), and its handler. Every route is in Table, so one test can walk them all
// with every role.
type Route struct {
	Pattern string
	Need    auth.Need
	Handler http.Handler
}

// Table lists every route of Reel. A route that is not Public is reached only by an
// authenticated caller whose role has its Need (auth.Require); which projects the caller sees
// is checked by the handlers, where a request's project becomes known.
func Table(c Components) []Route {
	a := c.API
	h := a.Handler
	return []Route{
		{"POST /api/v1/ingest", auth.Public, c.Ingest},
		{"OPTIONS /api/v1/ingest", auth.Public, c.Ingest},
		{"GET /api/v1/sdk-config", auth.Public, c.SDKConfig},
		{"GET /api/v1/openapi.json", auth.Public, h(a.OpenAPI)},

		{"POST /api/v1/auth/login", auth.Public, h(a.Login)},
		{"POST /api/v1/auth/logout", auth.Public, h(a.Logout)},
		{"GET /api/v1/auth/me", auth.View, h(a.Me)},
		{"GET /api/v1/auth/config", auth.Public, c.SSO.Config()},
		{"GET " + sso.StartPath, auth.Public, c.SSO.Start()},
		{"GET " + sso.CallbackPath, auth.Public, c.SSO.Callback()},

		{"GET /api/v1/users", auth.Manage, h(a.ListUsers)},
		{"PATCH /api/v1/users/{user}", auth.Manage, h(a.UpdateUser)},
		{"DELETE /api/v1/users/{user}", auth.Manage, h(a.DeleteUser)},
		{"POST /api/v1/users/{user}/reset-link", auth.Manage, h(a.ResetLink)},
		{"GET /api/v1/invites", auth.Manage, h(a.ListInvites)},
		{"POST /api/v1/invites", auth.Manage, h(a.CreateInvite)},
		{"DELETE /api/v1/invites/{id}", auth.Manage, h(a.RevokeInvite)},
		{"GET /api/v1/invites/accept/{token}", auth.Public, h(a.InviteInfo)},
		{"POST /api/v1/invites/accept/{token}", auth.Public, h(a.AcceptInvite)},

		{"GET /api/v1/projects", auth.View, h(a.Projects)},
		{"PATCH /api/v1/projects/{project}", auth.Manage, h(a.UpdateProject)},
		{"POST /api/v1/projects", auth.Manage, h(a.CreateProject)},
		{"POST /api/v1/projects/{project}/rotate-key", auth.Manage, h(a.RotateKey)},
		{"DELETE /api/v1/projects/{project}", auth.Own, h(a.DeleteProject)},
		{"DELETE /api/v1/projects/{project}/users/{user}", auth.Own, h(a.EraseUser)},
		{"GET /api/v1/projects/{project}/users/{user}/export", auth.Manage, h(a.ExportUser)},
		{"GET /api/v1/projects/{project}/users/{user}", auth.View, h(a.UserProfile)},
		{"POST /api/v1/projects/{project}/privacy-preview", auth.Manage, h(a.CreatePreview)},
		// Authenticated by the preview token in the body (docs/player.md#privacy-preview).
		{"POST /api/v1/privacy-preview/scrub", auth.Public, h(a.PreviewScrub)},
		{"OPTIONS /api/v1/privacy-preview/scrub", auth.Public, h(a.PreviewScrub)},

		{"GET /api/v1/sessions", auth.View, h(a.ListSessions)},
		{"GET /api/v1/sessions/{id}", auth.View, h(a.GetSession)},
		{"GET /api/v1/sessions/{id}/events", auth.View, h(a.Events)},
		{"GET /api/v1/sessions/{id}/signals", auth.View, h(a.Signals)},
		{"GET /api/v1/sessions/{id}/tabs", auth.View, h(a.Tabs)},
		{"GET /api/v1/sessions/{id}/vitals", auth.View, h(a.SessionVitals)},
		{"GET /api/v1/sessions/{id}/archive", auth.View, h(a.Archive)},
		{"GET /api/v1/sessions/{id}/archive/file", auth.View, h(a.ArchivedFile)},
		{"GET /api/v1/sessions/{id}/video", auth.View, h(a.Video)},
		{"POST /api/v1/sessions/{id}/share", auth.View, h(a.CreateShare)},
		{"GET /api/v1/sessions/{id}/shares", auth.View, h(a.SessionShares)},
		{"DELETE /api/v1/shares/{id}", auth.View, h(a.RevokeShare)},
		{"GET /api/v1/sessions/{id}/comments", auth.View, h(a.SessionComments)},
		{"POST /api/v1/sessions/{id}/comments", auth.View, h(a.CreateComment)},
		{"PATCH /api/v1/comments/{id}", auth.View, h(a.EditComment)},
		{"DELETE /api/v1/comments/{id}", auth.View, h(a.DeleteComment)},

		{"GET /api/v1/issues", auth.View, h(a.Issues)},
		{"POST /api/v1/funnels", auth.View, h(a.Funnel)},
		{"GET /api/v1/saved-funnels", auth.View, h(a.ListSavedFunnels)},
		{"POST /api/v1/saved-funnels", auth.Save, h(a.CreateSavedFunnel)},
		{"GET /api/v1/saved-funnels/{id}", auth.View, h(a.GetSavedFunnel)},
		{"PATCH /api/v1/saved-funnels/{id}", auth.Save, h(a.UpdateSavedFunnel)},
		{"DELETE /api/v1/saved-funnels/{id}", auth.Save, h(a.DeleteSavedFunnel)},
		{"GET /api/v1/flags", auth.View, h(a.Flags)},
		{"GET /api/v1/experiments", auth.View, h(a.Experiment)},
		{"GET /api/v1/heatmaps", auth.View, h(a.Heatmaps)},
		{"GET /api/v1/heatmaps/pages", auth.View, h(a.HeatPages)},
		{"GET /api/v1/countries", auth.View, h(a.Countries)},
		{"GET /api/v1/vitals", auth.View, h(a.Vitals)},
		{"GET /api/v1/vitals/slowest", auth.View, h(a.VitalsSlowest)},

		{"GET /api/v1/alerts", auth.View, h(a.ListAlerts)},
		{"POST /api/v1/alerts", auth.Manage, h(a.CreateAlert)},
		{"DELETE /api/v1/alerts/{id}", auth.Manage, h(a.DeleteAlert)},
		{"POST /api/v1/alerts/{id}/test", auth.Manage, h(a.TestAlert)},

		{"GET /api/v1/saved-searches", auth.View, h(a.ListSavedSearches)},
		{"POST /api/v1/saved-searches", auth.Save, h(a.CreateSavedSearch)},
		{"GET /api/v1/saved-searches/{id}", auth.View, h(a.GetSavedSearch)},
		{"PATCH /api/v1/saved-searches/{id}", auth.Save, h(a.UpdateSavedSearch)},
		{"DELETE /api/v1/saved-searches/{id}", auth.Save, h(a.DeleteSavedSearch)},
		{"POST /api/v1/saved-searches/{id}/visit", auth.View, h(a.VisitSavedSearch)},

		{"GET /api/v1/playlists", auth.View, h(a.ListPlaylists)},
		{"POST /api/v1/playlists", auth.Save, h(a.CreatePlaylist)},
		{"GET /api/v1/playlists/{id}", auth.View, h(a.GetPlaylist)},
		{"PATCH /api/v1/playlists/{id}", auth.Save, h(a.UpdatePlaylist)},
		{"DELETE /api/v1/playlists/{id}", auth.Save, h(a.DeletePlaylist)},
		{"GET /api/v1/playlists/{id}/sessions", auth.View, h(a.PlaylistSessions)},
		{"PUT /api/v1/playlists/{id}/sessions/{session}", auth.Save, h(a.PinSession)},
		{"DELETE /api/v1/playlists/{id}/sessions/{session}", auth.Save, h(a.UnpinSession)},

		{"GET /api/v1/tokens", auth.Manage, h(a.ListTokens)},
		{"POST /api/v1/tokens", auth.Manage, h(a.CreateToken)},
		{"DELETE /api/v1/tokens/{id}", auth.Manage, h(a.RevokeToken)},

		{"GET /api/v1/audit", auth.Manage, h(a.ListAudit)},
		{"GET /api/v1/audit/export", auth.Manage, h(a.ExportAudit)},

		{"GET /api/v1/share/{token}", auth.Public, h(a.SharedSession)},
		{"GET /api/v1/share/{token}/events", auth.Public, h(a.SharedEvents)},
		{"GET /api/v1/share/{token}/tabs", auth.Public, h(a.SharedTabs)},
		{"GET /api/v1/share/{token}/archive", auth.Public, h(a.SharedArchive)},
		{"GET /api/v1/share/{token}/archive/file", auth.Public, h(a.SharedArchivedFile)},

		{"GET /metrics", auth.Manage, metricsPage(c.Metrics)},

		{"/api/", auth.Public, h(a.NotFound)},
		{"GET /healthz", auth.Public, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			apierror.JSON(w, http.StatusOK, map[string]string{"status": "ok"})
		})},
		{"GET /sdk/", auth.Public, c.SDK},
		{"/demo/", auth.Public, orNotFound(c.Demo)},
		{"GET /demo", auth.Public, http.RedirectHandler("/demo/", http.StatusMovedPermanently)},
		{"/", auth.Public, readOnly(c.UI)},
	}
}

// Routes returns the whole HTTP surface of Reel.
func Routes(c Components) http.Handler {
	mux := http.NewServeMux()
	for _, rt := range Table(c) {
		h := c.Auth.Require(rt.Need, rt.Handler)
		if c.Metrics != nil {
			h = c.Metrics.Route(rt.Pattern, h)
		}
		mux.Handle(rt.Pattern, h)
	}
	return recoverPanics(c.Log, logRequests(c.Log, securityHeaders(compressed(mux))))
}

// metricsPage serves Prometheus metrics, or not found when the server keeps none.
func metricsPage(m Instruments) http.Handler {
	if m == nil {
		return http.NotFoundHandler()
	}
	return m.Handler()
}

// compressed answers in zstd or gzip, whichever the client takes, anything of 1 kB or more
// whose type compresses: the events of a session (an hour of them is tens of MB of JSON, a
// tenth of that compressed), the dashboard and the SDK bundle. Both encoders run at their
// fastest level, since most of it is made per request, and streamed answers stay streamed
// (each flush ends a block). The ingest endpoint is left alone: its answers are a few bytes.
// No answer mixes a secret with content someone else can choose (BREACH): tokens and
// passwords travel in headers, cookies and request bodies, and the answers that do name one
// (a new share link) are under the size compressed (docs/decisions.md).
func compressed(next http.Handler) http.Handler {
	wrap, err := gzhttp.NewWrapper(gzhttp.MinSize(1024), gzhttp.CompressionLevel(gzip.BestSpeed))
	if err != nil {
		panic(fmt.Sprintf("server: compression options: %v", err)) // constant options
	}
	zipped := wrap(next)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/api/v1/ingest" {
			next.ServeHTTP(w, r)
			return
		}
		zipped.ServeHTTP(w, r)
	})
}

// orNotFound is h, or a 404 for everything when h is nil (a part switched off).
func orNotFound(h http.Handler) http.Handler {
	if h == nil {
		return http.NotFoundHandler()
	}
	return h
}

// readOnly refuses anything but GET and HEAD; the catch-all dashboard route cannot say so in
// its pattern without conflicting with the method-agnostic /api/ fallback.
func readOnly(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			apierror.Write(w, r, nil, apierror.New(http.StatusMethodNotAllowed, "method_not_allowed", "method not allowed"))
			return
		}
		next.ServeHTTP(w, r)
	})
}

func securityHeaders(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("X-Content-Type-Options", "nosniff")
		// No answer of Reel's names its URL to anyone: replayed pages load images from the
		// sites they recorded, and a Referer would tell those sites where their visitors are
		// watched (a session's URL) and that they are.
		h.Set("Referrer-Policy", "no-referrer")
		next.ServeHTTP(w, r)
	})
}

type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int
}

func (s *statusWriter) WriteHeader(code int) {
	if s.status == 0 {
		s.status = code
	}
	s.ResponseWriter.WriteHeader(code)
}

func (s *statusWriter) Write(b []byte) (int, error) {
	if s.status == 0 {
		s.status = http.StatusOK
	}
	n, err := s.ResponseWriter.Write(b)
	s.bytes += n
	return n, err
}

func (s *statusWriter) Unwrap() http.ResponseWriter { return s.ResponseWriter }

func logRequests(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r)
		level := slog.LevelDebug
		if sw.status >= 500 {
			level = slog.LevelWarn
		} else if r.URL.Path == "/api/v1/ingest" || sw.status >= 400 {
			level = slog.LevelInfo
		}
		log.Log(r.Context(), level, "http", "method", r.Method, "path", apierror.LogPath(r.URL.Path), "status", sw.status, "bytes", sw.bytes, "dur", time.Since(start).Round(time.Microsecond))
	})
}

func recoverPanics(log *slog.Logger, next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				log.ErrorContext(r.Context(), "panic", "path", apierror.LogPath(r.URL.Path), "panic", fmt.Sprint(v), "stack", string(debug.Stack()))
				apierror.Write(w, r, log, fmt.Errorf("panic: %v", v))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// Run serves h on ln until ctx is cancelled, then stops accepting and waits up to grace for
// requests in flight, so an ingest request that is mid-write still gets its answer.
func Run(ctx context.Context, ln net.Listener, h http.Handler, log *slog.Logger, grace time.Duration) error {
	srv := &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       60 * time.Second,
		WriteTimeout:      120 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return fmt.Errorf("server: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down", "grace", grace)
	sctx, cancel := context.WithTimeout(context.Background(), grace)
	defer cancel()
	if err := srv.Shutdown(sctx); err != nil {
		return fmt.Errorf("server: shutdown: %w", err)
	}
	if err := <-errc; err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("server: %w", err)
	}
	return nil
}
