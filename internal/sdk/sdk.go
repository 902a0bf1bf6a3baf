// Package sdk serves the browser SDK bundle built from sdk/ and committed under dist/, so the
// one script tag a site adds (`<script src=".../sdk/reel.js">`) is served by Reel itself.
package sdk

import (
	"embed"
	"io/fs"
	"net/http"
	"strings"
)

//go:embed dist
var dist embed.FS

// Files returns the built SDK files.
func Files() fs.FS {
	sub, err := fs.Sub(dist, "dist")
	if err != nil {
		panic(err)
	}
	return sub
}

// Handler serves the bundle under /sdk/. Any site may load it, so it is served with an open
// CORS header; it is cached briefly so an upgrade of Reel reaches visitors within minutes.
func Handler() http.Handler {
	files := Files()
	fsrv := http.StripPrefix("/sdk/", http.FileServerFS(files))
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		name := strings.TrimPrefix(r.URL.Path, "/sdk/")
		if name == "" || strings.HasSuffix(name, "/") {
			http.NotFound(w, r)
			return
		}
		if _, err := fs.Stat(files, name); err != nil {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Access-Control-Allow-Origin", "*")
		w.Header().Set("Cache-Control", "public, max-age=300")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		fsrv.ServeHTTP(w, r)
	})
}
