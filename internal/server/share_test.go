package server

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
)

// TestShareLinks: a share link opens one session without a login, read-only, and nothing else.
func TestShareLinks(t *testing.T) {
	s := newStack(t)
	bearer := []string{"Authorization", "Bearer " + adminToken}
	const t0 = 1764237600000
	for _, id := range []string{"s_shared0001", "s_private001"} {
		s.ingest(t, id, "t_tab0000001", 0,
			ev(4, t0, `{"href":"http://shop.example/","width":1280,"height":720}`),
			ev(2, t0+5, `{"node":{"type":0,"childNodes":[],"id":1},"initialOffset":{"left":0,"top":0}}`))
	}
	s.ingest(t, "s_shared0001", "t_tab0000002", 0, ev(4, t0+900, `{"href":"http://shop.example/cart","width":800,"height":600}`))
	c := http.DefaultClient
	base := s.srv.URL + "/api/v1"

	if r := do(t, c, "POST", base+"/sessions/s_shared0001/share", nil); r.Status != 401 {
		t.Fatalf("anonymous share = %d", r.Status)
	}
	if r := do(t, c, "POST", base+"/sessions/s_nosuch00001/share", nil, bearer...); r.Status != 404 {
		t.Fatalf("share of unknown session = %d", r.Status)
	}
	for _, body := range []string{`{"expiresInHours": -1}`, `{"expiresInHours": 100000}`, `{`} {
		if r := do(t, c, "POST", base+"/sessions/s_shared0001/share", strings.NewReader(body), bearer...); r.Status != 400 {
			t.Fatalf("share with %s = %d", body, r.Status)
		}
	}
	r := do(t, c, "POST", base+"/sessions/s_shared0001/share", strings.NewReader(`{"expiresInHours": 2}`), bearer...)
	var link struct{ Token, Path string }
	if r.Status != 201 || json.Unmarshal(r.Body, &link) != nil || link.Path != "/share/"+link.Token {
		t.Fatalf("share = %d %s", r.Status, r.Body)
	}

	// Anyone with the link reads that session, its tabs and events; no cookie, no token.
	if r := do(t, c, "GET", base+"/share/"+link.Token, nil); r.Status != 200 || !strings.Contains(string(r.Body), `"entryUrl":"http://shop.example/"`) || !strings.Contains(string(r.Body), "shareExpiresAt") {
		t.Fatalf("shared session = %d %s", r.Status, r.Body)
	}
	if r := do(t, c, "GET", base+"/share/"+link.Token+"/events", nil); r.Status != 200 || strings.Count(string(r.Body), `"type":4`) != 2 {
		t.Fatalf("shared events = %d %s", r.Status, r.Body)
	}
	if r := do(t, c, "GET", base+"/share/"+link.Token+"/events?tab=t_tab0000002", nil); r.Status != 200 || strings.Count(string(r.Body), `"type":4`) != 1 {
		t.Fatalf("shared events of one tab = %d %s", r.Status, r.Body)
	}
	var tabs struct{ Tabs []struct{ ID string } }
	if r := do(t, c, "GET", base+"/share/"+link.Token+"/tabs", nil); r.Status != 200 || json.Unmarshal(r.Body, &tabs) != nil || len(tabs.Tabs) != 2 || tabs.Tabs[0].ID != "t_tab0000001" {
		t.Fatalf("shared tabs = %d %s", r.Status, r.Body)
	}
	// The link grants nothing else: not another session, not the list.
	other := link.Token[:42] + string("AB"[strings.IndexByte("AB", link.Token[42])+1&1])
	if r := do(t, c, "GET", base+"/share/"+other+"/events", nil); r.Status != 404 || r.code() != "share_invalid" {
		t.Fatalf("tampered link = %d %s", r.Status, r.Body)
	}
	if r := do(t, c, "GET", base+"/sessions/s_shared0001/events", nil); r.Status != 401 {
		t.Fatalf("events without login = %d", r.Status)
	}
	// The dashboard page for a share link is served without login.
	if r := do(t, c, "GET", s.srv.URL+"/share/"+link.Token, nil); r.Status != 200 || !strings.Contains(string(r.Body), "<div id=\"app\">") {
		t.Fatalf("share page = %d %.200s", r.Status, r.Body)
	}
}
