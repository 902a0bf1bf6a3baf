package api

import (
	"cmp"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/reelhq/reel/internal/apierror"
	"github.com/reelhq/reel/internal/store"
	"github.com/reelhq/reel/internal/useragent"
)

// maxProfileSessions bounds the sessions one user page reads (the newest by id order of the
// index are not the newest by time, so the page says truncated when there are more).
const maxProfileSessions = 500

type profilePageJSON struct {
	At   time.Time `json:"at"`
	URL  string    `json:"url"`
	Path string    `json:"path"`
}

type profileTabJSON struct {
	Tab   string            `json:"tab"`
	Pages []profilePageJSON `json:"pages"`
}

type profileSessionJSON struct {
	SessionID string           `json:"sessionId"`
	StartedAt time.Time        `json:"startedAt"`
	EndedAt   time.Time        `json:"endedAt"`
	Browser   string           `json:"browser"`
	OS        string           `json:"os"`
	Device    string           `json:"device"`
	Country   string           `json:"country,omitempty"`
	Summary   string           `json:"summary,omitempty"`
	Errors    int              `json:"errors"`
	Friction  int              `json:"friction"`
	Tabs      []profileTabJSON `json:"tabs"`
}

type profileDeviceJSON struct {
	Browser  string    `json:"browser"`
	OS       string    `json:"os"`
	Device   string    `json:"device"`
	Sessions int       `json:"sessions"`
	LastSeen time.Time `json:"lastSeen"`
}

type profileIssueJSON struct {
	Fingerprint string     `json:"fingerprint"`
	Kind        string     `json:"kind"`
	Path        string     `json:"path"`
	Target      string     `json:"target"`
	Count       int        `json:"count"`    // findings
	Sessions    int        `json:"sessions"` // of this user's
	LastSeen    time.Time  `json:"lastSeen"`
	Latest      momentJSON `json:"latest"` // the latest finding, to watch it
}

// UserProfile is a recorded user's page, GET /api/v1/projects/{project}/users/{user}: their
// latest traits, first and last seen, devices and browsers, every session that was ever
// identified as them (newest first, each with its tabs' page views: one timeline across
// devices and tabs) and the findings in them grouped by issue. A user with no session left
// (never seen, or erased) is not found: the page shows nothing of them.
func (a *API) UserProfile(w http.ResponseWriter, r *http.Request) error {
	project, user := r.PathValue("project"), r.PathValue("user")
	if strings.TrimSpace(user) == "" || len(user) > maxUserID {
		return apierror.New(http.StatusBadRequest, "bad_request", fmt.Sprintf("user id must be 1-%d characters", maxUserID))
	}
	if _, err := a.projectByID(r.Context(), project); err != nil {
		return err
	}
	ids, err := a.subjects.SessionsOfUser(r.Context(), project, user)
	if err != nil {
		return err
	}
	truncated := len(ids) > maxProfileSessions
	if truncated {
		ids = ids[:maxProfileSessions]
	}
	var recs []store.SessionRecord
	for _, id := range ids {
		rec, err := a.subjects.SessionRecord(r.Context(), id)
		if errors.Is(err, store.ErrNotFound) {
			continue // erased meanwhile
		}
		if err != nil {
			return fmt.Errorf("api: user profile: %w", err)
		}
		if rec.Session.ProjectID == project {
			recs = append(recs, rec)
		}
	}
	if len(recs) == 0 {
		return apierror.New(http.StatusNotFound, "not_found", "no recorded session of this project was identified as this user")
	}
	// Oldest first to fold traits (the latest value wins), newest first to show.
	slices.SortFunc(recs, func(x, y store.SessionRecord) int {
		return cmp.Or(x.Session.StartedAt.Compare(y.Session.StartedAt), cmp.Compare(x.Session.ID, y.Session.ID))
	})
	traits := map[string]string{}
	first, last := recs[0].Session.StartedAt, recs[0].Session.EndedAt
	devices := map[[3]string]*profileDeviceJSON{}
	issues := map[string]*profileIssueJSON{}
	issueSessions := map[string]map[string]bool{}
	sessions := make([]profileSessionJSON, 0, len(recs))
	for _, rec := range recs {
		s := rec.Session
		for k, v := range rec.Traits {
			traits[k] = v
		}
		if s.EndedAt.After(last) {
			last = s.EndedAt
		}
		browser, os, device := rec.Browser, rec.OS, rec.Device
		if browser == "" && os == "" && device == "" {
			ua := useragent.Parse(s.UserAgent)
			browser, os, device = strings.ToLower(ua.Browser), strings.ToLower(ua.OS), ua.Device
		}
		key := [3]string{browser, os, device}
		d := devices[key]
		if d == nil {
			d = &profileDeviceJSON{Browser: browser, OS: os, Device: device}
			devices[key] = d
		}
		d.Sessions++
		if s.EndedAt.After(d.LastSeen) {
			d.LastSeen = s.EndedAt
		}
		sj := profileSessionJSON{SessionID: s.ID, StartedAt: s.StartedAt, EndedAt: s.EndedAt, Browser: browser, OS: os, Device: device,
			Country: s.Country, Summary: s.Summary, Errors: s.Errors, Friction: s.Friction, Tabs: []profileTabJSON{}}
		for _, p := range rec.Pages {
			i := slices.IndexFunc(sj.Tabs, func(t profileTabJSON) bool { return t.Tab == p.Tab })
			if i < 0 {
				sj.Tabs = append(sj.Tabs, profileTabJSON{Tab: p.Tab})
				i = len(sj.Tabs) - 1
			}
			sj.Tabs[i].Pages = append(sj.Tabs[i].Pages, profilePageJSON{At: p.At, URL: p.URL, Path: p.Path})
		}
		sessions = append(sessions, sj)
		for _, g := range rec.Signals {
			is := issues[g.Fingerprint]
			if is == nil {
				is = &profileIssueJSON{Fingerprint: g.Fingerprint, Kind: g.Kind, Path: g.Path, Target: g.Target}
				issues[g.Fingerprint] = is
				issueSessions[g.Fingerprint] = map[string]bool{}
			}
			is.Count++
			issueSessions[g.Fingerprint][s.ID] = true
			if !g.At.Before(is.LastSeen) {
				is.LastSeen, is.Latest = g.At, moment(s.ID, g.At, s.StartedAt)
			}
		}
	}
	slices.Reverse(sessions)
	devs := make([]profileDeviceJSON, 0, len(devices))
	for _, d := range devices {
		devs = append(devs, *d)
	}
	slices.SortFunc(devs, func(x, y profileDeviceJSON) int {
		return cmp.Or(cmp.Compare(y.Sessions, x.Sessions), y.LastSeen.Compare(x.LastSeen), cmp.Compare(x.Browser+x.OS, y.Browser+y.OS))
	})
	iss := make([]profileIssueJSON, 0, len(issues))
	for fp, is := range issues {
		is.Sessions = len(issueSessions[fp])
		iss = append(iss, *is)
	}
	slices.SortFunc(iss, func(x, y profileIssueJSON) int {
		return cmp.Or(cmp.Compare(y.Sessions, x.Sessions), y.LastSeen.Compare(x.LastSeen), cmp.Compare(x.Fingerprint, y.Fingerprint))
	})
	apierror.JSON(w, http.StatusOK, map[string]any{"userId": user, "projectId": project, "firstSeen": first, "lastSeen": last,
		"traits": traits, "devices": devs, "sessions": sessions, "issues": iss, "truncated": truncated})
	return nil
}
