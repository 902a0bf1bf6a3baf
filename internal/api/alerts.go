package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"time"

	"github.com/reelhq/reel/internal/alert"
	"github.com/reelhq/reel/internal/apierror"
	"github.com/reelhq/reel/internal/auth"
	"github.com/reelhq/reel/internal/store"
)

// alertIndex keeps alert rules (store.Alerts).
type alertIndex interface {
	CreateAlert(ctx context.Context, r store.AlertRule) (store.AlertRule, error)
	Alerts(ctx context.Context, projectID string) ([]store.AlertRule, error)
	DeleteAlert(ctx context.Context, projectID string, id int64) error
	AlertDeliveries(ctx context.Context, projectID string) ([]store.AlertDelivery, error)
}

// alertTester posts a rule's test message and records the attempt (alert.Evaluator).
type alertTester interface {
	Test(ctx context.Context, r store.AlertRule) (store.AlertDelivery, error)
}

// SetAlertTester gives the API what "Send test" posts through; without one the route
// answers 503.
func (a *API) SetAlertTester(t alertTester) { a.alertTester = t }

type alertJSON struct {
	ID            int64  `json:"id"`
	Project       string `json:"project"`
	Name          string `json:"name"`
	Kind          string `json:"kind,omitempty"`
	Fingerprint   string `json:"fingerprint,omitempty"`
	Threshold     int    `json:"threshold"`
	WindowMinutes int    `json:"windowMinutes"`
	// Webhook is the full URL, which is the credential of a Slack or Discord webhook: only
	// callers who may manage alerts read it; everyone reads WebhookHost.
	Webhook     string `json:"webhook,omitempty"`
	WebhookHost string `json:"webhookHost"`
	// Format is the body posted: "slack" (the default) or "json".
	Format string `json:"format"`
	// Secret signs every post (docs/api.md#verifying-a-webhook); like Webhook, only callers
	// who may manage alerts read it.
	Secret      string         `json:"secret,omitempty"`
	Condition   string         `json:"condition"`
	FiredAt     *time.Time     `json:"firedAt,omitempty"`
	SavedSearch int64          `json:"savedSearch,omitempty"`
	SavedQuery  string         `json:"savedQuery,omitempty"`
	Deliveries  []deliveryJSON `json:"deliveries"`
}

// deliveryJSON is one attempt to post a rule's webhook.
type deliveryJSON struct {
	At     time.Time `json:"at"`
	Test   bool      `json:"test"`
	OK     bool      `json:"ok"`
	Status int       `json:"status,omitempty"`
	Error  string    `json:"error,omitempty"`
}

func toDeliveryJSON(d store.AlertDelivery) deliveryJSON {
	return deliveryJSON{At: d.At, Test: d.Test, OK: d.Error == "", Status: d.Status, Error: d.Error}
}

func toAlertJSON(r store.AlertRule, withWebhook bool) alertJSON {
	j := alertJSON{ID: r.ID, Project: r.ProjectID, Name: r.Name, Kind: r.Kind, Fingerprint: r.Fingerprint, Threshold: r.Threshold,
		WindowMinutes: int(r.Window / time.Minute), WebhookHost: alert.Host(r.Webhook), Condition: alert.Condition(r),
		SavedSearch: r.SavedSearchID, SavedQuery: r.SavedQuery, Deliveries: []deliveryJSON{}}
	if j.Format = r.Format; j.Format == "" {
		j.Format = store.FormatSlack
	}
	if withWebhook {
		j.Webhook, j.Secret = r.Webhook, r.Secret
	}
	if !r.FiredAt.IsZero() {
		j.FiredAt = &r.FiredAt
	}
	return j
}

// managesAlerts says whether the caller may create and delete rules, and so read their URLs.
func managesAlerts(r *http.Request) bool {
	p, ok := auth.PrincipalFrom(r.Context())
	return !ok || p.Allows(auth.Manage, http.MethodPost)
}

var alertKinds = map[string]bool{"": true, "rage_click": true, "dead_click": true, "error_click": true, "thrashed_cursor": true,
	"quick_back": true, "excessive_scroll": true, "form_abandonment": true, "field_hesitation": true, "js_error": true}

// CreateAlert adds a rule: post to a webhook when a problem reaches a number of sessions within
// a window.
func (a *API) CreateAlert(w http.ResponseWriter, r *http.Request) error {
	var in alertJSON
	if err := json.NewDecoder(http.MaxBytesReader(w, r.Body, 16<<10)).Decode(&in); err != nil {
		return apierror.New(http.StatusBadRequest, "bad_request", "body must be a JSON alert rule")
	}
	if in.Project == "" {
		in.Project = "default"
	}
	u, err := url.Parse(in.Webhook)
	switch {
	case in.Name == "" || len(in.Name) > 200:
		return apierror.New(http.StatusBadRequest, "bad_request", "name must be 1-200 characters")
	case err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || len(in.Webhook) > 2048:
		return apierror.New(http.StatusBadRequest, "bad_request", "webhook must be an http(s) URL")
	case in.Threshold < 1 || in.Threshold > 1_000_000:
		return apierror.New(http.StatusBadRequest, "bad_request", "threshold must be 1-1000000 sessions")
	case in.WindowMinutes < 1 || in.WindowMinutes > 30*24*60:
		return apierror.New(http.StatusBadRequest, "bad_request", "windowMinutes must be 1-43200")
	case !alertKinds[in.Kind]:
		return apierror.New(http.StatusBadRequest, "bad_request", "unknown kind "+strconv.Quote(in.Kind))
	case len(in.Fingerprint) > 1024:
		return apierror.New(http.StatusBadRequest, "bad_request", "fingerprint too long")
	case in.Format != "" && in.Format != store.FormatSlack && in.Format != store.FormatJSON:
		return apierror.New(http.StatusBadRequest, "bad_request", `format must be "slack" or "json"`)
	case in.Secret != "":
		return apierror.New(http.StatusBadRequest, "bad_request", "the signing secret is made by Reel; leave secret out")
	}
	if in.Format == "" {
		in.Format = store.FormatSlack
	}
	if _, err := a.projectByID(r.Context(), in.Project); err != nil {
		return err
	}
	if in.SavedSearch != 0 {
		// A rule on a saved search counts its matching sessions, which counting caps.
		s, err := a.searches.SavedSearch(r.Context(), in.SavedSearch, caller(r).UserID)
		switch {
		case errors.Is(err, store.ErrNotFound) || (err == nil && s.ProjectID != in.Project):
			return errSavedNotFound
		case err != nil:
			return err
		case in.Kind != "" || in.Fingerprint != "":
			return apierror.New(http.StatusBadRequest, "bad_request", "a rule watches a saved search or an issue, not both")
		case in.Threshold > store.CountCap:
			return apierror.New(http.StatusBadRequest, "bad_request", fmt.Sprintf("threshold on a saved search must be 1-%d sessions", store.CountCap))
		}
	}
	var savedQuery string
	if in.SavedSearch != 0 {
		s, _ := a.searches.SavedSearch(r.Context(), in.SavedSearch, caller(r).UserID)
		savedQuery = s.Query
	}
	rule, err := a.alerts.CreateAlert(r.Context(), store.AlertRule{ProjectID: in.Project, Name: in.Name, Kind: in.Kind, Fingerprint: in.Fingerprint,
		Threshold: in.Threshold, Window: time.Duration(in.WindowMinutes) * time.Minute, Webhook: in.Webhook, CreatedAt: time.Now(),
		SavedSearchID: in.SavedSearch, Format: in.Format, Secret: alert.NewSecret()})
	if err != nil {
		return err
	}
	rule.SavedQuery = savedQuery
	apierror.JSON(w, http.StatusCreated, toAlertJSON(rule, true))
	return nil
}

// ListAlerts lists a project's rules.
func (a *API) ListAlerts(w http.ResponseWriter, r *http.Request) error {
	project := r.URL.Query().Get("project")
	if project == "" {
		project = "default"
	}
	if !sees(r.Context(), project) {
		return errProjectNotFound
	}
	rules, err := a.alerts.Alerts(r.Context(), project)
	if err != nil {
		return err
	}
	deliveries, err := a.alerts.AlertDeliveries(r.Context(), project)
	if err != nil {
		return err
	}
	byRule := map[int64][]deliveryJSON{}
	for _, d := range deliveries {
		byRule[d.RuleID] = append(byRule[d.RuleID], toDeliveryJSON(d))
	}
	manages := managesAlerts(r)
	out := make([]alertJSON, 0, len(rules))
	for _, rule := range rules {
		j := toAlertJSON(rule, manages)
		if ds := byRule[rule.ID]; ds != nil {
			j.Deliveries = ds
		}
		out = append(out, j)
	}
	apierror.JSON(w, http.StatusOK, map[string]any{"alerts": out})
	return nil
}

// DeleteAlert removes a rule.
func (a *API) DeleteAlert(w http.ResponseWriter, r *http.Request) error {
	id, project, err := alertTarget(r)
	if err != nil {
		return err
	}
	if err := a.alerts.DeleteAlert(r.Context(), project, id); errors.Is(err, store.ErrNotFound) {
		return errAlertNotFound
	} else if err != nil {
		return err
	}
	w.WriteHeader(http.StatusNoContent)
	return nil
}

var errAlertNotFound = apierror.New(http.StatusNotFound, "not_found", "alert not found")

// alertTarget reads the rule id of the path and the project of ?project= (default "default"),
// which the caller must see.
func alertTarget(r *http.Request) (int64, string, error) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		return 0, "", apierror.New(http.StatusBadRequest, "bad_request", "invalid alert id")
	}
	project := r.URL.Query().Get("project")
	if project == "" {
		project = "default"
	}
	if !sees(r.Context(), project) {
		return 0, "", errProjectNotFound
	}
	return id, project, nil
}

// TestAlert posts a clearly marked test message to a rule's webhook now and answers with the
// recorded delivery: 200 whether or not the receiver took it, as the delivery says which.
func (a *API) TestAlert(w http.ResponseWriter, r *http.Request) error {
	id, project, err := alertTarget(r)
	if err != nil {
		return err
	}
	if a.alertTester == nil {
		return apierror.New(http.StatusServiceUnavailable, "unavailable", "this server does not post alerts")
	}
	rules, err := a.alerts.Alerts(r.Context(), project)
	if err != nil {
		return err
	}
	i := slices.IndexFunc(rules, func(x store.AlertRule) bool { return x.ID == id })
	if i < 0 {
		return errAlertNotFound
	}
	d, err := a.alertTester.Test(r.Context(), rules[i])
	if errors.Is(err, store.ErrNotFound) {
		return errAlertNotFound // deleted while the test was posted
	} else if err != nil {
		return err
	}
	apierror.JSON(w, http.StatusOK, toDeliveryJSON(d))
	return nil
}
