package server

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/reelhq/reel/internal/audit"
	"github.com/reelhq/reel/internal/auth"
)

type auditOut struct {
	ID      int64           `json:"id"`
	At      time.Time       `json:"at"`
	Actor   string          `json:"actor"`
	TokenID string          `json:"tokenId"`
	Action  string          `json:"action"`
	Project string          `json:"project"`
	Target  string          `json:"target"`
	Client  string          `json:"client"`
	Detail  json.RawMessage `json:"detail"`
}

type auditPage struct {
	Entries []auditOut `json:"entries"`
	Next    string     `json:"next"`
}

func (c *client) audit(query string) auditPage {
	c.t.Helper()
	var p auditPage
	c.json("GET", "/api/v1/audit"+query, "", 200, &p)
	return p
}

// count is how many entries of action the page holds.
func (p auditPage) count(action string) int {
	n := 0
	for _, e := range p.Entries {
		if e.Action == action {
			n++
		}
	}
	return n
}

func (p auditPage) first(action string) auditOut {
	for _, e := range p.Entries {
		if e.Action == action {
			return e
		}
	}
	return auditOut{}
}

// TestAuditLog: what people do is in the audit log, with who, what, where from and when:
// failed and successful logins (the email tried, never the password), logouts, session views
// (once however often the player reloads), share links, settings changes, erasures and tokens.
// Admins filter and page it and export it as JSON lines; nobody can change it over the API.
func TestAuditLog(t *testing.T) {
	s := newStack(t)
	const t0 = 1764237600000
	s.ingest(t, "s_audited0001", "t_tabone01", 0, ev(4, t0, `{"href":"http://shop.example/","width":1280,"height":720}`),
		ev(2, t0+5, `{"node":{"type":0,"childNodes":[],"id":1},"initialOffset":{"left":0,"top":0}}`))

	// A good login, then a failed one for the same account, and one for an email no account
	// has: that email is not kept, as it may be a password typed into the wrong field.
	admin := s.user(t, "ada@reel.local", auth.RoleAdmin)
	anon := &client{t: t, s: s, c: http.DefaultClient}
	if r := anon.do("POST", "/api/v1/auth/login", `{"email":"ada@reel.local","password":"wrong-password-123"}`); r.Status != 401 {
		t.Fatalf("bad login = %d", r.Status)
	}
	if r := anon.do("POST", "/api/v1/auth/login", `{"email":"hunter2-typed-here","password":"wrong-password-123"}`); r.Status != 401 {
		t.Fatalf("bad login = %d", r.Status)
	}
	owner := s.user(t, "olga@reel.local", auth.RoleOwner)
	viewer := s.user(t, "vic@reel.local", auth.RoleViewer, "default")

	// The player loads a session's events many times; that is one view per person.
	for range 3 {
		viewer.json("GET", "/api/v1/sessions/s_audited0001/events", "", 200, nil)
	}
	admin.json("GET", "/api/v1/sessions/s_audited0001/events?from="+fmt.Sprint(t0), "", 200, nil)
	viewer.json("POST", "/api/v1/sessions/s_audited0001/share", `{"expiresInHours":1}`, 201, nil)
	admin.json("PATCH", "/api/v1/projects/default", `{"name":"Shop","retentionDays":45}`, 200, nil)
	owner.json("DELETE", "/api/v1/projects/default/users/visitor-42", "", 200, nil)
	var tok tokenOut
	admin.json("POST", "/api/v1/tokens", `{"name":"ci","scope":"read"}`, 201, &tok)
	bearer(s, t, tok.Token).json("GET", "/api/v1/sessions/s_audited0001/events", "", 200, nil)
	admin.json("DELETE", "/api/v1/tokens/"+tok.ID, "", 204, nil)
	viewer.json("POST", "/api/v1/auth/logout", "", 204, nil)

	all := admin.audit("?limit=500")
	for _, want := range []struct {
		action string
		n      int
	}{{"login.failed", 2}, {"login", 3}, {"session.view", 3}, {"share.create", 1}, {"project.update", 1}, {"user.erase", 1},
		{"token.create", 1}, {"token.revoke", 1}, {"logout", 1}} {
		if got := all.count(want.action); got != want.n {
			t.Errorf("%d %s entries, want %d", got, want.action, want.n)
		}
	}
	raw, _ := json.Marshal(all)
	if bytes.Contains(raw, []byte("wrong-password-123")) || bytes.Contains(raw, []byte("hunter2-typed-here")) || bytes.Contains(raw, []byte("member-password-1")) || bytes.Contains(raw, []byte(tok.Token)) {
		t.Fatal("the audit log holds a password or a token's secret")
	}
	var failed []string
	for _, e := range all.Entries {
		if e.Action == "login.failed" {
			failed = append(failed, e.Actor+" from "+e.Client)
		}
	}
	if !slices.Contains(failed, "ada@reel.local from 127.0.0.1") || !slices.Contains(failed, "(no such account) from 127.0.0.1") {
		t.Errorf("failed logins = %q, want ada's and one for no such account", failed)
	}
	if e := all.first("logout"); e.Actor != "vic@reel.local" {
		t.Errorf("logout = %+v", e)
	}
	views := admin.audit("?action=session.view")
	if len(views.Entries) != 3 || views.Entries[0].TokenID != tok.ID || views.Entries[0].Actor != "ada@reel.local" ||
		views.Entries[2].Actor != "vic@reel.local" || views.Entries[2].Target != "s_audited0001" || views.Entries[2].Project != "default" {
		t.Errorf("views = %+v", views.Entries)
	}
	if e := all.first("project.update"); string(e.Detail) != `{"changed":["name","retentionDays"]}` || e.Actor != "ada@reel.local" {
		t.Errorf("settings change = %+v %s", e, e.Detail)
	}
	if e := all.first("user.erase"); e.Target != audit.UserRef("default", "visitor-42") || bytes.Contains(raw, []byte("visitor-42")) || e.Actor != "olga@reel.local" || e.Project != "default" {
		t.Errorf("erasure = %+v", e)
	}
	if e := all.first("share.create"); e.Target != "s_audited0001" || e.Actor != "vic@reel.local" {
		t.Errorf("share = %+v", e)
	}
	if e := all.first("token.create"); e.Target != tok.ID || !strings.Contains(string(e.Detail), `"scope":"read"`) {
		t.Errorf("token create = %+v %s", e, e.Detail)
	}

	// Filters and paging.
	if p := admin.audit("?actor=vic@reel.local"); len(p.Entries) != 4 { // login, view, share, logout
		t.Errorf("vic's entries = %+v", p.Entries)
	}
	if p := admin.audit("?actor=" + tok.ID); len(p.Entries) != 1 || p.Entries[0].Action != "session.view" {
		t.Errorf("the token's entries = %+v", p.Entries)
	}
	if p := admin.audit("?project=default&action=share.create"); len(p.Entries) != 1 {
		t.Errorf("project filter = %+v", p.Entries)
	}
	tomorrow := time.Now().UTC().AddDate(0, 0, 1).Format(time.DateOnly)
	yesterday := time.Now().UTC().AddDate(0, 0, -1).Format(time.DateOnly)
	if p := admin.audit("?since=" + tomorrow); len(p.Entries) != 0 {
		t.Errorf("since tomorrow = %+v", p.Entries)
	}
	if p := admin.audit("?since=" + yesterday + "&until=" + tomorrow); len(p.Entries) != len(all.Entries) {
		t.Errorf("since yesterday = %d entries, want %d", len(p.Entries), len(all.Entries))
	}
	var paged []int64
	cursor := ""
	for range 20 {
		p := admin.audit("?limit=4&cursor=" + cursor)
		for _, e := range p.Entries {
			paged = append(paged, e.ID)
		}
		if cursor = p.Next; cursor == "" {
			break
		}
	}
	if len(paged) != len(all.Entries) || paged[0] != all.Entries[0].ID || paged[len(paged)-1] != all.Entries[len(all.Entries)-1].ID {
		t.Errorf("paging by 4 gave %d entries, want %d", len(paged), len(all.Entries))
	}
	for _, q := range []string{"?since=yesterday", "?until=2026-13-01", "?cursor=abc", "?limit=0", "?limit=100000", "?action=" + strings.Repeat("a", 100)} {
		if r := admin.do("GET", "/api/v1/audit"+q, ""); r.Status != 400 || r.code() != "bad_request" {
			t.Errorf("GET /api/v1/audit%s = %d %s, want 400", q, r.Status, r.Body)
		}
	}

	// Export: every matching entry, one JSON object a line, as a download.
	r := admin.do("GET", "/api/v1/audit/export?action=login", "")
	if r.Status != 200 || !strings.Contains(r.Header.Get("Content-Disposition"), "attachment") || r.Header.Get("Content-Type") != "application/x-ndjson" {
		t.Fatalf("export = %d %v", r.Status, r.Header)
	}
	lines := 0
	sc := bufio.NewScanner(bytes.NewReader(r.Body))
	for sc.Scan() {
		var e auditOut
		if err := json.Unmarshal(sc.Bytes(), &e); err != nil || e.Action != "login" {
			t.Fatalf("export line %q: %v", sc.Text(), err)
		}
		lines++
	}
	if lines != 3 {
		t.Fatalf("export has %d lines, want 3", lines)
	}
	if r := admin.do("GET", "/api/v1/audit/export?since=nope", ""); r.Status != 400 {
		t.Fatalf("export with a bad filter = %d", r.Status)
	}

	// Nothing changes the log through the API, whoever asks.
	before := len(owner.audit("?limit=500").Entries)
	for _, c := range []*client{owner, s.admin(t)} {
		for _, m := range []string{"POST", "PUT", "PATCH", "DELETE"} {
			for _, path := range []string{"/api/v1/audit", "/api/v1/audit/export", fmt.Sprintf("/api/v1/audit/%d", all.Entries[0].ID)} {
				if r := c.do(m, path, `{"action":"login"}`); r.Status != 404 && r.Status != 405 {
					t.Errorf("%s %s = %d %s, want 404 or 405", m, path, r.Status, r.Body)
				}
			}
		}
	}
	if after := len(owner.audit("?limit=500").Entries); after != before {
		t.Fatalf("the log went from %d to %d entries", before, after)
	}
}
