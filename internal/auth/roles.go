package auth

import (
	"fmt"
	"slices"
)

// Roles, from most to least trusted (docs/auth.md):
//   - owner:  everything, including erasure, export and deleting projects;
//   - admin:  manages projects, settings, users, tokens, alerts and reads the audit log;
//   - member: also saves searches, playlists and funnels;
//   - viewer: watches sessions, comments and shares links, within their projects.
//
// Owners and admins see every project; members and viewers see the projects they were given.
const (
	RoleOwner  = "owner"
	RoleAdmin  = "admin"
	RoleMember = "member"
	RoleViewer = "viewer"
)

// Roles lists the roles from most to least trusted.
var Roles = []string{RoleOwner, RoleAdmin, RoleMember, RoleViewer}

// ValidRole reports whether r is one of Roles.
func ValidRole(r string) bool { return slices.Contains(Roles, r) }

// rank orders roles: a higher rank may do everything a lower one may.
func rank(role string) int {
	switch role {
	case RoleOwner:
		return 4
	case RoleAdmin:
		return 3
	case RoleMember:
		return 2
	case RoleViewer:
		return 1
	}
	return 0
}

// AtLeast reports whether role is role min or more trusted.
func AtLeast(role, min string) bool { return rank(role) >= rank(min) && rank(min) > 0 }

// AllProjects reports whether a role sees every project without being given them.
func AllProjects(role string) bool { return AtLeast(role, RoleAdmin) }

// Token scopes. A token acts with the least of its scope and its creator's role:
//   - read:  GET requests a viewer may make;
//   - write: what a member may do;
//   - admin: what its creator may do.
const (
	ScopeRead  = "read"
	ScopeWrite = "write"
	ScopeAdmin = "admin"
)

// ValidScope reports whether s is a token scope.
func ValidScope(s string) bool { return s == ScopeRead || s == ScopeWrite || s == ScopeAdmin }

// ScopeRole is the most a token of scope may do, given its creator's role.
func ScopeRole(scope, creatorRole string) string {
	var cap string
	switch scope {
	case ScopeRead:
		cap = RoleViewer
	case ScopeWrite:
		cap = RoleMember
	case ScopeAdmin:
		cap = creatorRole
	default:
		return ""
	}
	if rank(cap) < rank(creatorRole) {
		return cap
	}
	return creatorRole
}

// Need is what a route asks of its caller.
type Need int

// What routes need, each implying the ones before it.
const (
	Public Need = iota // no login: ingest, SDK, shared links, login itself
	View               // watch sessions and read insights; comment; share
	Save               // save searches, playlists, funnels
	Manage             // projects, settings, users, tokens, alerts, audit log
	Own                // erase, export, delete projects
)

func (n Need) String() string {
	switch n {
	case Public:
		return "public"
	case View:
		return "view"
	case Save:
		return "save"
	case Manage:
		return "manage"
	case Own:
		return "own"
	}
	return fmt.Sprintf("Need(%d)", int(n))
}

// roleFor is the least role that has n.
func roleFor(n Need) string {
	switch n {
	case View:
		return RoleViewer
	case Save:
		return RoleMember
	case Manage:
		return RoleAdmin
	case Own:
		return RoleOwner
	}
	return ""
}

// Allows reports whether p may use a route that needs n. A read-scoped token may only read,
// whatever its creator may do.
func (p Principal) Allows(n Need, method string) bool {
	if n == Public {
		return true
	}
	if p.Scope == ScopeRead && !safeMethod(method) {
		return false
	}
	return AtLeast(p.Role, roleFor(n))
}

// SeesProject reports whether p may see project id: every project for owners and admins (and
// tokens not limited to projects), the listed ones otherwise.
func (p Principal) SeesProject(id string) bool {
	if p.Projects == nil {
		return AllProjects(p.Role)
	}
	return slices.Contains(p.Projects, id)
}
