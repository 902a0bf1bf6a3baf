// Package demo serves Reel Supply Co., a small shop that ships inside the
// reel binary at /demo/. It is already wired to the default project, so a
// newcomer can click around it and watch their own visit replayed without
// instrumenting an app first. The shop keeps some friction on purpose (a
// coupon button that does nothing, a "Track my order" link that throws, a
// checkout form that rejects bad input) so replays and insights have
// something real to show.
package demo

import (
	"bytes"
	"crypto/sha256"
	"embed"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"net/http"
	"path"
	"strings"
	"time"
)

// Prefix is the path the handler expects to be mounted at.
const Prefix = "/demo/"

// The site is plain HTML, CSS and JavaScript with no build step, so what is
// embedded is exactly what was reviewed.
//
//go:embed site
var site embed.FS

// file is one embedded asset, read once at start-up so that serving it never
// touches the filesystem and its ETag is computed only once.
type file struct {
	body        []byte
	contentType string
	etag        string
}

// ContentSecurityPolicy is sent with every answer of the shop: it runs only its own scripts and
// the SDK (both served by Reel, no inline code, TestPageScripts), talks only to Reel, and no other
// site can frame it. Inline styles stay allowed because the SDK's recorder sets style
// attributes; workers from blob: because it hands canvas frames to one.
const ContentSecurityPolicy = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; " +
	"img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self'; worker-src 'self' blob:; " +
	"object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

// Handler returns the demo shop's handler. It must be mounted at Prefix and
// receives the full request path. publicKey is the ingest key of the project
// the demo records into; it is written into /demo/config.js, which every page
// loads right after the SDK, so the pages themselves never change with the key.
func Handler(publicKey string) http.Handler {
	files, err := load(site)
	if err != nil {
		// The site is compiled in, so this only fails if the binary is broken.
		panic("demo: load embedded site: " + err.Error())
	}
	config := configScript(publicKey)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Security-Policy", ContentSecurityPolicy)
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		name, ok := strings.CutPrefix(r.URL.Path, Prefix)
		if !ok {
			http.NotFound(w, r)
			return
		}
		if name == "" {
			name = "index.html"
		}
		if api, ok := strings.CutPrefix(name, strings.TrimPrefix(apiPrefix, Prefix)); ok {
			serveAPI(w, r, api)
			return
		}
		if name == "config.js" {
			w.Header().Set("Content-Type", "text/javascript; charset=utf-8")
			// The key can change between runs; a cached config would send a
			// visit to the wrong project.
			w.Header().Set("Cache-Control", "no-store")
			http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(config))
			return
		}
		// Lookup is an exact match against the embedded names, so "..",
		// encoded slashes and absolute paths cannot reach anything else.
		f, ok := files[name]
		if !ok {
			http.NotFound(w, r)
			return
		}
		h := w.Header()
		h.Set("Content-Type", f.contentType)
		h.Set("ETag", f.etag)
		// Revalidate every time so a new reel binary shows its new demo at
		// once; the ETag makes that a 304 when nothing changed.
		h.Set("Cache-Control", "no-cache")
		h.Set("X-Content-Type-Options", "nosniff")
		http.ServeContent(w, r, name, time.Time{}, bytes.NewReader(f.body))
	})
}

// configScript returns the JavaScript that starts the SDK with key. The key
// is JSON-encoded, which also escapes <, > and &, so no key can end the
// string or the script early.
func configScript(key string) []byte {
	k, _ := json.Marshal(key) // Marshalling a string cannot fail.
	return []byte("Reel.init({ key: " + string(k) + " });\n")
}

// contentTypes is spelled out rather than taken from package mime, whose
// table can be overridden by the host's mime.types (some hosts map .js to
// text/plain, which browsers refuse to run with nosniff).
var contentTypes = map[string]string{
	".html": "text/html; charset=utf-8",
	".css":  "text/css; charset=utf-8",
	".js":   "text/javascript; charset=utf-8",
	".svg":  "image/svg+xml",
}

// load reads every file under site/ into memory, keyed by its path relative
// to site/.
func load(fsys embed.FS) (map[string]file, error) {
	root, err := fs.Sub(fsys, "site")
	if err != nil {
		return nil, err
	}
	files := map[string]file{}
	err = fs.WalkDir(root, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		body, err := fs.ReadFile(root, name)
		if err != nil {
			return err
		}
		ct, ok := contentTypes[path.Ext(name)]
		if !ok {
			ct = http.DetectContentType(body)
		}
		sum := sha256.Sum256(body)
		files[name] = file{
			body:        body,
			contentType: ct,
			etag:        `"` + hex.EncodeToString(sum[:8]) + `"`,
		}
		return nil
	})
	return files, err
}
