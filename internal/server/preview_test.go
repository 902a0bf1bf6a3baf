package server

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
)

// TestPrivacyPreview: an admin makes a preview link for a page of the site; the overlay on that
// page (origin https://shop.example) asks the project's real scrubber about strings with the
// token, and learns per string which kinds matched; a wrong, altered or expired token, another
// origin and oversized requests get a clear error, and nothing is stored.
func TestPrivacyPreview(t *testing.T) {
	s := newStack(t)
	admin := s.admin(t)
	const site = "https://shop.example"

	var link struct {
		URL       string
		Token     string
		ExpiresAt time.Time
	}
	before := time.Now()
	admin.json("POST", "/api/v1/projects/default/privacy-preview", `{"url": "https://shop.example/checkout?step=2#pay"}`, 201, &link)
	u, err := url.Parse(link.URL)
	if err != nil || u.Host != "shop.example" || u.Path != "/checkout" || u.Query().Get("step") != "2" || u.Query().Get("reel_preview") != link.Token || u.Fragment != "pay" {
		t.Fatalf("preview link = %q (token %q)", link.URL, link.Token)
	}
	if d := link.ExpiresAt.Sub(before); d < 59*time.Minute || d > 61*time.Minute {
		t.Errorf("expiresAt is %v from now, want an hour", d)
	}
	for _, body := range []string{``, `{}`, `{"url": "ftp://shop.example/"}`, `{"url": "/checkout"}`, `{"url": "https://shop.example/", "ttl": 5}`, `{"url": "https://shop.example/` + strings.Repeat("a", 5000) + `"}`} {
		if r := admin.do("POST", "/api/v1/projects/default/privacy-preview", body); r.Status != 400 || !strings.Contains(string(r.Body), "url") {
			t.Errorf("make a link with %.60q = %d %s, want 400 naming the url", body, r.Status, r.Body)
		}
	}
	if r := admin.do("POST", "/api/v1/projects/nope/privacy-preview", `{"url": "https://shop.example/"}`); r.Status != 404 {
		t.Errorf("a link for a missing project = %d %s, want 404", r.Status, r.Body)
	}

	scrub := func(origin, body string) resp {
		t.Helper()
		h := []string{"Content-Type", "text/plain"}
		if origin != "" {
			h = append(h, "Origin", origin)
		}
		return do(t, http.DefaultClient, "POST", s.srv.URL+"/api/v1/privacy-preview/scrub", strings.NewReader(body), h...)
	}
	ask := func(token string, strs ...string) string {
		b, _ := json.Marshal(map[string]any{"token": token, "strings": strs})
		return string(b)
	}

	r := scrub(site, ask(link.Token, "Write to ada@example.com", "Pay with 4111 1111 1111 1111", "Nothing private"))
	if r.Status != 200 || r.Header.Get("Access-Control-Allow-Origin") != site {
		t.Fatalf("scrub = %d %s (allow-origin %q)", r.Status, r.Body, r.Header.Get("Access-Control-Allow-Origin"))
	}
	var got struct {
		Results []struct {
			Kinds    map[string]int
			Scrubbed string
		}
	}
	if err := json.Unmarshal(r.Body, &got); err != nil || len(got.Results) != 3 {
		t.Fatalf("scrub answer %s: %v", r.Body, err)
	}
	if k := got.Results[0].Kinds; k["email"] != 1 || len(k) != 1 || got.Results[0].Scrubbed != "Write to "+strings.Repeat("█", len("ada@example.com")) {
		t.Errorf("email: %+v", got.Results[0])
	}
	if k := got.Results[1].Kinds; k["card"] != 1 || strings.Contains(got.Results[1].Scrubbed, "4111") {
		t.Errorf("card: %+v", got.Results[1])
	}
	if k := got.Results[2].Kinds; len(k) != 0 || got.Results[2].Scrubbed != "Nothing private" {
		t.Errorf("plain text: %+v", got.Results[2])
	}
	// The project's own settings: emails off, a pattern of its own.
	admin.json("PATCH", "/api/v1/projects/default", `{"scrub": {"off": ["email"], "patterns": ["ORD-[0-9]{6}"]}}`, 200, nil)
	r = scrub(site, ask(link.Token, "Write to ada@example.com", "Order ORD-123456 shipped"))
	got.Results = nil
	if err := json.Unmarshal(r.Body, &got); err != nil || r.Status != 200 || len(got.Results) != 2 {
		t.Fatalf("scrub with the project's settings = %d %s", r.Status, r.Body)
	}
	if len(got.Results[0].Kinds) != 0 || got.Results[1].Kinds["custom"] != 1 || got.Results[1].Scrubbed != "Order "+strings.Repeat("█", 10)+" shipped" {
		t.Errorf("with emails off and a pattern: %+v", got.Results)
	}
	admin.json("PATCH", "/api/v1/projects/default", `{"scrub": {}}`, 200, nil)

	// No strings: only the token is checked (how the overlay learns a link is still good).
	if r := scrub(site, ask(link.Token)); r.Status != 200 {
		t.Errorf("token check = %d %s", r.Status, r.Body)
	}
	// A preflight, should a page send it.
	if r := do(t, http.DefaultClient, "OPTIONS", s.srv.URL+"/api/v1/privacy-preview/scrub", nil, "Origin", site, "Access-Control-Request-Method", "POST"); r.Status != 204 || r.Header.Get("Access-Control-Allow-Origin") != site {
		t.Errorf("preflight = %d %v", r.Status, r.Header)
	}

	altered := link.Token[:len(link.Token)-2] + "AA"
	if altered == link.Token {
		altered = link.Token[:len(link.Token)-2] + "BB"
	}
	for _, c := range []struct {
		name, origin, body string
		status             int
		code               string
	}{
		{"no token", site, ask(""), 401, "preview_invalid"},
		{"altered token", site, ask(altered, "ada@example.com"), 401, "preview_invalid"},
		{"junk token", site, ask("pv1.x.y.z.w", "ada@example.com"), 401, "preview_invalid"},
		{"another origin", "https://evil.example", ask(link.Token, "ada@example.com"), 403, "preview_origin"},
		{"not JSON", site, `token=x`, 400, "bad_request"},
		{"unknown field", site, `{"token":"x","strings":[],"more":1}`, 400, "bad_request"},
		{"too many strings", site, ask(link.Token, make([]string, 5001)...), 400, "bad_request"},
		{"too large", site, ask(link.Token, strings.Repeat("a", 600<<10)), 413, "too_large"},
	} {
		r := scrub(c.origin, c.body)
		if r.Status != c.status || r.code() != c.code {
			t.Errorf("%s: %d %s, want %d %s", c.name, r.Status, r.Body, c.status, c.code)
		}
		if r.Header.Get("Access-Control-Allow-Origin") != c.origin {
			t.Errorf("%s: the page cannot read the error (allow-origin %q)", c.name, r.Header.Get("Access-Control-Allow-Origin"))
		}
	}

	s.api.SetClock(func() time.Time { return time.Now().Add(61 * time.Minute) })
	r = scrub(site, ask(link.Token, "ada@example.com"))
	s.api.SetClock(time.Now)
	if r.Status != 401 || r.code() != "preview_expired" || !strings.Contains(string(r.Body), "expired") {
		t.Errorf("expired token = %d %s, want 401 preview_expired", r.Status, r.Body)
	}

	// Asking stores nothing: no session appeared.
	var list struct{ Sessions []any }
	admin.json("GET", "/api/v1/sessions", "", 200, &list)
	if len(list.Sessions) != 0 {
		t.Errorf("sessions after preview requests: %d", len(list.Sessions))
	}
}
