package api

import (
	"context"
	"errors"
	"net/http"
	"strings"

	"github.com/reelhq/reel/internal/apierror"
	"github.com/reelhq/reel/internal/audit"
	"github.com/reelhq/reel/internal/lifecycle"
)

// eraser deletes what was recorded about one user.
type eraser interface {
	EraseUser(ctx context.Context, projectID, userID string) (lifecycle.ErasureReport, error)
	DeleteProject(ctx context.Context, projectID string) (lifecycle.ErasureReport, error)
}

// EraseUser deletes every session of a project identified (Reel.identify) as the user, and the
// content only they referenced: what a GDPR/CCPA erasure request needs.
func (a *API) EraseUser(w http.ResponseWriter, r *http.Request) error {
	project, user := r.PathValue("project"), r.PathValue("user")
	if strings.TrimSpace(user) == "" || len(user) > 256 {
		return apierror.New(http.StatusBadRequest, "bad_request", "user id must be 1-256 characters")
	}
	if _, err := a.projectByID(r.Context(), project); err != nil {
		return err
	}
	rep, err := a.eraser.EraseUser(r.Context(), project, user)
	if errors.Is(err, lifecycle.ErrBusy) {
		// Nothing was deleted; a compaction of one of the sessions is still running.
		return &apierror.Error{Status: http.StatusServiceUnavailable, Code: "busy", Message: "a session of this user is being compacted; retry shortly", RetryAfter: 30}
	}
	if err != nil {
		return err
	}
	a.audit.Record(r.Context(), r, audit.Erase, project, audit.UserRef(project, user), map[string]any{"sessions": rep.Sessions, "content": rep.Content})
	apierror.JSON(w, http.StatusOK, map[string]any{"erased": rep})
	return nil
}
