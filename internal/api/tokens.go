package api

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/reelhq/reel/internal/apierror"
	"github.com/reelhq/reel/internal/audit"
	"github.com/reelhq/reel/internal/auth"
	"github.com/reelhq/reel/internal/store"
)

// tokenIndex is what the API token handlers need from the store.
type tokenIndex interface {
	CreateToken(ctx context.Context, t store.Token) error
	Tokens(ctx context.Context) ([]store.Token, error)
	TokenByID(ctx context.Context, id string) (store.Token, error)
	RevokeToken(ctx context.Context, id string, at time.Time) error
	UserByID(ctx context.Context, id int64) (store.User, error)
	UserByEmail(ctx context.Context, email string) (store.User, error)
	ListUsers(ctx context.Context) ([]store.User, error)
}

// Token limits: how long a token may live, and how many projects it may name.
const (
	DefaultTokenDays = 90
	MaxTokenDays     = 730
	maxTokenProjects = 100
)

type tokenJSON struct {
	ID         string     `json:"id"`
	Name       string     `json:"name"`
	Scope      string     `json:"scope"`
	Projects   []string   `json:"projects"`
	CreatedBy  *tokenUser `json:"createdBy"`
	CreatedAt  time.Time  `json:"createdAt"`
	ExpiresAt  time.Time  `json:"expiresAt"`
	RevokedAt  *time.Time `json:"revokedAt"`
	LastUsedAt *time.Time `json:"lastUsedAt"`
	Status     string     `json:"status"` // active, expired or revoked
	Token      string     `json:"token,omitempty"`
}

type tokenUser struct {
	ID    int64  `json:"id"`
	Email string `json:"email"`
}

func optTime(t time.Time) *time.Time {
	if t.IsZero() {
		return nil
	}
	return &t
}

func tokenOut(t store.Token, users map[int64]string, now time.Time) tokenJSON {
	out := tokenJSON{ID: t.ID, Name: t.Name, Scope: t.Scope, Projects: t.Projects, CreatedAt: t.CreatedAt, ExpiresAt: t.ExpiresAt,
		RevokedAt: optTime(t.RevokedAt), LastUsedAt: optTime(t.LastUsedAt), Status: "active"}
	if out.Projects == nil {
		out.Projects = []string{}
	}
	if email, ok := users[t.CreatedBy]; ok {
		out.CreatedBy = &tokenUser{ID: t.CreatedBy, Email: email}
	}
	switch {
	case !t.RevokedAt.IsZero():
		out.Status = "revoked"
	case !now.Before(t.ExpiresAt):
		out.Status = "expired"
	}
	return out
}

func (a *API) userEmails(ctx context.Context) (map[int64]string, error) {
	us, err := a.tokens.ListUsers(ctx)
	if err != nil {
		return nil, err
	}
	m := make(map[int64]string, len(us))
	for _, u := range us {
		m[u.ID] = u.Email
	}
	return m, nil
}

// ListTokens lists every API token, newest first, without secrets (GET /api/v1/tokens).
func (a *API) ListTokens(w http.ResponseWriter, r *http.Request) error {
	ts, err := a.tokens.Tokens(r.Context())
	if err != nil {
		return err
	}
	users, err := a.userEmails(r.Context())
	if err != nil {
		return err
	}
	now := time.Now()
	out := make([]tokenJSON, 0, len(ts))
	for _, t := range ts {
		out = append(out, tokenOut(t, users, now))
	}
	apierror.JSON(w, http.StatusOK, map[string]any{"tokens": out})
	return nil
}

// scopeRank orders scopes, to keep a token from making a token of a wider scope.
func scopeRank(s string) int {
	return map[string]int{auth.ScopeRead: 1, auth.ScopeWrite: 2, auth.ScopeAdmin: 3}[s]
}

// CreateToken makes an API token for the caller and answers with its secret, the only time it
// is shown (POST /api/v1/tokens). A token never has more than its creator: its projects must
// be ones the caller sees, a token may not make a token of a wider scope, and at use it acts
// with the least of its scope and its creator's role at that moment.
func (a *API) CreateToken(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	var in struct {
		Name          string   `json:"name"`
		Scope         string   `json:"scope"`
		Projects      []string `json:"projects"`
		ExpiresInDays int      `json:"expiresInDays"`
		User          string   `json:"user"` // only with the bootstrap token: the account it acts for
	}
	if err := decodeBody(w, r, &in); err != nil {
		return err
	}
	name, err := checkName("name", in.Name)
	if err != nil {
		return err
	}
	if !auth.ValidScope(in.Scope) {
		return badRequest("scope must be read, write or admin")
	}
	days := in.ExpiresInDays
	if days == 0 {
		days = DefaultTokenDays
	}
	if days < 1 || days > MaxTokenDays {
		return badRequest(fmt.Sprintf("expiresInDays must be 1-%d", MaxTokenDays))
	}
	p := caller(r)
	if p.Scope != "" && scopeRank(in.Scope) > scopeRank(p.Scope) {
		return badRequest("a " + p.Scope + " token cannot create a " + in.Scope + " token")
	}
	creator, err := a.tokenCreator(ctx, p, strings.TrimSpace(in.User))
	if err != nil {
		return err
	}
	if len(in.Projects) > maxTokenProjects {
		return badRequest(fmt.Sprintf("a token may name at most %d projects", maxTokenProjects))
	}
	projects := []string{}
	for _, id := range in.Projects {
		if len(id) > 128 || id == "" {
			return badRequest("invalid project")
		}
		if _, err := a.projects.Project(ctx, id); err != nil || !p.SeesProject(id) {
			if err != nil && !errors.Is(err, store.ErrNotFound) {
				return err
			}
			return badRequest(fmt.Sprintf("project %q is not one you can give a token", id))
		}
		if !slices.Contains(projects, id) {
			projects = append(projects, id)
		}
	}
	if len(projects) == 0 && p.Projects != nil {
		// A caller limited to projects (a token) makes tokens limited the same way.
		projects = append(projects, p.Projects...)
	}
	text, id, hash := auth.NewToken()
	now := time.Now().UTC().Truncate(time.Millisecond)
	t := store.Token{ID: id, SecretHash: hash, Name: name, Scope: in.Scope, Projects: projects, CreatedBy: creator.ID,
		CreatedAt: now, ExpiresAt: now.AddDate(0, 0, days)}
	if err := a.tokens.CreateToken(ctx, t); err != nil {
		return err
	}
	a.audit.Record(r.Context(), r, audit.TokenCreate, "", t.ID, map[string]any{"name": t.Name, "scope": t.Scope, "projects": t.Projects,
		"expiresAt": t.ExpiresAt, "for": creator.Email})
	out := tokenOut(t, map[int64]string{creator.ID: creator.Email}, now)
	out.Token = text
	apierror.JSON(w, http.StatusCreated, out)
	return nil
}

// tokenCreator is the account a new token acts for: the caller, or for the bootstrap token
// (which is no account) the one its request names.
func (a *API) tokenCreator(ctx context.Context, p auth.Principal, user string) (store.User, error) {
	if p.UserID == 0 {
		if user == "" {
			return store.User{}, badRequest(`the bootstrap token is no account: name the one the token acts for in "user" (an email)`)
		}
		u, err := a.tokens.UserByEmail(ctx, user)
		if errors.Is(err, store.ErrNotFound) || (err == nil && !u.DisabledAt.IsZero()) {
			return store.User{}, badRequest(fmt.Sprintf("no active account %q", user))
		}
		return u, err
	}
	u, err := a.tokens.UserByID(ctx, p.UserID)
	if err != nil {
		return u, err
	}
	if user != "" && !strings.EqualFold(user, u.Email) {
		return store.User{}, badRequest(`"user" names the account a token acts for, and only the bootstrap token may name another`)
	}
	return u, nil
}

// RevokeToken ends an API token at once (DELETE /api/v1/tokens/{id}); it stays listed as
// revoked.
func (a *API) RevokeToken(w http.ResponseWriter, r *http.Request) error {
	id := r.PathValue("id")
	if _, _, ok := auth.ParseToken(auth.TokenPrefix + id + "_x"); !ok {
		return apierror.New(http.StatusNotFound, "not_found", "token not found")
	}
	t, err := a.tokens.TokenByID(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return apierror.New(http.StatusNotFound, "not_found", "token not found")
	}
	if err != nil {
		return err
	}
	if err := a.tokens.RevokeToken(r.Context(), id, time.Now()); err != nil {
		return err
	}
	a.audit.Record(r.Context(), r, audit.TokenRevoke, "", id, map[string]any{"name": t.Name})
	w.WriteHeader(http.StatusNoContent)
	return nil
}
