package ingest

import (
	"context"
	"fmt"
	"net/http"

	"github.com/reelhq/reel/internal/apierror"
	"github.com/reelhq/reel/internal/store"
)

// projectForKey finds the project a public key sends to: by its current key, or by the key a
// rotation replaced while that key's grace lasts (docs/api.md, rotate-key). A replaced key
// past its grace is unknown (store.ErrNotFound), answered as any unknown key is.
func (h *Handler) projectForKey(ctx context.Context, key string) (store.Project, error) {
	p, err := h.index.ProjectByKey(ctx, key)
	if err != nil {
		return p, err
	}
	if !p.KeyValid(key, h.now()) {
		return store.Project{}, fmt.Errorf("ingest: key replaced and past its grace: %w", store.ErrNotFound)
	}
	return p, nil
}

// errErased answers a batch for an erased session. 410 is a 4xx the SDK does not retry (it
// drops the batch); the session stays erased, whatever the browser still holds of it.
var errErased = apierror.New(http.StatusGone, "session_erased", "this session was erased and takes no more batches; start a new session")
