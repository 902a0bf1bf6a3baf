// Package ui serves the dashboard: the single-page app built from web/ and committed under
// dist/ so that `go install` needs no Node. Every path that is not an asset gets index.html and
// the app routes on the client.
package ui

import (
	"embed"
	"io/fs"
	"net/http"
	"path"
	"strings"
)

//go:embed dist
var dist embed.FS

// ContentSecurityPolicy is sent with every dashboard page. Scripts only from Reel itself;
// recorded pages are untrusted input, replayed in a sandboxed frame without scripts, and may
// reference styles, images and fonts anywhere, which is why those sources are open.
const ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline' *; " +
	"img-src * data: blob:; font-src * data:; media-src * data: blob:; connect-src 'self'; frame-src 'self'; " +
	"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// Files returns the built dashboard.
func Files() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		panic(err) // the embed pattern guarantees the directory
	}
	return sub
}

// Handler serves assets under /assets/ and index.html for every other path.
func Handler() http.Handler {
	files := Files()
	assets := http.FileServerFS(files)
	index, err := fs.ReadFile(files, "index.html")
	if err != nil {
		panic("ui: dist/index.html missing; run npm run build in web/")
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", ContentSecurityPolicy)
		w.Header().Set("X-Frame-Options", "DENY")
		if strings.HasPrefix(r.URL.Path, "/assets/") {
			if _, err := fs.Stat(files, strings.TrimPrefix(path.Clean(r.URL.Path), "/")); err != nil {
				http.NotFound(w, r)
				return
			}
			w.Header().Set("Cache-Control", "no-cache")
			assets.ServeHTTP(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		w.Header().Set("Cache-Control", "no-cache")
		w.Write(index)
	})
}
