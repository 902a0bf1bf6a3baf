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
	Demo      http.Handler
	Log       *slog.Logger
}

// Routes returns the whole HTTP surface of Reel.
func Routes(c Components) http.Handler {
	mux := http.NewServeMux()
	a, require := c.API, c.Auth.Require

	mux.Handle("POST /api/v1/ingest", c.Ingest)
	mux.Handle("OPTIONS /api/v1/ingest", c.Ingest)

	mux.Handle("POST /api/v1/auth/login", a.Handler(a.Login))
	mux.Handle("POST /api/v1/auth/logout", a.Handler(a.Logout))
	mux.Handle("GET /api/v1/auth/me", require(a.Handler(a.Me)))
	mux.Handle("GET /api/v1/projects", require(a.Handler(a.Projects)))
	mux.Handle("PATCH /api/v1/projects/{project}", require(a.Handler(a.UpdateProject)))
	mux.Handle("POST /api/v1/projects", require(a.Handler(a.CreateProject)))
	mux.Handle("DELETE /api/v1/projects/{project}", require(a.Handler(a.DeleteProject)))
	mux.Handle("POST /api/v1/projects/{project}/rotate-key", require(a.Handler(a.RotateKey)))
	mux.Handle("GET /api/v1/sessions", require(a.Handler(a.ListSessions)))
	mux.Handle("GET /api/v1/sessions/{id}", require(a.Handler(a.GetSession)))
	mux.Handle("GET /api/v1/sessions/{id}/events", require(a.Handler(a.Events)))
	mux.Handle("GET /api/v1/sessions/{id}/signals", require(a.Handler(a.Signals)))
	mux.Handle("GET /api/v1/sessions/{id}/archive", require(a.Handler(a.Archive)))
	mux.Handle("GET /api/v1/sessions/{id}/archive/file", require(a.Handler(a.ArchivedFile)))
	mux.Handle("GET /api/v1/issues", require(a.Handler(a.Issues)))
	mux.Handle("POST /api/v1/funnels", require(a.Handler(a.Funnel)))
	mux.Handle("GET /api/v1/heatmaps", require(a.Handler(a.Heatmaps)))
	mux.Handle("GET /api/v1/alerts", require(a.Handler(a.ListAlerts)))
	mux.Handle("POST /api/v1/alerts", require(a.Handler(a.CreateAlert)))
	mux.Handle("DELETE /api/v1/alerts/{id}", require(a.Handler(a.DeleteAlert)))
	mux.Handle("GET /api/v1/saved-searches", require(a.Handler(a.ListSavedSearches)))
	mux.Handle("POST /api/v1/saved-searches", require(a.Handler(a.CreateSavedSearch)))
	mux.Handle("GET /api/v1/saved-searches/{id}", require(a.Handler(a.GetSavedSearch)))
	mux.Handle("PATCH /api/v1/saved-searches/{id}", require(a.Handler(a.UpdateSavedSearch)))
	mux.Handle("DELETE /api/v1/saved-searches/{id}", require(a.Handler(a.DeleteSavedSearch)))
	mux.Handle("POST /api/v1/saved-searches/{id}/visit", require(a.Handler(a.VisitSavedSearch)))
	mux.Handle("GET /api/v1/playlists", require(a.Handler(a.ListPlaylists)))
	mux.Handle("POST /api/v1/playlists", require(a.Handler(a.CreatePlaylist)))
	mux.Handle("GET /api/v1/playlists/{id}", require(a.Handler(a.GetPlaylist)))
	mux.Handle("PATCH /api/v1/playlists/{id}", require(a.Handler(a.UpdatePlaylist)))
	mux.Handle("DELETE /api/v1/playlists/{id}", require(a.Handler(a.DeletePlaylist)))
	mux.Handle("GET /api/v1/playlists/{id}/sessions", require(a.Handler(a.PlaylistSessions)))
	mux.Handle("PUT /api/v1/playlists/{id}/sessions/{session}", require(a.Handler(a.PinSession)))
	mux.Handle("DELETE /api/v1/playlists/{id}/sessions/{session}", require(a.Handler(a.UnpinSession)))
	mux.Handle("GET /api/v1/sessions/{id}/tabs", require(a.Handler(a.Tabs)))
	mux.Handle("POST /api/v1/sessions/{id}/share", require(a.Handler(a.CreateShare)))
	mux.Handle("GET /api/v1/sessions/{id}/shares", require(a.Handler(a.SessionShares)))
	mux.Handle("DELETE /api/v1/shares/{id}", require(a.Handler(a.RevokeShare)))
	mux.Handle("GET /api/v1/share/{token}", a.Handler(a.SharedSession))
	mux.Handle("GET /api/v1/share/{token}/events", a.Handler(a.SharedEvents))
	mux.Handle("GET /api/v1/share/{token}/tabs", a.Handler(a.SharedTabs))
	mux.Handle("GET /api/v1/share/{token}/archive", a.Handler(a.SharedArchive))
	mux.Handle("GET /api/v1/share/{token}/archive/file", a.Handler(a.SharedArchivedFile))
	mux.Handle("DELETE /api/v1/projects/{project}/users/{user}", require(a.Handler(a.EraseUser)))
	mux.Handle("GET /api/v1/sdk-config", c.SDKConfig)
	mux.Handle("/api/", a.Handler(a.NotFound))

	mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		apierror.JSON(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	mux.Handle("GET /sdk/", c.SDK)
	mux.Handle("/demo/", c.Demo)
	mux.Handle("GET /demo", http.RedirectHandler("/demo/", http.StatusMovedPermanently))
	mux.Handle("/", readOnly(c.UI))

	return recoverPanics(c.Log, logRequests(c.Log, securityHeaders(compressed(mux))))
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
		h.Set("Referrer-Policy", "strict-origin-when-cross-origin")
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
