package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/reelhq/reel/internal/apierror"
	"github.com/reelhq/reel/internal/audit"
	"github.com/reelhq/reel/internal/auth"
	"github.com/reelhq/reel/internal/share"
	"github.com/reelhq/reel/internal/store"
)

// shareIndex keeps share links: each is a row, listed per session and revocable, found by the
// hash of the token the link holds.
type shareIndex interface {
	CreateShare(ctx context.Context, l store.ShareLink) error
	ShareByToken(ctx context.Context, tokenHash string) (store.ShareLink, error)
	Share(ctx context.Context, id string) (store.ShareLink, error)
	SessionShares(ctx context.Context, sessionID string) ([]store.ShareLink, error)
	RevokeShare(ctx context.Context, id string, at time.Time) error
}

// DefaultShareTTL is how long a share link lives when the caller does not say.
const DefaultShareTTL = 7 * 24 * time.Hour

// shareJSON is a link as its session's page lists it. The token is not part of it: it is
// shown once, when the link is made, and the index keeps only its hash.
type shareJSON struct {
	ID        string     `json:"id"`
	CreatedAt time.Time  `json:"createdAt"`
	ExpiresAt time.Time  `json:"expiresAt"`
	RevokedAt *time.Time `json:"revokedAt,omitempty"`
	At        int64      `json:"at,omitempty"` // ms from the start the link opens at
	Status    string     `json:"status"`       // active, expired or revoked
	CreatedBy int64      `json:"createdBy"`    // user id; 0 for the admin token
	Mine      bool       `json:"mine"`
	Note      string     `json:"note,omitempty"` // shown to whoever opens the link
}

func shareOut(l store.ShareLink, me int64, now time.Time) shareJSON {
	j := shareJSON{ID: l.ID, CreatedAt: l.CreatedAt, ExpiresAt: l.ExpiresAt, At: l.AtMS, Status: "active", CreatedBy: l.CreatedBy, Mine: l.CreatedBy == me, Note: l.Note}
	switch {
	case !l.RevokedAt.IsZero():
		j.RevokedAt, j.Status = &l.RevokedAt, "revoked"
	case !now.Before(l.ExpiresAt):
		j.Status = "expired"
	}
	return j
}

// CreateShare makes an expiring, read-only, revocable link to one session.
// Body (optional): {"expiresInHours": 1..2160, "at": ms from the start to open at, "note": text
// shown to whoever opens the link}.
func (a *API) CreateShare(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	id := r.PathValue("id")
	var body struct {
		ExpiresInHours float64 `json:"expiresInHours"`
		At             int64   `json:"at"`
		Note           string  `json:"note"`
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 4096))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&body); err != nil && !errors.Is(err, io.EOF) {
		return apierror.New(http.StatusBadRequest, "bad_request", `body must be {"expiresInHours": n, "at": ms, "note": "…"} (all optional) or empty, at most 4 KiB`)
	}
	note := strings.TrimSpace(body.Note)
	if utf8.RuneCountInString(note) > maxNoteChars || strings.ContainsRune(note, 0) {
		return badRequest(fmt.Sprintf("note must be at most %d characters of text", maxNoteChars))
	}
	ttl := DefaultShareTTL
	if body.ExpiresInHours != 0 {
		ttl = time.Duration(body.ExpiresInHours * float64(time.Hour))
		if ttl < time.Second || ttl > share.MaxTTL {
			return apierror.New(http.StatusBadRequest, "bad_request", "expiresInHours must be more than 0 and at most 2160 (90 days)")
		}
	}
	s, err := a.getSession(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return errSessionNotFound
	} else if err != nil {
		return err
	}
	if body.At < 0 || body.At > s.Duration().Milliseconds() {
		return apierror.New(http.StatusBadRequest, "bad_request", fmt.Sprintf("at must be 0 to %d (ms into the recording)", s.Duration().Milliseconds()))
	}
	p, _ := auth.PrincipalFrom(ctx)
	now := a.now().Truncate(time.Second).UTC()
	token := share.NewToken()
	l := store.ShareLink{ID: share.NewID(), TokenHash: share.Hash(token), SessionID: s.ID, ProjectID: s.ProjectID,
		CreatedBy: p.UserID, CreatedAt: now, ExpiresAt: now.Add(ttl), AtMS: body.At, Note: note}
	if err := a.shares.CreateShare(ctx, l); errors.Is(err, store.ErrNotFound) {
		return errSessionNotFound // erased meanwhile
	} else if err != nil {
		return err
	}
	path := "/share/" + token
	if l.AtMS > 0 {
		path += "?t=" + strconv.FormatInt(l.AtMS, 10)
	}
	a.log.Info("share link created", "share", l.ID, "session", s.ID, "user", p.UserID)
	a.audit.Record(ctx, r, audit.ShareCreate, s.ProjectID, s.ID, map[string]any{"share": l.ID, "expiresAt": l.ExpiresAt})
	apierror.JSON(w, http.StatusCreated, struct {
		shareJSON
		Token     string `json:"token"`
		Path      string `json:"path"`
		SessionID string `json:"sessionId"`
	}{shareOut(l, p.UserID, now), token, path, s.ID})
	return nil
}

// SessionShares lists a session's share links, newest first (GET /api/v1/sessions/{id}/shares).
func (a *API) SessionShares(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	s, err := a.getSession(ctx, r.PathValue("id"))
	if errors.Is(err, store.ErrNotFound) {
		return errSessionNotFound
	} else if err != nil {
		return err
	}
	links, err := a.shares.SessionShares(ctx, s.ID)
	if err != nil {
		return err
	}
	p, _ := auth.PrincipalFrom(ctx)
	now := a.now()
	out := make([]shareJSON, 0, len(links))
	for _, l := range links {
		out = append(out, shareOut(l, p.UserID, now))
	}
	apierror.JSON(w, http.StatusOK, map[string]any{"shares": out})
	return nil
}

var errShareNotFound = apierror.New(http.StatusNotFound, "not_found", "share link not found")

// RevokeShare ends a share link at once (DELETE /api/v1/shares/{id}): its creator or an admin.
// Revoking a revoked link changes nothing and answers the same.
func (a *API) RevokeShare(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	id := r.PathValue("id")
	if !share.ValidID(id) {
		return errShareNotFound
	}
	l, err := a.shares.Share(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return errShareNotFound
	} else if err != nil {
		return err
	}
	p, _ := auth.PrincipalFrom(ctx)
	if !sees(ctx, l.ProjectID) {
		return errShareNotFound
	}
	if !auth.AtLeast(p.Role, auth.RoleAdmin) && (p.UserID == 0 || p.UserID != l.CreatedBy) {
		return apierror.New(http.StatusForbidden, "forbidden", "only the link's creator or an admin may revoke it")
	}
	now := a.now()
	if err := a.shares.RevokeShare(ctx, id, now); errors.Is(err, store.ErrNotFound) {
		return errShareNotFound
	} else if err != nil {
		return err
	}
	l, err = a.shares.Share(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return errShareNotFound
	} else if err != nil {
		return err
	}
	a.log.Info("share link revoked", "share", id, "user", p.UserID)
	a.audit.Record(ctx, r, audit.ShareRevoke, l.ProjectID, l.SessionID, map[string]any{"share": id})
	apierror.JSON(w, http.StatusOK, shareOut(l, p.UserID, now))
	return nil
}

var errShareInvalid = apierror.New(http.StatusNotFound, "share_invalid", "this share link is not valid")

// grant finds the link whose token is in the path and checks it is still good: not revoked,
// not expired, its session still there (a link goes with its session).
func (a *API) grant(r *http.Request) (store.ShareLink, error) {
	token := r.PathValue("token")
	if !share.ValidToken(token) {
		return store.ShareLink{}, errShareInvalid
	}
	l, err := a.shares.ShareByToken(r.Context(), share.Hash(token))
	if errors.Is(err, store.ErrNotFound) {
		return l, errShareInvalid
	}
	if err != nil {
		return l, err
	}
	switch {
	case !l.RevokedAt.IsZero():
		return l, apierror.New(http.StatusGone, "share_revoked", "this share link was revoked on "+l.RevokedAt.Format(time.RFC1123)+"; ask for a new one")
	case !a.now().Before(l.ExpiresAt):
		return l, apierror.New(http.StatusGone, "share_expired", "this share link expired on "+l.ExpiresAt.Format(time.RFC1123)+"; ask for a new one")
	}
	return l, nil
}

// SharedSession returns the session a share link grants, with the link's expiry. Its id is
// the link's, not the session's: a session id lets whoever has the project's public key send
// batches under it, and a link is for watching.
func (a *API) SharedSession(w http.ResponseWriter, r *http.Request) error {
	l, err := a.grant(r)
	if err != nil {
		return err
	}
	s, err := a.getSession(r.Context(), l.SessionID)
	if errors.Is(err, store.ErrNotFound) {
		return errSessionNotFound
	}
	if err != nil {
		return err
	}
	j := toJSON(s)
	j.ID = l.ID
	w.Header().Set("Cache-Control", "no-store")
	apierror.JSON(w, http.StatusOK, struct {
		sessionJSON
		ShareExpiresAt time.Time `json:"shareExpiresAt"`
		ShareAt        int64     `json:"shareAt,omitempty"`
		ShareNote      string    `json:"shareNote,omitempty"`
	}{j, l.ExpiresAt, l.AtMS, l.Note})
	return nil
}

// SharedEvents serves the events of the session a share link grants, with the same query
// parameters as the events endpoint.
func (a *API) SharedEvents(w http.ResponseWriter, r *http.Request) error {
	l, err := a.grant(r)
	if err != nil {
		return err
	}
	return a.WriteEvents(w, r, l.SessionID)
}
