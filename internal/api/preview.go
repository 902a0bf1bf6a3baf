package api

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/reelhq/reel/internal/apierror"
	"github.com/reelhq/reel/internal/preview"
	"github.com/reelhq/reel/internal/store"
)

// previewIndex is what the privacy preview reads: the project a token names, and the
// server-wide key tokens are signed with.
type previewIndex interface {
	Project(ctx context.Context, id string) (store.Project, error)
	EnsureSetting(ctx context.Context, name, value string) (string, error)
}

// previewKeySetting names the preview tokens' signing key in the index's settings.
const previewKeySetting = "preview_token_key"

// previewKeys caches the signing key once read: it never changes.
type previewKeys struct {
	mu  sync.Mutex
	key []byte
}

// previewKey returns the key preview tokens are signed with, made on first use and shared by
// every node through the index (EnsureSetting keeps the first one stored).
func (a *API) previewKey(ctx context.Context) ([]byte, error) {
	a.pkeys.mu.Lock()
	defer a.pkeys.mu.Unlock()
	if a.pkeys.key != nil {
		return a.pkeys.key, nil
	}
	b := make([]byte, 32)
	rand.Read(b)
	v, err := a.previews.EnsureSetting(ctx, previewKeySetting, base64.RawURLEncoding.EncodeToString(b))
	if err != nil {
		return nil, fmt.Errorf("privacy preview: signing key: %w", err)
	}
	key, err := base64.RawURLEncoding.DecodeString(v)
	if err != nil || len(key) < 16 {
		return nil, fmt.Errorf("privacy preview: stored signing key is not valid")
	}
	a.pkeys.key = key
	return key, nil
}

// CreatePreview makes a privacy preview link (POST /api/v1/projects/{project}/privacy-preview,
// admins): body {"url": a page of the site}; answers {"url": that page with reel_preview set,
// "token", "expiresAt"}. The token lives preview.TTL and is good for this project and the
// page's origin only.
func (a *API) CreatePreview(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	p, err := a.projectByID(ctx, r.PathValue("project"))
	if err != nil {
		return err
	}
	var in struct {
		URL string `json:"url"`
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		return badRequest(`body must be {"url": "https://your.site/page"}, at most 4 KiB`)
	}
	origin, err := preview.SiteURL(in.URL)
	if err != nil {
		return badRequest(err.Error())
	}
	key, err := a.previewKey(ctx)
	if err != nil {
		return err
	}
	exp := a.now().Add(preview.TTL).Truncate(time.Second).UTC()
	token := preview.Mint(key, preview.Token{Project: p.ID, Origin: origin, Expires: exp})
	a.log.Info("privacy preview link made", "project", p.ID, "origin", origin)
	apierror.JSON(w, http.StatusCreated, map[string]any{"url": preview.Link(in.URL, token), "token": token, "expiresAt": exp})
	return nil
}

// previewToken checks a preview token: 401 with a message the overlay shows when it is not
// one of ours or has expired.
func (a *API) previewToken(ctx context.Context, token string) (preview.Token, error) {
	key, err := a.previewKey(ctx)
	if err != nil {
		return preview.Token{}, err
	}
	t, err := preview.Verify(key, token, a.now())
	switch {
	case errors.Is(err, preview.ErrExpired):
		return t, apierror.New(http.StatusUnauthorized, "preview_expired", "this privacy preview link has expired (they last one hour); make a new one on Reel's Settings page")
	case err != nil:
		return t, apierror.New(http.StatusUnauthorized, "preview_invalid", "this privacy preview link is not valid; make a new one on Reel's Settings page")
	}
	return t, nil
}

// Bounds of one scrub request: the overlay sends the text, attribute values and input values
// a page shows (a long page is some thousands of strings), in one or a few requests.
const (
	maxPreviewBody    = 512 << 10
	maxPreviewStrings = 5000
)

// scrubResult is what the scrubber did to one string: how many values of each kind it
// replaced, and the string as the server would store it.
type scrubResult struct {
	Kinds    map[string]int `json:"kinds"`
	Scrubbed string         `json:"scrubbed"`
}

// PreviewScrub runs the project's server-side scrubber over strings a preview overlay sends
// (POST /api/v1/privacy-preview/scrub, public, authenticated by the preview token in the body):
// {"token", "strings": [...]} → {"results": [{"kinds": {"email": 1}, "scrubbed": "…"}], ...}.
// Nothing is stored; the caller learns only what the scrubber makes of its own strings. The
// body is text/plain JSON, a CORS simple request, so the page needs no preflight; the answer
// is readable by the token's origin only. With no strings it only checks the token, which is
// how the overlay learns that a link is no longer good.
func (a *API) PreviewScrub(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	origin := r.Header.Get("Origin")
	if origin != "" {
		// Set before the token is read, so the site's page can read an error too.
		w.Header().Set("Access-Control-Allow-Origin", origin)
		w.Header().Set("Vary", "Origin")
	}
	if r.Method == http.MethodOptions {
		w.Header().Set("Access-Control-Allow-Methods", "POST")
		w.Header().Set("Access-Control-Allow-Headers", "Content-Type")
		w.Header().Set("Access-Control-Max-Age", "600")
		w.WriteHeader(http.StatusNoContent)
		return nil
	}
	var in struct {
		Token   string   `json:"token"`
		Strings []string `json:"strings"`
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxPreviewBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&in); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			return apierror.New(http.StatusRequestEntityTooLarge, "too_large", fmt.Sprintf("body must be at most %d KiB; send the strings in several requests", maxPreviewBody>>10))
		}
		return badRequest(`body must be {"token": "…", "strings": ["…"]}`)
	}
	if len(in.Strings) > maxPreviewStrings {
		return badRequest(fmt.Sprintf("at most %d strings per request", maxPreviewStrings))
	}
	t, err := a.previewToken(ctx, in.Token)
	if err != nil {
		return err
	}
	if origin != "" && origin != t.Origin {
		return apierror.New(http.StatusForbidden, "preview_origin", fmt.Sprintf("this privacy preview link was made for %s, not %s", t.Origin, origin))
	}
	p, err := a.previews.Project(ctx, t.Project)
	if errors.Is(err, store.ErrNotFound) {
		return apierror.New(http.StatusUnauthorized, "preview_invalid", "the project of this privacy preview link no longer exists")
	}
	if err != nil {
		return fmt.Errorf("privacy preview: project %s: %w", t.Project, err)
	}
	scrubString, err := a.projectScrubber(ctx, p)
	if err != nil {
		return fmt.Errorf("privacy preview: scrubber of %s: %w", p.ID, err)
	}
	out := make([]scrubResult, len(in.Strings))
	for i, s := range in.Strings {
		scrubbed, kinds := scrubString(s)
		if kinds == nil {
			kinds = map[string]int{}
		}
		out[i] = scrubResult{Kinds: kinds, Scrubbed: scrubbed}
	}
	apierror.JSON(w, http.StatusOK, map[string]any{"project": p.ID, "expiresAt": t.Expires, "results": out})
	return nil
}
