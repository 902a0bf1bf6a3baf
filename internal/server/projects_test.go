package server

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

func (s *stack) patchProject(t *testing.T, project, body string) resp {
	t.Helper()
	return do(t, http.DefaultClient, "PATCH", s.srv.URL+"/api/v1/projects/"+project, strings.NewReader(body),
		"Authorization", "Bearer "+adminToken, "Content-Type", "application/json")
}

// ingestFrom posts one small batch as a browser on origin would.
func (s *stack) ingestFrom(t *testing.T, origin, session string) resp {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	fmt.Fprintf(zw, `{"session":%q,"tab":"t_tabone01","seq":0,"meta":{},"events":[%s]}`, session, ev(4, 1764237600000, `{"href":"http://x/","width":1,"height":1}`))
	zw.Close()
	return do(t, http.DefaultClient, "POST", s.srv.URL+"/api/v1/ingest?v=1&key="+s.key, &buf, "Origin", origin)
}

func TestProjectSettingsTakeEffect(t *testing.T) {
	s := newStack(t)

	// Remote SDK configuration reaches the SDK.
	if r := s.patchProject(t, "default", `{"sdkConfig": {"sampleRate": 0.5, "maskAllText": true, "network": {"allowUrls": ["/api/"]}}}`); r.Status != 200 {
		t.Fatalf("set sdkConfig = %d %s", r.Status, r.Body)
	}
	r := do(t, http.DefaultClient, "GET", s.srv.URL+"/api/v1/sdk-config?v=1&key="+s.key, nil)
	var cfg map[string]any
	if err := json.Unmarshal(r.Body, &cfg); err != nil || cfg["sampleRate"] != 0.5 || cfg["maskAllText"] != true {
		t.Fatalf("sdk-config = %d %s", r.Status, r.Body)
	}

	// Allowed origins gate ingest.
	if r := s.patchProject(t, "default", `{"allowedOrigins": ["https://Shop.example/", "https://shop.example"]}`); r.Status != 200 ||
		!strings.Contains(string(r.Body), `"allowedOrigins":["https://shop.example"]`) {
		t.Fatalf("set origins = %d %s", r.Status, r.Body)
	}
	if r := s.ingestFrom(t, "https://evil.example", "s_origin0001"); r.Status != 403 {
		t.Fatalf("ingest from a foreign origin = %d %s", r.Status, r.Body)
	}
	if r := s.ingestFrom(t, "https://shop.example", "s_origin0002"); r.Status != 200 {
		t.Fatalf("ingest from the allowed origin = %d %s", r.Status, r.Body)
	}
	if r := s.patchProject(t, "default", `{"allowedOrigins": []}`); r.Status != 200 {
		t.Fatalf("clear origins = %d %s", r.Status, r.Body)
	}

	// Friction thresholds change what a session's analysis finds: three quick clicks on a
	// button are a rage click by default and not when the project asks for four.
	const t0 = 1764237600000
	snapshot := ev(2, t0+1, `{"node":{"type":0,"id":1,"childNodes":[{"type":2,"id":2,"tagName":"html","attributes":{},"childNodes":[`+
		`{"type":2,"id":4,"tagName":"body","attributes":{},"childNodes":[{"type":2,"id":3,"tagName":"button","attributes":{"class":"coupon"},"childNodes":[{"type":3,"id":5,"textContent":"Apply coupon"}]}]}]}]},"initialOffset":{"left":0,"top":0}}`)
	clicks := []string{ev(4, t0, `{"href":"http://shop/cart","width":800,"height":600}`), snapshot}
	for i := range 3 {
		clicks = append(clicks, ev(3, t0+1000+int64(i)*150, `{"source":2,"type":2,"id":3,"x":100,"y":200}`))
	}
	s.ingest(t, "s_rageclick1", "t_tabone01", 0, clicks...)
	rage := func() int {
		r := do(t, http.DefaultClient, "GET", s.srv.URL+"/api/v1/sessions/s_rageclick1/signals", nil, "Authorization", "Bearer "+adminToken)
		var rep struct{ Counts map[string]int }
		if err := json.Unmarshal(r.Body, &rep); err != nil || r.Status != 200 {
			t.Fatalf("signals = %d %s", r.Status, r.Body)
		}
		return rep.Counts["rage_click"]
	}
	if n := rage(); n != 1 {
		t.Fatalf("rage clicks with the defaults = %d, want 1", n)
	}
	if r := s.patchProject(t, "default", `{"friction": {"rageClicks": 4}, "retentionDays": 30, "name": "Shop"}`); r.Status != 200 {
		t.Fatalf("set friction = %d %s", r.Status, r.Body)
	}
	if n := rage(); n != 0 {
		t.Fatalf("rage clicks when the project wants 4 = %d, want 0", n)
	}
	// ?pass=whole analyses every stored event now, with the project's thresholds; any other
	// pass is refused with a clear error.
	r = do(t, http.DefaultClient, "GET", s.srv.URL+"/api/v1/sessions/s_rageclick1/signals?pass=whole", nil, "Authorization", "Bearer "+adminToken)
	if r.Status != 200 || !strings.Contains(string(r.Body), `"signals"`) || strings.Contains(string(r.Body), `"rage_click"`) {
		t.Fatalf("signals?pass=whole = %d %s", r.Status, r.Body)
	}
	for _, bad := range []string{"live", "WHOLE", strings.Repeat("x", 5000), "%00"} {
		r = do(t, http.DefaultClient, "GET", s.srv.URL+"/api/v1/sessions/s_rageclick1/signals?pass="+bad, nil, "Authorization", "Bearer "+adminToken)
		if r.Status != 400 || !strings.Contains(string(r.Body), "bad_request") {
			t.Fatalf("signals?pass=%.20s = %d %s", bad, r.Status, r.Body)
		}
	}

	// The project list shows overrides, what is in effect and the defaults.
	r = do(t, http.DefaultClient, "GET", s.srv.URL+"/api/v1/projects", nil, "Authorization", "Bearer "+adminToken)
	var list struct {
		Projects []struct {
			Name          string
			RetentionDays int
			Friction      map[string]int
			Thresholds    struct{ RageClicks, DeadWaitMs int }
			Defaults      struct{ RageClicks int }
		}
	}
	if err := json.Unmarshal(r.Body, &list); err != nil || len(list.Projects) != 1 {
		t.Fatalf("projects = %s", r.Body)
	}
	p := list.Projects[0]
	if p.Name != "Shop" || p.RetentionDays != 30 || p.Friction["rageClicks"] != 4 || p.Thresholds.RageClicks != 4 ||
		p.Thresholds.DeadWaitMs != 3000 || p.Defaults.RageClicks != 3 {
		t.Fatalf("project = %+v", p)
	}
}

func TestProjectSettingsRefuseBadInput(t *testing.T) {
	s := newStack(t)
	before := do(t, http.DefaultClient, "GET", s.srv.URL+"/api/v1/projects", nil, "Authorization", "Bearer "+adminToken).Body

	for _, tc := range []struct{ body, want string }{
		{`not json`, "JSON object"},
		{`[1]`, "JSON object"},
		{`{"nmae": "x"}`, "unknown field"},
		{`{"name": ""}`, "name must be"},
		{`{"name": "` + strings.Repeat("n", 201) + `"}`, "name must be"},
		{`{"retentionDays": -1}`, "retentionDays"},
		{`{"retentionDays": 99999}`, "retentionDays"},
		{`{"retentionDays": "7"}`, "JSON object"},
		{`{"allowedOrigins": ["javascript:alert(1)"]}`, "allowed origin"},
		{`{"allowedOrigins": ["https://shop.example/path"]}`, "allowed origin"},
		{`{"allowedOrigins": ["https://user:pw@shop.example"]}`, "allowed origin"},
		{`{"allowedOrigins": [` + strings.Repeat(`"https://a.example",`, 100) + `"https://b.example"]}`, "at most 100"},
		{`{"sdkConfig": []}`, "sdkConfig must be a JSON object"},
		{`{"sdkConfig": {"endpoint": "https://evil.example"}}`, "not an option"},
		{`{"sdkConfig": {"sampleRate": 2}}`, "sampleRate"},
		{`{"sdkConfig": {"maskAllText": "yes"}}`, "maskAllText must be a boolean"},
		{`{"sdkConfig": {"network": 3}}`, "network must be a boolean or object"},
		{`{"sdkConfig": {"maskSelector": "` + strings.Repeat("a", 3000) + `"}}`, "at most 2048"},
		{`{"friction": {"rageClick": 4}}`, "unknown field"},
		{`{"friction": {"rageClicks": 1}}`, "between 2 and 20"},
		{`{"friction": 4}`, "JSON object of thresholds"},
		{`{"friction": {"deadWaitMs": 1e300}}`, "friction thresholds"},
		{`{"scrub": []}`, "scrub must be a JSON object"},
		{`{"scrub": {"patterns": ["ok", "a(b"]}}`, `pattern 2 \"a(b\": is not a valid regular expression`},
		{`{"scrub": {"patterns": ["[a-z]{1,900}[0-9]{1,900}"]}}`, "is too costly"},
		{`{"scrub": {"patterns": ["` + strings.Repeat("a", 300) + `"]}}`, "longer than 256 bytes"},
		{`{"scrub": {"off": ["ssn"]}}`, "is not a kind"},
		{`{"scrub": {"disabled": "yes"}}`, "scrub must be a JSON object"},
		// The valid name must not be stored when a later field is bad.
		{`{"name": "Renamed", "retentionDays": -5}`, "retentionDays"},
		{`{"name": "` + strings.Repeat("x", 70<<10) + `"}`, "64 KiB"},
	} {
		r := s.patchProject(t, "default", tc.body)
		if r.Status != 400 || !strings.Contains(string(r.Body), tc.want) {
			short := tc.body
			if len(short) > 80 {
				short = short[:80] + "…"
			}
			t.Errorf("PATCH %s = %d %s, want 400 with %q", short, r.Status, r.Body, tc.want)
		}
	}
	if r := s.patchProject(t, "nope", `{"name": "x"}`); r.Status != 404 {
		t.Fatalf("unknown project = %d %s", r.Status, r.Body)
	}
	if r := do(t, http.DefaultClient, "PATCH", s.srv.URL+"/api/v1/projects/default", strings.NewReader(`{"name":"x"}`)); r.Status != 401 {
		t.Fatalf("anonymous change = %d", r.Status)
	}
	after := do(t, http.DefaultClient, "GET", s.srv.URL+"/api/v1/projects", nil, "Authorization", "Bearer "+adminToken).Body
	if !bytes.Equal(before, after) {
		t.Fatalf("refused changes changed the project:\nbefore %s\nafter  %s", before, after)
	}
}

// TestScrubberSettingsTakeEffect: the scrubber's settings set through the API apply to the next
// batch, and the session API reports what was scrubbed while the events API serves the masks.
func TestScrubberSettingsTakeEffect(t *testing.T) {
	s := newStack(t)
	if r := s.patchProject(t, "default", `{"scrub": {"patterns": ["ORD-[0-9]{6}"], "off": ["phone"]}}`); r.Status != 200 ||
		!strings.Contains(string(r.Body), `"scrub":{"patterns":["ORD-[0-9]{6}"],"off":["phone"]}`) {
		t.Fatalf("set scrub = %d %s", r.Status, r.Body)
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	fmt.Fprintf(zw, `{"session":"s_scrubbed001","tab":"t_tabone01","seq":0,"meta":{},"events":[%s,%s]}`,
		ev(4, 1764237600000, `{"href":"http://x/?mail=jane@example.com","width":1,"height":1}`),
		ev(5, 1764237600001, `{"tag":"reel.console","payload":{"level":"log","args":["ORD-123456 for 4111 1111 1111 1111, call 555-123-4567"]}}`))
	zw.Close()
	if r := do(t, http.DefaultClient, "POST", s.srv.URL+"/api/v1/ingest?v=1&key="+s.key, &buf); r.Status != 200 {
		t.Fatalf("ingest = %d %s", r.Status, r.Body)
	}
	r := do(t, http.DefaultClient, "GET", s.srv.URL+"/api/v1/sessions/s_scrubbed001", nil, "Authorization", "Bearer "+adminToken)
	if r.Status != 200 || !strings.Contains(string(r.Body), `"scrubbed":{"card":1,"custom":1,"email":1}`) {
		t.Fatalf("session = %d %s", r.Status, r.Body)
	}
	r = do(t, http.DefaultClient, "GET", s.srv.URL+"/api/v1/sessions/s_scrubbed001/events", nil, "Authorization", "Bearer "+adminToken)
	body := string(r.Body)
	if r.Status != 200 || strings.Contains(body, "jane@example.com") || strings.Contains(body, "ORD-123456") || strings.Contains(body, "4111") ||
		!strings.Contains(body, "██████████ for ████ ████ ████ ████, call 555-123-4567") {
		t.Fatalf("events = %d %s", r.Status, body)
	}
}
