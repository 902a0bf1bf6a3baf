package server

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/reelhq/reel/internal/store"
)

// postTab sends one batch of a tab through the real ingest endpoint with a user agent.
func (s *stack) postTab(t *testing.T, session, tab, ua string, seq int, events ...string) {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	fmt.Fprintf(zw, `{"session":%q,"tab":%q,"seq":%d,"meta":{"userAgent":%q},"events":[%s]}`, session, tab, seq, ua, strings.Join(events, ","))
	zw.Close()
	if r := do(t, http.DefaultClient, "POST", s.srv.URL+"/api/v1/ingest?v=1&key="+s.key, &buf); r.Status != 200 {
		t.Fatalf("ingest = %d %s", r.Status, r.Body)
	}
}

func vital(ts int64, name string, value float64) string {
	return reel(ts, "reel.vitals", fmt.Sprintf(`{"name":%q,"value":%g}`, name, value))
}

// TestVitalsThroughTheAPI: vitals the SDK reports reach the player's per-page list rated by
// Google's thresholds, the Performance report's percentiles per page and day, the slowest
// sessions behind a day of a page, and search, on both backends over loopback.
func TestVitalsThroughTheAPI(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			testVitalsThroughTheAPI(t, newStackFrom(t, stackConfig{postgres: backend == "postgres"}))
		})
	}
}

func testVitalsThroughTheAPI(t *testing.T, s *stack) {
	auth := []string{"Authorization", "Bearer " + adminToken}
	// Page views an hour ago, all on one UTC day unless it is just past midnight.
	t0 := time.Now().Add(-time.Hour).UnixMilli()
	if d := time.Now().UTC(); d.Hour() == 0 && d.Minute() < 10 {
		t0 = time.Now().Add(-15 * time.Minute).UnixMilli()
	}
	checkout := "https://shop.example/checkout?step=2"
	// s_vslow: TTFB reported just before the recording's first page view, FCP after it, LCP,
	// CLS and INP when the page was hidden, in a later batch; then an SPA route.
	s.post(t, "s_vslow0001", uaChrome, "", 0, vital(t0-2, "TTFB", 1900), page(t0, checkout), vital(t0+400, "FCP", 2100),
		reel(t0+500, "reel.identify", `{"userId":"alice"}`))
	s.post(t, "s_vslow0001", uaChrome, "", 1, vital(t0+9000, "LCP", 5200), vital(t0+9000, "CLS", 0.31), vital(t0+9000, "INP", 350))
	s.post(t, "s_vmid00001", uaChrome, "", 0, page(t0+1000, checkout), vital(t0+4000, "LCP", 3000))
	s.post(t, "s_vfast0001", uaFirefox, "", 0, page(t0+2000, "https://shop.example/checkout"), vital(t0+3000, "LCP", 1200), vital(t0+3000, "CLS", 0))
	s.post(t, "s_vhome0001", uaFirefox, "", 0, page(t0+3000, "https://shop.example/"), vital(t0+4000, "LCP", 900))
	// Hostile and broken reports are stored as events but rated nowhere.
	s.post(t, "s_vjunk0001", uaFirefox, "", 0, page(t0+3000, "https://shop.example/junk"), vital(t0+4000, "LCP", -5),
		vital(t0+4000, "FID", 30), reel(t0+4000, "reel.vitals", `{"name":"LCP","value":"9e9"}`), reel(t0+4000, "reel.vitals", `"LCP"`))

	get := func(path string, out any) resp {
		t.Helper()
		r := do(t, http.DefaultClient, "GET", s.srv.URL+path, nil, auth...)
		if r.Status == 200 && out != nil {
			if err := json.Unmarshal(r.Body, out); err != nil {
				t.Fatalf("GET %s: %s: %v", path, r.Body, err)
			}
		}
		return r
	}

	// The player's list: one page view, every vital rated.
	var sv struct {
		Pages []struct {
			Path, URL string
			Vitals    []struct {
				Metric, Rating string
				Value          float64
			}
		}
	}
	if r := get("/api/v1/sessions/s_vslow0001/vitals", &sv); r.Status != 200 {
		t.Fatalf("session vitals = %d %s", r.Status, r.Body)
	}
	var rated []string
	for _, p := range sv.Pages {
		for _, v := range p.Vitals {
			rated = append(rated, fmt.Sprintf("%s %s=%g %s", p.Path, v.Metric, v.Value, v.Rating))
		}
	}
	if want := []string{"/checkout lcp=5200 poor", "/checkout inp=350 needs-improvement", "/checkout cls=0.31 poor",
		"/checkout fcp=2100 needs-improvement", "/checkout ttfb=1900 poor"}; !slices.Equal(rated, want) {
		t.Errorf("session vitals = %q\nwant %q", rated, want)
	}
	if r := get("/api/v1/sessions/s_vjunk0001/vitals", &sv); r.Status != 200 || len(sv.Pages) != 0 {
		t.Errorf("vitals of a session that sent only broken reports = %d %s, want none", r.Status, r.Body)
	}
	if r := get("/api/v1/sessions/s_nosuch0001/vitals", nil); r.Status != 404 || r.code() != "not_found" {
		t.Errorf("vitals of an unknown session = %d %s", r.Status, r.Body)
	}

	// The Performance report: /checkout measured most, with its percentiles and one day.
	var rep struct {
		Metric     string
		Good, Poor float64
		Pages      []struct {
			Path          string
			Samples       int
			P50, P75, P95 float64
			Rating        string
			Periods       []struct {
				From, To time.Time
				Samples  int
				P75      float64
			}
		}
	}
	if r := get("/api/v1/vitals?metric=LCP&days=7", &rep); r.Status != 200 {
		t.Fatalf("vitals report = %d %s", r.Status, r.Body)
	}
	if rep.Metric != "lcp" || rep.Good != 2500 || rep.Poor != 4000 || len(rep.Pages) != 2 {
		t.Fatalf("report = %+v", rep)
	}
	c := rep.Pages[0]
	if c.Path != "/checkout" || c.Samples != 3 || c.P50 != 3000 || c.P75 != 5200 || c.P95 != 5200 || c.Rating != "poor" || len(c.Periods) != 1 ||
		c.Periods[0].Samples != 3 || c.Periods[0].To.Sub(c.Periods[0].From) != 24*time.Hour {
		t.Errorf("/checkout = %+v", c)
	}
	if h := rep.Pages[1]; h.Path != "/" || h.Samples != 1 || h.P75 != 900 || h.Rating != "good" {
		t.Errorf("/ = %+v", h)
	}
	day := c.Periods[0]

	// One click from a day of a page: its slowest sessions, worst first, linking to the replay.
	var slow struct {
		Sessions []struct {
			SessionID, UserID, Rating, ReplayURL string
			Value                                float64
		}
	}
	q := url.Values{"path": {"/checkout"}, "from": {day.From.Format(time.RFC3339)}, "to": {day.To.Format(time.RFC3339)}}
	if r := get("/api/v1/vitals/slowest?"+q.Encode(), &slow); r.Status != 200 {
		t.Fatalf("slowest = %d %s", r.Status, r.Body)
	}
	var order []string
	for _, x := range slow.Sessions {
		order = append(order, fmt.Sprintf("%s=%g %s", x.SessionID, x.Value, x.Rating))
	}
	if want := []string{"s_vslow0001=5200 poor", "s_vmid00001=3000 needs-improvement", "s_vfast0001=1200 good"}; !slices.Equal(order, want) {
		t.Errorf("slowest = %q, want %q", order, want)
	}
	if len(slow.Sessions) > 0 && (slow.Sessions[0].UserID != "alice" || !strings.HasPrefix(slow.Sessions[0].ReplayURL, "/sessions/s_vslow0001?t=")) {
		t.Errorf("slowest session = %+v", slow.Sessions[0])
	}
	q.Set("metric", "cls")
	q.Set("limit", "1")
	if r := get("/api/v1/vitals/slowest?"+q.Encode(), &slow); r.Status != 200 || len(slow.Sessions) != 1 || slow.Sessions[0].Value != 0.31 {
		t.Errorf("slowest by cls, one = %d %s", r.Status, r.Body)
	}

	// Search by any page view's vital.
	for query, want := range map[string][]string{
		"vitals.lcp:>2500":                   {"s_vmid00001", "s_vslow0001"},
		"vitals.cls:>0.25":                   {"s_vslow0001"},
		"vitals.inp:>=200 vitals.ttfb:>1800": {"s_vslow0001"},
		"vitals.lcp:<1s":                     {"s_vhome0001"},
	} {
		r, l := s.search(t, url.Values{"q": {query}})
		got := ids(l)
		slices.Sort(got)
		if r.Status != 200 || !slices.Equal(got, want) {
			t.Errorf("%s = %d %v, want %v", query, r.Status, got, want)
		}
	}

	// A subject access export of the user carries the vitals of their page views, rated.
	r := get("/api/v1/projects/default/users/alice/export", nil)
	files, _ := readZip(t, r.Body)
	var meta struct {
		WebVitals []struct {
			Path   string
			Vitals []struct {
				Metric, Rating string
				Value          float64
			}
		} `json:"webVitals"`
	}
	if err := json.Unmarshal(files["sessions/001-s_vslow0001/metadata.json"], &meta); err != nil || len(meta.WebVitals) != 1 ||
		meta.WebVitals[0].Path != "/checkout" || len(meta.WebVitals[0].Vitals) != 5 || meta.WebVitals[0].Vitals[0].Value != 5200 {
		t.Errorf("export metadata vitals = %+v (%v)", meta.WebVitals, err)
	}

	// Bad input: a clear 400 naming the problem.
	long := strings.Repeat("/a", 300)
	for path, says := range map[string]string{
		"/api/v1/vitals?metric=fid":                                                                   "metric must be one of",
		"/api/v1/vitals?metric=%27%3B--":                                                              "metric must be one of",
		"/api/v1/vitals?days=0":                                                                       "days must be",
		"/api/v1/vitals?days=99999999999999999999":                                                    "days must be",
		"/api/v1/vitals?path=" + long:                                                                 "path must be at most",
		"/api/v1/vitals?project=" + strings.Repeat("p", 100):                                          "project must be",
		"/api/v1/vitals/slowest?from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z":                    "path is required",
		"/api/v1/vitals/slowest?path=/&from=yesterday&to=2026-01-02T00:00:00Z":                        "from must be an RFC 3339 time",
		"/api/v1/vitals/slowest?path=/&from=2026-01-01T00:00:00Z":                                     "to must be an RFC 3339 time",
		"/api/v1/vitals/slowest?path=/&from=2026-01-02T00:00:00Z&to=2026-01-01T00:00:00Z":             "to must be after from",
		"/api/v1/vitals/slowest?path=/&from=2020-01-01T00:00:00Z&to=2026-01-01T00:00:00Z":             "at most 366 days",
		"/api/v1/vitals/slowest?path=/&from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z&limit=0":     "limit must be",
		"/api/v1/vitals/slowest?path=/&from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z&limit=101":   "limit must be",
		"/api/v1/vitals/slowest?path=/&from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z&limit=x":     "limit must be",
		"/api/v1/vitals/slowest?metric=INP2&path=/&from=2026-01-01T00:00:00Z&to=2026-01-02T00:00:00Z": "metric must be",
	} {
		if r := get(path, nil); r.Status != 400 || r.code() != "bad_request" || !strings.Contains(string(r.Body), says) {
			t.Errorf("GET %s = %d %s, want 400 saying %q", path, r.Status, r.Body, says)
		}
	}
	for _, query := range []string{"vitals.lcp:slow", "vitals.fid:>1", "vitals.cls:>0.12345"} {
		if r, _ := s.search(t, url.Values{"q": {query}}); r.Status != 400 || r.code() != "bad_query" {
			t.Errorf("search %s = %d %s, want 400 bad_query", query, r.Status, r.Body)
		}
	}
	if r := do(t, http.DefaultClient, "GET", s.srv.URL+"/api/v1/vitals", nil); r.Status != 401 {
		t.Errorf("anonymous report = %d", r.Status)
	}
	if r := get("/api/v1/vitals?project=nosuch", &rep); r.Status != 200 || len(rep.Pages) != 0 {
		t.Errorf("report of an unknown project = %d %s, want no pages", r.Status, r.Body)
	}

	// Erasing alice takes her page view's vitals out of the report, the slowest list and search.
	if r := do(t, http.DefaultClient, "DELETE", s.srv.URL+"/api/v1/projects/default/users/alice", nil, auth...); r.Status != 200 {
		t.Fatalf("erase = %d %s", r.Status, r.Body)
	}
	q.Set("metric", "lcp")
	q.Del("limit")
	if r := get("/api/v1/vitals/slowest?"+q.Encode(), &slow); r.Status != 200 || len(slow.Sessions) != 2 || strings.Contains(string(r.Body), "s_vslow0001") {
		t.Errorf("slowest after erasure = %d %s", r.Status, r.Body)
	}
	if r := get("/api/v1/vitals?metric=lcp&days=7", &rep); r.Status != 200 || len(rep.Pages) == 0 || rep.Pages[0].Samples != 2 || rep.Pages[0].P95 != 3000 {
		t.Errorf("report after erasure = %d %s", r.Status, r.Body)
	}
	if _, l := s.search(t, url.Values{"q": {"vitals.cls:>0.25"}}); len(ids(l)) != 0 {
		t.Errorf("vitals.cls:>0.25 after erasure = %v", ids(l))
	}
}

type profileJSON struct {
	UserID              string `json:"userId"`
	FirstSeen, LastSeen time.Time
	Traits              map[string]string
	Devices             []struct {
		Browser, OS, Device string
		Sessions            int
	}
	Sessions []struct {
		SessionID string
		Browser   string
		Tabs      []struct {
			Tab   string
			Pages []struct{ Path string }
		}
	}
	Issues []struct {
		Fingerprint, Kind string
		Count, Sessions   int
		Latest            struct{ SessionID, URL string }
	}
	Truncated bool
}

// TestUserProfile: a recorded user's page gathers every session identified as them across
// devices and tabs (newest first), their latest traits, devices, first and last seen and the
// issues in their sessions, and nothing of anyone else; bad input gets a clear 400; after
// erasure the page is not found. On both backends, over loopback.
func TestUserProfile(t *testing.T) {
	for _, backend := range []string{"sqlite", "postgres"} {
		t.Run(backend, func(t *testing.T) {
			testUserProfile(t, newStackFrom(t, stackConfig{postgres: backend == "postgres"}))
		})
	}
}

func testUserProfile(t *testing.T, s *stack) {
	auth := []string{"Authorization", "Bearer " + adminToken}
	t0 := time.Date(2026, 11, 20, 9, 0, 0, 0, time.UTC).UnixMilli()
	identify := func(ts int64, user, plan string) string {
		return reel(ts, "reel.identify", fmt.Sprintf(`{"userId":%q,"traits":{"plan":%q}}`, user, plan))
	}
	// On a laptop, two tabs; a day later on a phone, after upgrading.
	s.postTab(t, "s_alice_lap", "tab_one0001", uaChrome, 0, page(t0, "https://shop.example/"), identify(t0+10, "alice@x.test", "free"))
	s.postTab(t, "s_alice_lap", "tab_two0001", uaChrome, 0, page(t0+60_000, "https://shop.example/help"), page(t0+90_000, "https://shop.example/help/faq"))
	s.postTab(t, "s_alice_ph1", "tab_ph00001", uaIPhone, 0, page(t0+86_400_000, "https://shop.example/cart"), identify(t0+86_400_010, "alice@x.test", "pro"))
	s.postTab(t, "s_bob_00001", "tab_bob0001", uaFirefox, 0, page(t0, "https://shop.example/secret-bob"), identify(t0+10, "bob@x.test", "free"))
	fp := "rage_click|/cart|button \"Pay\""
	if err := s.idx.SaveAnalysis(context.Background(), store.Analysis{SessionID: "s_alice_ph1", At: time.Now(), Counts: map[string]int{"rage_click": 2},
		Signals: []store.StoredSignal{
			{Kind: "rage_click", At: time.UnixMilli(t0 + 86_400_500), Path: "/cart", Target: `button "Pay"`, Fingerprint: fp},
			{Kind: "rage_click", At: time.UnixMilli(t0 + 86_401_500), Path: "/cart", Target: `button "Pay"`, Fingerprint: fp},
		}}); err != nil {
		t.Fatal(err)
	}
	get := func(project, user string) (resp, profileJSON) {
		t.Helper()
		var p profileJSON
		r := do(t, http.DefaultClient, "GET", s.srv.URL+"/api/v1/projects/"+project+"/users/"+url.PathEscape(user), nil, auth...)
		if r.Status == 200 {
			if err := json.Unmarshal(r.Body, &p); err != nil {
				t.Fatal(err)
			}
		}
		return r, p
	}
	r, p := get("default", "alice@x.test")
	if r.Status != 200 {
		t.Fatalf("profile = %d %s", r.Status, r.Body)
	}
	if p.UserID != "alice@x.test" || p.Traits["plan"] != "pro" || !p.FirstSeen.Equal(time.UnixMilli(t0)) || !p.LastSeen.Equal(time.UnixMilli(t0+86_400_010)) || p.Truncated {
		t.Errorf("profile = %+v", p)
	}
	var sessions []string
	for _, x := range p.Sessions {
		var tabs []string
		for _, tab := range x.Tabs {
			var paths []string
			for _, pg := range tab.Pages {
				paths = append(paths, pg.Path)
			}
			tabs = append(tabs, tab.Tab+":"+strings.Join(paths, ","))
		}
		sessions = append(sessions, x.SessionID+" "+x.Browser+" "+strings.Join(tabs, " "))
	}
	if want := []string{"s_alice_ph1 safari tab_ph00001:/cart", "s_alice_lap chrome tab_one0001:/ tab_two0001:/help,/help/faq"}; !slices.Equal(sessions, want) {
		t.Errorf("sessions = %q\nwant %q", sessions, want)
	}
	if len(p.Devices) != 2 || p.Devices[0].Sessions != 1 || !slices.ContainsFunc(p.Devices, func(d struct {
		Browser, OS, Device string
		Sessions            int
	}) bool {
		return d.Device == "mobile"
	}) {
		t.Errorf("devices = %+v, want a desktop and a phone", p.Devices)
	}
	if len(p.Issues) != 1 || p.Issues[0].Fingerprint != fp || p.Issues[0].Count != 2 || p.Issues[0].Sessions != 1 ||
		p.Issues[0].Latest.SessionID != "s_alice_ph1" || p.Issues[0].Latest.URL != "/sessions/s_alice_ph1?t=500" {
		t.Errorf("issues = %+v", p.Issues)
	}
	if strings.Contains(string(r.Body), "bob") {
		t.Errorf("alice's page holds bob's data: %s", r.Body)
	}

	for name, tc := range map[string]struct {
		project, user string
		status        int
		says          string
	}{
		"unknown user":      {"default", "carol@x.test", 404, "no recorded session"},
		"unknown project":   {"nope", "alice@x.test", 404, "project not found"},
		"user id too long":  {"default", strings.Repeat("u", 10<<10), 400, "user id must be"},
		"blank user id":     {"default", " ", 400, "user id must be"},
		"path in a user id": {"default", "../../etc/passwd", 404, "no recorded session"},
		"quote and NUL":     {"default", "a'\x00\"--", 404, "no recorded session"},
	} {
		if r, _ := get(tc.project, tc.user); r.Status != tc.status || !strings.Contains(string(r.Body), tc.says) {
			t.Errorf("%s = %d %s, want %d saying %q", name, r.Status, r.Body, tc.status, tc.says)
		}
	}
	if r := do(t, http.DefaultClient, "GET", s.srv.URL+"/api/v1/projects/default/users/alice@x.test", nil); r.Status != 401 {
		t.Errorf("anonymous profile = %d", r.Status)
	}

	// Erased, the user's page shows nothing; bob's is untouched.
	if r := do(t, http.DefaultClient, "DELETE", s.srv.URL+"/api/v1/projects/default/users/alice@x.test", nil, auth...); r.Status != 200 {
		t.Fatalf("erase = %d %s", r.Status, r.Body)
	}
	if r, _ := get("default", "alice@x.test"); r.Status != 404 || strings.Contains(string(r.Body), "s_alice") || strings.Contains(string(r.Body), `"plan"`) {
		t.Errorf("profile after erasure = %d %s, want 404 and nothing of her", r.Status, r.Body)
	}
	if r, p := get("default", "bob@x.test"); r.Status != 200 || len(p.Sessions) != 1 {
		t.Errorf("bob after alice's erasure = %d %s", r.Status, r.Body)
	}
}
