package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/reelhq/reel/internal/apierror"
	"github.com/reelhq/reel/internal/audit"
	"github.com/reelhq/reel/internal/auth"
	"github.com/reelhq/reel/internal/share"
	"github.com/reelhq/reel/internal/store"
)

// shareIndex is the part of the store that keeps server-wide secrets (share links' signing key).
type shareIndex interface {
	EnsureSetting(ctx context.Context, name, value string) (string, error)
}

const shareKeySetting = "share.key"

// DefaultShareTTL is how long a share link lives when the caller does not say.
const DefaultShareTTL = 7 * 24 * time.Hour

func (a *API) shareSigner(ctx context.Context) (*share.Signer, error) {
	key, err := a.shares.EnsureSetting(ctx, shareKeySetting, auth.RandomToken(32))
	if err != nil {
		return nil, fmt.Errorf("api: share key: %w", err)
	}
	return share.NewSigner([]byte(key)), nil
}

// CreateShare makes a signed, expiring, read-only link to one session.
// Body (optional): {"expiresInHours": 1..2160}.
func (a *API) CreateShare(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	id := r.PathValue("id")
	var body struct {
		ExpiresInHours float64 `json:"expiresInHours"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 1024)).Decode(&body); err != nil && !errors.Is(err, io.EOF) {
		return apierror.New(http.StatusBadRequest, "bad_request", `body must be {"expiresInHours": n} or empty`)
	}
	ttl := DefaultShareTTL
	if body.ExpiresInHours != 0 {
		ttl = time.Duration(body.ExpiresInHours * float64(time.Hour))
		if ttl < time.Second || ttl > share.MaxTTL {
			return apierror.New(http.StatusBadRequest, "bad_request", "expiresInHours must be more than 0 and at most 2160 (90 days)")
		}
	}
	sess, err := a.getSession(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return errSessionNotFound
	} else if err != nil {
		return err
	}
	signer, err := a.shareSigner(ctx)
	if err != nil {
		return err
	}
	expires := time.Now().Add(ttl).Truncate(time.Second).UTC()
	token := signer.Sign(id, expires)
	a.audit.Record(r.Context(), r, audit.ShareCreate, sess.ProjectID, id, map[string]any{"expiresAt": expires})
	apierror.JSON(w, http.StatusCreated, map[string]any{
		"token":     token,
		"path":      "/share/" + token,
		"sessionId": id,
		"expiresAt": expires,
	})
	return nil
}

var errShareInvalid = apierror.New(http.StatusNotFound, "share_invalid", "this share link is not valid")

// grant checks the share token in the path and returns the session id it grants.
func (a *API) grant(r *http.Request) (share.Grant, error) {
	signer, err := a.shareSigner(r.Context())
	if err != nil {
		return share.Grant{}, err
	}
	g, err := signer.Verify(r.PathValue("token"), time.Now())
	switch {
	case errors.Is(err, share.ErrExpired):
		return g, apierror.New(http.StatusGone, "share_expired", "this share link expired on "+g.Expires.Format(time.RFC1123)+"; ask for a new one")
	case err != nil:
		return g, errShareInvalid
	}
	return g, nil
}

// SharedSession returns the session a share link grants, with the link's expiry.
func (a *API) SharedSession(w http.ResponseWriter, r *http.Request) error {
	g, err := a.grant(r)
	if err != nil {
		return err
	}
	s, err := a.getSession(r.Context(), g.SessionID)
	if errors.Is(err, store.ErrNotFound) {
		return errSessionNotFound
	}
	if err != nil {
		return err
	}
	w.Header().Set("Cache-Control", "no-store")
	apierror.JSON(w, http.StatusOK, struct {
		sessionJSON
		ShareExpiresAt time.Time `json:"shareExpiresAt"`
	}{toJSON(s), g.Expires})
	return nil
}

// SharedEvents serves the events of the session a share link grants, with the same query
// parameters as the events endpoint.
func (a *API) SharedEvents(w http.ResponseWriter, r *http.Request) error {
	g, err := a.grant(r)
	if err != nil {
		return err
	}
	return a.WriteEvents(w, r, g.SessionID)
}
