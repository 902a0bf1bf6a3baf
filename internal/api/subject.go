package api

import (
	"archive/zip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"time"

	"github.com/reelhq/reel/internal/apierror"
	"github.com/reelhq/reel/internal/audit"
	"github.com/reelhq/reel/internal/store"
)

// subjectIndex is what a subject access export reads: the sessions that were ever identified
// as a user, and everything stored about each.
type subjectIndex interface {
	SessionsOfUser(ctx context.Context, projectID, userID string) ([]string, error)
	SessionRecord(ctx context.Context, id string) (store.SessionRecord, error)
}

// maxUserID is the longest user id the user endpoints take; ingest keeps 256 characters of an
// identify's id, so a longer one names nobody.
const maxUserID = 256

// ExportUser answers a subject access request (GDPR Art. 15) for one recorded user, GET
// /api/v1/projects/{project}/users/{user}/export: a zip, streamed as it is written, of every
// session that was ever identified as the user (docs/api.md). A user with no sessions gets a
// valid zip holding only its README, which says so: "we hold nothing" is an answer too.
func (a *API) ExportUser(w http.ResponseWriter, r *http.Request) error {
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
	ref := audit.UserRef(project, user)
	w.Header().Set("Content-Type", "application/zip")
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Content-Disposition", `attachment; filename="`+SubjectFileName(project, user)+`"`)
	w.Header().Set("X-Reel-Sessions", fmt.Sprint(len(ids)))
	n, err := a.writeSubject(r.Context(), w, project, user, ids, a.now())
	if err != nil {
		// The zip is partly out: abort the response so the client sees a failed download,
		// not a shorter archive.
		if r.Context().Err() == nil {
			a.log.ErrorContext(r.Context(), "api: subject export failed after the first bytes", "user", ref, "err", err)
		}
		panic(http.ErrAbortHandler)
	}
	a.audit.Record(r.Context(), r, audit.SubjectExport, project, ref, map[string]any{"sessions": n})
	return nil
}

// SubjectFileName is the download's name: the project and the user's hash, never the id
// itself, which may hold anything.
func SubjectFileName(project, user string) string {
	return "reel-subject-" + safeName(project) + "-" + strings.TrimPrefix(audit.UserRef(project, user), "sha256:")[:12] + ".zip"
}

// WriteSubjectExport writes the zip ExportUser serves to w (reel users export uses it without
// a server) and returns how many sessions it holds.
func (a *API) WriteSubjectExport(ctx context.Context, w io.Writer, project, user string, now time.Time) (int, error) {
	if strings.TrimSpace(user) == "" || len(user) > maxUserID {
		return 0, fmt.Errorf("api: user id must be 1-%d characters", maxUserID)
	}
	if _, err := a.projects.Project(ctx, project); err != nil {
		return 0, fmt.Errorf("api: subject export: project %q: %w", project, err)
	}
	ids, err := a.subjects.SessionsOfUser(ctx, project, user)
	if err != nil {
		return 0, err
	}
	return a.writeSubject(ctx, w, project, user, ids, now)
}

// writeSubject writes the zip: README.txt, then per session a folder named by its position
// and id holding events.json (the rrweb events of every tab merged by time, content markers
// resolved, as the events endpoint serves them), metadata.json and findings.json. Entry names
// come from session ids filtered to a safe alphabet, never from the user id. A session erased
// while the export runs is left out.
func (a *API) writeSubject(ctx context.Context, w io.Writer, project, user string, ids []string, now time.Time) (int, error) {
	zw := zip.NewWriter(w)
	written := []string{}
	var recs []store.SessionRecord
	for _, id := range ids {
		rec, err := a.subjects.SessionRecord(ctx, id)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("api: subject export: %w", err)
		}
		recs = append(recs, rec)
	}
	if err := writeZipFile(zw, "README.txt", now, []byte(subjectReadme(project, user, recs, now))); err != nil {
		return 0, err
	}
	for i, rec := range recs {
		dir := fmt.Sprintf("sessions/%03d-%s/", i+1, safeName(rec.Session.ID))
		events, err := a.sessionEvents(ctx, rec.Session.ID, rec.Session.ProjectID)
		if errors.Is(err, store.ErrNotFound) {
			continue
		}
		if err != nil {
			return 0, fmt.Errorf("api: subject export: events of %s: %w", rec.Session.ID, err)
		}
		if err := writeZipFile(zw, dir+"events.json", now, events); err != nil {
			return 0, err
		}
		meta, err := json.MarshalIndent(subjectMetadata(rec), "", "  ")
		if err != nil {
			return 0, err
		}
		if err := writeZipFile(zw, dir+"metadata.json", now, meta); err != nil {
			return 0, err
		}
		findings, err := json.MarshalIndent(subjectFindings(rec), "", "  ")
		if err != nil {
			return 0, err
		}
		if err := writeZipFile(zw, dir+"findings.json", now, findings); err != nil {
			return 0, err
		}
		written = append(written, rec.Session.ID)
	}
	if err := zw.Close(); err != nil {
		return 0, fmt.Errorf("api: subject export: %w", err)
	}
	return len(written), nil
}

func writeZipFile(zw *zip.Writer, name string, at time.Time, body []byte) error {
	f, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Deflate, Modified: at})
	if err != nil {
		return fmt.Errorf("api: subject export: %s: %w", name, err)
	}
	if _, err := f.Write(body); err != nil {
		return fmt.Errorf("api: subject export: %s: %w", name, err)
	}
	return nil
}

// sessionEvents is a session's events as one JSON array, every tab merged by time, content
// markers resolved.
func (a *API) sessionEvents(ctx context.Context, id, projectID string) ([]byte, error) {
	tabs, err := a.sources(ctx, id, projectID, "")
	if err != nil {
		return nil, err
	}
	parts, _, err := a.collect(ctx, id, projectID, "", tabs, span{})
	if err != nil {
		return nil, err
	}
	all := mergeByTime(parts)
	out := make([]byte, 0, rawSize(all)+2)
	out = append(out, '[')
	for i, e := range all {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, e.raw...)
	}
	return append(out, ']'), nil
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9_-]`)

// safeName keeps only letters, digits, _ and - of s (at most 64), so no id becomes a path.
func safeName(s string) string {
	s = unsafeName.ReplaceAllString(s, "_")
	if len(s) > 64 {
		s = s[:64]
	}
	if s == "" {
		s = "_"
	}
	return s
}

func subjectReadme(project, user string, recs []store.SessionRecord, now time.Time) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Reel subject access export (GDPR Art. 15)\n\n")
	fmt.Fprintf(&b, "Made:      %s\n", now.UTC().Format(time.RFC3339))
	fmt.Fprintf(&b, "Project:   %s\n", project)
	fmt.Fprintf(&b, "User id:   %s\n", user)
	fmt.Fprintf(&b, "Sessions:  %d\n\n", len(recs))
	if len(recs) == 0 {
		b.WriteString("No recorded session of this project was ever identified as this user id:\nReel holds no recording of them.\n\n")
	}
	b.WriteString(`What is inside: every recorded session (a visit to the site) that was ever identified as
this user id, also those later identified as someone else, one folder per session under
sessions/:

  events.json    the recording: rrweb events of every tab, merged by time (page structure,
                 mutations, mouse and scroll positions, inputs as captured after masking,
                 console, errors, network requests, identify and track events)
  metadata.json  the session as Reel indexed it: times, pages visited, device, browser,
                 country, referrer and campaign, every user id it had and when each was first
                 seen, traits, track events and their properties, error messages, on-screen
                 text indexed for search
  findings.json  what Reel's analysis concluded from it: summary, interest score, friction
                 counts and each finding (rage and dead clicks, errors...) with its time

`)
	for i, r := range recs {
		fmt.Fprintf(&b, "  sessions/%03d-%s  %s to %s\n", i+1, safeName(r.Session.ID), r.Session.StartedAt.UTC().Format(time.RFC3339), r.Session.EndedAt.UTC().Format(time.RFC3339))
	}
	return b.String()
}

// subjectMeta is metadata.json: what the index holds about one session.
type subjectMeta struct {
	sessionJSON
	Browser        string                   `json:"browser"`
	BrowserVersion int                      `json:"browserVersion,omitempty"`
	OS             string                   `json:"os"`
	Device         string                   `json:"device"`
	Referrer       string                   `json:"referrer,omitempty"`
	UTM            map[string]string        `json:"utm,omitempty"`
	PageViews      []subjectPage            `json:"pageViews"`
	Traits         map[string]string        `json:"traits,omitempty"`
	TrackEvents    []string                 `json:"trackEvents,omitempty"`
	EventProps     []map[string]string      `json:"trackEventProperties,omitempty"`
	ErrorMessages  []string                 `json:"errorMessages,omitempty"`
	OnScreenText   []string                 `json:"onScreenText,omitempty"`
	FeatureFlags   []map[string]interface{} `json:"featureFlags,omitempty"`
	ArchivedAssets []map[string]interface{} `json:"archivedAssets,omitempty"`
	WebVitals      []pageVitalsJSON         `json:"webVitals,omitempty"`
}

type subjectPage struct {
	Tab string    `json:"tab"`
	At  time.Time `json:"at"`
	URL string    `json:"url"`
}

func subjectMetadata(r store.SessionRecord) subjectMeta {
	s := r.Session
	urls := make([]string, len(r.Pages))
	for i, p := range r.Pages {
		urls[i] = p.URL
	}
	s.URLs = urls
	s.UserIDs = s.UserIDsOrCurrent()
	m := subjectMeta{sessionJSON: toJSON(s), Browser: r.Browser, BrowserVersion: r.BrowserVersion, OS: r.OS, Device: r.Device,
		Referrer: r.Referrer, Traits: r.Traits, TrackEvents: r.Events, ErrorMessages: r.Errors, PageViews: []subjectPage{}}
	if r.UTMSource != "" || r.UTMMedium != "" || r.UTMCampaign != "" {
		m.UTM = map[string]string{"source": r.UTMSource, "medium": r.UTMMedium, "campaign": r.UTMCampaign}
	}
	for _, p := range r.Pages {
		m.PageViews = append(m.PageViews, subjectPage{Tab: p.Tab, At: p.At, URL: p.URL})
	}
	for _, p := range r.Props {
		m.EventProps = append(m.EventProps, map[string]string{"key": p.Key, "value": p.Value})
	}
	for _, f := range r.Flags {
		m.FeatureFlags = append(m.FeatureFlags, map[string]interface{}{"name": f.Name, "variant": f.Variant, "firstAt": f.FirstAt})
	}
	seen := map[string]bool{}
	for _, texts := range r.Text {
		for _, t := range texts {
			if !seen[t] {
				seen[t] = true
				m.OnScreenText = append(m.OnScreenText, t)
			}
		}
	}
	for _, x := range r.Archive {
		m.ArchivedAssets = append(m.ArchivedAssets, map[string]interface{}{"url": x.URL, "type": x.Type, "size": x.Size, "fetchedAt": x.FetchedAt})
	}
	m.WebVitals = ratedVitals(r.Vitals)
	return m
}

// subjectFinding is one stored finding of analysis.
type subjectFinding struct {
	Kind   string    `json:"kind"`
	At     time.Time `json:"at"`
	Path   string    `json:"path,omitempty"`
	Target string    `json:"target,omitempty"`
	Issue  string    `json:"issue,omitempty"` // the fingerprint grouping it into an issue
	Detail string    `json:"detail,omitempty"`
}

func subjectFindings(r store.SessionRecord) map[string]any {
	out := map[string]any{"analyzed": !r.AnalyzedAt.IsZero()}
	if !r.AnalyzedAt.IsZero() {
		out["analyzedAt"] = r.AnalyzedAt
	}
	s := r.Session
	out["summary"], out["score"], out["friction"], out["rageClicks"], out["deadClicks"] = s.Summary, s.Score, s.Friction, s.RageClicks, s.DeadClicks
	findings := []subjectFinding{}
	for _, g := range r.Signals {
		findings = append(findings, subjectFinding{Kind: g.Kind, At: g.At, Path: g.Path, Target: g.Target, Issue: g.Fingerprint, Detail: g.Detail})
	}
	out["findings"] = findings
	return out
}
