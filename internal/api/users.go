package api

import (
	"context"
	"errors"
	"net/http"
	"strconv"
	"time"

	"github.com/reelhq/reel/internal/apierror"
	"github.com/reelhq/reel/internal/audit"
	"github.com/reelhq/reel/internal/auth"
	"github.com/reelhq/reel/internal/store"
)

// userIndex is what the users and invitations handlers read and write.
type userIndex interface {
	ListUsers(ctx context.Context) ([]store.User, error)
	UserByID(ctx context.Context, id int64) (store.User, error)
	UserByEmail(ctx context.Context, email string) (store.User, error)
	UpdateUser(ctx context.Context, u store.User) error
	DeleteUser(ctx context.Context, id int64) error
	UserProjects(ctx context.Context, userID int64) ([]string, error)
	SetUserProjects(ctx context.Context, userID int64, projects []string) error
	Projects(ctx context.Context) ([]store.Project, error)
	store.Invites
}

// Team rules (docs/auth.md "Users and invitations"): admins manage users, but only an owner
// may make an owner or change one; nobody demotes, disables or deletes the last active owner
// (the store refuses it atomically); nobody disables or deletes their own account.
var (
	errOwnerOnly  = apierror.New(http.StatusForbidden, "owner_only", "only an owner may make someone an owner or change an owner's account")
	errLastOwner  = apierror.New(http.StatusConflict, "last_owner", "this is the last active owner: make someone else an owner first")
	errOwnAccount = apierror.New(http.StatusConflict, "own_account", "you cannot deactivate or delete your own account")
	errNoUser     = apierror.New(http.StatusNotFound, "not_found", "user not found")
)

type teamUserJSON struct {
	ID          int64      `json:"id"`
	Email       string     `json:"email"`
	Role        string     `json:"role"`
	Projects    []string   `json:"projects"`    // given projects (members and viewers)
	AllProjects bool       `json:"allProjects"` // owners and admins see every project
	Status      string     `json:"status"`      // active or disabled
	CreatedAt   time.Time  `json:"createdAt"`
	DisabledAt  *time.Time `json:"disabledAt,omitempty"`
	You         bool       `json:"you"`
}

func (a *API) teamUser(ctx context.Context, r *http.Request, u store.User) (teamUserJSON, error) {
	j := teamUserJSON{ID: u.ID, Email: u.Email, Role: u.Role, Projects: []string{}, AllProjects: auth.AllProjects(u.Role),
		Status: "active", CreatedAt: u.CreatedAt, You: u.ID == caller(r).UserID && caller(r).UserID != 0}
	if !u.DisabledAt.IsZero() {
		at := u.DisabledAt
		j.Status, j.DisabledAt = "disabled", &at
	}
	if !j.AllProjects {
		ps, err := a.users.UserProjects(ctx, u.ID)
		if err != nil {
			return j, err
		}
		j.Projects = ps
	}
	return j, nil
}

// ListUsers lists every account with its role, projects and status.
func (a *API) ListUsers(w http.ResponseWriter, r *http.Request) error {
	users, err := a.users.ListUsers(r.Context())
	if err != nil {
		return err
	}
	out := make([]teamUserJSON, 0, len(users))
	for _, u := range users {
		j, err := a.teamUser(r.Context(), r, u)
		if err != nil {
			return err
		}
		out = append(out, j)
	}
	apierror.JSON(w, http.StatusOK, map[string]any{"users": out})
	return nil
}

// targetUser is the user the path names, which the caller may change: only owners change
// owners.
func (a *API) targetUser(r *http.Request) (store.User, error) {
	id, err := strconv.ParseInt(r.PathValue("user"), 10, 64)
	if err != nil || id <= 0 {
		return store.User{}, badRequest("user id must be a positive number")
	}
	u, err := a.users.UserByID(r.Context(), id)
	if errors.Is(err, store.ErrNotFound) {
		return u, errNoUser
	}
	if err != nil {
		return u, err
	}
	if u.Role == auth.RoleOwner && caller(r).Role != auth.RoleOwner {
		return u, errOwnerOnly
	}
	return u, nil
}

// UpdateUser changes a user's role, whether they may log in, and their projects.
func (a *API) UpdateUser(w http.ResponseWriter, r *http.Request) error {
	ctx := r.Context()
	u, err := a.targetUser(r)
	if err != nil {
		return err
	}
	var in struct {
		Role     *string   `json:"role"`
		Disabled *bool     `json:"disabled"`
		Projects *[]string `json:"projects"`
	}
	if err := decodeBody(w, r, &in); err != nil {
		return err
	}
	if in.Role != nil {
		if err := a.mayGrant(r, *in.Role); err != nil {
			return err
		}
		u.Role = *in.Role
	}
	if in.Disabled != nil {
		switch {
		case *in.Disabled && u.ID == caller(r).UserID:
			return errOwnAccount
		case *in.Disabled && u.DisabledAt.IsZero():
			u.DisabledAt = time.Now()
		case !*in.Disabled:
			u.DisabledAt = time.Time{}
		}
	}
	var projects []string
	if in.Projects != nil {
		if projects, err = a.checkProjects(ctx, *in.Projects); err != nil {
			return err
		}
	}
	if err := a.users.UpdateUser(ctx, u); errors.Is(err, store.ErrLastOwner) {
		return errLastOwner
	} else if errors.Is(err, store.ErrNotFound) {
		return errNoUser
	} else if err != nil {
		return err
	}
	if in.Projects != nil {
		if err := a.users.SetUserProjects(ctx, u.ID, projects); errors.Is(err, store.ErrNotFound) {
			return badRequest("a project was deleted meanwhile: reload and try again")
		} else if err != nil {
			return err
		}
	}
	changed := map[string]any{}
	if in.Role != nil {
		changed["role"] = u.Role
	}
	if in.Disabled != nil {
		changed["disabled"] = !u.DisabledAt.IsZero()
	}
	if in.Projects != nil {
		changed["projects"] = projects
	}
	a.audit.Record(ctx, r, audit.UserUpdate, "", u.Email, changed)
	j, err := a.teamUser(ctx, r, u)
	if err != nil {
		return err
	}
	apierror.JSON(w, http.StatusOK, map[string]any{"user": j})
	return nil
}

// DeleteUser deletes an account with its logins and project access. What the user saved
// stays (docs/decisions.md).
func (a *API) DeleteUser(w http.ResponseWriter, r *http.Request) error {
	u, err := a.targetUser(r)
	if err != nil {
		return err
	}
	if u.ID == caller(r).UserID {
		return errOwnAccount
	}
	if err := a.users.DeleteUser(r.Context(), u.ID); errors.Is(err, store.ErrLastOwner) {
		return errLastOwner
	} else if errors.Is(err, store.ErrNotFound) {
		return errNoUser
	} else if err != nil {
		return err
	}
	a.audit.Record(r.Context(), r, audit.UserDelete, "", u.Email, map[string]any{"role": u.Role})
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// mayGrant checks role is a role the caller may give: any up to admin, owner only by owners.
func (a *API) mayGrant(r *http.Request, role string) error {
	if !auth.ValidRole(role) {
		return badRequest("role must be owner, admin, member or viewer")
	}
	if role == auth.RoleOwner && caller(r).Role != auth.RoleOwner {
		return errOwnerOnly
	}
	return nil
}

// maxGiven bounds the projects one person is given in one request.
const maxGiven = 1000

// checkProjects checks every id names a project, and returns them without repeats.
func (a *API) checkProjects(ctx context.Context, ids []string) ([]string, error) {
	if len(ids) > maxGiven {
		return nil, badRequest("too many projects")
	}
	all, err := a.users.Projects(ctx)
	if err != nil {
		return nil, err
	}
	known := make(map[string]bool, len(all))
	for _, p := range all {
		known[p.ID] = true
	}
	out := []string{}
	seen := map[string]bool{}
	for _, id := range ids {
		if !known[id] {
			return nil, apierror.New(http.StatusBadRequest, "unknown_project", "no project "+strconv.Quote(truncate(id, 64)))
		}
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out, nil
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
