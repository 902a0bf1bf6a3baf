package api

import (
	"context"
	"encoding/json"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/reelhq/reel/internal/apierror"
	"github.com/reelhq/reel/internal/store"
)

// insightIndex is the analysis part of the index (store.Analyzer).
type insightIndex interface {
	Issues(ctx context.Context, q store.IssueQuery) ([]store.Issue, error)
	Visits(ctx context.Context, projectID string, from, to time.Time, limit int) ([]store.Visit, error)
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

// FunnelStep is one step of a funnel: a page path, where * matches any characters.
type FunnelStep struct {
	Path string `json:"path"`
}

type funnelStepJSON struct {
	Path       string   `json:"path"`
	Sessions   int      `json:"sessions"`
	Conversion float64  `json:"conversion"` // of the sessions that entered the funnel
	MedianMS   int64    `json:"medianMsFromPrevious"`
	Dropped    []string `json:"dropped"` // sessions that reached the previous step but not this one
}

// Funnel computes an ordered funnel over page paths: how many sessions reached each step after
// the previous one, how long it took, and which sessions dropped out at each step, one click
// from their replays.
func (a *API) Funnel(w http.ResponseWriter, r *http.Request) error {
	var body struct {
		Steps []FunnelStep `json:"steps"`
	}
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 16<<10)).Decode(&body); err != nil {
		return apierror.New(http.StatusBadRequest, "bad_request", "body must be {\"steps\": [{\"path\": \"/…\"}, …]}")
	}
	if len(body.Steps) < 2 || len(body.Steps) > 12 {
		return apierror.New(http.StatusBadRequest, "bad_request", "a funnel has 2 to 12 steps")
	}
	for _, s := range body.Steps {
		if s.Path == "" || len(s.Path) > 512 {
			return apierror.New(http.StatusBadRequest, "bad_request", "every step needs a path pattern of at most 512 characters")
		}
	}
	project, since, until, err := a.windowParams(r)
	if err != nil {
		return err
	}
	visits, err := a.insights.Visits(r.Context(), project, since, until, 200_000)
	if err != nil {
		return err
	}
	steps := make([]funnelStepJSON, len(body.Steps))
	durations := make([][]int64, len(body.Steps))
	for i, s := range body.Steps {
		steps[i] = funnelStepJSON{Path: s.Path, Dropped: []string{}}
	}
	for i := 0; i < len(visits); {
		j := i
		for j < len(visits) && visits[j].SessionID == visits[i].SessionID {
			j++
		}
		reached, last := 0, time.Time{}
		for _, v := range visits[i:j] {
			if reached < len(body.Steps) && globMatch(body.Steps[reached].Path, v.Path) {
				if reached > 0 {
					durations[reached] = append(durations[reached], v.At.Sub(last).Milliseconds())
				}
				reached++
				last = v.At
			}
		}
		for k := 0; k < reached; k++ {
			steps[k].Sessions++
		}
		if reached > 0 && reached < len(body.Steps) && len(steps[reached].Dropped) < 50 {
			steps[reached].Dropped = append(steps[reached].Dropped, visits[i].SessionID)
		}
		i = j
	}
	for k := range steps {
		if steps[0].Sessions > 0 {
			steps[k].Conversion = float64(steps[k].Sessions) / float64(steps[0].Sessions)
		}
		if d := durations[k]; len(d) > 0 {
			sort.Slice(d, func(x, y int) bool { return d[x] < d[y] })
			steps[k].MedianMS = d[len(d)/2]
		}
	}
	apierror.JSON(w, http.StatusOK, map[string]any{"steps": steps, "since": since, "until": until})
	return nil
}

// globMatch matches a path against a pattern where * stands for any run of characters.
func globMatch(pattern, s string) bool {
	parts := strings.Split(pattern, "*")
	if len(parts) == 1 {
		return pattern == s
	}
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	for _, p := range parts[1 : len(parts)-1] {
		i := strings.Index(s, p)
		if i < 0 {
			return false
		}
		s = s[i+len(p):]
	}
	return strings.HasSuffix(s, parts[len(parts)-1])
}
