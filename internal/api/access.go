package api

import (
	"context"
	"errors"
	"net/http"

	"github.com/reelhq/reel/internal/apierror"
	"github.com/reelhq/reel/internal/auth"
	"github.com/reelhq/reel/internal/store"
)

// Project access (docs/auth.md): what a route needs of the caller's role is decided by the
// route table (internal/server); which projects the caller sees is decided here, where the
// project of a request becomes known. A project the caller may not see answers exactly as one
// that does not exist, so its name is not confirmed to someone outside it.
//
// A request without a Principal came through a public route that authorised itself (a share
// link's token names its one session), so it is not limited here.

// sees reports whether the caller of ctx may see project.
func sees(ctx context.Context, project string) bool {
	p, ok := auth.PrincipalFrom(ctx)
	return !ok || p.SeesProject(project)
}

var errProjectNotFound = apierror.New(http.StatusNotFound, "not_found", "project not found")

// getSession returns a session the caller may see; any other is not found.
func (a *API) getSession(ctx context.Context, id string) (store.Session, error) {
	s, err := a.sessions.GetSession(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && !sees(ctx, s.ProjectID)) {
		return store.Session{}, errSessionNotFound
	}
	return s, err
}

// listProject is the project a list of sessions is limited to: the one asked for, which the
// caller must see, or for a caller limited to projects who named none, their only project. ""
// lists every project, which only callers who see them all may ask for.
func listProject(r *http.Request) (string, error) {
	project := r.URL.Query().Get("project")
	if project != "" {
		if !sees(r.Context(), project) {
			return "", errProjectNotFound
		}
		return project, nil
	}
	p, ok := auth.PrincipalFrom(r.Context())
	if !ok || p.SeesProject(allProjectsProbe) {
		return "", nil
	}
	switch len(p.Projects) {
	case 0:
		return "", apierror.New(http.StatusForbidden, "no_projects", "you have not been given any project yet: ask an admin")
	case 1:
		return p.Projects[0], nil
	}
	return "", badRequest("choose a project: ?project=ID (you see several)")
}

// allProjectsProbe is a project id no project has (ids are slugs), so a caller who sees it
// sees every project.
const allProjectsProbe = "\x00every project"
