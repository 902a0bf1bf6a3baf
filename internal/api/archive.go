package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/reelhq/reel/internal/apierror"
	"github.com/reelhq/reel/internal/archive"
	"github.com/reelhq/reel/internal/content"
	"github.com/reelhq/reel/internal/store"
)

// archiveIndex is what the player's archive endpoints read (store.Archives).
type archiveIndex interface {
	SessionArchive(ctx context.Context, sessionID string) ([]store.Archived, error)
}

type archivedJSON struct {
	URL       string    `json:"url"`
	Type      string    `json:"type,omitempty"`
	Size      int       `json:"size,omitempty"`
	Path      string    `json:"path,omitempty"`
	Error     string    `json:"error,omitempty"`
	FetchedAt time.Time `json:"fetchedAt"`
}

// archivePath is where the copy of u is served under a session's prefix.
func archivePath(prefix, u string) string {
	return prefix + "/archive/file?url=" + url.QueryEscape(u)
}

// Archive lists the external resources archived for a session's replay (docs/archive.md).
func (a *API) Archive(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	return a.writeArchive(w, r, id, "/api/v1/sessions/"+url.PathEscape(id))
}

// ArchivedFile serves one archived copy of a session's resource, ?url=<as recorded>.
func (a *API) ArchivedFile(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	return a.writeArchivedFile(w, r, id, "/api/v1/sessions/"+url.PathEscape(id))
}

// SharedArchive is Archive for the session a share link grants.
func (a *API) SharedArchive(w http.ResponseWriter, r *http.Request) error {
	g, err := a.grant(r)
	if err != nil {
		return err
	}
	return a.writeArchive(w, r, g.SessionID, "/api/v1/share/"+url.PathEscape(r.PathValue("token")))
}

// SharedArchivedFile is ArchivedFile for the session a share link grants.
func (a *API) SharedArchivedFile(w http.ResponseWriter, r *http.Request) error {
	g, err := a.grant(r)
	if err != nil {
		return err
	}
	return a.writeArchivedFile(w, r, g.SessionID, "/api/v1/share/"+url.PathEscape(r.PathValue("token")))
}

func (a *API) sessionArchive(ctx context.Context, id string) (store.Session, []store.Archived, error) {
	sess, err := a.getSession(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return sess, nil, errSessionNotFound
	}
	if err != nil {
		return sess, nil, err
	}
	rows, err := a.archives.SessionArchive(ctx, id)
	return sess, rows, err
}

func (a *API) writeArchive(w http.ResponseWriter, r *http.Request, id, prefix string) error {
	_, rows, err := a.sessionArchive(r.Context(), id)
	if err != nil {
		return err
	}
	out := make([]archivedJSON, 0, len(rows))
	for _, row := range rows {
		j := archivedJSON{URL: row.URL, Error: row.Error, FetchedAt: row.FetchedAt}
		if row.Hash != "" {
			j.Type, j.Size, j.Path = row.Type, row.Size, archivePath(prefix, row.URL)
		}
		out = append(out, j)
	}
	apierror.JSON(w, http.StatusOK, map[string]any{"resources": out})
	return nil
}

var errNotArchived = apierror.New(http.StatusNotFound, "not_archived", "no archived copy of this URL for this session")

// archiveCSP applies when an archived copy is opened as a document (an SVG image, say): it
// runs nothing and loads nothing but other copies.
const archiveCSP = "default-src 'none'; img-src 'self' data:; font-src 'self' data:; style-src 'self' 'unsafe-inline'; sandbox"

func (a *API) writeArchivedFile(w http.ResponseWriter, r *http.Request, id, prefix string) error {
	ctx := r.Context()
	want := r.URL.Query().Get("url")
	sess, rows, err := a.sessionArchive(ctx, id)
	if err != nil {
		return err
	}
	copies := map[string]bool{}
	var row store.Archived
	for _, x := range rows {
		if x.Hash == "" {
			continue
		}
		copies[x.URL] = true
		if x.URL == want {
			row = x
		}
	}
	if row.Hash == "" {
		return errNotArchived
	}
	tok, err := a.content.Token(ctx, sess.ProjectID, row.Hash)
	if errors.Is(err, content.ErrMissing) {
		return errNotArchived
	}
	if err != nil {
		return err
	}
	var s string
	if err := json.Unmarshal(tok, &s); err != nil {
		return err
	}
	typ := row.Type
	var body []byte
	if typ == "text/css" {
		// The sheet's own references point at their copies (or, without one, at the absolute
		// original: a relative one would resolve against this endpoint).
		body = []byte(archive.StylesheetFor(s, row.URL, func(abs string) string {
			if copies[abs] {
				return archivePath(prefix, abs)
			}
			return ""
		}))
		typ = "text/css; charset=utf-8"
	} else if body, err = archive.Decode(typ, s); err != nil {
		return err
	}
	h := w.Header()
	h.Set("Content-Type", typ)
	h.Set("Content-Length", strconv.Itoa(len(body)))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", archiveCSP)
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	h.Set("Cache-Control", "private, max-age=3600")
	w.WriteHeader(http.StatusOK)
	if r.Method != http.MethodHead {
		w.Write(body)
	}
	return nil
}
