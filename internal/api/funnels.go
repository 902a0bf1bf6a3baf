package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/reelhq/reel/internal/apierror"
	"github.com/reelhq/reel/internal/funnel"
	"github.com/reelhq/reel/internal/store"
)

// funnelIndex is what funnels and experiments read (store.Funnels).
type funnelIndex interface {
	Journeys(ctx context.Context, projectID string, from, to time.Time, limit int) ([]store.Journey, error)
	FlagCounts(ctx context.Context, projectID string, from, to time.Time) ([]store.FlagCount, error)
	Exposures(ctx context.Context, projectID, flag string, from, to time.Time, limit int) ([]store.Exposure, error)
	CreateFunnel(ctx context.Context, f store.Funnel) (store.Funnel, error)
	SavedFunnels(ctx context.Context, projectID string, userID int64) ([]store.Funnel, error)
	SavedFunnel(ctx context.Context, id, userID int64) (store.Funnel, error)
	UpdateFunnel(ctx context.Context, f store.Funnel) error
	DeleteFunnel(ctx context.Context, id int64) error
	CountFunnels(ctx context.Context, projectID string) (int, error)
}

// Bounds: the sessions one funnel or experiment reads, and the saved funnels of a project.
const (
	maxFunnelSessions = 200_000
	maxSavedFunnels   = 200
)

var errFunnelNotFound = apierror.New(http.StatusNotFound, "not_found", "funnel not found")

type dropJSON struct {
	SessionID string `json:"sessionId"`
	At        int64  `json:"at"`
	// URL opens the replay a second before the session reached the previous step.
	URL string `json:"url"`
}

type funnelStepJSON struct {
	Kind       string      `json:"kind"`
	Label      string      `json:"label"`
	Step       funnel.Step `json:"step"`
	Path       string      `json:"path"` // a page step's pattern; empty for other kinds
	Sessions   int         `json:"sessions"`
	Conversion float64     `json:"conversion"` // of the sessions that entered the funnel
	MedianMS   int64       `json:"medianMsFromPrevious"`
	Lost       int         `json:"lost"`    // sessions that reached the previous step but not this one
	Dropped    []string    `json:"dropped"` // the latest of them, at most 50
	Drops      []dropJSON  `json:"drops"`   // the same, each with its replay link
}

type bucketJSON struct {
	Start      time.Time `json:"start"`
	Entered    int       `json:"entered"`
	Converted  int       `json:"converted"`
	Conversion float64   `json:"conversion"`
}

// funnelParams reads the window and the series interval of a funnel request.
func (a *API) funnelParams(r *http.Request) (project string, since, until time.Time, interval string, err error) {
	project, since, until, err = a.windowParams(r)
	if err != nil {
		return
	}
	switch interval = r.URL.Query().Get("interval"); interval {
	case "":
		interval = funnel.Day
	case funnel.Day, funnel.Week:
	default:
		err = badRequest("interval must be day or week")
	}
	return
}

func funnelOut(res funnel.Result) ([]funnelStepJSON, []bucketJSON) {
	steps := make([]funnelStepJSON, len(res.Steps))
	for i, s := range res.Steps {
		j := funnelStepJSON{Kind: s.Step.Kind, Label: s.Step.Label(), Step: s.Step, Sessions: s.Sessions, Conversion: s.Conversion,
			MedianMS: s.MedianMS, Lost: s.Lost, Dropped: []string{}, Drops: []dropJSON{}}
		if s.Step.Kind == store.StepPage {
			j.Path = s.Step.Path
		}
		for _, d := range s.Dropped {
			m := moment(d.SessionID, d.At, d.Started)
			j.Dropped = append(j.Dropped, d.SessionID)
			j.Drops = append(j.Drops, dropJSON{SessionID: d.SessionID, At: m.At, URL: m.URL})
		}
		steps[i] = j
	}
	series := make([]bucketJSON, len(res.Series))
	for i, b := range res.Series {
		series[i] = bucketJSON{Start: b.Start, Entered: b.Entered, Converted: b.Converted, Conversion: b.Conversion}
	}
	return steps, series
}

// Funnel counts sessions through a funnel of pages, clicks and custom events in strict,
// ordered or any order: how many reached each step, how long it took, who dropped out where
// (one click from their replays) and the conversion per day or week.
func (a *API) Funnel(w http.ResponseWriter, r *http.Request) error {
	var d funnel.Definition
	if err := decodeBody(w, r, &d); err != nil {
		return err
	}
	if err := d.Validate(); err != nil {
		return badRequest(err.Error())
	}
	project, since, until, interval, err := a.funnelParams(r)
	if err != nil {
		return err
	}
	journeys, err := a.funnels.Journeys(r.Context(), project, since, until, maxFunnelSessions)
	if err != nil {
		return err
	}
	steps, series := funnelOut(funnel.Count(journeys, d, interval, since, until))
	apierror.JSON(w, http.StatusOK, map[string]any{"steps": steps, "series": series, "order": d.Order, "interval": interval, "since": since, "until": until})
	return nil
}

type savedFunnelJSON struct {
	ID         int64             `json:"id"`
	Project    string            `json:"project"`
	Name       string            `json:"name"`
	Definition funnel.Definition `json:"definition"`
	Shared     bool              `json:"shared"`
	Mine       bool              `json:"mine"`
	CreatedAt  time.Time         `json:"createdAt"`
	UpdatedAt  time.Time         `json:"updatedAt"`
	// URL is the funnel's page in the dashboard: the link to share.
	URL string `json:"url"`
}

func savedFunnelOut(r *http.Request, f store.Funnel) savedFunnelJSON {
	j := savedFunnelJSON{ID: f.ID, Project: f.ProjectID, Name: f.Name, Shared: f.Shared, Mine: f.OwnerID == caller(r).UserID,
		CreatedAt: f.CreatedAt, UpdatedAt: f.UpdatedAt,
		URL: "/funnels?project=" + f.ProjectID + "&funnel=" + strconv.FormatInt(f.ID, 10)}
	// Stored definitions were validated when saved; one that no longer parses shows empty.
	_ = json.Unmarshal([]byte(f.Definition), &j.Definition)
	if j.Definition.Steps == nil {
		j.Definition.Steps = []funnel.Step{}
	}
	return j
}

type savedFunnelIn struct {
	Project    *string            `json:"project"`
	Name       *string            `json:"name"`
	Shared     *bool              `json:"shared"`
	Definition *funnel.Definition `json:"definition"`
}

func checkDefinition(d *funnel.Definition) (string, error) {
	if err := d.Validate(); err != nil {
		return "", badRequest("definition: " + err.Error())
	}
	b, err := json.Marshal(d)
	if err != nil {
		return "", fmt.Errorf("api: encode funnel: %w", err)
	}
	return string(b), nil
}

// ListSavedFunnels lists the project's funnels the caller may see: its own and the shared ones.
func (a *API) ListSavedFunnels(w http.ResponseWriter, r *http.Request) error {
	project, err := a.projectParam(r, r.URL.Query().Get("project"))
	if err != nil {
		return err
	}
	list, err := a.funnels.SavedFunnels(r.Context(), project, caller(r).UserID)
	if err != nil {
		return err
	}
	out := make([]savedFunnelJSON, 0, len(list))
	for _, f := range list {
		out = append(out, savedFunnelOut(r, f))
	}
	apierror.JSON(w, http.StatusOK, map[string]any{"funnels": out})
	return nil
}

// CreateSavedFunnel saves a funnel under a name, private unless shared is true.
func (a *API) CreateSavedFunnel(w http.ResponseWriter, r *http.Request) error {
	var in savedFunnelIn
	if err := decodeBody(w, r, &in); err != nil {
		return err
	}
	if in.Name == nil || in.Definition == nil {
		return badRequest("name and definition are required")
	}
	name, err := checkName("name", *in.Name)
	if err != nil {
		return err
	}
	def, err := checkDefinition(in.Definition)
	if err != nil {
		return err
	}
	project, err := a.projectParam(r, deref(in.Project))
	if err != nil {
		return err
	}
	if n, err := a.funnels.CountFunnels(r.Context(), project); err != nil {
		return err
	} else if n >= maxSavedFunnels {
		return apierror.New(http.StatusConflict, "limit_reached", fmt.Sprintf("a project keeps at most %d funnels", maxSavedFunnels))
	}
	f, err := a.funnels.CreateFunnel(r.Context(), store.Funnel{ProjectID: project, Name: name, Definition: def, OwnerID: caller(r).UserID,
		Shared: in.Shared != nil && *in.Shared, CreatedAt: time.Now()})
	if err != nil {
		return err
	}
	apierror.JSON(w, http.StatusCreated, savedFunnelOut(r, f))
	return nil
}

func (a *API) savedFunnel(r *http.Request) (store.Funnel, error) {
	id, err := pathID(r, "funnel")
	if err != nil {
		return store.Funnel{}, err
	}
	f, err := a.funnels.SavedFunnel(r.Context(), id, caller(r).UserID)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !sees(r.Context(), f.ProjectID)) {
		return store.Funnel{}, errFunnelNotFound
	}
	return f, err
}

// GetSavedFunnel returns one saved funnel.
func (a *API) GetSavedFunnel(w http.ResponseWriter, r *http.Request) error {
	f, err := a.savedFunnel(r)
	if err != nil {
		return err
	}
	apierror.JSON(w, http.StatusOK, savedFunnelOut(r, f))
	return nil
}

// UpdateSavedFunnel changes a funnel's name, definition or sharing; absent fields stay. Its
// owner or an admin may.
func (a *API) UpdateSavedFunnel(w http.ResponseWriter, r *http.Request) error {
	f, err := a.savedFunnel(r)
	if err != nil {
		return err
	}
	if err := mayChange(r, f.OwnerID); err != nil {
		return err
	}
	var in savedFunnelIn
	if err := decodeBody(w, r, &in); err != nil {
		return err
	}
	if in.Project != nil && *in.Project != f.ProjectID {
		return badRequest("a funnel cannot move to another project")
	}
	if in.Name != nil {
		if f.Name, err = checkName("name", *in.Name); err != nil {
			return err
		}
	}
	if in.Definition != nil {
		if f.Definition, err = checkDefinition(in.Definition); err != nil {
			return err
		}
	}
	if in.Shared != nil {
		f.Shared = *in.Shared
	}
	f.UpdatedAt = time.Now()
	if err := a.funnels.UpdateFunnel(r.Context(), f); errors.Is(err, store.ErrNotFound) {
		return errFunnelNotFound
	} else if err != nil {
		return err
	}
	apierror.JSON(w, http.StatusOK, savedFunnelOut(r, f))
	return nil
}

// DeleteSavedFunnel removes a funnel; its owner or an admin may.
func (a *API) DeleteSavedFunnel(w http.ResponseWriter, r *http.Request) error {
	f, err := a.savedFunnel(r)
	if err != nil {
		return err
	}
	if err := mayChange(r, f.OwnerID); err != nil {
		return err
	}
	if err := a.funnels.DeleteFunnel(r.Context(), f.ID); errors.Is(err, store.ErrNotFound) {
		return errFunnelNotFound
	} else if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

type variantCountJSON struct {
	Variant  string `json:"variant"`
	Sessions int    `json:"sessions"`
}

type flagJSON struct {
	Name     string             `json:"name"`
	Sessions int                `json:"sessions"` // sessions with any variant, counted once per variant
	Variants []variantCountJSON `json:"variants"`
}

// Flags lists the feature flags of the window's sessions (Reel.setFlags) with their variants.
func (a *API) Flags(w http.ResponseWriter, r *http.Request) error {
	project, since, until, err := a.windowParams(r)
	if err != nil {
		return err
	}
	counts, err := a.funnels.FlagCounts(r.Context(), project, since, until)
	if err != nil {
		return err
	}
	out := []flagJSON{}
	for _, c := range counts {
		if len(out) == 0 || out[len(out)-1].Name != c.Name {
			out = append(out, flagJSON{Name: c.Name, Variants: []variantCountJSON{}})
		}
		f := &out[len(out)-1]
		f.Sessions += c.Sessions
		f.Variants = append(f.Variants, variantCountJSON{Variant: c.Variant, Sessions: c.Sessions})
	}
	apierror.JSON(w, http.StatusOK, map[string]any{"flags": out, "since": since, "until": until})
	return nil
}

type proportionJSON struct {
	Count int     `json:"count"`
	Of    int     `json:"of"`
	Rate  float64 `json:"rate"`
	Low   float64 `json:"low"` // 95 % Wilson score interval
	High  float64 `json:"high"`
	// Query finds the counted sessions in search (empty when the language cannot say it).
	Query string `json:"query,omitempty"`
}

type variantJSON struct {
	Variant    string          `json:"variant"`
	Sessions   int             `json:"sessions"`
	Query      string          `json:"query"` // finds the variant's sessions in search
	Conversion *proportionJSON `json:"conversion"`
	Friction   proportionJSON  `json:"friction"`
	Errors     proportionJSON  `json:"errors"`
	Vitals     []vitalCompare  `json:"vitals"` // one per metric, in store.VitalMetrics order
}

// vitalCompare is one web vital of a variant: of its sessions that measured the metric, the
// 75th percentile of each session's worst page view, and the share whose worst page view was
// not good (above Google's good threshold), with its interval and its sessions' query.
type vitalCompare struct {
	Metric  string         `json:"metric"`
	P75     *float64       `json:"p75"`    // nil when no session measured it
	Rating  string         `json:"rating"` // of the 75th percentile; empty with it
	NotGood proportionJSON `json:"notGood"`
}

func proportion(k, n int, query string) proportionJSON {
	p := funnel.Wilson(k, n)
	return proportionJSON{Count: k, Of: n, Rate: p.Rate, Low: p.Low, High: p.High, Query: query}
}

// compareVital sums up one metric of a variant's sessions (each its worst page view).
func compareVital(metric string, values []float64, query string) vitalCompare {
	good := vitalThresholds[metric][0]
	slow := 0
	for _, v := range values {
		if v > good {
			slow++
		}
	}
	threshold := strconv.FormatFloat(good, 'f', -1, 64)
	c := vitalCompare{Metric: metric, NotGood: proportion(slow, len(values), query+" vitals."+metric+":>"+threshold)}
	if len(values) > 0 {
		p := percentiles(metric, values)
		c.P75, c.Rating = &p.P75, p.Rating
	}
	return c
}

// searchValue writes a value for the search language, quoted when it has to be.
func searchValue(v string) string {
	if v != "" && !strings.ContainsAny(v, " \t\r\n()\"\\*") {
		return v
	}
	return `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(v) + `"`
}

// Experiment compares the variants of a feature flag: for each, its sessions (each counted in
// the first variant it had), and with 95 % confidence intervals the share that converted
// through a saved funnel, that had friction and that had errors, and for each web vital the
// share of sessions with a page view slower than good and the 75th percentile.
func (a *API) Experiment(w http.ResponseWriter, r *http.Request) error {
	project, since, until, err := a.windowParams(r)
	if err != nil {
		return err
	}
	q := r.URL.Query()
	flag := q.Get("flag")
	if flag == "" || len(flag) > 128 || strings.ContainsAny(flag, " \t\r\n():\"") {
		return badRequest("flag must be a flag name of 1-128 characters without spaces, quotes, colons or parentheses")
	}
	var def *funnel.Definition
	var funnelInfo any
	if v := q.Get("funnel"); v != "" {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil || id <= 0 {
			return badRequest("funnel must be a saved funnel's id")
		}
		f, err := a.funnels.SavedFunnel(r.Context(), id, caller(r).UserID)
		if errors.Is(err, store.ErrNotFound) || (err == nil && f.ProjectID != project) {
			return errFunnelNotFound
		} else if err != nil {
			return err
		}
		var d funnel.Definition
		if err := json.Unmarshal([]byte(f.Definition), &d); err != nil || d.Validate() != nil {
			return apierror.New(http.StatusConflict, "bad_funnel", "the saved funnel no longer parses; save it again")
		}
		def, funnelInfo = &d, map[string]any{"id": f.ID, "name": f.Name, "steps": len(d.Steps)}
	}
	exposed, err := a.funnels.Exposures(r.Context(), project, flag, since, until, maxFunnelSessions)
	if err != nil {
		return err
	}
	type tally struct {
		sessions, friction, errors, entered, converted int
		vitals                                         [len(store.VitalMetrics)][]float64
	}
	by := map[string]*tally{}
	variantOf := make(map[string]string, len(exposed))
	for _, e := range exposed {
		t := by[e.Variant]
		if t == nil {
			t = &tally{}
			by[e.Variant] = t
		}
		t.sessions++
		if e.Friction > 0 {
			t.friction++
		}
		if e.Errors > 0 {
			t.errors++
		}
		for i, m := range store.VitalMetrics {
			if v, ok := e.Vitals[m]; ok {
				t.vitals[i] = append(t.vitals[i], v)
			}
		}
		variantOf[e.SessionID] = e.Variant
	}
	if def != nil && len(exposed) > 0 {
		journeys, err := a.funnels.Journeys(r.Context(), project, since, until, maxFunnelSessions)
		if err != nil {
			return err
		}
		for _, j := range journeys {
			v, ok := variantOf[j.SessionID]
			if !ok {
				continue
			}
			n, _ := def.Reach(j)
			if n > 0 {
				by[v].entered++
			}
			if n == len(def.Steps) {
				by[v].converted++
			}
		}
	}
	names := make([]string, 0, len(by))
	for v := range by {
		names = append(names, v)
	}
	sort.Strings(names)
	out := make([]variantJSON, 0, len(names))
	for _, v := range names {
		t := by[v]
		query := "flag." + flag + ":" + searchValue(v)
		j := variantJSON{Variant: v, Sessions: t.sessions, Query: query,
			Friction: proportion(t.friction, t.sessions, query+" friction:>0"),
			Errors:   proportion(t.errors, t.sessions, query+" errors:>0")}
		for i, m := range store.VitalMetrics {
			j.Vitals = append(j.Vitals, compareVital(m, t.vitals[i], query))
		}
		if def != nil {
			p := proportion(t.converted, t.entered, "")
			j.Conversion = &p
		}
		out = append(out, j)
	}
	apierror.JSON(w, http.StatusOK, map[string]any{"flag": flag, "funnel": funnelInfo, "variants": out, "since": since, "until": until})
	return nil
}
