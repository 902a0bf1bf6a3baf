package api

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"

	"github.com/reelhq/reel/internal/analyze"
	"github.com/reelhq/reel/internal/apierror"
	"github.com/reelhq/reel/internal/settings"
	"github.com/reelhq/reel/internal/store"
	"github.com/reelhq/reel/internal/useragent"
)

// reportIndex reads the analysis stored for a session.
type reportIndex interface {
	AnalysisReport(ctx context.Context, sessionID string) ([]byte, error)
}

// Signals returns the analysis of a session: its friction findings (rage, dead and error
// clicks, thrashed cursor, quick backs, excessive scrolling, form abandonment) for the player's
// timeline markers, a one-sentence summary and an interest score. It is the analysis the index
// keeps (live analysis while the session is recorded, compaction's after), so the player shows
// what search, issues and the list show; only a session with none stored yet (analysed before
// reports were kept, or its first batches not read yet) is analysed here, from its events with
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
	// ?pass=whole: every event stored now, as compaction will read them (bench/friction and
	// tests that must not wait for compaction).
	whole := false
	switch r.URL.Query().Get("pass") {
	case "":
	case "whole":
		whole = true
	default:
		return apierror.New(http.StatusBadRequest, "bad_request", "pass must be \"whole\" or absent")
	}
	if !whole {
		stored, err := a.reports.AnalysisReport(ctx, id)
		if err == nil && json.Valid(stored) {
			apierror.JSON(w, http.StatusOK, json.RawMessage(stored))
			return nil
		}
		if err != nil && !errors.Is(err, store.ErrNotFound) {
			return err
		}
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
