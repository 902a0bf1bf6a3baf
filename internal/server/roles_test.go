package server

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/reelhq/reel/internal/auth"
	"github.com/reelhq/reel/internal/store"
)

// TestEveryRouteChecksTheRole walks every route of the table with every role: a caller whose
// role lacks what the route needs is refused with 403 before the handler runs (a caller
// without credentials with 401), and one whose role has it is never refused for its role. A
// read-scoped token may only read. The table test of the issue: a route added without the
// right Need, or a Need that does not match what the route does, fails here.
func TestEveryRouteChecksTheRole(t *testing.T) {
	s := newStack(t)
	callers := map[string]*client{
		auth.RoleOwner:  s.user(t, "owner@reel.local", auth.RoleOwner),
		auth.RoleAdmin:  s.user(t, "admin2@reel.local", auth.RoleAdmin),
		auth.RoleMember: s.user(t, "member@reel.local", auth.RoleMember, "default"),
		auth.RoleViewer: s.user(t, "viewer@reel.local", auth.RoleViewer, "default"),
		"anonymous":     {t: t, s: s, c: http.DefaultClient},
		"bootstrap":     s.admin(t),
		// API tokens act with the least of their scope and their creator's role.
		"read token of the owner":  s.token(t, "owner@reel.local", auth.ScopeRead),
		"write token of the owner": s.token(t, "owner@reel.local", auth.ScopeWrite),
		"admin token of the owner": s.token(t, "owner@reel.local", auth.ScopeAdmin),
		"admin token of an admin":  s.token(t, "admin2@reel.local", auth.ScopeAdmin),
		"admin token of a member":  s.token(t, "member@reel.local", auth.ScopeAdmin),
		"write token of a viewer":  s.token(t, "viewer@reel.local", auth.ScopeWrite),
		"read token of a member":   s.token(t, "member@reel.local", auth.ScopeRead),
		"write token of an admin":  s.token(t, "admin2@reel.local", auth.ScopeWrite),
	}
	want := map[string]string{auth.RoleOwner: auth.RoleOwner, auth.RoleAdmin: auth.RoleAdmin, auth.RoleMember: auth.RoleMember,
		auth.RoleViewer: auth.RoleViewer, "bootstrap": auth.RoleOwner,
		"read token of the owner": auth.RoleViewer, "write token of the owner": auth.RoleMember, "admin token of the owner": auth.RoleOwner,
		"admin token of an admin": auth.RoleAdmin, "admin token of a member": auth.RoleMember, "write token of a viewer": auth.RoleViewer,
		"read token of a member": auth.RoleViewer, "write token of an admin": auth.RoleMember}
	scope := map[string]string{"read token of the owner": auth.ScopeRead, "read token of a member": auth.ScopeRead}

	routes := Table(Components{})
	checked := 0
	for _, rt := range routes {
		method, path, ok := strings.Cut(rt.Pattern, " ")
		if !ok {
			if rt.Need != auth.Public {
				t.Errorf("%s: a route for every method must be public, it needs %s", rt.Pattern, rt.Need)
			}
			continue
		}
		if rt.Need == auth.Public {
			continue
		}
		path = fill(path)
		for name, c := range callers {
			r := c.do(method, path, "{}")
			switch {
			case name == "anonymous":
				if r.Status != http.StatusUnauthorized {
					t.Errorf("%s %s without a login = %d %s, want 401", method, path, r.Status, r.Body)
				}
			case auth.Principal{Role: want[name], Scope: scope[name]}.Allows(rt.Need, method):
				if r.Status == http.StatusUnauthorized || r.Status == http.StatusForbidden {
					t.Errorf("%s %s as %s = %d %s: the role has %s", method, path, name, r.Status, r.Body, rt.Need)
				}
			default:
				if r.Status != http.StatusForbidden || r.code() != "forbidden" {
					t.Errorf("%s %s as %s = %d %s, want 403 forbidden (needs %s)", method, path, name, r.Status, r.Body, rt.Need)
				}
			}
			checked++
		}
	}
	if checked < 30*len(callers) {
		t.Fatalf("only %d requests checked: the table lost its routes?", checked)
	}
	// The needs are what the issue says each role may do.
	for pattern, need := range map[string]auth.Need{
		"GET /api/v1/sessions/{id}/events":               auth.View,
		"GET /api/v1/sessions/{id}/video":                auth.View,
		"POST /api/v1/sessions/{id}/share":               auth.View,
		"POST /api/v1/saved-searches":                    auth.Save,
		"POST /api/v1/saved-funnels":                     auth.Save,
		"PATCH /api/v1/saved-funnels/{id}":               auth.Save,
		"DELETE /api/v1/saved-funnels/{id}":              auth.Save,
		"GET /api/v1/saved-funnels":                      auth.View,
		"GET /api/v1/saved-funnels/{id}":                 auth.View,
		"GET /api/v1/flags":                              auth.View,
		"GET /api/v1/experiments":                        auth.View,
		"POST /api/v1/playlists":                         auth.Save,
		"PATCH /api/v1/projects/{project}":               auth.Manage,
		"POST /api/v1/alerts":                            auth.Manage,
		"GET /api/v1/alerts":                             auth.View,
		"POST /api/v1/alerts/{id}/test":                  auth.Manage,
		"DELETE /api/v1/projects/{project}/users/{user}": auth.Own,
		// A subject access export hands over everything of one visitor: admins and owners.
		"GET /api/v1/projects/{project}/users/{user}/export": auth.Manage,
		"GET /api/v1/tokens":                              auth.Manage,
		"POST /api/v1/tokens":                             auth.Manage,
		"DELETE /api/v1/tokens/{id}":                      auth.Manage,
		"GET /api/v1/audit":                               auth.Manage,
		"GET /api/v1/audit/export":                        auth.Manage,
		"POST /api/v1/projects":                           auth.Manage,
		"POST /api/v1/projects/{project}/rotate-key":      auth.Manage,
		"DELETE /api/v1/projects/{project}":               auth.Own,
		"GET /api/v1/sessions/{id}/shares":                auth.View,
		"DELETE /api/v1/shares/{id}":                      auth.View,
		"GET /api/v1/sessions/{id}/comments":              auth.View,
		"POST /api/v1/sessions/{id}/comments":             auth.View,
		"PATCH /api/v1/comments/{id}":                     auth.View,
		"DELETE /api/v1/comments/{id}":                    auth.View,
		"GET /metrics":                                    auth.Manage,
		"POST /api/v1/projects/{project}/privacy-preview": auth.Manage,
		"POST /api/v1/privacy-preview/scrub":              auth.Public,
		"GET /api/v1/openapi.json":                        auth.Public,
		// A recorded user's page shows what their sessions show: whoever may watch them.
		"GET /api/v1/projects/{project}/users/{user}": auth.View,
		"GET /api/v1/sessions/{id}/vitals":            auth.View,
		"GET /api/v1/vitals":                          auth.View,
		"GET /api/v1/vitals/slowest":                  auth.View,
	} {
		found := false
		for _, rt := range routes {
			if rt.Pattern == pattern {
				found = true
				if rt.Need != need {
					t.Errorf("%s needs %s, want %s", pattern, rt.Need, need)
				}
			}
		}
		if !found {
			t.Errorf("%s is not in the route table", pattern)
		}
	}
}

// fill gives a route pattern's wildcards values that parse, so a handler that runs answers
// about a missing thing rather than a malformed request.
func fill(pattern string) string {
	r := strings.NewReplacer("{id}", "1", "{project}", "default", "{user}", "nobody", "{session}", "s_missing0001",
		"{token}", "t", "{$}", "")
	out := r.Replace(pattern)
	if strings.Contains(out, "{") {
		return out // a new wildcard: the request still runs and is checked for its role
	}
	return (&url.URL{Path: out}).EscapedPath()
}

// TestProjectAccess: members and viewers see only the projects they were given; another
// project's sessions, lists and insights answer as if they did not exist, and a person with
// no project yet is told so.
func TestProjectAccess(t *testing.T) {
	s := newStack(t)
	const t0 = 1764237600000
	s.ingest(t, "s_access00001", "t_tabone01", 0, ev(4, t0, `{"href":"http://shop.example/","width":1280,"height":720}`))
	owner := s.admin(t)
	owner.json("PATCH", "/api/v1/projects/default", `{"name":"Shop"}`, 200, nil)
	if err := s.db.CreateProject(t.Context(), projectFixture("blog")); err != nil {
		t.Fatal(err)
	}

	inShop := s.user(t, "shop@reel.local", auth.RoleViewer, "default")
	inBlog := s.user(t, "blog@reel.local", auth.RoleViewer, "blog")
	nowhere := s.user(t, "new@reel.local", auth.RoleMember)

	var ps struct{ Projects []struct{ ID string } }
	inBlog.json("GET", "/api/v1/projects", "", 200, &ps)
	if len(ps.Projects) != 1 || ps.Projects[0].ID != "blog" {
		t.Fatalf("a blog viewer's projects = %+v, want only blog", ps.Projects)
	}
	owner.json("GET", "/api/v1/projects", "", 200, &ps)
	if len(ps.Projects) != 2 {
		t.Fatalf("the owner's projects = %+v, want both", ps.Projects)
	}

	for _, path := range []string{
		"/api/v1/sessions/s_access00001", "/api/v1/sessions/s_access00001/events", "/api/v1/sessions/s_access00001/tabs",
		"/api/v1/sessions/s_access00001/signals", "/api/v1/sessions?project=default", "/api/v1/issues?project=default",
		"/api/v1/heatmaps?project=default&page=/", "/api/v1/alerts?project=default", "/api/v1/saved-searches?project=default",
		"/api/v1/playlists?project=default", "/api/v1/countries?project=default", "/api/v1/heatmaps/pages?project=default",
		"/api/v1/saved-funnels?project=default", "/api/v1/flags?project=default", "/api/v1/experiments?project=default&flag=f",
	} {
		if r := inShop.do("GET", path, ""); r.Status != 200 {
			t.Errorf("shop viewer GET %s = %d %s, want 200", path, r.Status, r.Body)
		}
		if r := inBlog.do("GET", path, ""); r.Status != 404 {
			t.Errorf("blog viewer GET %s = %d %s, want 404 as for a missing thing", path, r.Status, r.Body)
		}
	}
	if r := inBlog.do("POST", "/api/v1/sessions/s_access00001/share", "{}"); r.Status != 404 {
		t.Errorf("blog viewer sharing a shop session = %d %s, want 404", r.Status, r.Body)
	}
	// Without ?project= a person limited to one project lists that one.
	var list struct{ Sessions []struct{ ID string } }
	inShop.json("GET", "/api/v1/sessions", "", 200, &list)
	if len(list.Sessions) != 1 {
		t.Fatalf("shop viewer's default list = %+v", list)
	}
	inBlog.json("GET", "/api/v1/sessions", "", 200, &list)
	if len(list.Sessions) != 0 {
		t.Fatalf("blog viewer's default list shows another project's sessions: %+v", list)
	}
	if r := nowhere.do("GET", "/api/v1/sessions", ""); r.Status != 403 || r.code() != "no_projects" {
		t.Fatalf("a member without projects = %d %s, want 403 no_projects", r.Status, r.Body)
	}
}

func projectFixture(id string) store.Project {
	return store.Project{ID: id, Name: id, PublicKey: "pk_" + id + "_fixture", CreatedAt: time.Now().UTC(), RetentionDays: 30}
}
