package api

import (
	"encoding/json"
	"errors"
	"net/http"
	"sort"

	"github.com/reelhq/reel/internal/analyze"
	"github.com/reelhq/reel/internal/apierror"
	"github.com/reelhq/reel/internal/store"
)

// Signals returns the friction findings of a session (rage, dead and error clicks, thrashed
// cursor, quick backs, excessive scrolling, form abandonment), computed from its events with
// the default thresholds, for the player's timeline markers.
func (a *API) Signals(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	id := r.PathValue("id")
	sess, err := a.index.GetSession(ctx, id)
	if errors.Is(err, store.ErrNotFound) {
		return errSessionNotFound
	}
	if err != nil {
		return err
	}
	var parts [][]event
	for attempt := 0; ; attempt++ {
		parts, _, err = a.collect(ctx, id, sess.ProjectID, "", 0, 0)
		if err == nil || attempt == 2 {
			break
		}
	}
	if err != nil {
		return err
	}
	signals := []analyze.Signal{}
	for _, tab := range parts {
		raws := make([]json.RawMessage, len(tab))
		for i, e := range tab {
			raws[i] = e.raw
		}
		signals = append(signals, analyze.Detect(analyze.Build(raws), analyze.Defaults)...)
	}
	sort.SliceStable(signals, func(i, j int) bool { return signals[i].At < signals[j].At })
	counts := map[analyze.Kind]int{}
	for _, s := range signals {
		counts[s.Kind]++
	}
	apierror.JSON(w, http.StatusOK, map[string]any{"signals": signals, "counts": counts})
	return nil
}
