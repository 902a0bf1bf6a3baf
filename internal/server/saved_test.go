package server

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/cookiejar"
	"strings"
	"testing"
	"time"

	"github.com/reelhq/reel/internal/auth"
	"github.com/reelhq/reel/internal/store"
)

// client is a caller of the API: the admin token, or a logged-in user with a cookie.
type client struct {
	t     *testing.T
	s     *stack
	c     *http.Client
	token string
}

func (s *stack) admin(t *testing.T) *client {
	return &client{t: t, s: s, c: http.DefaultClient, token: adminToken}
}

// member creates a user with the member role in the default project and logs it in.
func (s *stack) member(t *testing.T, email string) *client {
	return s.user(t, email, auth.RoleMember, "default")
}

// user creates a user with role, given projects, and logs it in.
func (s *stack) user(t *testing.T, email, role string, projects ...string) *client {
	t.Helper()
	hash, err := auth.HashPassword("member-password-1")
	if err != nil {
		t.Fatal(err)
	}
	u, err := s.db.CreateUser(context.Background(), store.User{Email: email, PasswordHash: hash, Role: role, CreatedAt: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if err := s.db.SetUserProjects(context.Background(), u.ID, projects); err != nil {
		t.Fatal(err)
	}
	jar, _ := cookiejar.New(nil)
	c := &client{t: t, s: s, c: &http.Client{Jar: jar}}
	if r := c.do("POST", "/api/v1/auth/login", fmt.Sprintf(`{"email":%q,"password":"member-password-1"}`, email)); r.Status != 200 {
		t.Fatalf("%s login = %d %s", role, r.Status, r.Body)
	}
	return c
}

func (c *client) do(method, path, body string) resp {
	c.t.Helper()
	var h []string
	if c.token != "" {
		h = append(h, "Authorization", "Bearer "+c.token)
	}
	if body != "" {
		h = append(h, "Content-Type", "application/json")
	}
	return do(c.t, c.c, method, c.s.srv.URL+path, strings.NewReader(body), h...)
}

// json calls the API, expects status and decodes the answer into v (when not nil).
func (c *client) json(method, path, body string, status int, v any) {
	c.t.Helper()
	r := c.do(method, path, body)
	if r.Status != status {
		c.t.Fatalf("%s %s = %d %s, want %d", method, path, r.Status, r.Body, status)
	}
	if v != nil {
		if err := json.Unmarshal(r.Body, v); err != nil {
			c.t.Fatalf("%s %s: %v in %s", method, path, err, r.Body)
		}
	}
}

type savedJSON struct {
	ID        int64      `json:"id"`
	Name      string     `json:"name"`
	Query     string     `json:"query"`
	Shared    bool       `json:"shared"`
	Mine      bool       `json:"mine"`
	VisitedAt *time.Time `json:"visitedAt"`
	New       int        `json:"newSinceVisit"`
}

func (c *client) savedList() map[string]savedJSON {
	c.t.Helper()
	var l struct {
		SavedSearches []savedJSON `json:"savedSearches"`
	}
	c.json("GET", "/api/v1/saved-searches?project=default", "", 200, &l)
	out := map[string]savedJSON{}
	for _, s := range l.SavedSearches {
		out[s.Name] = s
	}
	return out
}

func TestSavedSearches(t *testing.T) {
	s := newSearchStack(t)
	admin := s.admin(t)
	old := time.Now().Add(-time.Hour).UnixMilli()
	s.post(t, "s_savedfox0001", uaFirefox, "DE", 0, page(old, "https://shop.example/cart"), click(old+1000))
	s.post(t, "s_savedchrome1", uaChrome, "FR", 0, page(old, "https://shop.example/"))

	var fox savedJSON
	admin.json("POST", "/api/v1/saved-searches", `{"project":"default","name":"  Firefox carts ","query":"browser:firefox visited:/cart","shared":true}`, 201, &fox)
	if fox.ID == 0 || fox.Name != "Firefox carts" || !fox.Shared || !fox.Mine || fox.VisitedAt == nil || fox.New != 0 {
		t.Fatalf("created = %+v", fox)
	}
	var mine savedJSON
	admin.json("POST", "/api/v1/saved-searches", `{"name":"everything","query":""}`, 201, &mine)
	if mine.Shared {
		t.Fatal("a search is private unless shared")
	}

	// Sessions that start after the visit are new; older ones are not.
	time.Sleep(5 * time.Millisecond)
	now := time.Now().UnixMilli()
	s.post(t, "s_savedfox0002", uaFirefox, "DE", 0, page(now, "https://shop.example/cart"))
	s.post(t, "s_savedfox0003", uaFirefox, "DE", 0, page(now+10, "https://shop.example/"))
	if got := admin.savedList(); got["Firefox carts"].New != 1 || got["everything"].New != 2 {
		t.Fatalf("new counts = %+v", got)
	}
	var visited savedJSON
	admin.json("POST", fmt.Sprintf("/api/v1/saved-searches/%d/visit", fox.ID), "", 200, &visited)
	if visited.New != 0 || visited.VisitedAt == nil || !visited.VisitedAt.After(*fox.VisitedAt) {
		t.Fatalf("after visit = %+v", visited)
	}
	if got := admin.savedList(); got["Firefox carts"].New != 0 || got["everything"].New != 2 {
		t.Fatalf("new counts after visit = %+v", got)
	}

	// A member sees the shared search, never the private one, and has a visit of their own:
	// one who never ran it counts from when it was saved.
	bob := s.member(t, "bob@reel.local")
	got := bob.savedList()
	if len(got) != 1 || got["Firefox carts"].Mine || got["Firefox carts"].New != 1 || got["Firefox carts"].VisitedAt != nil {
		t.Fatalf("bob sees %+v", got)
	}
	for _, tc := range []struct{ method, path, body string }{
		{"GET", fmt.Sprintf("/api/v1/saved-searches/%d", mine.ID), ""},
		{"PATCH", fmt.Sprintf("/api/v1/saved-searches/%d", mine.ID), `{"name":"x"}`},
		{"DELETE", fmt.Sprintf("/api/v1/saved-searches/%d", mine.ID), ""},
		{"POST", fmt.Sprintf("/api/v1/saved-searches/%d/visit", mine.ID), ""},
	} {
		if r := bob.do(tc.method, tc.path, tc.body); r.Status != 404 || r.code() != "not_found" {
			t.Fatalf("bob %s private search = %d %s", tc.method, r.Status, r.Body)
		}
	}
	if r := bob.do("PATCH", fmt.Sprintf("/api/v1/saved-searches/%d", fox.ID), `{"name":"mine now"}`); r.Status != 403 || r.code() != "forbidden" {
		t.Fatalf("bob renames the admin's shared search = %d %s", r.Status, r.Body)
	}
	if r := bob.do("DELETE", fmt.Sprintf("/api/v1/saved-searches/%d", fox.ID), ""); r.Status != 403 {
		t.Fatalf("bob deletes the admin's shared search = %d %s", r.Status, r.Body)
	}
	var bobs savedJSON
	bob.json("POST", "/api/v1/saved-searches", `{"name":"bob's","query":"country:FR"}`, 201, &bobs)
	if _, ok := admin.savedList()["bob's"]; ok {
		t.Fatal("the admin lists bob's private search")
	}

	// The owner edits; a malformed query is refused and the saved one stays.
	var edited savedJSON
	admin.json("PATCH", fmt.Sprintf("/api/v1/saved-searches/%d", fox.ID), `{"query":"browser:firefox","shared":false}`, 200, &edited)
	if edited.Query != "browser:firefox" || edited.Shared || edited.Name != "Firefox carts" {
		t.Fatalf("edited = %+v", edited)
	}
	r := admin.do("PATCH", fmt.Sprintf("/api/v1/saved-searches/%d", fox.ID), `{"query":"browser:firefox (visited:/x"}`)
	if r.Status != 400 || r.code() != "bad_query" || !strings.Contains(string(r.Body), "at position") {
		t.Fatalf("malformed edit = %d %s", r.Status, r.Body)
	}
	admin.json("GET", fmt.Sprintf("/api/v1/saved-searches/%d", fox.ID), "", 200, &edited)
	if edited.Query != "browser:firefox" {
		t.Fatalf("query after refused edit = %q", edited.Query)
	}
	if got := bob.savedList(); len(got) != 1 {
		t.Fatalf("bob still sees the unshared search: %+v", got)
	}
	admin.json("DELETE", fmt.Sprintf("/api/v1/saved-searches/%d", fox.ID), "", 204, nil)
	if r := admin.do("GET", fmt.Sprintf("/api/v1/saved-searches/%d", fox.ID), ""); r.Status != 404 {
		t.Fatalf("deleted search = %d", r.Status)
	}
}

func TestSavedSearchBadInput(t *testing.T) {
	s := newStack(t)
	admin := s.admin(t)
	long := strings.Repeat("é", 101)
	cases := []struct {
		name, method, path, body string
		status                   int
		code, message            string
	}{
		{"malformed query", "POST", "/api/v1/saved-searches", `{"name":"x","query":"visited:/a OR"}`, 400, "bad_query", "at position 13"},
		{"unknown field in query", "POST", "/api/v1/saved-searches", `{"name":"x","query":"colour:red"}`, 400, "bad_query", `colour\" at position 0`},
		{"query too long", "POST", "/api/v1/saved-searches", `{"name":"x","query":"` + strings.Repeat("a", 3000) + `"}`, 400, "bad_query", "position"},
		{"query too deep", "POST", "/api/v1/saved-searches", `{"name":"x","query":"` + strings.Repeat("(", 40) + "errors:>0" + strings.Repeat(")", 40) + `"}`, 400, "bad_query", "position"},
		{"missing query", "POST", "/api/v1/saved-searches", `{"name":"x"}`, 400, "bad_request", "required"},
		{"empty name", "POST", "/api/v1/saved-searches", `{"name":"   ","query":""}`, 400, "bad_request", "1-100"},
		{"name of 101 characters", "POST", "/api/v1/saved-searches", `{"name":"` + long + `","query":""}`, 400, "bad_request", "1-100"},
		{"control character", "POST", "/api/v1/saved-searches", `{"name":"a\u0000b","query":""}`, 400, "bad_request", "control"},
		{"wrong type", "POST", "/api/v1/saved-searches", `{"name":5,"query":""}`, 400, "bad_request", ""},
		{"unknown field", "POST", "/api/v1/saved-searches", `{"name":"x","query":"","shard":true}`, 400, "bad_request", "shard"},
		{"two objects", "POST", "/api/v1/saved-searches", `{"name":"x","query":""}{}`, 400, "bad_request", "one JSON object"},
		{"not JSON", "POST", "/api/v1/saved-searches", `name=x`, 400, "bad_request", ""},
		{"huge body", "POST", "/api/v1/saved-searches", `{"name":"x","query":"` + strings.Repeat(" ", 20<<10) + `"}`, 413, "too_large", ""},
		{"unknown project", "POST", "/api/v1/saved-searches", `{"project":"nope","name":"x","query":""}`, 404, "not_found", "project"},
		{"list of unknown project", "GET", "/api/v1/saved-searches?project=nope", ``, 404, "not_found", "project"},
		{"id not a number", "GET", "/api/v1/saved-searches/abc", ``, 400, "bad_request", "id"},
		{"negative id", "GET", "/api/v1/saved-searches/-1", ``, 400, "bad_request", "id"},
		{"id past int64", "GET", "/api/v1/saved-searches/99999999999999999999", ``, 400, "bad_request", "id"},
		{"missing id", "POST", "/api/v1/saved-searches/42/visit", ``, 404, "not_found", "saved search"},
		{"playlist without name", "POST", "/api/v1/playlists", `{}`, 400, "bad_request", "required"},
		{"playlist name too long", "POST", "/api/v1/playlists", `{"name":"` + long + `"}`, 400, "bad_request", "1-100"},
		{"pin to missing playlist", "PUT", "/api/v1/playlists/7/sessions/s_x", ``, 404, "not_found", "playlist"},
		{"alert on missing search", "POST", "/api/v1/alerts", `{"name":"a","savedSearch":99,"threshold":1,"windowMinutes":5,"webhook":"http://127.0.0.1:1/"}`, 404, "not_found", "saved search"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := admin.do(tc.method, tc.path, tc.body)
			if r.Status != tc.status || r.code() != tc.code || !strings.Contains(string(r.Body), tc.message) {
				t.Fatalf("%s %s = %d %s, want %d %s containing %q", tc.method, tc.path, r.Status, r.Body, tc.status, tc.code, tc.message)
			}
		})
	}
	if got := admin.savedList(); len(got) != 0 {
		t.Fatalf("refused input was saved: %+v", got)
	}

	// Hostile text is kept as text: it reaches SQLite only as a bound parameter.
	hostile := `x'); DROP TABLE sessions; --`
	var got savedJSON
	admin.json("POST", "/api/v1/saved-searches", fmt.Sprintf(`{"name":%q,"query":%q}`, hostile, `error:"'); DROP TABLE saved_searches; --"`), 201, &got)
	if got.Name != hostile || admin.savedList()[hostile].ID != got.ID {
		t.Fatalf("hostile name came back as %q", got.Name)
	}
	admin.json("GET", "/api/v1/sessions", "", 200, nil)

	// An alert on a saved search: its count is capped, so is its threshold; it watches one thing.
	for _, body := range []string{
		fmt.Sprintf(`{"name":"a","savedSearch":%d,"threshold":1001,"windowMinutes":5,"webhook":"http://127.0.0.1:1/"}`, got.ID),
		fmt.Sprintf(`{"name":"a","savedSearch":%d,"kind":"rage_click","threshold":1,"windowMinutes":5,"webhook":"http://127.0.0.1:1/"}`, got.ID),
	} {
		if r := admin.do("POST", "/api/v1/alerts", body); r.Status != 400 {
			t.Fatalf("alert %s = %d %s", body, r.Status, r.Body)
		}
	}
	var rule struct {
		ID          int64 `json:"id"`
		SavedSearch int64 `json:"savedSearch"`
	}
	admin.json("POST", "/api/v1/alerts", fmt.Sprintf(`{"name":"a","savedSearch":%d,"threshold":3,"windowMinutes":5,"webhook":"http://127.0.0.1:1/"}`, got.ID), 201, &rule)
	if rule.SavedSearch != got.ID {
		t.Fatalf("rule = %+v", rule)
	}
	admin.json("DELETE", fmt.Sprintf("/api/v1/saved-searches/%d", got.ID), "", 204, nil)
	var rules struct {
		Alerts []any `json:"alerts"`
	}
	admin.json("GET", "/api/v1/alerts", "", 200, &rules)
	if len(rules.Alerts) != 0 {
		t.Fatalf("alert outlived its saved search: %+v", rules.Alerts)
	}
}

type pinnedList struct {
	Playlist struct {
		Name     string `json:"name"`
		Sessions int    `json:"sessions"`
	} `json:"playlist"`
	Sessions []struct {
		ID       string `json:"id"`
		Browser  string `json:"browser"`
		EntryURL string `json:"entryUrl"`
		Note     string `json:"note"`
		Position int    `json:"position"`
	} `json:"sessions"`
}

func (p pinnedList) ids() string {
	var out []string
	for _, s := range p.Sessions {
		out = append(out, s.ID)
	}
	return strings.Join(out, ",")
}

func TestPlaylists(t *testing.T) {
	s := newStack(t)
	admin := s.admin(t)
	t0 := time.Now().Add(-time.Hour).UnixMilli()
	identify := func(user string) string {
		return ev(5, t0+1, fmt.Sprintf(`{"tag":"reel.identify","payload":{"userId":%q}}`, user))
	}
	s.ingest(t, "s_pinned00001", "t_tabone01", 0, ev(4, t0, `{"href":"http://x/one","width":1,"height":1}`))
	s.ingest(t, "s_pinned00002", "t_tabone01", 0, ev(4, t0, `{"href":"http://x/two","width":1,"height":1}`), identify("u-gone"))
	s.ingest(t, "s_pinned00003", "t_tabone01", 0, ev(4, t0, `{"href":"http://x/three","width":1,"height":1}`))

	var pl struct {
		ID     int64 `json:"id"`
		Shared bool  `json:"shared"`
	}
	admin.json("POST", "/api/v1/playlists", `{"name":"Checkout bugs","shared":true}`, 201, &pl)
	base := fmt.Sprintf("/api/v1/playlists/%d", pl.ID)
	admin.json("PUT", base+"/sessions/s_pinned00003", "", 200, nil)
	admin.json("PUT", base+"/sessions/s_pinned00001", `{"note":"coupon fails"}`, 200, nil)
	admin.json("PUT", base+"/sessions/s_pinned00002", `{}`, 200, nil)
	// Pinning again keeps the place and changes the note.
	admin.json("PUT", base+"/sessions/s_pinned00003", `{"note":"first"}`, 200, nil)
	var l pinnedList
	admin.json("GET", base+"/sessions", "", 200, &l)
	if l.ids() != "s_pinned00003,s_pinned00001,s_pinned00002" || l.Sessions[0].Note != "first" || l.Sessions[1].EntryURL != "http://x/one" ||
		l.Sessions[0].Browser == "" || l.Playlist.Sessions != 3 {
		t.Fatalf("playlist = %+v", l)
	}
	for _, tc := range []struct {
		path, body string
		status     int
	}{
		{base + "/sessions/s_nosuchsession", "", 404},
		{base + "/sessions/" + strings.Repeat("s", 200), "", 400},
		{base + "/sessions/s_pinned00001", `{"note":"` + strings.Repeat("n", 501) + `"}`, 400},
		{base + "/sessions/s_pinned00001", `{"note":1}`, 400},
	} {
		if r := admin.do("PUT", tc.path, tc.body); r.Status != tc.status {
			t.Fatalf("PUT %s = %d %s, want %d", tc.path[:min(len(tc.path), 80)], r.Status, r.Body, tc.status)
		}
	}

	// A member may pin to a shared playlist but not rename or delete it, and never sees a
	// private one.
	bob := s.member(t, "bob@reel.local")
	bob.json("DELETE", base+"/sessions/s_pinned00003", "", 204, nil)
	if r := bob.do("DELETE", base+"/sessions/s_pinned00003", ""); r.Status != 404 {
		t.Fatalf("second unpin = %d", r.Status)
	}
	if r := bob.do("PATCH", base, `{"name":"bob's"}`); r.Status != 403 {
		t.Fatalf("bob renames = %d %s", r.Status, r.Body)
	}
	var private struct {
		ID int64 `json:"id"`
	}
	admin.json("POST", "/api/v1/playlists", `{"name":"Mine"}`, 201, &private)
	if r := bob.do("GET", fmt.Sprintf("/api/v1/playlists/%d/sessions", private.ID), ""); r.Status != 404 {
		t.Fatalf("bob reads a private playlist = %d", r.Status)
	}
	var lists struct {
		Playlists []struct {
			Name     string `json:"name"`
			Sessions int    `json:"sessions"`
		} `json:"playlists"`
	}
	bob.json("GET", "/api/v1/playlists", "", 200, &lists)
	if len(lists.Playlists) != 1 || lists.Playlists[0].Name != "Checkout bugs" || lists.Playlists[0].Sessions != 2 {
		t.Fatalf("bob lists %+v", lists)
	}

	// Erasing a user takes their sessions out of every playlist.
	admin.json("DELETE", "/api/v1/projects/default/users/u-gone", "", 200, nil)
	admin.json("GET", base+"/sessions", "", 200, &l)
	if l.ids() != "s_pinned00001" {
		t.Fatalf("after erasure the playlist holds %s", l.ids())
	}
	admin.json("PATCH", base, `{"name":"Renamed","shared":false}`, 200, nil)
	if bob.json("GET", "/api/v1/playlists", "", 200, &lists); len(lists.Playlists) != 0 {
		t.Fatalf("bob still sees the unshared playlist: %+v", lists)
	}
	admin.json("DELETE", base, "", 204, nil)
	if r := admin.do("GET", base, ""); r.Status != 404 {
		t.Fatalf("deleted playlist = %d", r.Status)
	}
	admin.json("GET", "/api/v1/sessions/s_pinned00001", "", 200, nil)
}
