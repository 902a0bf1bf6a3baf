package server

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/reelhq/reel/internal/alert"
	"github.com/reelhq/reel/internal/api"
	"github.com/reelhq/reel/internal/auth"
	"github.com/reelhq/reel/internal/blob"
	"github.com/reelhq/reel/internal/demo"
	"github.com/reelhq/reel/internal/ingest"
	"github.com/reelhq/reel/internal/layout"
	"github.com/reelhq/reel/internal/lifecycle"
	"github.com/reelhq/reel/internal/sdk"
	"github.com/reelhq/reel/internal/setup"
	"github.com/reelhq/reel/internal/store"
	"github.com/reelhq/reel/internal/store/pgtest"
	"github.com/reelhq/reel/internal/store/postgres"
	"github.com/reelhq/reel/internal/store/sqlite"
	"github.com/reelhq/reel/internal/ui"
)

const adminToken = "test-admin-token-0123456789"

type stack struct {
	srv   *httptest.Server
	key   string
	db    *sqlite.DB  // nil on PostgreSQL
	idx   store.Index // the index, whichever backend
	blobs *blob.Local
	api   *api.API
}

// newStack builds the same components `reel serve` does, on a temp dir, behind real HTTP.
func newStack(t *testing.T) *stack {
	t.Helper()
	return newStackWith(t, ingest.Options{})
}

// newStackWith is newStack with ingest options (a trusted country header, tighter limits).
func newStackWith(t *testing.T, opts ingest.Options) *stack {
	t.Helper()
	return newStackFrom(t, stackConfig{ingest: opts})
}

// stackConfig changes what newStackFrom builds; the zero value is newStack's.
type stackConfig struct {
	ingest ingest.Options
	auth   auth.Options // its AdminToken is always adminToken
	log    io.Writer    // nil: logs are discarded
	gate   *gatedUsers  // when set, auth reads users through it
	// postgres runs the stack on a fresh PostgreSQL database (pgtest) instead of SQLite.
	postgres bool
}

// newStackFrom runs the whole server over loopback on a fresh embedded index: one admin
// (admin@reel.local, adminPassword), the default project, and alert webhooks allowed to
// loopback receivers (--webhook-private).
func newStackFrom(t *testing.T, cfg stackConfig) *stack {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	var db *sqlite.DB
	var idx store.Index
	if cfg.postgres {
		pg, err := postgres.Open(ctx, pgtest.URL(t))
		if err != nil {
			t.Fatal(err)
		}
		idx = pg
	} else {
		var err error
		if db, err = sqlite.Open(ctx, filepath.Join(dir, "index.db")); err != nil {
			t.Fatal(err)
		}
		idx = db
	}
	t.Cleanup(func() { idx.Close() })
	blobs, err := blob.NewLocal(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	first, err := setup.Run(ctx, idx, setup.Options{AdminEmail: "admin@reel.local", AdminPassword: adminPassword})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	if cfg.log != nil {
		log = slog.New(slog.NewTextHandler(cfg.log, nil))
	}
	cfg.auth.AdminToken = adminToken
	authn := auth.New(idx, log, cfg.auth)
	if cfg.gate != nil {
		cfg.gate.DB = db
		authn = auth.New(cfg.gate, log, cfg.auth)
	}
	ih := ingest.New(idx, blobs, log, cfg.ingest)
	cache := layout.NewCache(blobs, 64<<20)
	a := api.New(idx, blobs, authn, log, cache, lifecycle.New(idx, blobs, log, lifecycle.Options{}, cache))
	a.SetAlertTester(alert.New(idx, "http://reel.example", log, alert.Options{AllowPrivate: true}))
	h := Routes(Components{
		API: a, Auth: authn,
		Ingest: ih, SDKConfig: ih.SDKConfig(),
		UI: ui.Handler(), SDK: sdk.Handler(), Demo: demo.Handler(first.Project.PublicKey), Log: log,
	})
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return &stack{srv: srv, key: first.Project.PublicKey, db: db, idx: idx, blobs: blobs, api: a}
}

type resp struct {
	Status int
	Header http.Header
	Body   []byte
}

func (r resp) code() string {
	var e struct {
		Error struct{ Code string } `json:"error"`
	}
	json.Unmarshal(r.Body, &e)
	return e.Error.Code
}

func do(t *testing.T, c *http.Client, method, url string, body io.Reader, header ...string) resp {
	t.Helper()
	req, err := http.NewRequest(method, url, body)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return resp{res.StatusCode, res.Header, b}
}

func (s *stack) ingest(t *testing.T, session, tab string, seq int, events ...string) {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	fmt.Fprintf(zw, `{"session":%q,"tab":%q,"seq":%d,"meta":{"userAgent":"Mozilla/5.0 (X11; Linux x86_64) Chrome/156.0"},"events":[%s]}`, session, tab, seq, strings.Join(events, ","))
	zw.Close()
	r := do(t, http.DefaultClient, "POST", s.srv.URL+"/api/v1/ingest?v=1&key="+s.key, &buf)
	if r.Status != 200 {
		t.Fatalf("ingest = %d %s", r.Status, r.Body)
	}
}

func ev(typ int, ts int64, data string) string {
	return fmt.Sprintf(`{"type":%d,"timestamp":%d,"data":%s}`, typ, ts, data)
}

func TestLoginFlow(t *testing.T) {
	s := newStack(t)
	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar}
	if r := do(t, c, "GET", s.srv.URL+"/api/v1/sessions", nil); r.Status != 401 || r.code() != "unauthenticated" {
		t.Fatalf("anonymous list = %d %s", r.Status, r.Body)
	}
	cases := []struct {
		name, body string
		status     int
		code       string
	}{
		{"wrong password", `{"email":"admin@reel.local","password":"nope"}`, 401, "invalid_credentials"},
		{"unknown user", `{"email":"who@reel.local","password":"hunter2-hunter2"}`, 401, "invalid_credentials"},
		{"malformed body", `{"email":`, 400, "bad_request"},
		{"huge body", `{"email":"` + strings.Repeat("a", 10000) + `"}`, 400, "bad_request"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := do(t, c, "POST", s.srv.URL+"/api/v1/auth/login", strings.NewReader(tc.body))
			if r.Status != tc.status || r.code() != tc.code {
				t.Fatalf("login = %d %s", r.Status, r.Body)
			}
		})
	}
	// A page on another site cannot log the browser in (login CSRF).
	if r := do(t, c, "POST", s.srv.URL+"/api/v1/auth/login", strings.NewReader(`{"email":"admin@reel.local","password":"hunter2-hunter2"}`), "Sec-Fetch-Site", "cross-site"); r.Status != 403 {
		t.Fatalf("cross-site login = %d %s", r.Status, r.Body)
	}
	r := do(t, c, "POST", s.srv.URL+"/api/v1/auth/login", strings.NewReader(`{"email":"ADMIN@reel.local","password":"hunter2-hunter2"}`))
	if r.Status != 200 || !strings.Contains(string(r.Body), `"role":"owner"`) {
		t.Fatalf("login = %d %s", r.Status, r.Body)
	}
	cookie := r.Header.Get("Set-Cookie")
	for _, attr := range []string{"reel_session=", "HttpOnly", "SameSite=Lax", "Path=/"} {
		if !strings.Contains(cookie, attr) {
			t.Fatalf("cookie %q lacks %s", cookie, attr)
		}
	}
	if r := do(t, c, "GET", s.srv.URL+"/api/v1/auth/me", nil); r.Status != 200 || !strings.Contains(string(r.Body), "admin@reel.local") {
		t.Fatalf("me = %d %s", r.Status, r.Body)
	}
	if r := do(t, c, "GET", s.srv.URL+"/api/v1/projects", nil); r.Status != 200 || !strings.Contains(string(r.Body), s.key) {
		t.Fatalf("projects = %d %s", r.Status, r.Body)
	}
	// Logout from another site is refused; from the dashboard it ends the login.
	if r := do(t, c, "POST", s.srv.URL+"/api/v1/auth/logout", nil, "Origin", "https://evil.example"); r.Status != 403 {
		t.Fatalf("cross-site logout = %d", r.Status)
	}
	if r := do(t, c, "GET", s.srv.URL+"/api/v1/auth/me", nil); r.Status != 200 {
		t.Fatalf("cross-site logout ended the login: me = %d", r.Status)
	}
	if r := do(t, c, "POST", s.srv.URL+"/api/v1/auth/logout", nil); r.Status != 204 {
		t.Fatalf("logout = %d %s", r.Status, r.Body)
	}
	if r := do(t, c, "GET", s.srv.URL+"/api/v1/auth/me", nil); r.Status != 401 {
		t.Fatalf("me after logout = %d", r.Status)
	}
}

func TestAdminToken(t *testing.T) {
	s := newStack(t)
	c := http.DefaultClient
	if r := do(t, c, "GET", s.srv.URL+"/api/v1/sessions", nil, "Authorization", "Bearer "+adminToken); r.Status != 200 {
		t.Fatalf("admin token = %d %s", r.Status, r.Body)
	}
	for _, h := range []string{"Bearer wrong", "Bearer ", "Basic " + adminToken, adminToken} {
		if r := do(t, c, "GET", s.srv.URL+"/api/v1/sessions", nil, "Authorization", h); r.Status != 401 {
			t.Fatalf("Authorization %q = %d", h, r.Status)
		}
	}
}

func TestSessionsAndEventsRoundTrip(t *testing.T) {
	s := newStack(t)
	auth := []string{"Authorization", "Bearer " + adminToken}
	const t0 = 1764237600000
	tab1 := []string{
		ev(4, t0, `{"href":"http://shop.example/","width":1280,"height":720}`),
		ev(2, t0+5, `{"node":{"type":0,"childNodes":[],"id":1},"initialOffset":{"left":0,"top":0}}`),
		ev(3, t0+1000, `{"source":2,"type":2,"id":3,"x":1,"y":2}`),
	}
	tab1b := []string{ev(3, t0+3000, `{"source":3,"id":1,"x":0,"y":400}`), ev(3, t0+4000, `{"source":2,"type":2,"id":3,"x":1,"y":2}`)}
	tab2 := []string{ev(4, t0+2000, `{"href":"http://shop.example/cart","width":800,"height":600}`)}
	s.ingest(t, "s_roundtrip1", "t_tabone01", 1, tab1b...) // arrives before its predecessor
	s.ingest(t, "s_roundtrip1", "t_tabone01", 0, tab1...)
	for i := range 3 {
		s.ingest(t, fmt.Sprintf("s_other000%d", i), "t_tabone01", 0, ev(4, t0+int64(i+1)*60000, `{"href":"http://shop.example/x","width":1,"height":1}`))
	}

	// One tab: exactly the recorded events, in order.
	r := do(t, http.DefaultClient, "GET", s.srv.URL+"/api/v1/sessions/s_roundtrip1/events", nil, auth...)
	want := "[" + strings.Join(append(append([]string{}, tab1...), tab1b...), ",") + "]"
	if r.Status != 200 || string(r.Body) != want {
		t.Fatalf("events = %d\n%s\nwant\n%s", r.Status, r.Body, want)
	}
	// A second tab is merged by time.
	s.ingest(t, "s_roundtrip1", "t_tabtwo02", 0, tab2...)
	r = do(t, http.DefaultClient, "GET", s.srv.URL+"/api/v1/sessions/s_roundtrip1/events", nil, auth...)
	want = "[" + strings.Join([]string{tab1[0], tab1[1], tab1[2], tab2[0], tab1b[0], tab1b[1]}, ",") + "]"
	if string(r.Body) != want {
		t.Fatalf("merged events =\n%s\nwant\n%s", r.Body, want)
	}
	r = do(t, http.DefaultClient, "GET", s.srv.URL+"/api/v1/sessions/s_roundtrip1/events?tab=t_tabtwo02", nil, auth...)
	if string(r.Body) != "["+tab2[0]+"]" {
		t.Fatalf("one tab's events = %s", r.Body)
	}

	r = do(t, http.DefaultClient, "GET", s.srv.URL+"/api/v1/sessions/s_roundtrip1", nil, auth...)
	var got struct {
		DurationMS int64    `json:"durationMs"`
		Pages      int      `json:"pages"`
		Clicks     int      `json:"clicks"`
		Tabs       int      `json:"tabs"`
		Browser    string   `json:"browser"`
		OS         string   `json:"os"`
		URLs       []string `json:"urls"`
		Viewport   struct{ Width, Height int }
	}
	json.Unmarshal(r.Body, &got)
	if got.DurationMS != 4000 || got.Pages != 2 || got.Clicks != 2 || got.Tabs != 2 || got.Browser != "Chrome 156" || got.OS != "Linux" ||
		strings.Join(got.URLs, " ") != "http://shop.example/ http://shop.example/cart" {
		t.Fatalf("session = %s", r.Body)
	}

	// Newest first, paginated by cursor.
	var ids []string
	url := s.srv.URL + "/api/v1/sessions?limit=2"
	for url != "" {
		r = do(t, http.DefaultClient, "GET", url, nil, auth...)
		var page struct {
			Sessions []struct{ ID string }
			Next     string `json:"nextCursor"`
		}
		if err := json.Unmarshal(r.Body, &page); err != nil || r.Status != 200 {
			t.Fatalf("list = %d %s", r.Status, r.Body)
		}
		for _, x := range page.Sessions {
			ids = append(ids, x.ID)
		}
		url = ""
		if page.Next != "" {
			url = s.srv.URL + "/api/v1/sessions?limit=2&cursor=" + page.Next
		}
	}
	if strings.Join(ids, " ") != "s_other0002 s_other0001 s_other0000 s_roundtrip1" {
		t.Fatalf("list order = %v", ids)
	}
}

func TestAPIErrors(t *testing.T) {
	s := newStack(t)
	auth := []string{"Authorization", "Bearer " + adminToken}
	cases := []struct {
		name, path string
		status     int
		code       string
	}{
		{"missing session", "/api/v1/sessions/s_nope", 404, "not_found"},
		{"missing session events", "/api/v1/sessions/s_nope/events", 404, "not_found"},
		{"limit zero", "/api/v1/sessions?limit=0", 400, "bad_request"},
		{"limit huge", "/api/v1/sessions?limit=100000", 400, "bad_request"},
		{"limit not a number", "/api/v1/sessions?limit=ten", 400, "bad_request"},
		{"forged cursor", "/api/v1/sessions?cursor=Zm9vYmFy", 400, "bad_request"},
		{"cursor not base64", "/api/v1/sessions?cursor=%00%01", 400, "bad_request"},
		{"unknown endpoint", "/api/v1/nope", 404, "not_found"},
		{"sql in id", "/api/v1/sessions/'%20OR%201=1--", 404, "not_found"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := do(t, http.DefaultClient, "GET", s.srv.URL+tc.path, nil, auth...)
			if r.Status != tc.status || r.code() != tc.code || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
				t.Fatalf("got %d %s", r.Status, r.Body)
			}
		})
	}
}

func TestStaticSurfaces(t *testing.T) {
	s := newStack(t)
	c := http.DefaultClient
	for _, path := range []string{"/", "/login", "/sessions/s_abc"} {
		r := do(t, c, "GET", s.srv.URL+path, nil)
		csp := r.Header.Get("Content-Security-Policy")
		if r.Status != 200 || !strings.Contains(string(r.Body), "<html") || !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-eval") {
			t.Fatalf("%s = %d, CSP %q", path, r.Status, csp)
		}
	}
	if r := do(t, c, "GET", s.srv.URL+"/assets/nope.js", nil); r.Status != 404 {
		t.Fatalf("missing asset = %d", r.Status)
	}
	r := do(t, c, "GET", s.srv.URL+"/sdk/reel.js", nil)
	if r.Status != 200 || !strings.Contains(r.Header.Get("Content-Type"), "javascript") || r.Header.Get("Access-Control-Allow-Origin") != "*" || len(r.Body) < 10000 {
		t.Fatalf("sdk = %d %q %d bytes", r.Status, r.Header.Get("Content-Type"), len(r.Body))
	}
	r = do(t, c, "GET", s.srv.URL+"/demo/config.js", nil)
	if r.Status != 200 || !strings.Contains(string(r.Body), s.key) {
		t.Fatalf("demo config = %d %s", r.Status, r.Body)
	}
	if r := do(t, c, "GET", s.srv.URL+"/healthz", nil); r.Status != 200 {
		t.Fatalf("healthz = %d", r.Status)
	}
}

func TestEraseUserEndpoint(t *testing.T) {
	s := newStack(t)
	const t0 = 1764237600000
	identify := func(user string) string {
		return ev(5, t0+1, fmt.Sprintf(`{"tag":"reel.identify","payload":{"userId":%q}}`, user))
	}
	s.ingest(t, "s_eraseme01", "t_tabone01", 0, ev(4, t0, `{"href":"http://x/","width":1,"height":1}`), identify("u-42"))
	s.ingest(t, "s_eraseme02", "t_tabone01", 0, ev(4, t0, `{"href":"http://x/","width":1,"height":1}`), identify("u-42"))
	s.ingest(t, "s_keepme001", "t_tabone01", 0, ev(4, t0, `{"href":"http://x/","width":1,"height":1}`), identify("u-7"))
	auth := []string{"Authorization", "Bearer " + adminToken}
	if r := do(t, http.DefaultClient, "DELETE", s.srv.URL+"/api/v1/projects/default/users/u-42", nil); r.Status != 401 {
		t.Fatalf("anonymous erasure = %d", r.Status)
	}
	if r := do(t, http.DefaultClient, "DELETE", s.srv.URL+"/api/v1/projects/nope/users/u-42", nil, auth...); r.Status != 404 {
		t.Fatalf("erasure in unknown project = %d %s", r.Status, r.Body)
	}
	r := do(t, http.DefaultClient, "DELETE", s.srv.URL+"/api/v1/projects/default/users/u-42", nil, auth...)
	if r.Status != 200 || !strings.Contains(string(r.Body), `"sessions":2`) {
		t.Fatalf("erasure = %d %s", r.Status, r.Body)
	}
	for id, want := range map[string]int{"s_eraseme01": 404, "s_eraseme02": 404, "s_keepme001": 200} {
		if r := do(t, http.DefaultClient, "GET", s.srv.URL+"/api/v1/sessions/"+id+"/events", nil, auth...); r.Status != want {
			t.Fatalf("%s after erasure = %d, want %d", id, r.Status, want)
		}
	}
	var got struct{ UserID string }
	r = do(t, http.DefaultClient, "GET", s.srv.URL+"/api/v1/sessions/s_keepme001", nil, auth...)
	json.Unmarshal(r.Body, &got)
	if got.UserID != "u-7" {
		t.Fatalf("session user = %q", got.UserID)
	}
}
