package api

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/reelhq/reel/internal/analyze"
	"github.com/reelhq/reel/internal/apierror"
	"github.com/reelhq/reel/internal/settings"
	"github.com/reelhq/reel/internal/store"
	"github.com/reelhq/reel/internal/useragent"
)

// Signals returns the analysis of a session: its friction findings (rage, dead and error
// clicks, thrashed cursor, quick backs, excessive scrolling, form abandonment) for the player's
// timeline markers, a one-sentence summary and an interest score, computed from its events with
// the project's thresholds.
func (a *API) Signals(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	id := r.PathValue("id")
	sess, err := a.getSession(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return errSessionNotFound
	}
	if err != nil {
		return err
	}
	parts, _, err := a.collect(ctx, id, sess.ProjectID, "", nil, span{})
	if err != nil {
		return err
	}
	tabs := make([][]json.RawMessage, 0, len(parts))
	for _, tab := range parts {
		raws := make([]json.RawMessage, len(tab))
		for i, e := range tab {
			raws[i] = e.raw
		}
		tabs = append(tabs, raws)
	}
	th := analyze.Defaults
	if p, err := a.projects.Project(ctx, sess.ProjectID); err == nil {
		th = settings.Read(a.log, p).Thresholds
	}
	ua := useragent.Parse(sess.UserAgent)
	rep := analyze.Analyze(tabs, analyze.Facts{UserID: sess.UserID, Browser: ua.Browser, OS: ua.OS, Device: ua.Device, DurationMS: sess.Duration().Milliseconds()}, th)
	apierror.JSON(w, http.StatusOK, rep)
	return nil
}
