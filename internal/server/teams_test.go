package server

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reelhq/reel/internal/ingest"
)

// apiClock is a settable time for the API and ingest: grace periods and expiries are crossed by
// moving it, never by sleeping.
type apiClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *apiClock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *apiClock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// newClockStack is newStack with the API and ingest on a clock the test moves.
func newClockStack(t *testing.T) (*stack, *apiClock) {
	clk := &apiClock{t: time.Now()}
	s := newStackWith(t, ingest.Options{Now: clk.now})
	s.api.SetClock(clk.now)
	return s, clk
}

// send posts one batch with key and answers the response.
func (s *stack) send(t *testing.T, key, session string, seq int, events ...string) resp {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	fmt.Fprintf(zw, `{"session":%q,"tab":"t_tabone01","seq":%d,"meta":{},"events":[%s]}`, session, seq, strings.Join(events, ","))
	zw.Close()
	return do(t, http.DefaultClient, "POST", s.srv.URL+"/api/v1/ingest?v=1&key="+url.QueryEscape(key), &buf)
}

const tt0 = 1764237600000

func pageAt(at int64, href string) string {
	return ev(4, at, fmt.Sprintf(`{"href":%q,"width":1280,"height":720}`, href))
}

type projectOut struct {
	ID                   string     `json:"id"`
	Name                 string     `json:"name"`
	PublicKey            string     `json:"publicKey"`
	RetentionDays        int        `json:"retentionDays"`
	PreviousKey          string     `json:"previousKey"`
	PreviousKeyExpiresAt *time.Time `json:"previousKeyExpiresAt"`
}

func TestCreateRenameProject(t *testing.T) {
	s := newStack(t)
	admin := s.admin(t)
	if r := do(t, http.DefaultClient, "POST", s.srv.URL+"/api/v1/projects", strings.NewReader(`{"name":"x"}`)); r.Status != 401 {
		t.Fatalf("anonymous create = %d", r.Status)
	}
	if r := s.member(t, "m@reel.local").do("POST", "/api/v1/projects", `{"name":"x"}`); r.Status != 403 {
		t.Fatalf("member create = %d %s", r.Status, r.Body)
	}
	for _, body := range []string{``, `{`, `[]`, `{"name":""}`, `{"name":"   "}`, `{"name":null}`, `{"name":7}`, `{"name":"a\u0001b"}`,
		`{"name":"x","id":"mine"}`, `{"name":"` + strings.Repeat("n", 201) + `"}`, `{"name":"` + strings.Repeat("n", 5000) + `"}`} {
		if r := admin.do("POST", "/api/v1/projects", body); r.Status != 400 || r.code() != "bad_request" {
			t.Errorf("create with %.60s = %d %s", body, r.Status, r.Body)
		}
	}
	var p1, p2, p3 projectOut
	admin.json("POST", "/api/v1/projects", `{"name":"  My Shop! (EU)  "}`, 201, &p1)
	admin.json("POST", "/api/v1/projects", `{"name":"My shop: EU"}`, 201, &p2)
	admin.json("POST", "/api/v1/projects", `{"name":"日本"}`, 201, &p3)
	if p1.ID != "my-shop-eu" || p1.Name != "My Shop! (EU)" || !strings.HasPrefix(p1.PublicKey, "pk_") || p1.RetentionDays != 30 {
		t.Fatalf("created %+v", p1)
	}
	if p2.ID != "my-shop-eu-2" || p2.PublicKey == p1.PublicKey || p3.ID != "project" {
		t.Fatalf("second and third: %+v, %+v", p2, p3)
	}
	// The new project records on its own key, and its sessions list under it alone.
	if r := s.send(t, p1.PublicKey, "s_newproj0001", 0, pageAt(tt0, "https://eu.shop/")); r.Status != 200 {
		t.Fatalf("ingest with the new key = %d %s", r.Status, r.Body)
	}
	var list listJSON
	admin.json("GET", "/api/v1/sessions?project=my-shop-eu", "", 200, &list)
	if len(list.Sessions) != 1 || list.Sessions[0].ID != "s_newproj0001" {
		t.Fatalf("sessions of the new project: %+v", list.Sessions)
	}
	admin.json("GET", "/api/v1/sessions?project=default", "", 200, &list)
	if len(list.Sessions) != 0 {
		t.Fatalf("the default project got the new project's session: %+v", list.Sessions)
	}
	// Renaming goes through PATCH.
	admin.json("PATCH", "/api/v1/projects/my-shop-eu", `{"name":"Shop EU"}`, 200, nil)
	var all struct{ Projects []projectOut }
	admin.json("GET", "/api/v1/projects", "", 200, &all)
	if len(all.Projects) != 4 || all.Projects[1].Name != "Shop EU" || all.Projects[1].ID != "my-shop-eu" {
		t.Fatalf("projects after rename: %+v", all.Projects)
	}
}

// TestRotateKeyGrace: a rotated key's predecessor keeps ingesting (and serving SDK config)
// until its grace ends, then gets what an unknown key gets.
func TestRotateKeyGrace(t *testing.T) {
	s, clk := newClockStack(t)
	admin := s.admin(t)
	old := s.key
	for _, body := range []string{`{`, `[]`, `{"graceHours":-1}`, `{"graceHours":721}`, `{"graceHours":"2"}`, `{"graceHours":1,"x":1}`, `{"graceHours":1e400}`,
		`{"graceHours":` + strings.Repeat("1", 5000) + `}`} {
		if r := admin.do("POST", "/api/v1/projects/default/rotate-key", body); r.Status != 400 {
			t.Errorf("rotate with %.40s = %d %s", body, r.Status, r.Body)
		}
	}
	if r := admin.do("POST", "/api/v1/projects/nope/rotate-key", `{"graceHours":1}`); r.Status != 404 {
		t.Fatalf("rotate unknown project = %d", r.Status)
	}
	if r := s.member(t, "m@reel.local").do("POST", "/api/v1/projects/default/rotate-key", `{"graceHours":1}`); r.Status != 403 {
		t.Fatalf("member rotate = %d", r.Status)
	}
	var p projectOut
	admin.json("POST", "/api/v1/projects/default/rotate-key", `{"graceHours":2}`, 200, &p)
	if p.PublicKey == old || !strings.HasPrefix(p.PublicKey, "pk_") || p.PreviousKey != old || p.PreviousKeyExpiresAt == nil ||
		!p.PreviousKeyExpiresAt.Equal(clk.now().Add(2*time.Hour).UTC().Truncate(time.Millisecond)) {
		t.Fatalf("rotated: %+v (old %s)", p, old)
	}
	config := func(key string) int {
		return do(t, http.DefaultClient, "GET", s.srv.URL+"/api/v1/sdk-config?v=1&key="+url.QueryEscape(key), nil).Status
	}
	// Within the grace both keys ingest and read the SDK config.
	for i, key := range []string{old, p.PublicKey} {
		if r := s.send(t, key, "s_rotation001", i, pageAt(tt0+int64(i), "https://shop/")); r.Status != 200 {
			t.Fatalf("key %d within the grace = %d %s", i, r.Status, r.Body)
		}
		if c := config(key); c != 200 {
			t.Fatalf("sdk-config with key %d within the grace = %d", i, c)
		}
	}
	clk.add(2*time.Hour - time.Second)
	if r := s.send(t, old, "s_rotation001", 2, pageAt(tt0+2, "https://shop/")); r.Status != 200 {
		t.Fatalf("old key a second before the grace ends = %d %s", r.Status, r.Body)
	}
	clk.add(time.Second)
	unknown := s.send(t, "pk_nosuchkey", "s_rotation002", 0, pageAt(tt0, "https://shop/"))
	r := s.send(t, old, "s_rotation001", 3, pageAt(tt0+3, "https://shop/"))
	if r.Status != 401 || r.code() != "invalid_key" || string(r.Body) != string(unknown.Body) {
		t.Fatalf("old key after the grace = %d %s, want what an unknown key gets: %d %s", r.Status, r.Body, unknown.Status, unknown.Body)
	}
	if c := config(old); c != 401 {
		t.Fatalf("sdk-config with the old key after the grace = %d", c)
	}
	if r := s.send(t, p.PublicKey, "s_rotation001", 3, pageAt(tt0+3, "https://shop/")); r.Status != 200 || config(p.PublicKey) != 200 {
		t.Fatalf("new key after the grace = %d %s", r.Status, r.Body)
	}
	var all struct{ Projects []projectOut }
	admin.json("GET", "/api/v1/projects", "", 200, &all)
	if all.Projects[0].PreviousKey != "" || all.Projects[0].PreviousKeyExpiresAt != nil {
		t.Fatalf("a key past its grace is still shown: %+v", all.Projects[0])
	}
	// Without a grace the old key stops at once: the way to cut off a leaked key.
	admin.json("POST", "/api/v1/projects/default/rotate-key", `{"graceHours":0}`, 200, &p)
	if r := s.send(t, all.Projects[0].PublicKey, "s_rotation001", 4, pageAt(tt0+4, "https://shop/")); r.Status != 401 {
		t.Fatalf("key rotated without grace = %d %s", r.Status, r.Body)
	}
}

func TestDeleteProject(t *testing.T) {
	s := newStack(t)
	admin := s.admin(t)
	var p projectOut
	admin.json("POST", "/api/v1/projects", `{"name":"Doomed"}`, 201, &p)
	for i, id := range []string{"s_doomed00001", "s_doomed00002"} {
		if r := s.send(t, p.PublicKey, id, 0, pageAt(tt0+int64(i), "https://doomed/"), ev(5, tt0+5, `{"tag":"reel.error","payload":{"message":"`+strings.Repeat("x", 3000)+`"}}`)); r.Status != 200 {
			t.Fatalf("ingest = %d %s", r.Status, r.Body)
		}
	}
	s.ingest(t, "s_keep0000001", "t_tabone01", 0, pageAt(tt0, "https://default/"))
	blobsBefore := s.blobCount(t)
	admin.json("POST", "/api/v1/saved-searches", `{"project":"doomed","name":"x","query":"browser:firefox"}`, 201, nil)

	for _, c := range []struct {
		who    *client
		path   string
		status int
		code   string
	}{
		{s.member(t, "m@reel.local"), "/api/v1/projects/doomed?confirm=doomed", 403, "forbidden"},
		{admin, "/api/v1/projects/doomed", 400, "confirm_required"},
		{admin, "/api/v1/projects/doomed?confirm=Doomed", 400, "confirm_required"},
		{admin, "/api/v1/projects/nope?confirm=nope", 404, "not_found"},
		{admin, "/api/v1/projects/default?confirm=default", 409, "project_protected"},
		{admin, "/api/v1/projects/" + strings.Repeat("x", 3000) + "?confirm=x", 404, "not_found"},
	} {
		if r := c.who.do("DELETE", c.path, ""); r.Status != c.status || r.code() != c.code {
			t.Errorf("DELETE %.60s = %d %s, want %d %s", c.path, r.Status, r.Body, c.status, c.code)
		}
	}
	var out struct {
		Deleted struct {
			Project  string
			Sessions int
		}
	}
	admin.json("DELETE", "/api/v1/projects/doomed?confirm=doomed", "", 200, &out)
	if out.Deleted.Project != "doomed" || out.Deleted.Sessions != 2 {
		t.Fatalf("deleted: %+v", out)
	}
	var all struct{ Projects []projectOut }
	admin.json("GET", "/api/v1/projects", "", 200, &all)
	if len(all.Projects) != 1 || all.Projects[0].ID != "default" {
		t.Fatalf("projects after deletion: %+v", all.Projects)
	}
	for _, id := range []string{"s_doomed00001", "s_doomed00002"} {
		if r := admin.do("GET", "/api/v1/sessions/"+id, ""); r.Status != 404 {
			t.Fatalf("session %s after its project's deletion = %d", id, r.Status)
		}
	}
	if r := admin.do("GET", "/api/v1/saved-searches?project=doomed", ""); r.Status == 200 && strings.Contains(string(r.Body), `"name":"x"`) {
		t.Fatalf("saved search outlived its project: %s", r.Body)
	}
	// Its key is dead, and the bytes are gone: what is left in the blob store is the other
	// project's session alone (the deleted sessions' packs were compacted away from it).
	if r := s.send(t, p.PublicKey, "s_doomed00003", 0, pageAt(tt0, "https://doomed/")); r.Status != 401 {
		t.Fatalf("deleted project's key = %d %s", r.Status, r.Body)
	}
	if n := s.blobCount(t); n >= blobsBefore || n == 0 {
		t.Fatalf("blobs: %d before, %d after deletion", blobsBefore, n)
	}
	if r := admin.do("GET", "/api/v1/sessions/s_keep0000001/events", ""); r.Status != 200 || !strings.Contains(string(r.Body), "https://default/") {
		t.Fatalf("the other project's session after deletion = %d %.200s", r.Status, r.Body)
	}
}

func (s *stack) blobCount(t *testing.T) int {
	t.Helper()
	n := 0
	if err := s.blobs.List(context.Background(), "", func(string, int64, time.Time) error { n++; return nil }); err != nil {
		t.Fatal(err)
	}
	return n
}

type shareOut struct {
	ID, Token, Path, Status string
	ExpiresAt               time.Time
	RevokedAt               *time.Time
	At                      int64
	Mine                    bool
}

// TestShareLinksRevocable: links are rows, listed per session and revocable; the token and
// every answer made through it keep the session's id to themselves.
func TestShareLinksRevocable(t *testing.T) {
	s, clk := newClockStack(t)
	admin := s.admin(t)
	const id = "s_sharedsess01"
	s.ingest(t, id, "t_tabone01", 0, pageAt(tt0, "http://shop.example/"),
		ev(2, tt0+5, `{"node":{"type":0,"childNodes":[],"id":1},"initialOffset":{"left":0,"top":0}}`), pageAt(tt0+60000, "http://shop.example/cart"))

	for _, body := range []string{`{`, `[]`, `{"at":-1}`, `{"at":60001}`, `{"expiresInHours":0.5,"x":1}`, `{"at":"5"}`, `{"expiresInHours":2161}`,
		`{"at":` + strings.Repeat("9", 2000) + `}`} {
		if r := admin.do("POST", "/api/v1/sessions/"+id+"/share", body); r.Status != 400 {
			t.Errorf("share with %.40s = %d %s", body, r.Status, r.Body)
		}
	}
	var a, b shareOut
	admin.json("POST", "/api/v1/sessions/"+id+"/share", `{"expiresInHours":2,"at":41200}`, 201, &a)
	member := s.member(t, "m@reel.local")
	clk.add(time.Second)
	member.json("POST", "/api/v1/sessions/"+id+"/share", ``, 201, &b)
	if strings.Contains(a.Token, id) || strings.Contains(a.Token, "sharedsess") || a.Path != "/share/"+a.Token+"?t=41200" || a.Status != "active" {
		t.Fatalf("link: %+v", a)
	}
	// Nothing answered through the link names the session: whoever holds it could otherwise
	// send batches into it with the site's public key.
	for _, path := range []string{"", "/events", "/tabs", "/archive", "/events?from=" + fmt.Sprint(tt0+60000)} {
		r := do(t, http.DefaultClient, "GET", s.srv.URL+"/api/v1/share/"+a.Token+path, nil)
		if r.Status != 200 || strings.Contains(string(r.Body), id) {
			t.Fatalf("shared %q = %d %.300s (must not name the session)", path, r.Status, r.Body)
		}
	}
	var shared struct {
		ID      string
		ShareAt int64
	}
	if r := do(t, http.DefaultClient, "GET", s.srv.URL+"/api/v1/share/"+a.Token, nil); json.Unmarshal(r.Body, &shared) != nil || shared.ID != a.ID || shared.ShareAt != 41200 {
		t.Fatalf("shared session: %s", r.Body)
	}
	var list struct{ Shares []shareOut }
	member.json("GET", "/api/v1/sessions/"+id+"/shares", "", 200, &list)
	if len(list.Shares) != 2 || list.Shares[0].ID != b.ID || !list.Shares[0].Mine || list.Shares[1].ID != a.ID || list.Shares[1].Mine || list.Shares[1].Token != "" {
		t.Fatalf("shares: %+v", list.Shares)
	}
	if r := admin.do("GET", "/api/v1/sessions/s_nosuchsess1/shares", ""); r.Status != 404 {
		t.Fatalf("shares of an unknown session = %d", r.Status)
	}
	// Revoking: the creator or an admin; not another member, not anonymously; junk ids are 404.
	if r := do(t, http.DefaultClient, "DELETE", s.srv.URL+"/api/v1/shares/"+a.ID, nil); r.Status != 401 {
		t.Fatalf("anonymous revoke = %d", r.Status)
	}
	if r := member.do("DELETE", "/api/v1/shares/"+a.ID, ""); r.Status != 403 {
		t.Fatalf("member revoking the admin's link = %d %s", r.Status, r.Body)
	}
	for _, bad := range []string{"sh_nosuchlink0000", "nope", strings.Repeat("a", 3000), "%00", url.PathEscape("sh_../../x")} {
		if r := admin.do("DELETE", "/api/v1/shares/"+bad, ""); r.Status != 404 {
			t.Errorf("revoke %.40s = %d", bad, r.Status)
		}
	}
	var revoked shareOut
	admin.json("DELETE", "/api/v1/shares/"+a.ID, "", 200, &revoked)
	if revoked.Status != "revoked" || revoked.RevokedAt == nil {
		t.Fatalf("revoked: %+v", revoked)
	}
	for _, path := range []string{"", "/events", "/tabs", "/archive"} {
		if r := do(t, http.DefaultClient, "GET", s.srv.URL+"/api/v1/share/"+a.Token+path, nil); r.Status != 410 || r.code() != "share_revoked" || !strings.Contains(string(r.Body), "revoked") {
			t.Fatalf("revoked link %q = %d %s", path, r.Status, r.Body)
		}
	}
	member.json("DELETE", "/api/v1/shares/"+b.ID, "", 200, nil) // its creator may
	// Expiry, on the API's clock.
	var c shareOut
	clk.add(time.Second)
	admin.json("POST", "/api/v1/sessions/"+id+"/share", `{"expiresInHours":1}`, 201, &c)
	if r := do(t, http.DefaultClient, "GET", s.srv.URL+"/api/v1/share/"+c.Token, nil); r.Status != 200 {
		t.Fatalf("fresh link = %d", r.Status)
	}
	clk.add(time.Hour)
	if r := do(t, http.DefaultClient, "GET", s.srv.URL+"/api/v1/share/"+c.Token+"/events", nil); r.Status != 410 || r.code() != "share_expired" {
		t.Fatalf("expired link = %d %s", r.Status, r.Body)
	}
	admin.json("GET", "/api/v1/sessions/"+id+"/shares", "", 200, &list)
	if len(list.Shares) != 3 || list.Shares[0].Status != "expired" || list.Shares[1].Status != "revoked" {
		t.Fatalf("shares after expiry: %+v", list.Shares)
	}
	// Links signed by earlier versions named their session in the clear: refused.
	old := id + ".lx1x2y." + strings.Repeat("A", 43)
	for _, tok := range []string{old, strings.Repeat("A", 43), strings.Repeat("A", 500), "%00"} {
		if r := do(t, http.DefaultClient, "GET", s.srv.URL+"/api/v1/share/"+tok, nil); r.Status != 404 || r.code() != "share_invalid" {
			t.Fatalf("token %.40s = %d %s", tok, r.Status, r.Body)
		}
	}
}

// TestErasureIsFinal: after erasure, a batch re-sent under the erased session's id is refused
// (it used to bring the session back, and the old share link served it), and the session's
// links are dead.
func TestErasureIsFinal(t *testing.T) {
	s := newStack(t)
	admin := s.admin(t)
	const id = "s_erasedsess01"
	identify := ev(5, tt0+1, `{"tag":"reel.identify","payload":{"userId":"ada"}}`)
	first := []string{pageAt(tt0, "http://shop.example/"), identify}
	if r := s.send(t, s.key, id, 0, first...); r.Status != 200 {
		t.Fatalf("ingest = %d %s", r.Status, r.Body)
	}
	var link shareOut
	admin.json("POST", "/api/v1/sessions/"+id+"/share", ``, 201, &link)
	admin.json("DELETE", "/api/v1/projects/default/users/ada", "", 200, nil)

	for seq, events := range [][]string{first, {pageAt(tt0+9, "http://shop.example/again")}} {
		r := s.send(t, s.key, id, seq, events...)
		if r.Status != 410 || r.code() != "session_erased" {
			t.Fatalf("batch %d for the erased session = %d %s", seq, r.Status, r.Body)
		}
	}
	if r := admin.do("GET", "/api/v1/sessions/"+id, ""); r.Status != 404 {
		t.Fatalf("erased session = %d %s", r.Status, r.Body)
	}
	if r := do(t, http.DefaultClient, "GET", s.srv.URL+"/api/v1/share/"+link.Token+"/events", nil); r.Status != 404 || r.code() != "share_invalid" {
		t.Fatalf("link of the erased session = %d %s", r.Status, r.Body)
	}
	// Other sessions, new ones included, record as before.
	if r := s.send(t, s.key, "s_aftererase01", 0, first...); r.Status != 200 {
		t.Fatalf("new session after the erasure = %d %s", r.Status, r.Body)
	}
}

// TestSharesFollowProjectAccess: a session's links are listed and revoked only by those who
// see its project; a viewer may revoke their own link, not another's; only owners delete
// projects.
func TestSharesFollowProjectAccess(t *testing.T) {
	s := newStack(t)
	admin := s.admin(t)
	var p projectOut
	admin.json("POST", "/api/v1/projects", `{"name":"Private"}`, 201, &p)
	if r := s.send(t, p.PublicKey, "s_privatesess1", 0, pageAt(tt0, "https://private/")); r.Status != 200 {
		t.Fatalf("ingest = %d %s", r.Status, r.Body)
	}
	s.ingest(t, "s_defaultsess1", "t_tabone01", 0, pageAt(tt0, "https://default/"))
	viewer := s.user(t, "viewer@reel.local", "viewer", "default")
	other := s.user(t, "viewer2@reel.local", "viewer", "default")

	var theirs, mine shareOut
	admin.json("POST", "/api/v1/sessions/s_privatesess1/share", ``, 201, &theirs)
	if r := viewer.do("GET", "/api/v1/sessions/s_privatesess1/shares", ""); r.Status != 404 {
		t.Fatalf("viewer listing links of a project they do not see = %d %s", r.Status, r.Body)
	}
	if r := viewer.do("DELETE", "/api/v1/shares/"+theirs.ID, ""); r.Status != 404 {
		t.Fatalf("viewer revoking a link of a project they do not see = %d %s", r.Status, r.Body)
	}
	viewer.json("POST", "/api/v1/sessions/s_defaultsess1/share", ``, 201, &mine)
	if r := other.do("DELETE", "/api/v1/shares/"+mine.ID, ""); r.Status != 403 {
		t.Fatalf("another viewer revoking the link = %d %s", r.Status, r.Body)
	}
	viewer.json("DELETE", "/api/v1/shares/"+mine.ID, "", 200, nil)

	if r := s.user(t, "admin2@reel.local", "admin").do("DELETE", "/api/v1/projects/private?confirm=private", ""); r.Status != 403 {
		t.Fatalf("admin deleting a project = %d %s, want 403 (owners only)", r.Status, r.Body)
	}
	admin.json("DELETE", "/api/v1/projects/private?confirm=private", "", 200, nil)
}
