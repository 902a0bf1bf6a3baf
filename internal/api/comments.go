package api

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/reelhq/reel/internal/apierror"
	"github.com/reelhq/reel/internal/audit"
	"github.com/reelhq/reel/internal/auth"
	"github.com/reelhq/reel/internal/store"
)

// commentIndex keeps comments on sessions.
type commentIndex interface {
	CreateComment(ctx context.Context, c store.Comment) error
	Comment(ctx context.Context, id string) (store.Comment, error)
	SessionComments(ctx context.Context, sessionID string) ([]store.Comment, error)
	EditComment(ctx context.Context, id, body string, at time.Time) (store.Comment, error)
	DeleteComment(ctx context.Context, id string) error
}

// maxCommentChars bounds a comment's body: a note on a moment, not a document.
const maxCommentChars = 2000

// commentJSON is a comment as the session's page lists it.
type commentJSON struct {
	ID        string     `json:"id"`
	SessionID string     `json:"sessionId"`
	At        int64      `json:"at"` // ms from the start of the recording
	Body      string     `json:"body"`
	Author    string     `json:"author"`   // the author's email when written
	AuthorID  int64      `json:"authorId"` // 0 for the admin token
	CreatedAt time.Time  `json:"createdAt"`
	EditedAt  *time.Time `json:"editedAt,omitempty"`
	Mine      bool       `json:"mine"` // the caller wrote it, so may edit it
	CanDelete bool       `json:"canDelete"`
}

func commentOut(c store.Comment, p auth.Principal) commentJSON {
	j := commentJSON{ID: c.ID, SessionID: c.SessionID, At: c.AtMS, Body: c.Body, Author: c.Author, AuthorID: c.AuthorID, CreatedAt: c.CreatedAt,
		Mine: ownComment(c, p)}
	j.CanDelete = j.Mine || auth.AtLeast(p.Role, auth.RoleAdmin)
	if !c.EditedAt.IsZero() {
		j.EditedAt = &c.EditedAt
	}
	return j
}

// ownComment reports whether p wrote c. The admin token has no user id, so it owns no comment:
// it may delete any, as admins may, but edits nobody's words.
func ownComment(c store.Comment, p auth.Principal) bool {
	return p.UserID != 0 && p.UserID == c.AuthorID
}

var errCommentNotFound = apierror.New(http.StatusNotFound, "not_found", "comment not found")

// commentBody checks a comment's text: trimmed, 1 to maxCommentChars characters.
func commentBody(s *string) (string, error) {
	if s == nil {
		return "", badRequest(`body is required: {"body": "…"}`)
	}
	b := strings.TrimSpace(*s)
	if b == "" || !utf8.ValidString(b) || utf8.RuneCountInString(b) > maxCommentChars || strings.ContainsRune(b, 0) {
		return "", badRequest(fmt.Sprintf("body must be 1 to %d characters of text", maxCommentChars))
	}
	return b, nil
}

func newCommentID() string {
	b := make([]byte, 9)
	rand.Read(b)
	return "cm_" + base64.RawURLEncoding.EncodeToString(b)
}

// validCommentID reports whether id has the shape newCommentID gives, so a malformed id is
// not found without asking the index.
func validCommentID(id string) bool {
	if len(id) != 15 || !strings.HasPrefix(id, "cm_") {
		return false
	}
	for _, c := range id[3:] {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-') {
			return false
		}
	}
	return true
}

// SessionComments lists a session's comments by moment (GET /api/v1/sessions/{id}/comments).
func (a *API) SessionComments(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	s, err := a.getSession(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	list, err := a.comments.SessionComments(ctx, s.ID)
	if err != nil {
		return err
	}
	p := caller(r)
	out := make([]commentJSON, 0, len(list))
	for _, c := range list {
		out = append(out, commentOut(c, p))
	}
	apierror.JSON(w, http.StatusOK, map[string]any{"comments": out})
	return nil
}

// CreateComment writes a comment on a session at a moment (POST /api/v1/sessions/{id}/comments,
// body {"at": ms, "body": "…"}). Anyone who may watch the session may comment on it.
func (a *API) CreateComment(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	var in struct {
		At   *int64  `json:"at"`
		Body *string `json:"body"`
	}
	if err := decodeBody(w, r, &in); err != nil {
		return err
	}
	body, err := commentBody(in.Body)
	if err != nil {
		return err
	}
	s, err := a.getSession(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	var at int64
	if in.At != nil {
		at = *in.At
	}
	if max := s.Duration().Milliseconds(); at < 0 || at > max {
		return badRequest(fmt.Sprintf("at must be 0 to %d (ms into the recording)", max))
	}
	p := caller(r)
	author := p.Email
	if author == "" {
		author = "admin token"
	}
	c := store.Comment{ID: newCommentID(), SessionID: s.ID, ProjectID: s.ProjectID, AuthorID: p.UserID, Author: author,
		AtMS: at, Body: body, CreatedAt: a.now().Truncate(time.Millisecond).UTC()}
	if err := a.comments.CreateComment(ctx, c); errors.Is(err, store.ErrNotFound) {
		return errSessionNotFound // erased meanwhile
	} else if err != nil {
		return fmt.Errorf("create comment on %s: %w", s.ID, err)
	}
	a.audit.Record(ctx, r, audit.CommentCreate, s.ProjectID, s.ID, map[string]any{"comment": c.ID, "at": c.AtMS})
	apierror.JSON(w, http.StatusCreated, commentOut(c, p))
	return nil
}

// comment finds a comment the caller may see; any other is not found.
func (a *API) comment(ctx context.Context, id string) (store.Comment, error) {
	if !validCommentID(id) {
		return store.Comment{}, errCommentNotFound
	}
	c, err := a.comments.Comment(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !sees(ctx, c.ProjectID)) {
		return store.Comment{}, errCommentNotFound
	}
	return c, err
}

// EditComment replaces the body of one's own comment (PATCH /api/v1/comments/{id}, body
// {"body": "…"}); its moment stays.
func (a *API) EditComment(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	var in struct {
		Body *string `json:"body"`
	}
	if err := decodeBody(w, r, &in); err != nil {
		return err
	}
	body, err := commentBody(in.Body)
	if err != nil {
		return err
	}
	c, err := a.comment(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	p := caller(r)
	if !ownComment(c, p) {
		return apierror.New(http.StatusForbidden, "forbidden", "only its author may edit a comment")
	}
	c, err = a.comments.EditComment(ctx, c.ID, body, a.now().Truncate(time.Millisecond).UTC())
	if errors.Is(err, store.ErrNotFound) {
		return errCommentNotFound
	} else if err != nil {
		return fmt.Errorf("edit comment %s: %w", c.ID, err)
	}
	apierror.JSON(w, http.StatusOK, commentOut(c, p))
	return nil
}

// DeleteComment removes a comment (DELETE /api/v1/comments/{id}): its author's, or any for an
// admin.
func (a *API) DeleteComment(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	c, err := a.comment(ctx, r.PathValue("id"))
	if err != nil {
		return err
	}
	p := caller(r)
	if !ownComment(c, p) && !auth.AtLeast(p.Role, auth.RoleAdmin) {
		return apierror.New(http.StatusForbidden, "forbidden", "only its author or an admin may delete a comment")
	}
	if err := a.comments.DeleteComment(ctx, c.ID); errors.Is(err, store.ErrNotFound) {
		return errCommentNotFound
	} else if err != nil {
		return fmt.Errorf("delete comment %s: %w", c.ID, err)
	}
	a.audit.Record(ctx, r, audit.CommentDelete, c.ProjectID, c.SessionID, map[string]any{"comment": c.ID, "author": c.Author})
	w.WriteHeader(http.StatusNoContent)
	return nil
}
