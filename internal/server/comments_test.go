package server

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/reelhq/reel/internal/auth"
)

type commentOut struct {
	ID        string  `json:"id"`
	At        int64   `json:"at"`
	Body      string  `json:"body"`
	Author    string  `json:"author"`
	EditedAt  *string `json:"editedAt"`
	Mine      bool    `json:"mine"`
	CanDelete bool    `json:"canDelete"`
}

func (c *client) comments(session string) []commentOut {
	c.t.Helper()
	var out struct{ Comments []commentOut }
	c.json("GET", "/api/v1/sessions/"+session+"/comments", "", 200, &out)
	return out.Comments
}

// TestComments: anyone who may watch a session comments on it at a moment; everyone who sees
// the session reads the comments with their authors; authors edit and delete their own, admins
// delete any; another project's people see none of it; creations and deletions are audited.
func TestComments(t *testing.T) {
	s := newStack(t)
	const t0 = 1764237600000
	s.ingest(t, "s_comment0001", "t_tabone01", 0,
		ev(4, t0, `{"href":"http://shop.example/","width":1280,"height":720}`),
		ev(3, t0+8000, `{"source":2,"type":2,"id":1,"x":1,"y":1}`))
	if err := s.db.CreateProject(t.Context(), projectFixture("blog")); err != nil {
		t.Fatal(err)
	}
	admin := s.admin(t)
	ann := s.user(t, "ann@reel.local", auth.RoleMember, "default")
	vic := s.user(t, "vic@reel.local", auth.RoleViewer, "default")
	boss := s.user(t, "boss@reel.local", auth.RoleAdmin)
	blog := s.user(t, "blog@reel.local", auth.RoleViewer, "blog")
	const base = "/api/v1/sessions/s_comment0001/comments"

	var a1, v1 commentOut
	ann.json("POST", base, `{"at": 5200, "body": "  Coupon rejected here  "}`, 201, &a1)
	if a1.Body != "Coupon rejected here" || a1.At != 5200 || a1.Author != "ann@reel.local" || !a1.Mine || !a1.CanDelete {
		t.Fatalf("created = %+v", a1)
	}
	// A viewer may comment too.
	vic.json("POST", base, `{"at": 1000, "body": "Slow first paint"}`, 201, &v1)

	// Another user sees both, by moment, with their authors; only their own is theirs.
	list := vic.comments("s_comment0001")
	if len(list) != 2 || list[0].Body != "Slow first paint" || list[1].Author != "ann@reel.local" || list[1].Mine || list[1].CanDelete || !list[0].Mine {
		t.Fatalf("vic reads %+v", list)
	}
	if list := boss.comments("s_comment0001"); len(list) != 2 || list[0].Mine || !list[0].CanDelete {
		t.Fatalf("an admin reads %+v: may delete any, owns none", list)
	}

	bad := []struct{ name, body string }{
		{"empty body", `{"at": 1, "body": "   "}`},
		{"no body", `{"at": 1}`},
		{"too long", `{"at": 1, "body": "` + strings.Repeat("é", 2001) + `"}`},
		{"before the start", `{"at": -1, "body": "x"}`},
		{"after the end", `{"at": 8001, "body": "x"}`},
		{"unknown field", `{"at": 1, "body": "x", "author": "someone@else"}`},
		{"not JSON", `{"at": `},
		{"NUL", `{"at": 1, "body": "a\u0000b"}`},
		{"two objects", `{"body": "x"}{"body": "y"}`},
	}
	for _, b := range bad {
		if r := ann.do("POST", base, b.body); r.Status != 400 || r.code() != "bad_request" {
			t.Errorf("%s: %d %s, want 400 bad_request", b.name, r.Status, r.Body)
		}
	}
	if r := ann.do("POST", base, `{"at": 1, "body": "`+strings.Repeat("x", 20<<10)+`"}`); r.Status != 413 {
		t.Errorf("oversized body: %d %s, want 413", r.Status, r.Body)
	}
	if r := ann.do("POST", "/api/v1/sessions/s_nosuch00001/comments", `{"at": 0, "body": "x"}`); r.Status != 404 {
		t.Errorf("comment on an unknown session: %d %s", r.Status, r.Body)
	}
	if n := len(ann.comments("s_comment0001")); n != 2 {
		t.Fatalf("after the refused comments there are %d, want 2 (nothing lost, nothing added)", n)
	}

	// Another project's people neither read nor write nor touch them.
	for _, r := range []resp{
		blog.do("GET", base, ""),
		blog.do("POST", base, `{"at": 0, "body": "x"}`),
		blog.do("PATCH", "/api/v1/comments/"+a1.ID, `{"body": "mine now"}`),
		blog.do("DELETE", "/api/v1/comments/"+a1.ID, ""),
	} {
		if r.Status != 404 {
			t.Errorf("blog viewer: %d %s, want 404 as for a missing thing", r.Status, r.Body)
		}
	}

	// Only its author edits a comment; its moment stays.
	for _, c := range []*client{vic, boss, admin} {
		if r := c.do("PATCH", "/api/v1/comments/"+a1.ID, `{"body": "not yours"}`); r.Status != 403 || r.code() != "forbidden" {
			t.Errorf("someone else edits ann's comment: %d %s, want 403", r.Status, r.Body)
		}
	}
	var ed commentOut
	ann.json("PATCH", "/api/v1/comments/"+a1.ID, `{"body": "Coupon SAVE10 rejected"}`, 200, &ed)
	if ed.Body != "Coupon SAVE10 rejected" || ed.At != 5200 || ed.EditedAt == nil {
		t.Fatalf("edited = %+v", ed)
	}
	for _, b := range []string{`{"body": ""}`, `{"at": 3}`, `[]`} {
		if r := ann.do("PATCH", "/api/v1/comments/"+a1.ID, b); r.Status != 400 {
			t.Errorf("edit with %s: %d %s, want 400", b, r.Status, r.Body)
		}
	}
	for _, id := range []string{"cm_nosuchthing", "nope", "cm_' OR 1=1 --", strings.Repeat("c", 300)} {
		if r := ann.do("PATCH", "/api/v1/comments/"+strings.ReplaceAll(id, " ", "%20"), `{"body": "x"}`); r.Status != 404 {
			t.Errorf("edit of %q: %d %s, want 404", id, r.Status, r.Body)
		}
	}

	// Deleting: not someone else's (unless admin); one's own, yes.
	if r := ann.do("DELETE", "/api/v1/comments/"+v1.ID, ""); r.Status != 403 {
		t.Errorf("ann deletes vic's comment: %d %s, want 403", r.Status, r.Body)
	}
	if r := vic.do("DELETE", "/api/v1/comments/"+v1.ID, ""); r.Status != 204 {
		t.Errorf("vic deletes her own: %d %s, want 204", r.Status, r.Body)
	}
	if r := boss.do("DELETE", "/api/v1/comments/"+a1.ID, ""); r.Status != 204 {
		t.Errorf("an admin deletes ann's: %d %s, want 204", r.Status, r.Body)
	}
	if r := boss.do("DELETE", "/api/v1/comments/"+a1.ID, ""); r.Status != 404 {
		t.Errorf("deleting again: %d %s, want 404", r.Status, r.Body)
	}
	if list := ann.comments("s_comment0001"); len(list) != 0 {
		t.Fatalf("after deletions: %+v", list)
	}

	// The audit log says who commented and who deleted.
	var log struct {
		Entries []struct {
			Action, Actor, Target string
		}
	}
	admin.json("GET", "/api/v1/audit?limit=100", "", 200, &log)
	got := map[string]int{}
	for _, e := range log.Entries {
		if strings.HasPrefix(e.Action, "comment.") {
			got[e.Action+" by "+e.Actor+" on "+e.Target]++
		}
	}
	want := map[string]int{
		"comment.create by ann@reel.local on s_comment0001":  1,
		"comment.create by vic@reel.local on s_comment0001":  1,
		"comment.delete by vic@reel.local on s_comment0001":  1,
		"comment.delete by boss@reel.local on s_comment0001": 1,
	}
	if b, _ := json.Marshal(got); len(got) != len(want) {
		t.Fatalf("audit: %s, want %v", b, want)
	}
	for k, n := range want {
		if got[k] != n {
			t.Errorf("audit: %q %d times, want %d (all: %v)", k, got[k], n, got)
		}
	}
}

// TestShareLinkNote: a share link carries its maker's note to whoever opens it, and its moment.
func TestShareLinkNote(t *testing.T) {
	s := newStack(t)
	const t0 = 1764237600000
	s.ingest(t, "s_sharenote01", "t_tabone01", 0,
		ev(4, t0, `{"href":"http://shop.example/","width":1280,"height":720}`),
		ev(3, t0+8000, `{"source":2,"type":2,"id":1,"x":1,"y":1}`))
	ann := s.user(t, "ann@reel.local", auth.RoleViewer, "default")
	var link struct {
		Token, Path, Note string
		At                int64
	}
	ann.json("POST", "/api/v1/sessions/s_sharenote01/share", `{"at": 4100, "note": " Look at the total here "}`, 201, &link)
	if link.Path != "/share/"+link.Token+"?t=4100" || link.Note != "Look at the total here" {
		t.Fatalf("share = %+v", link)
	}
	var shared struct {
		ShareAt   int64
		ShareNote string
	}
	if r := do(t, ann.c, "GET", s.srv.URL+"/api/v1/share/"+link.Token, nil); r.Status != 200 || json.Unmarshal(r.Body, &shared) != nil || shared.ShareAt != 4100 || shared.ShareNote != "Look at the total here" {
		t.Fatalf("opened link = %d %s", r.Status, r.Body)
	}
	var list struct{ Shares []struct{ Note string } }
	ann.json("GET", "/api/v1/sessions/s_sharenote01/shares", "", 200, &list)
	if len(list.Shares) != 1 || list.Shares[0].Note != "Look at the total here" {
		t.Fatalf("shares = %+v", list)
	}
	for _, b := range []string{`{"note": "` + strings.Repeat("n", 501) + `"}`, `{"note": 5}`, `{"note": "a\u0000b"}`, `{"note": "` + strings.Repeat("n", 5000) + `"}`} {
		if r := ann.do("POST", "/api/v1/sessions/s_sharenote01/share", b); r.Status != 400 {
			t.Errorf("share with %.40s…: %d %s, want 400", b, r.Status, r.Body)
		}
	}
	ann.json("GET", "/api/v1/sessions/s_sharenote01/shares", "", 200, &list)
	if len(list.Shares) != 1 {
		t.Fatalf("refused shares were stored: %+v", list)
	}
}
