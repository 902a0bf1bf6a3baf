package server

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"
)

// TestCountriesAreTheOnesRecorded: GET /api/v1/countries lists the countries the trusted header
// gave the project's sessions, most sessions first, and nothing when no country is known, so the
// dashboard's Country filter offers only real choices.
func TestCountriesAreTheOnesRecorded(t *testing.T) {
	s := newSearchStack(t)
	get := func() (resp, []struct {
		Code     string
		Sessions int
	}) {
		t.Helper()
		r := do(t, http.DefaultClient, "GET", s.srv.URL+"/api/v1/countries?project=default", nil, "Authorization", "Bearer "+adminToken)
		var out struct {
			Countries []struct {
				Code     string
				Sessions int
			}
		}
		if r.Status == 200 {
			if err := json.Unmarshal(r.Body, &out); err != nil {
				t.Fatalf("countries %s: %v", r.Body, err)
			}
		}
		return r, out.Countries
	}
	if r, cs := get(); r.Status != 200 || cs == nil || len(cs) != 0 {
		t.Fatalf("countries before any session = %d %s, want 200 and an empty list", r.Status, r.Body)
	}
	t0 := time.Now().Add(-time.Hour).UnixMilli()
	const ua = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Safari/537.36"
	for i, c := range []string{"DE", "US", "DE", ""} {
		s.post(t, "s_country_000"+string(rune('a'+i)), ua, c, 0, page(t0+int64(i)*1000, "https://shop.example/"))
	}
	r, cs := get()
	if r.Status != 200 || len(cs) != 2 || cs[0].Code != "DE" || cs[0].Sessions != 2 || cs[1].Code != "US" || cs[1].Sessions != 1 {
		t.Errorf("countries = %d %s, want DE (2) then US (1), no unknown", r.Status, r.Body)
	}
}

// TestFacetsRefuseBadInput: the pickers' endpoints need a login, refuse a malformed project or
// limit with a clear JSON 400 and answer an unknown project as not found.
func TestFacetsRefuseBadInput(t *testing.T) {
	s := newStack(t)
	for _, path := range []string{"/api/v1/countries", "/api/v1/heatmaps/pages"} {
		if r := do(t, http.DefaultClient, "GET", s.srv.URL+path, nil); r.Status != 401 {
			t.Errorf("anonymous GET %s = %d %s, want 401", path, r.Status, r.Body)
		}
	}
	cases := []struct {
		path, code, says string
		status           int
	}{
		{"/api/v1/countries?project=" + strings.Repeat("p", 100), "bad_request", "project must be", 400},
		{"/api/v1/heatmaps/pages?project=" + strings.Repeat("p", 100), "bad_request", "project must be", 400},
		{"/api/v1/heatmaps/pages?limit=0", "bad_request", "limit must be an integer from 1 to 500", 400},
		{"/api/v1/heatmaps/pages?limit=501", "bad_request", "limit must be", 400},
		{"/api/v1/heatmaps/pages?limit=ten", "bad_request", "limit must be", 400},
		{"/api/v1/heatmaps/pages?limit=99999999999999999999", "bad_request", "limit must be", 400},
		{"/api/v1/heatmaps/pages?project=%00%27--", "bad_request", "project must be", 400},
		{"/api/v1/countries?project=%ff%fe", "bad_request", "project must be", 400},
	}
	for _, tc := range cases {
		r := do(t, http.DefaultClient, "GET", s.srv.URL+tc.path, nil, "Authorization", "Bearer "+adminToken)
		if r.Status != tc.status || r.code() != tc.code || !strings.Contains(string(r.Body), tc.says) {
			t.Errorf("GET %s = %d %s, want %d %s saying %q", tc.path, r.Status, r.Body, tc.status, tc.code, tc.says)
		}
	}
	if r := do(t, http.DefaultClient, "GET", s.srv.URL+"/api/v1/countries?project=nosuch", nil, "Authorization", "Bearer "+adminToken); r.Status != 200 || !strings.Contains(string(r.Body), `"countries":[]`) {
		t.Errorf("countries of an unknown project = %d %s, want an empty list", r.Status, r.Body)
	}
	if r := do(t, http.DefaultClient, "GET", s.srv.URL+"/api/v1/heatmaps/pages?limit=500", nil, "Authorization", "Bearer "+adminToken); r.Status != 200 || !strings.Contains(string(r.Body), `"pages":[]`) {
		t.Errorf("heat pages of an empty project = %d %s, want an empty list", r.Status, r.Body)
	}
}
