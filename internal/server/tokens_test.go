package server

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/reelhq/reel/internal/auth"
	"github.com/reelhq/reel/internal/store"
)

type tokenOut struct {
	ID        string   `json:"id"`
	Name      string   `json:"name"`
	Scope     string   `json:"scope"`
	Projects  []string `json:"projects"`
	CreatedBy *struct {
		Email string `json:"email"`
	} `json:"createdBy"`
	ExpiresAt  time.Time  `json:"expiresAt"`
	RevokedAt  *time.Time `json:"revokedAt"`
	LastUsedAt *time.Time `json:"lastUsedAt"`
	Status     string     `json:"status"`
	Token      string     `json:"token"`
}

func (c *client) tokens() map[string]tokenOut {
	c.t.Helper()
	var l struct{ Tokens []tokenOut }
	c.json("GET", "/api/v1/tokens", "", 200, &l)
	out := map[string]tokenOut{}
	for _, t := range l.Tokens {
		if t.Token != "" {
			c.t.Fatalf("the list shows a token's secret: %+v", t)
		}
		out[t.ID] = t
	}
	return out
}

func bearer(s *stack, t *testing.T, token string) *client {
	return &client{t: t, s: s, c: http.DefaultClient, token: token}
}

// TestAPITokens: an admin creates a token in the API and sees its secret once; the token reads
// what its scope allows and no more, its last use shows in the list, and revoking it ends it at
// once. Bad requests are refused with the reason and create nothing.
func TestAPITokens(t *testing.T) {
	s := newStack(t)
	admin := s.user(t, "ada@reel.local", auth.RoleAdmin)

	var made tokenOut
	admin.json("POST", "/api/v1/tokens", `{"name":"  CI export ","scope":"read","expiresInDays":30}`, 201, &made)
	if !strings.HasPrefix(made.Token, "reel_"+made.ID+"_") || made.Name != "CI export" || made.Scope != "read" || made.Status != "active" ||
		made.LastUsedAt != nil || made.CreatedBy == nil || made.CreatedBy.Email != "ada@reel.local" || len(made.Projects) != 0 ||
		made.ExpiresAt.Sub(time.Now()) < 29*24*time.Hour || made.ExpiresAt.Sub(time.Now()) > 30*24*time.Hour {
		t.Fatalf("created = %+v", made)
	}
	if l := admin.tokens()[made.ID]; l.Name != "CI export" || l.LastUsedAt != nil {
		t.Fatalf("listed = %+v, want it never used", l)
	}
	stored, err := s.db.TokenByID(context.Background(), made.ID)
	if err != nil || strings.Contains(stored.SecretHash, made.Token[len("reel_"+made.ID+"_"):]) {
		t.Fatalf("stored = %+v, %v: the secret itself is kept", stored, err)
	}

	tok := bearer(s, t, made.Token)
	tok.json("GET", "/api/v1/sessions", "", 200, nil)
	var me struct{ User struct{ Role string } }
	tok.json("GET", "/api/v1/auth/me", "", 200, &me)
	if me.User.Role != auth.RoleViewer {
		t.Fatalf("a read token of an admin acts as %q, want viewer", me.User.Role)
	}
	if r := tok.do("POST", "/api/v1/saved-searches", `{"name":"x","query":""}`); r.Status != 403 {
		t.Fatalf("a read token saving = %d %s", r.Status, r.Body)
	}
	if r := tok.do("GET", "/api/v1/tokens", ""); r.Status != 403 {
		t.Fatalf("a read token listing tokens = %d %s", r.Status, r.Body)
	}
	if l := admin.tokens()[made.ID]; l.LastUsedAt == nil || time.Since(*l.LastUsedAt) > time.Minute {
		t.Fatalf("after use the list shows last used %v", l.LastUsedAt)
	}

	// An admin-scoped token of an admin is an admin, never an owner.
	var adm tokenOut
	admin.json("POST", "/api/v1/tokens", `{"name":"ops","scope":"admin"}`, 201, &adm)
	bearer(s, t, adm.Token).json("GET", "/api/v1/auth/me", "", 200, &me)
	if me.User.Role != auth.RoleAdmin {
		t.Fatalf("an admin token of an admin acts as %q", me.User.Role)
	}
	if adm.ExpiresAt.Sub(time.Now()) < 89*24*time.Hour {
		t.Fatalf("default expiry = %v, want 90 days", adm.ExpiresAt)
	}
	if r := bearer(s, t, adm.Token).do("DELETE", "/api/v1/projects/default/users/someone", ""); r.Status != 403 {
		t.Fatalf("an admin's token erasing (an owner's right) = %d %s", r.Status, r.Body)
	}

	before := len(admin.tokens())
	for _, tc := range []struct{ name, body, code string }{
		{"no name", `{"scope":"read"}`, "bad_request"},
		{"long name", fmt.Sprintf(`{"name":%q,"scope":"read"}`, strings.Repeat("n", 101)), "bad_request"},
		{"control characters", `{"name":"a\u0000b","scope":"read"}`, "bad_request"},
		{"owner scope", `{"name":"x","scope":"owner"}`, "bad_request"},
		{"no scope", `{"name":"x"}`, "bad_request"},
		{"unknown project", `{"name":"x","scope":"read","projects":["nope"]}`, "bad_request"},
		{"empty project", `{"name":"x","scope":"read","projects":[""]}`, "bad_request"},
		{"forever", `{"name":"x","scope":"read","expiresInDays":100000}`, "bad_request"},
		{"negative expiry", `{"name":"x","scope":"read","expiresInDays":-1}`, "bad_request"},
		{"fractional expiry", `{"name":"x","scope":"read","expiresInDays":1.5}`, "bad_request"},
		{"unknown field", `{"name":"x","scope":"read","admin":true}`, "bad_request"},
		{"another account", `{"name":"x","scope":"read","user":"admin@reel.local"}`, "bad_request"},
		{"not JSON", `name=x`, "bad_request"},
		{"two objects", `{"name":"x","scope":"read"}{}`, "bad_request"},
		{"array", `[]`, "bad_request"},
		{"oversized", `{"name":"x","scope":"read","projects":["` + strings.Repeat("p", 20000) + `"]}`, "too_large"},
		{"too many projects", `{"name":"x","scope":"read","projects":[` + strings.Repeat(`"default",`, 100) + `"default"]}`, "bad_request"},
	} {
		r := admin.do("POST", "/api/v1/tokens", tc.body)
		if r.Status/100 != 4 || r.code() != tc.code {
			t.Errorf("%s: %d %s, want %s", tc.name, r.Status, r.Body, tc.code)
		}
	}
	if n := len(admin.tokens()); n != before {
		t.Fatalf("refused requests made tokens: %d, want %d", n, before)
	}

	// Malformed bearer tokens are refused alike.
	for _, bad := range []string{"reel_", "reel_zz_secret", "reel_0123456789abcdef_", "reel_0123456789abcdef_wrong", made.Token + "x",
		"reel_" + made.ID, strings.Repeat("reel_", 100)} {
		if r := bearer(s, t, bad).do("GET", "/api/v1/sessions", ""); r.Status != 401 || r.code() != "invalid_token" {
			t.Errorf("token %q = %d %s, want 401 invalid_token", bad, r.Status, r.Body)
		}
	}

	// Revoking ends it at once; it stays listed as revoked.
	if r := admin.do("DELETE", "/api/v1/tokens/"+made.ID, ""); r.Status != 204 {
		t.Fatalf("revoke = %d %s", r.Status, r.Body)
	}
	if r := tok.do("GET", "/api/v1/sessions", ""); r.Status != 401 || !strings.Contains(string(r.Body), "revoked") {
		t.Fatalf("a revoked token = %d %s", r.Status, r.Body)
	}
	if l := admin.tokens()[made.ID]; l.Status != "revoked" || l.RevokedAt == nil {
		t.Fatalf("revoked token listed as %+v", l)
	}
	for _, id := range []string{"0123456789abcdef", "nope", "..%2f..%2f"} {
		if r := admin.do("DELETE", "/api/v1/tokens/"+id, ""); r.Status != 404 {
			t.Errorf("revoking %q = %d %s, want 404", id, r.Status, r.Body)
		}
	}

	// The bootstrap token is no account: it names the one a token acts for.
	boot := s.admin(t)
	if r := boot.do("POST", "/api/v1/tokens", `{"name":"x","scope":"read"}`); r.Status != 400 {
		t.Fatalf("bootstrap without user = %d %s", r.Status, r.Body)
	}
	var forAda tokenOut
	boot.json("POST", "/api/v1/tokens", `{"name":"first","scope":"admin","user":"ada@reel.local"}`, 201, &forAda)
	if forAda.CreatedBy == nil || forAda.CreatedBy.Email != "ada@reel.local" {
		t.Fatalf("bootstrap-made token = %+v", forAda)
	}
}

// TestTokenLimits: a token is refused once it expires or its creator is disabled or deleted;
// it sees only its projects within its creator's, and shrinks when its creator's role does.
func TestTokenLimits(t *testing.T) {
	s := newStack(t)
	ctx := context.Background()
	if err := s.db.CreateProject(ctx, projectFixture("blog")); err != nil {
		t.Fatal(err)
	}
	admin := s.user(t, "ada@reel.local", auth.RoleAdmin)
	s.user(t, "mel@reel.local", auth.RoleMember, "default")

	// Expired.
	u, _ := s.db.UserByEmail(ctx, "ada@reel.local")
	text, id, hash := auth.NewToken()
	if err := s.db.CreateToken(ctx, store.Token{ID: id, SecretHash: hash, Name: "old", Scope: "read", CreatedBy: u.ID,
		CreatedAt: time.Now().Add(-48 * time.Hour), ExpiresAt: time.Now().Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if r := bearer(s, t, text).do("GET", "/api/v1/sessions", ""); r.Status != 401 || !strings.Contains(string(r.Body), "expired") {
		t.Fatalf("an expired token = %d %s", r.Status, r.Body)
	}
	if l := admin.tokens()[id]; l.Status != "expired" {
		t.Fatalf("expired token listed as %+v", l)
	}

	// Limited to blog: the default project answers as missing.
	var blog tokenOut
	admin.json("POST", "/api/v1/tokens", `{"name":"blog","scope":"admin","projects":["blog","blog"]}`, 201, &blog)
	if len(blog.Projects) != 1 || blog.Projects[0] != "blog" {
		t.Fatalf("projects = %v", blog.Projects)
	}
	bt := bearer(s, t, blog.Token)
	bt.json("GET", "/api/v1/sessions?project=blog", "", 200, nil)
	if r := bt.do("GET", "/api/v1/sessions?project=default", ""); r.Status != 404 {
		t.Fatalf("a blog token reading default = %d %s", r.Status, r.Body)
	}
	var ps struct{ Projects []struct{ ID string } }
	bt.json("GET", "/api/v1/projects", "", 200, &ps)
	if len(ps.Projects) != 1 || ps.Projects[0].ID != "blog" {
		t.Fatalf("a blog token's projects = %+v", ps.Projects)
	}
	// A token cannot make a token of more than it has: not another project, not a wider scope.
	if r := bt.do("POST", "/api/v1/tokens", `{"name":"x","scope":"read","projects":["default"]}`); r.Status != 400 {
		t.Fatalf("a blog token giving default = %d %s", r.Status, r.Body)
	}
	var child tokenOut
	bt.json("POST", "/api/v1/tokens", `{"name":"child","scope":"read"}`, 201, &child)
	if len(child.Projects) != 1 || child.Projects[0] != "blog" {
		t.Fatalf("a token made by a blog token sees %v, want only blog", child.Projects)
	}
	var wr tokenOut
	admin.json("POST", "/api/v1/tokens", `{"name":"w","scope":"write"}`, 201, &wr)
	if r := bearer(s, t, wr.Token).do("POST", "/api/v1/tokens", `{"name":"x","scope":"admin"}`); r.Status != 403 {
		t.Fatalf("a write token making tokens = %d %s", r.Status, r.Body)
	}

	// A member's token naming a project the member was not given sees only the given one.
	mel := s.token(t, "mel@reel.local", auth.ScopeWrite, "default", "blog")
	mel.json("GET", "/api/v1/sessions?project=default", "", 200, nil)
	if r := mel.do("GET", "/api/v1/sessions?project=blog", ""); r.Status != 404 {
		t.Fatalf("a member's token outside the member's projects = %d %s", r.Status, r.Body)
	}
	if r := s.token(t, "mel@reel.local", auth.ScopeWrite, "blog").do("GET", "/api/v1/sessions", ""); r.Status != 403 || r.code() != "no_projects" {
		t.Fatalf("a member's token of only another project = %d %s", r.Status, r.Body)
	}

	// The creator demoted: an admin token now acts as a viewer of their projects.
	var ops tokenOut
	admin.json("POST", "/api/v1/tokens", `{"name":"ops","scope":"admin"}`, 201, &ops)
	opsc := bearer(s, t, ops.Token)
	opsc.json("POST", "/api/v1/alerts", `{"project":"default","name":"n","kind":"rage_click","threshold":1,"windowMinutes":60,"webhook":"https://hooks.example/x"}`, 201, nil)
	u.Role = auth.RoleViewer
	if err := s.db.UpdateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if err := s.db.SetUserProjects(ctx, u.ID, []string{"default"}); err != nil {
		t.Fatal(err)
	}
	if r := opsc.do("POST", "/api/v1/alerts", `{}`); r.Status != 403 {
		t.Fatalf("an admin token of a demoted creator = %d %s", r.Status, r.Body)
	}
	if r := opsc.do("GET", "/api/v1/sessions?project=blog", ""); r.Status != 404 {
		t.Fatalf("a demoted creator's token reading blog = %d %s", r.Status, r.Body)
	}
	opsc.json("GET", "/api/v1/sessions?project=default", "", 200, nil)

	// Disabled, then deleted: refused.
	u.DisabledAt = time.Now()
	if err := s.db.UpdateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if r := opsc.do("GET", "/api/v1/sessions?project=default", ""); r.Status != 401 {
		t.Fatalf("a disabled creator's token = %d %s", r.Status, r.Body)
	}
	if err := s.db.DeleteUser(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	if r := opsc.do("GET", "/api/v1/sessions?project=default", ""); r.Status != 401 {
		t.Fatalf("a deleted creator's token = %d %s", r.Status, r.Body)
	}
}
