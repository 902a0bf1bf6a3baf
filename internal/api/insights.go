package api

import (
	"context"
	"net/http"
	"strconv"
	"time"

	"github.com/reelhq/reel/internal/apierror"
	"github.com/reelhq/reel/internal/store"
)

// insightIndex is the analysis part of the index (store.Analyzer).
type insightIndex interface {
	Issues(ctx context.Context, q store.IssueQuery) ([]store.Issue, error)
}

type momentJSON struct {
	SessionID string `json:"sessionId"`
	At        int64  `json:"at"`
	// URL opens the replay at the moment, a second before it.
	URL string `json:"url"`
}

type issueJSON struct {
	Fingerprint string       `json:"fingerprint"`
	Kind        string       `json:"kind"`
	Path        string       `json:"path"`
	Target      string       `json:"target"`
	Sessions    int          `json:"sessions"`
	Users       int          `json:"users"`
	FirstSeen   time.Time    `json:"firstSeen"`
	LastSeen    time.Time    `json:"lastSeen"`
	Daily       []int        `json:"daily"`
	Samples     []momentJSON `json:"samples"`
}

func (a *API) windowParams(r *http.Request) (string, time.Time, time.Time, error) {
	q := r.URL.Query()
	project := q.Get("project")
	if project == "" {
		project = "default"
	}
	if !sees(r.Context(), project) {
		return "", time.Time{}, time.Time{}, errProjectNotFound
	}
	days := 14
	if v := q.Get("days"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 365 {
			return "", time.Time{}, time.Time{}, apierror.New(http.StatusBadRequest, "bad_request", "days must be 1-365")
		}
		days = n
	}
	until := time.Now().UTC().Truncate(24 * time.Hour).Add(24 * time.Hour)
	return project, until.AddDate(0, 0, -days), until, nil
}

func moment(sessionID string, at time.Time, start time.Time) momentJSON {
	off := max(at.Sub(start).Milliseconds()-1000, 0)
	return momentJSON{SessionID: sessionID, At: at.UnixMilli(), URL: "/sessions/" + sessionID + "?t=" + strconv.FormatInt(off, 10)}
}

// Issues lists problems grouped across sessions — the same JS error, the same element rage- or
// dead-clicked on the same page — most sessions first, with a daily trend and the latest
// moments to watch.
func (a *API) Issues(w http.ResponseWriter, r *http.Request) error {
	project, since, until, err := a.windowParams(r)
	if err != nil {
		return err
	}
	issues, err := a.insights.Issues(r.Context(), store.IssueQuery{ProjectID: project, Since: since, Until: until, Limit: 100})
	if err != nil {
		return err
	}
	out := make([]issueJSON, 0, len(issues))
	for _, is := range issues {
		j := issueJSON{Fingerprint: is.Fingerprint, Kind: is.Kind, Path: is.Path, Target: is.Target, Sessions: is.Sessions, Users: is.Users,
			FirstSeen: is.FirstSeen, LastSeen: is.LastSeen, Daily: is.Daily, Samples: []momentJSON{}}
		for _, m := range is.Samples {
			j.Samples = append(j.Samples, moment(m.SessionID, m.At, m.SessionStarted))
		}
		out = append(out, j)
	}
	apierror.JSON(w, http.StatusOK, map[string]any{"issues": out, "since": since, "until": until})
	return nil
}
