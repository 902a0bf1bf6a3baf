package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/reelhq/reel/internal/apierror"
	"github.com/reelhq/reel/internal/audit"
	"github.com/reelhq/reel/internal/store"
)

// auditIndex is what the audit log's handlers need from the store. Nothing here changes or
// removes an entry: the log is read-only through the API.
type auditIndex interface {
	AppendAudit(ctx context.Context, e store.AuditEntry) error
	ListAudit(ctx context.Context, q store.AuditQuery) (store.AuditPage, error)
}

type auditJSON struct {
	ID      int64           `json:"id"`
	At      time.Time       `json:"at"`
	ActorID int64           `json:"actorId,omitempty"`
	Actor   string          `json:"actor"`
	TokenID string          `json:"tokenId,omitempty"`
	Action  string          `json:"action"`
	Project string          `json:"project,omitempty"`
	Target  string          `json:"target,omitempty"`
	Client  string          `json:"client,omitempty"`
	Detail  json.RawMessage `json:"detail,omitempty"`
}

func auditOut(e store.AuditEntry) auditJSON {
	return auditJSON{ID: e.ID, At: e.At, ActorID: e.ActorID, Actor: e.Actor, TokenID: e.TokenID, Action: e.Action, Project: e.Project,
		Target: e.Target, Client: e.Client, Detail: e.Detail}
}

// auditQuery reads the filters both audit endpoints take.
func auditQuery(r *http.Request) (store.AuditQuery, error) {
	v := r.URL.Query()
	q := store.AuditQuery{Action: v.Get("action"), Actor: v.Get("actor"), Project: v.Get("project"), Cursor: v.Get("cursor")}
	if len(q.Action) > 64 || len(q.Actor) > 320 || len(q.Project) > 128 || len(q.Cursor) > 32 {
		return q, badRequest("a filter is too long")
	}
	var err error
	if q.Since, err = auditTime(v, "since", false); err != nil {
		return q, err
	}
	if q.Until, err = auditTime(v, "until", true); err != nil {
		return q, err
	}
	if s := v.Get("limit"); s != "" {
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 || n > 500 {
			return q, badRequest("limit must be 1-500")
		}
		q.Limit = n
	}
	// A caller limited to projects (an admin-scoped token limited to some) reads only theirs.
	p := caller(r)
	if p.Projects != nil {
		if q.Project == "" {
			return q, badRequest("choose a project: ?project=ID (you see only some)")
		}
		if !p.SeesProject(q.Project) {
			return q, errProjectNotFound
		}
	}
	return q, nil
}

// auditTime parses since or until: an RFC 3339 time, or a date (YYYY-MM-DD, UTC), which for
// until means the end of that day.
func auditTime(v url.Values, name string, endOfDay bool) (time.Time, error) {
	s := v.Get(name)
	if s == "" {
		return time.Time{}, nil
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, nil
	}
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		return time.Time{}, badRequest(name + " must be a date (2026-12-31) or an RFC 3339 time")
	}
	if endOfDay {
		t = t.AddDate(0, 0, 1)
	}
	return t, nil
}

// ListAudit answers a page of the audit log, newest first (GET /api/v1/audit).
func (a *API) ListAudit(w http.ResponseWriter, r *http.Request) error {
	q, err := auditQuery(r)
	if err != nil {
		return err
	}
	if q.Limit == 0 {
		q.Limit = 100
	}
	page, err := a.auditLog.ListAudit(r.Context(), q)
	if errors.Is(err, store.ErrBadCursor) {
		return badRequest("invalid cursor")
	}
	if err != nil {
		return err
	}
	out := make([]auditJSON, 0, len(page.Entries))
	for _, e := range page.Entries {
		out = append(out, auditOut(e))
	}
	apierror.JSON(w, http.StatusOK, map[string]any{"entries": out, "next": page.Next, "actions": audit.Actions})
	return nil
}

// ExportAudit streams every entry matching the filters as JSON lines, newest first, as a
// download (GET /api/v1/audit/export).
func (a *API) ExportAudit(w http.ResponseWriter, r *http.Request) error {
	q, err := auditQuery(r)
	if err != nil {
		return err
	}
	q.Limit = 500
	ctx := r.Context()
	first, err := a.auditLog.ListAudit(ctx, q)
	if errors.Is(err, store.ErrBadCursor) {
		return badRequest("invalid cursor")
	}
	if err != nil {
		return err
	}
	a.audit.Record(r.Context(), r, audit.Export, q.Project, "audit log", map[string]any{"what": "audit log", "action": q.Action, "actor": q.Actor})
	w.Header().Set("Content-Type", "application/x-ndjson")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="reel-audit-%s.jsonl"`, time.Now().UTC().Format("20060102-150405")))
	enc := json.NewEncoder(w)
	page := first
	for {
		for _, e := range page.Entries {
			if err := enc.Encode(auditOut(e)); err != nil {
				return nil // the client went away
			}
		}
		if page.Next == "" {
			return nil
		}
		if f, ok := w.(http.Flusher); ok {
			f.Flush()
		}
		q.Cursor = page.Next
		if page, err = a.auditLog.ListAudit(ctx, q); err != nil {
			// The answer has begun: end it short and say why in the log.
			a.log.Error("audit export stopped", "err", err)
			return nil
		}
	}
}
