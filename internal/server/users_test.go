package server

import (
	"fmt"
	"io"
	"mime/quotedprintable"
	"net/http"
	"net/http/cookiejar"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/reelhq/reel/internal/api"
	"github.com/reelhq/reel/internal/auth"
	reelmail "github.com/reelhq/reel/internal/mail"
	"github.com/reelhq/reel/internal/mail/smtptest"
	"github.com/reelhq/reel/internal/store"
)

type teamUser struct {
	ID          int64
	Email       string
	Role        string
	Projects    []string
	AllProjects bool
	Status      string
	You         bool
}

type createdInvite struct {
	Invite struct {
		ID        int64
		Email     string
		Role      string
		Projects  []string
		InvitedBy string
		ExpiresAt time.Time
	}
	URL       string
	Mailed    bool
	MailError string
}

// freshBrowser is an anonymous client with its own cookie jar, as a second browser would be.
func (s *stack) freshBrowser(t *testing.T) *client {
	jar, _ := cookiejar.New(nil)
	return &client{t: t, s: s, c: &http.Client{Jar: jar}}
}

// inviteToken is the token at the end of an invitation link.
func inviteToken(t *testing.T, url string) string {
	t.Helper()
	_, tok, ok := strings.Cut(url, "/invite/")
	if !ok || len(tok) < 32 {
		t.Fatalf("link %q has no token", url)
	}
	return tok
}

func (s *stack) teamUsers(t *testing.T, c *client) map[string]teamUser {
	t.Helper()
	var out struct{ Users []teamUser }
	c.json("GET", "/api/v1/users", "", 200, &out)
	m := map[string]teamUser{}
	for _, u := range out.Users {
		m[u.Email] = u
	}
	return m
}

// An admin invites a viewer to one project; the link is shown once, says who it is for, and
// makes the account when the person sets a password, logging them in as a viewer of that
// project only. The link then answers as used, and the invitation is no longer pending.
func TestInviteAcceptAndLogIn(t *testing.T) {
	s := newStack(t)
	adm := s.user(t, "adm@reel.local", auth.RoleAdmin)
	var inv createdInvite
	adm.json("POST", "/api/v1/invites", `{"email":"new.viewer@example.com","role":"viewer","projects":["default"],"expiresInHours":24}`, 201, &inv)
	if inv.Invite.Email != "new.viewer@example.com" || inv.Invite.Role != "viewer" || len(inv.Invite.Projects) != 1 || inv.Invite.InvitedBy != "adm@reel.local" ||
		inv.Mailed || inv.MailError != "" || !strings.HasPrefix(inv.URL, s.srv.URL+"/invite/") {
		t.Fatalf("invite = %+v", inv)
	}
	if d := time.Until(inv.Invite.ExpiresAt); d < 23*time.Hour || d > 25*time.Hour {
		t.Fatalf("expires in %s, want 24h", d)
	}
	tok := inviteToken(t, inv.URL)
	var pending struct{ Invites []map[string]any }
	adm.json("GET", "/api/v1/invites", "", 200, &pending)
	if len(pending.Invites) != 1 || pending.Invites[0]["email"] != "new.viewer@example.com" {
		t.Fatalf("pending = %+v", pending)
	}
	if r := adm.do("GET", "/api/v1/invites", ""); strings.Contains(string(r.Body), tok) {
		t.Fatal("the pending list shows the link's token")
	}

	b := s.freshBrowser(t)
	var info struct {
		Invite struct{ Kind, Email, Role string }
	}
	b.json("GET", "/api/v1/invites/accept/"+tok, "", 200, &info)
	if info.Invite.Email != "new.viewer@example.com" || info.Invite.Role != "viewer" || info.Invite.Kind != "invite" {
		t.Fatalf("info = %+v", info)
	}
	for _, bad := range []string{`{"password":"short"}`, `{"password":"` + strings.Repeat("x", 73) + `"}`, `{"password":1}`, `{"pass":"long-enough-password"}`, `[`} {
		if r := b.do("POST", "/api/v1/invites/accept/"+tok, bad); r.Status != 400 {
			t.Errorf("accept with %s = %d %s, want 400", bad, r.Status, r.Body)
		}
	}
	if r := b.do("POST", "/api/v1/invites/accept/"+tok, `{"password":"`+strings.Repeat("x", 20<<10)+`"}`); r.Status != 413 {
		t.Errorf("oversized accept = %d, want 413", r.Status)
	}
	if r := b.do("GET", "/api/v1/auth/me", ""); r.Status != 401 {
		t.Fatalf("logged in before accepting: %d", r.Status)
	}
	var me struct{ User struct{ Email, Role string } }
	b.json("POST", "/api/v1/invites/accept/"+tok, `{"password":"viewer-password-1"}`, 200, &me)
	if me.User.Role != "viewer" {
		t.Fatalf("accepted as %+v", me.User)
	}
	b.json("GET", "/api/v1/auth/me", "", 200, &me)
	if me.User.Email != "new.viewer@example.com" || me.User.Role != "viewer" {
		t.Fatalf("me = %+v", me.User)
	}
	var ps struct{ Projects []struct{ ID string } }
	b.json("GET", "/api/v1/projects", "", 200, &ps)
	if len(ps.Projects) != 1 || ps.Projects[0].ID != "default" {
		t.Fatalf("the new viewer's projects = %+v", ps)
	}
	if r := b.do("GET", "/api/v1/users", ""); r.Status != 403 {
		t.Fatalf("a viewer listing users = %d, want 403", r.Status)
	}
	for _, m := range []string{"GET", "POST"} {
		if r := s.freshBrowser(t).do(m, "/api/v1/invites/accept/"+tok, `{"password":"another-password-1"}`); r.Status != 410 || r.code() != "link_used" {
			t.Errorf("%s a used link = %d %s, want 410 link_used", m, r.Status, r.Body)
		}
	}
	adm.json("GET", "/api/v1/invites", "", 200, &pending)
	if len(pending.Invites) != 0 {
		t.Fatalf("a used invitation is still pending: %+v", pending)
	}
	// The password works for a normal login too; the one tried on the used link does not.
	if r := s.freshBrowser(t).do("POST", "/api/v1/auth/login", `{"email":"new.viewer@example.com","password":"viewer-password-1"}`); r.Status != 200 {
		t.Fatalf("login with the chosen password = %d %s", r.Status, r.Body)
	}
	if r := s.freshBrowser(t).do("POST", "/api/v1/auth/login", `{"email":"new.viewer@example.com","password":"another-password-1"}`); r.Status != 401 {
		t.Fatalf("login with the password tried on the used link = %d", r.Status)
	}
	if u := s.teamUsers(t, adm)["new.viewer@example.com"]; u.Role != "viewer" || u.Status != "active" || len(u.Projects) != 1 || u.Projects[0] != "default" || u.AllProjects {
		t.Fatalf("listed = %+v", u)
	}
}

// Links that are unknown, revoked or expired are refused with a clear answer, and bad
// invitations are refused with the reason, creating nothing.
func TestInviteRefusals(t *testing.T) {
	s := newStack(t)
	adm := s.user(t, "adm@reel.local", auth.RoleAdmin)
	owner := s.user(t, "boss@reel.local", auth.RoleOwner)
	for _, c := range []struct {
		name, body string
		status     int
		code       string
	}{
		{"admin invites an owner", `{"email":"o@example.com","role":"owner"}`, 403, "owner_only"},
		{"unknown role", `{"email":"o@example.com","role":"god"}`, 400, "bad_request"},
		{"no role", `{"email":"o@example.com"}`, 400, "bad_request"},
		{"existing account", `{"email":"BOSS@reel.local","role":"viewer"}`, 409, "exists"},
		{"name and address", `{"email":"Eve <eve@example.com>","role":"viewer"}`, 400, "bad_request"},
		{"header injection", `{"email":"eve@example.com\r\nBcc: all@example.com","role":"viewer"}`, 400, "bad_request"},
		{"two addresses", `{"email":"a@example.com, b@example.com","role":"viewer"}`, 400, "bad_request"},
		{"not an address", `{"email":"nobody","role":"viewer"}`, 400, "bad_request"},
		{"empty email", `{"email":"","role":"viewer"}`, 400, "bad_request"},
		{"long email", `{"email":"` + strings.Repeat("a", 250) + `@example.com","role":"viewer"}`, 400, "bad_request"},
		{"unknown project", `{"email":"v@example.com","role":"viewer","projects":["default","nope"]}`, 400, "unknown_project"},
		{"zero hours", `{"email":"v@example.com","role":"viewer","expiresInHours":0}`, 400, "bad_request"},
		{"too many hours", `{"email":"v@example.com","role":"viewer","expiresInHours":100000}`, 400, "bad_request"},
		{"unknown field", `{"email":"v@example.com","role":"viewer","admin":true}`, 400, "bad_request"},
		{"malformed", `{"email":`, 400, "bad_request"},
		{"two objects", `{"email":"v@example.com","role":"viewer"}{}`, 400, "bad_request"},
		{"oversized", `{"email":"v@example.com","role":"viewer","projects":["` + strings.Repeat("p", 20<<10) + `"]}`, 413, "too_large"},
	} {
		if r := adm.do("POST", "/api/v1/invites", c.body); r.Status != c.status || r.code() != c.code {
			t.Errorf("%s: %d %s, want %d %s", c.name, r.Status, r.Body, c.status, c.code)
		}
	}
	var pending struct{ Invites []any }
	adm.json("GET", "/api/v1/invites", "", 200, &pending)
	if len(pending.Invites) != 0 {
		t.Fatalf("refused invitations were made: %+v", pending)
	}
	// An owner may invite an owner; an admin may invite an admin.
	owner.json("POST", "/api/v1/invites", `{"email":"o2@example.com","role":"owner"}`, 201, nil)
	adm.json("POST", "/api/v1/invites", `{"email":"a2@example.com","role":"admin"}`, 201, nil)

	b := s.freshBrowser(t)
	for _, tok := range []string{"unknown-token", strings.Repeat("t", 200)} {
		for _, m := range []string{"GET", "POST"} {
			if r := b.do(m, "/api/v1/invites/accept/"+tok, `{"password":"long-enough-password"}`); r.Status != 404 || r.code() != "invalid_link" {
				t.Errorf("%s unknown link = %d %s, want 404 invalid_link", m, r.Status, r.Body)
			}
		}
	}
	// Expired.
	tok, hash := auth.LinkToken()
	if _, err := s.db.CreateInvite(t.Context(), store.Invite{TokenHash: hash, Kind: store.InviteKind, Email: "late@example.com", Role: "viewer",
		CreatedAt: time.Now().Add(-2 * time.Hour), ExpiresAt: time.Now().Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	for _, m := range []string{"GET", "POST"} {
		if r := b.do(m, "/api/v1/invites/accept/"+tok, `{"password":"long-enough-password"}`); r.Status != 410 || r.code() != "link_expired" {
			t.Errorf("%s expired link = %d %s, want 410 link_expired", m, r.Status, r.Body)
		}
	}
	// Revoked.
	var inv createdInvite
	adm.json("POST", "/api/v1/invites", `{"email":"gone@example.com","role":"member","projects":["default"]}`, 201, &inv)
	if r := adm.do("DELETE", fmt.Sprintf("/api/v1/invites/%d", inv.Invite.ID), ""); r.Status != 204 {
		t.Fatalf("revoke = %d %s", r.Status, r.Body)
	}
	if r := b.do("POST", "/api/v1/invites/accept/"+inviteToken(t, inv.URL), `{"password":"long-enough-password"}`); r.Status != 404 || r.code() != "invalid_link" {
		t.Errorf("revoked link = %d %s, want 404 invalid_link", r.Status, r.Body)
	}
	if r := adm.do("DELETE", fmt.Sprintf("/api/v1/invites/%d", inv.Invite.ID), ""); r.Status != 404 {
		t.Errorf("revoke twice = %d, want 404", r.Status)
	}
	if r := adm.do("DELETE", "/api/v1/invites/abc", ""); r.Status != 400 {
		t.Errorf("revoke abc = %d, want 400", r.Status)
	}
	if _, err := s.db.UserByEmail(t.Context(), "gone@example.com"); err == nil {
		t.Fatal("a revoked invitation made its account")
	}
	// A cross-site page cannot accept a link on the visitor's behalf.
	adm.json("POST", "/api/v1/invites", `{"email":"csrf@example.com","role":"viewer"}`, 201, &inv)
	r := do(t, http.DefaultClient, "POST", s.srv.URL+"/api/v1/invites/accept/"+inviteToken(t, inv.URL), strings.NewReader(`{"password":"long-enough-password"}`),
		"Content-Type", "application/json", "Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site")
	if r.Status != 403 || r.code() != "cross_origin" {
		t.Errorf("cross-site accept = %d %s, want 403 cross_origin", r.Status, r.Body)
	}
}

// The team rules: only owners make or change owners; nobody deactivates or deletes themselves;
// the last active owner stays; a deactivated user cannot log in and their logins end; a
// deleted user is gone with their logins; project changes take effect at once.
func TestUserManagementRules(t *testing.T) {
	s := newStack(t)
	owner := s.user(t, "boss@reel.local", auth.RoleOwner)
	adm := s.user(t, "adm@reel.local", auth.RoleAdmin)
	viewer := s.user(t, "viewer@reel.local", auth.RoleViewer, "default")
	us := s.teamUsers(t, owner)
	first, boss, admU, view := us["admin@reel.local"], us["boss@reel.local"], us["adm@reel.local"], us["viewer@reel.local"]
	if first.Role != "owner" || !boss.You || !admU.AllProjects || view.Status != "active" || len(view.Projects) != 1 {
		t.Fatalf("users = %+v", us)
	}
	path := func(u teamUser) string { return fmt.Sprintf("/api/v1/users/%d", u.ID) }

	for _, c := range []struct {
		name         string
		who          *client
		method, path string
		body         string
		status       int
		code         string
	}{
		{"admin changes an owner", adm, "PATCH", path(boss), `{"role":"viewer"}`, 403, "owner_only"},
		{"admin disables an owner", adm, "PATCH", path(boss), `{"disabled":true}`, 403, "owner_only"},
		{"admin deletes an owner", adm, "DELETE", path(boss), "", 403, "owner_only"},
		{"admin resets an owner", adm, "POST", path(boss) + "/reset-link", "{}", 403, "owner_only"},
		{"admin raises to owner", adm, "PATCH", path(view), `{"role":"owner"}`, 403, "owner_only"},
		{"admin disables themselves", adm, "PATCH", path(admU), `{"disabled":true}`, 409, "own_account"},
		{"admin deletes themselves", adm, "DELETE", path(admU), "", 409, "own_account"},
		{"owner deletes themselves", owner, "DELETE", path(boss), "", 409, "own_account"},
		{"unknown role", owner, "PATCH", path(view), `{"role":"root"}`, 400, "bad_request"},
		{"unknown project", owner, "PATCH", path(view), `{"projects":["nope"]}`, 400, "unknown_project"},
		{"unknown field", owner, "PATCH", path(view), `{"rol":"admin"}`, 400, "bad_request"},
		{"malformed", owner, "PATCH", path(view), `{`, 400, "bad_request"},
		{"bad id", owner, "PATCH", "/api/v1/users/abc", `{}`, 400, "bad_request"},
		{"negative id", owner, "DELETE", "/api/v1/users/-1", ``, 400, "bad_request"},
		{"unknown user", owner, "PATCH", "/api/v1/users/99999", `{}`, 404, "not_found"},
		{"viewer lists users", viewer, "GET", "/api/v1/users", "", 403, "forbidden"},
	} {
		if r := c.who.do(c.method, c.path, c.body); r.Status != c.status || r.code() != c.code {
			t.Errorf("%s: %d %s, want %d %s", c.name, r.Status, r.Body, c.status, c.code)
		}
	}
	if u := s.teamUsers(t, owner)["viewer@reel.local"]; u.Role != "viewer" || len(u.Projects) != 1 {
		t.Fatalf("refused changes changed the viewer: %+v", u)
	}

	// The admin promotes the viewer to admin and back, and takes the project away.
	var got struct{ User teamUser }
	adm.json("PATCH", path(view), `{"role":"admin"}`, 200, &got)
	if got.User.Role != "admin" || !got.User.AllProjects {
		t.Fatalf("promoted = %+v", got.User)
	}
	adm.json("PATCH", path(view), `{"role":"viewer","projects":[]}`, 200, &got)
	if r := viewer.do("GET", "/api/v1/sessions", ""); r.Status != 403 || r.code() != "no_projects" {
		t.Fatalf("viewer without projects lists sessions: %d %s", r.Status, r.Body)
	}
	adm.json("PATCH", path(view), `{"projects":["default","default"]}`, 200, &got)
	if len(got.User.Projects) != 1 {
		t.Fatalf("projects = %v", got.User.Projects)
	}
	viewer.json("GET", "/api/v1/sessions", "", 200, nil)

	// Deactivate: the open login ends and a new one is refused; reactivate: login works.
	adm.json("PATCH", path(view), `{"disabled":true}`, 200, &got)
	if got.User.Status != "disabled" {
		t.Fatalf("status = %q", got.User.Status)
	}
	if r := viewer.do("GET", "/api/v1/auth/me", ""); r.Status != 401 {
		t.Fatalf("a deactivated user's login still works: %d", r.Status)
	}
	login := `{"email":"viewer@reel.local","password":"member-password-1"}`
	if r := s.freshBrowser(t).do("POST", "/api/v1/auth/login", login); r.Status != 401 {
		t.Fatalf("a deactivated user logs in: %d %s", r.Status, r.Body)
	}
	if r := adm.do("POST", path(view)+"/reset-link", "{}"); r.Status != 409 || r.code() != "disabled" {
		t.Fatalf("reset link for a deactivated user = %d %s, want 409 disabled", r.Status, r.Body)
	}
	adm.json("PATCH", path(view), `{"disabled":false}`, 200, &got)
	if r := s.freshBrowser(t).do("POST", "/api/v1/auth/login", login); r.Status != 200 {
		t.Fatalf("a reactivated user cannot log in: %d %s", r.Status, r.Body)
	}

	// The last active owner: with admin@reel.local deactivated, boss is the only one left.
	owner.json("PATCH", path(first), `{"disabled":true}`, 200, nil)
	for _, body := range []string{`{"role":"admin"}`} {
		if r := owner.do("PATCH", path(boss), body); r.Status != 409 || r.code() != "last_owner" {
			t.Errorf("the last owner demoting themselves = %d %s, want 409 last_owner", r.Status, r.Body)
		}
	}
	if r := s.admin(t).do("DELETE", path(boss), ""); r.Status != 409 || r.code() != "last_owner" {
		t.Errorf("the bootstrap token deleting the last owner = %d %s, want 409 last_owner", r.Status, r.Body)
	}
	owner.json("PATCH", path(first), `{"disabled":false}`, 200, nil)
	owner.json("PATCH", path(first), `{"role":"admin"}`, 200, nil)

	// Delete: the account and its login are gone.
	if r := adm.do("DELETE", path(view), ""); r.Status != 204 {
		t.Fatalf("delete = %d %s", r.Status, r.Body)
	}
	if _, ok := s.teamUsers(t, owner)["viewer@reel.local"]; ok {
		t.Fatal("a deleted user is listed")
	}
	if r := s.freshBrowser(t).do("POST", "/api/v1/auth/login", login); r.Status != 401 {
		t.Fatalf("a deleted user logs in: %d", r.Status)
	}
	if r := adm.do("DELETE", path(view), ""); r.Status != 404 {
		t.Fatalf("delete twice = %d", r.Status)
	}
}

// A reset link sets a new password once, logs the person in, and ends their other logins.
func TestResetLink(t *testing.T) {
	s := newStack(t)
	adm := s.user(t, "adm@reel.local", auth.RoleAdmin)
	member := s.user(t, "member@reel.local", auth.RoleMember, "default")
	id := s.teamUsers(t, adm)["member@reel.local"].ID
	var link struct {
		URL       string
		ExpiresAt time.Time
		Mailed    bool
	}
	adm.json("POST", fmt.Sprintf("/api/v1/users/%d/reset-link", id), "", 201, &link)
	tok := inviteToken(t, link.URL)
	member.json("GET", "/api/v1/auth/me", "", 200, nil) // made, not used: nothing ends yet
	b := s.freshBrowser(t)
	var info struct{ Invite struct{ Kind, Email string } }
	b.json("GET", "/api/v1/invites/accept/"+tok, "", 200, &info)
	if info.Invite.Kind != "reset" || info.Invite.Email != "member@reel.local" {
		t.Fatalf("info = %+v", info)
	}
	b.json("POST", "/api/v1/invites/accept/"+tok, `{"password":"a-new-password-2"}`, 200, nil)
	var me struct{ User struct{ Email, Role string } }
	b.json("GET", "/api/v1/auth/me", "", 200, &me)
	if me.User.Email != "member@reel.local" || me.User.Role != "member" {
		t.Fatalf("me = %+v", me)
	}
	if r := member.do("GET", "/api/v1/auth/me", ""); r.Status != 401 {
		t.Fatalf("the old login survived the reset: %d", r.Status)
	}
	if r := s.freshBrowser(t).do("POST", "/api/v1/auth/login", `{"email":"member@reel.local","password":"member-password-1"}`); r.Status != 401 {
		t.Fatalf("the old password still works: %d", r.Status)
	}
	if r := s.freshBrowser(t).do("POST", "/api/v1/auth/login", `{"email":"member@reel.local","password":"a-new-password-2"}`); r.Status != 200 {
		t.Fatalf("the new password does not work: %d", r.Status)
	}
	if r := b.do("POST", "/api/v1/invites/accept/"+tok, `{"password":"a-third-password-3"}`); r.Status != 410 {
		t.Fatalf("reset link used twice: %d", r.Status)
	}
	if r := adm.do("POST", "/api/v1/users/99999/reset-link", ""); r.Status != 404 {
		t.Fatalf("reset link for nobody: %d", r.Status)
	}
}

// With SMTP configured, an invitation is mailed to the person with its link, through a real
// SMTP server; when sending fails the invitation is kept and its link shown, with the error.
func TestInviteMailed(t *testing.T) {
	s := newStack(t)
	smtp := smtptest.Start(t, "reel", "mail-password")
	m, err := reelmail.New("smtp://reel@"+smtp.Addr, "mail-password", "Reel <reel@example.com>")
	if err != nil {
		t.Fatal(err)
	}
	s.api.SetLinks(api.LinkOptions{PublicURL: "https://reel.example.com/", Mail: m})
	adm := s.user(t, "adm@reel.local", auth.RoleAdmin)
	var inv createdInvite
	adm.json("POST", "/api/v1/invites", `{"email":"mailed@example.com","role":"member","projects":["default"]}`, 201, &inv)
	if !inv.Mailed || inv.MailError != "" || !strings.HasPrefix(inv.URL, "https://reel.example.com/invite/") {
		t.Fatalf("invite = %+v", inv)
	}
	msgs := smtp.Messages()
	if len(msgs) != 1 || msgs[0].To[0] != "mailed@example.com" || msgs[0].User != "reel" {
		t.Fatalf("messages = %+v", msgs)
	}
	msg, err := mail.ReadMessage(strings.NewReader(string(msgs[0].Data)))
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(quotedprintable.NewReader(msg.Body))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(body), inv.URL) || !strings.Contains(string(body), "adm@reel.local") {
		t.Fatalf("the mail lacks the link %s:\n%s", inv.URL, body)
	}

	smtp.RefuseRecipients()
	adm.json("POST", "/api/v1/invites", `{"email":"bounced@example.com","role":"viewer"}`, 201, &inv)
	if inv.Mailed || !strings.Contains(inv.MailError, "550") || !strings.Contains(inv.URL, "/invite/") {
		t.Fatalf("invite with a failed mail = %+v", inv)
	}
	s.freshBrowser(t).json("POST", "/api/v1/invites/accept/"+inviteToken(t, inv.URL), `{"password":"bounced-password-1"}`, 200, nil)
}

// The team routes need what the issue says: managing users is for admins, and the link pages
// are public (they authorise themselves by the token).
func TestTeamRoutesNeeds(t *testing.T) {
	want := map[string]auth.Need{
		"GET /api/v1/users":                    auth.Manage,
		"PATCH /api/v1/users/{user}":           auth.Manage,
		"DELETE /api/v1/users/{user}":          auth.Manage,
		"POST /api/v1/users/{user}/reset-link": auth.Manage,
		"GET /api/v1/invites":                  auth.Manage,
		"POST /api/v1/invites":                 auth.Manage,
		"DELETE /api/v1/invites/{id}":          auth.Manage,
		"GET /api/v1/invites/accept/{token}":   auth.Public,
		"POST /api/v1/invites/accept/{token}":  auth.Public,
	}
	for _, rt := range Table(Components{}) {
		if need, ok := want[rt.Pattern]; ok {
			if rt.Need != need {
				t.Errorf("%s needs %s, want %s", rt.Pattern, rt.Need, need)
			}
			delete(want, rt.Pattern)
		}
	}
	for p := range want {
		t.Errorf("%s is not in the route table", p)
	}
}

// Two browsers accepting one invitation at once: one gets the account and a login, the other
// is told the link was used.
func TestInviteAcceptedTwiceAtOnce(t *testing.T) {
	s := newStack(t)
	adm := s.user(t, "adm@reel.local", auth.RoleAdmin)
	for round := range 3 {
		var inv createdInvite
		adm.json("POST", "/api/v1/invites", fmt.Sprintf(`{"email":"race%d@example.com","role":"viewer","projects":["default"]}`, round), 201, &inv)
		tok := inviteToken(t, inv.URL)
		browsers := []*client{s.freshBrowser(t), s.freshBrowser(t), s.freshBrowser(t)}
		statuses := make([]int, len(browsers))
		done := make(chan struct{})
		for i, b := range browsers {
			go func() {
				defer func() { done <- struct{}{} }()
				req, _ := http.NewRequest("POST", s.srv.URL+"/api/v1/invites/accept/"+tok, strings.NewReader(fmt.Sprintf(`{"password":"password-of-%d-xx"}`, i)))
				req.Header.Set("Content-Type", "application/json")
				res, err := b.c.Do(req)
				if err != nil {
					return
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				statuses[i] = res.StatusCode
			}()
		}
		for range browsers {
			<-done
		}
		won := -1
		for i, st := range statuses {
			switch {
			case st == 200 && won < 0:
				won = i
			case st == 200:
				t.Fatalf("round %d: browsers %d and %d both accepted (%v)", round, won, i, statuses)
			case st != 410:
				t.Fatalf("round %d: browser %d got %d, want 200 or 410 (%v)", round, i, st, statuses)
			}
		}
		if won < 0 {
			t.Fatalf("round %d: nobody accepted: %v", round, statuses)
		}
		var me struct{ User struct{ Email string } }
		browsers[won].json("GET", "/api/v1/auth/me", "", 200, &me)
		if me.User.Email != fmt.Sprintf("race%d@example.com", round) {
			t.Fatalf("the winner is %+v", me.User)
		}
		if r := s.freshBrowser(t).do("POST", "/api/v1/auth/login", fmt.Sprintf(`{"email":"race%d@example.com","password":"password-of-%d-xx"}`, round, won)); r.Status != 200 {
			t.Fatalf("the winner's password does not log in: %d", r.Status)
		}
	}
}

// TestTeamChangesAreAudited: invitations (made, revoked, accepted), reset links and their use,
// role and access changes, deactivation and deletion are in the audit log with who did them.
func TestTeamChangesAreAudited(t *testing.T) {
	s := newStack(t)
	adm := s.user(t, "adm@reel.local", auth.RoleAdmin)
	var inv createdInvite
	adm.json("POST", "/api/v1/invites", `{"email":"vi@example.com","role":"viewer","projects":["default"]}`, 201, &inv)
	var revoked createdInvite
	adm.json("POST", "/api/v1/invites", `{"email":"gone@example.com","role":"viewer","projects":["default"]}`, 201, &revoked)
	if r := adm.do("DELETE", fmt.Sprintf("/api/v1/invites/%d", revoked.Invite.ID), ""); r.Status != 204 {
		t.Fatalf("revoke = %d %s", r.Status, r.Body)
	}
	s.freshBrowser(t).json("POST", "/api/v1/invites/accept/"+inviteToken(t, inv.URL), `{"password":"viewer-password-1"}`, 200, nil)
	id := s.teamUsers(t, adm)["vi@example.com"].ID
	adm.json("PATCH", fmt.Sprintf("/api/v1/users/%d", id), `{"role":"member","projects":[]}`, 200, nil)
	var link struct{ URL string }
	adm.json("POST", fmt.Sprintf("/api/v1/users/%d/reset-link", id), "", 201, &link)
	s.freshBrowser(t).json("POST", "/api/v1/invites/accept/"+inviteToken(t, link.URL), `{"password":"member-password-2"}`, 200, nil)
	adm.json("PATCH", fmt.Sprintf("/api/v1/users/%d", id), `{"disabled":true}`, 200, nil)
	if r := adm.do("DELETE", fmt.Sprintf("/api/v1/users/%d", id), ""); r.Status != 204 {
		t.Fatalf("delete = %d %s", r.Status, r.Body)
	}

	all := adm.audit("")
	var got []string
	for i := len(all.Entries) - 1; i >= 0; i-- {
		e := all.Entries[i]
		if strings.HasPrefix(e.Action, "user.") || strings.HasPrefix(e.Action, "invite.") {
			got = append(got, e.Actor+" "+e.Action+" "+e.Target)
		}
	}
	want := []string{
		"adm@reel.local invite.create vi@example.com",
		"adm@reel.local invite.create gone@example.com",
		fmt.Sprintf("adm@reel.local invite.revoke %d", revoked.Invite.ID),
		"vi@example.com user.create vi@example.com",
		"adm@reel.local user.update vi@example.com",
		"adm@reel.local user.reset_link vi@example.com",
		"vi@example.com user.password_set vi@example.com",
		"adm@reel.local user.update vi@example.com",
		"adm@reel.local user.delete vi@example.com",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Fatalf("team entries in the audit log, oldest first:\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}
