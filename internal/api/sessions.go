package api

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/reelhq/reel/internal/apierror"
	"github.com/reelhq/reel/internal/search"
	"github.com/reelhq/reel/internal/store"
	"github.com/reelhq/reel/internal/useragent"
)

// sessionIndex finds sessions: the list and search, and one session's row.
type sessionIndex interface {
	ListSessions(ctx context.Context, q store.ListQuery) (store.SessionPage, error)
	GetSession(ctx context.Context, id string) (store.Session, error)
}

type viewportJSON struct {
	Width  int `json:"width"`
	Height int `json:"height"`
}

type sessionJSON struct {
	ID         string       `json:"id"`
	ProjectID  string       `json:"projectId"`
	StartedAt  time.Time    `json:"startedAt"`
	EndedAt    time.Time    `json:"endedAt"`
	DurationMS int64        `json:"durationMs"`
	Pages      int          `json:"pages"`
	EntryURL   string       `json:"entryUrl"`
	ExitURL    string       `json:"exitUrl"`
	Clicks     int          `json:"clicks"`
	ActiveMS   int64        `json:"activeMs"`
	Events     int          `json:"events"`
	Tabs       int          `json:"tabs"`
	UserAgent  string       `json:"userAgent"`
	Browser    string       `json:"browser"`
	OS         string       `json:"os"`
	Device     string       `json:"device"`
	Viewport   viewportJSON `json:"viewport"`
	UpdatedAt  time.Time    `json:"updatedAt"`
	URLs       []string     `json:"urls,omitempty"`
	UserID     string       `json:"userId,omitempty"`
	// UserIDs is every id the session was identified as, in the order first seen, with when
	// (GET of one session only): a change of user within a session shows here.
	UserIDs []userIDJSON `json:"userIds,omitempty"`
	Country string       `json:"country,omitempty"`
	Errors  int          `json:"errors"`
	Failed  int          `json:"failedRequests"`
	// CompactedAt is set once the session has been rewritten into its at-rest layout.
	CompactedAt *time.Time `json:"compactedAt,omitempty"`
	// Analysis, filled once the session is compacted (docs/friction.md).
	Score      int    `json:"score"`
	Summary    string `json:"summary,omitempty"`
	Friction   int    `json:"friction"`
	RageClicks int    `json:"rageClicks"`
	DeadClicks int    `json:"deadClicks"`
	// Scrubbed is how many values the server's scrubber masked, by kind (card, email, phone,
	// iban, token, custom); absent when none, and in lists (GET /sessions/{id} has it).
	Scrubbed map[string]int `json:"scrubbed,omitempty"`
}

// userIDJSON is one user id of a session and when it was first seen.
type userIDJSON struct {
	ID        string    `json:"id"`
	FirstSeen time.Time `json:"firstSeen"`
}

func toJSON(s store.Session) sessionJSON {
	ua := useragent.Parse(s.UserAgent)
	out := sessionJSON{
		ID: s.ID, ProjectID: s.ProjectID, StartedAt: s.StartedAt, EndedAt: s.EndedAt, DurationMS: s.Duration().Milliseconds(),
		Pages: s.Pages, EntryURL: s.EntryURL, ExitURL: s.ExitURL, Clicks: s.Clicks, ActiveMS: s.ActiveMS, Events: s.Events, Tabs: s.Tabs,
		UserAgent: s.UserAgent, Browser: ua.Browser, OS: ua.OS, Device: ua.Device,
		Viewport: viewportJSON{s.Viewport.Width, s.Viewport.Height}, UpdatedAt: s.UpdatedAt, URLs: s.URLs, UserID: s.UserID,
		Country: s.Country, Errors: s.Errors, Failed: s.Failed,
	}
	if !s.Compacted.IsZero() {
		out.CompactedAt = &s.Compacted
	}
	for _, u := range s.UserIDs {
		out.UserIDs = append(out.UserIDs, userIDJSON{ID: u.UserID, FirstSeen: u.FirstAt})
	}
	out.Score, out.Summary, out.Friction, out.RageClicks, out.DeadClicks = s.Score, s.Summary, s.Friction, s.RageClicks, s.DeadClicks
	out.Scrubbed = s.Scrubbed
	return out
}

// ListSessions lists sessions newest first, a page at a time.
func (a *API) ListSessions(w http.ResponseWriter, r *http.Request) error {
	q := r.URL.Query()
	limit := 50
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > 200 {
			return apierror.New(http.StatusBadRequest, "bad_request", "limit must be an integer from 1 to 200")
		}
		limit = n
	}
	cursor := q.Get("cursor")
	if len(cursor) > 256 {
		return apierror.New(http.StatusBadRequest, "bad_request", "invalid cursor")
	}
	plan, err := search.Parse(q.Get("q"))
	var perr *search.Error
	if errors.As(err, &perr) {
		return apierror.New(http.StatusBadRequest, "bad_query", perr.Error())
	}
	if err != nil {
		return err
	}
	if v := q.Get("sort"); v != "" {
		s, err := search.ParseSort(v)
		if err != nil {
			return apierror.New(http.StatusBadRequest, "bad_query", "sort: "+err.Error())
		}
		if plan.SortGiven && plan.Sort != s {
			return apierror.New(http.StatusBadRequest, "bad_query", "sort given twice: "+string(plan.Sort)+" in q and "+string(s)+" in sort")
		}
		plan.Sort = s
	}
	project, err := listProject(r)
	if err != nil {
		return err
	}
	// The first page counts the matches; later pages reuse the count the client already has.
	start := time.Now()
	page, err := a.sessions.ListSessions(r.Context(), store.ListQuery{ProjectID: project, Limit: limit, Cursor: cursor, Query: plan, Count: cursor == ""})
	if a.observe != nil && err == nil {
		text, filters := shape(plan.Root)
		a.observe.Searched(text, filters, time.Since(start))
	}
	if errors.Is(err, store.ErrBadCursor) {
		return apierror.New(http.StatusBadRequest, "bad_request", "invalid cursor")
	}
	if err != nil {
		return err
	}
	out := struct {
		Sessions   []sessionJSON `json:"sessions"`
		NextCursor string        `json:"nextCursor,omitempty"`
		Query      string        `json:"query"`
		Sort       string        `json:"sort"`
		Count      *int          `json:"count,omitempty"`
		CountMore  bool          `json:"countIsLowerBound,omitempty"`
	}{Sessions: make([]sessionJSON, 0, len(page.Sessions)), NextCursor: page.Next, Query: q.Get("q"), Sort: string(plan.Sort), CountMore: page.Capped}
	if cursor == "" {
		out.Count = &page.Count
	}
	for _, s := range page.Sessions {
		out.Sessions = append(out.Sessions, toJSON(s))
	}
	apierror.JSON(w, http.StatusOK, out)
	return nil
}

var errSessionNotFound = apierror.New(http.StatusNotFound, "not_found", "session not found")

// GetSession returns one session's metadata.
func (a *API) GetSession(w http.ResponseWriter, r *http.Request) error {
	s, err := a.getSession(r.Context(), r.PathValue("id"))
	if errors.Is(err, store.ErrNotFound) {
		return errSessionNotFound
	}
	if err != nil {
		return err
	}
	apierror.JSON(w, http.StatusOK, toJSON(s))
	return nil
}

// shape says whether a query has free-text terms and whether it has other terms.
func shape(n search.Node) (text, filters bool) {
	switch n := n.(type) {
	case *search.And:
		for _, c := range n.Children {
			t, f := shape(c)
			text, filters = text || t, filters || f
		}
	case *search.Or:
		for _, c := range n.Children {
			t, f := shape(c)
			text, filters = text || t, filters || f
		}
	case *search.Not:
		return shape(n.Child)
	case *search.Term:
		return n.Field == search.Text, n.Field != search.Text
	}
	return text, filters
}
