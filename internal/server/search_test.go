package server

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"testing"

	"github.com/reelhq/reel/internal/ingest"
)

// newSearchStack is newStack with ingest trusting a country header, as behind Cloudflare.
func newSearchStack(t *testing.T) *stack {
	t.Helper()
	return newStackWith(t, ingest.Options{CountryHeader: "CF-IPCountry"})
}

// post sends one batch through the real ingest endpoint with a user agent and country header.
func (s *stack) post(t *testing.T, session, ua, country string, seq int, events ...string) {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	fmt.Fprintf(zw, `{"session":%q,"tab":"tab_000001","seq":%d,"meta":{"userAgent":%q},"events":[%s]}`, session, seq, ua, strings.Join(events, ","))
	zw.Close()
	r := do(t, http.DefaultClient, "POST", s.srv.URL+"/api/v1/ingest?v=1&key="+s.key, &buf, "CF-IPCountry", country)
	if r.Status != 200 {
		t.Fatalf("ingest = %d %s", r.Status, r.Body)
	}
}

func reel(ts int64, tag, payload string) string {
	return ev(5, ts, `{"tag":"`+tag+`","payload":`+payload+`}`)
}

func page(ts int64, href string) string {
	return ev(4, ts, `{"href":"`+href+`","width":1280,"height":720}`)
}

func click(ts int64) string { return ev(3, ts, `{"source":2,"type":2,"id":3,"x":1,"y":2}`) }

const (
	uaFirefox = "Mozilla/5.0 (X11; Linux x86_64; rv:140.0) Gecko/20100101 Firefox/140.0"
	uaChrome  = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0.0.0 Safari/537.36"
	uaIPhone  = "Mozilla/5.0 (iPhone; CPU iPhone OS 18_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.0 Mobile/15E148 Safari/604.1"
)

type listJSON struct {
	Sessions []struct {
		ID         string `json:"id"`
		Country    string `json:"country"`
		Errors     int    `json:"errors"`
		Failed     int    `json:"failedRequests"`
		DurationMS int64  `json:"durationMs"`
	} `json:"sessions"`
	NextCursor string `json:"nextCursor"`
	Count      *int   `json:"count"`
	Sort       string `json:"sort"`
}

func (s *stack) search(t *testing.T, params url.Values) (resp, listJSON) {
	t.Helper()
	r := do(t, http.DefaultClient, "GET", s.srv.URL+"/api/v1/sessions?"+params.Encode(), nil, "Authorization", "Bearer "+adminToken)
	var l listJSON
	if r.Status == 200 {
		if err := json.Unmarshal(r.Body, &l); err != nil {
			t.Fatal(err)
		}
	}
	return r, l
}

func ids(l listJSON) []string {
	out := []string{}
	for _, s := range l.Sessions {
		out = append(out, s.ID)
	}
	return out
}

// seedSearch records three visits through the ingest endpoint, the second over two batches,
// so the index is proven to fold batches of a live session together.
func seedSearch(t *testing.T, s *stack) {
	const t0 = 1793491200000 // 2026-11-01T00:00:00Z
	s.post(t, "s_alpha_0001", uaFirefox, "de", 0,
		page(t0, "https://shop.example/"), click(t0+1000), click(t0+2000),
		page(t0+10_000, "https://shop.example/checkout/cart?step=1"),
		reel(t0+11_000, "reel.identify", `{"userId":"alice","traits":{"plan":"pro","seats":5,"nested":{"x":1}}}`),
		reel(t0+12_000, "reel.track", `{"name":"Signup_Clicked","props":{"from":"hero"}}`),
		reel(t0+13_000, "reel.error", `{"kind":"error","message":"TypeError: Cannot read properties of undefined (reading 'total')"}`),
		reel(t0+14_000, "reel.error", `{"kind":"error","message":"TypeError: Cannot read properties of undefined (reading 'total')"}`),
		click(t0+15_000), click(t0+16_000),
		page(t0+180_000, "https://shop.example/thanks"))
	s.post(t, "s_bravo_0002", uaChrome, "US", 0,
		page(t0+60_000, "https://shop.example/"),
		reel(t0+61_000, "reel.identify", `{"userId":"bob","traits":{"plan":"free"}}`),
		page(t0+62_000, "https://shop.example/checkout/pay"),
		click(t0+63_000))
	s.post(t, "s_bravo_0002", uaChrome, "US", 1, // a later batch of the live session
		reel(t0+64_000, "reel.network", `{"method":"POST","url":"/api/pay","status":502,"durationMs":300}`),
		reel(t0+65_000, "reel.network", `{"method":"GET","url":"/api/cart","status":200,"durationMs":30}`),
		reel(t0+66_000, "reel.track", `{"name":"payment_failed"}`),
		reel(t0+70_000, "reel.error", `{"kind":"unhandledrejection","message":"Payment declined: 50% off_code"}`))
	s.post(t, "s_charl_0003", uaIPhone, "", 0,
		page(t0+3_600_000, "https://shop.example/pricing"),
		reel(t0+3_601_000, "reel.network", `{"method":"GET","url":"/api/prices","status":0,"durationMs":0,"failure":"net::ERR_FAILED"}`),
		page(t0+3_605_000, "https://shop.example/pricing?plan=team"))
}

func TestSearchFilters(t *testing.T) {
	s := newSearchStack(t)
	seedSearch(t, s)
	const a, b, c = "s_alpha_0001", "s_bravo_0002", "s_charl_0003"
	cases := []struct {
		query string
		want  []string // in the expected order
	}{
		{"", []string{c, b, a}},
		{"visited:/checkout*", []string{b, a}},
		{"visited:/checkout* -visited:/thanks", []string{b}},
		{"visited:https://shop.example/thanks", []string{a}},
		{"visited:/pricing", []string{c}},
		{"entry:/ exit:/thanks", []string{a}},
		{"exit:/pricing", []string{c}},
		{`error:"TypeError"`, []string{a}},
		{`error:"cannot read properties"`, []string{a}},
		{`error:"50% off_code"`, []string{b}},
		{`error:"50%"`, []string{b}},
		{`error:"_"`, []string{b}},
		{`error:"%"`, []string{b}},
		{"browser:firefox", []string{a}},
		{"browser:Chrome OR browser:safari", []string{c, b}},
		{"os:linux", []string{a}},
		{"os:ios device:mobile", []string{c}},
		{"device:desktop", []string{b, a}},
		{"country:de", []string{a}},
		{"country:US", []string{b}},
		{"-country:DE -country:US", []string{c}},
		{"duration:>2m", []string{a}},
		{"duration:<1m", []string{c, b}},
		{"duration:>=10s duration:<=10s", []string{b}},
		{"clicks:>3", []string{a}},
		{"clicks:1", []string{b}},
		// c viewed /pricing twice, the second time with a query: one page (docs/player.md).
		{"pages:>=2", []string{b, a}},
		{"pages:1", []string{c}},
		{"errors:>0", []string{b, a}},
		{"errors:2", []string{a}},
		{"failed:>0", []string{c, b}},
		{"NOT (errors:>0 OR failed:>0)", []string{}},
		{"user:*", []string{b, a}},
		{"-user:*", []string{c}},
		{"user:alice", []string{a}},
		{"user:b*", []string{b}},
		{"user.plan:pro", []string{a}},
		{"user.plan:*", []string{b, a}},
		{"user.seats:5", []string{a}},
		{"user.nested:*", []string{}},
		{"event:signup_clicked", []string{a}},
		{"event:payment_*", []string{b}},
		{"after:2026-11-01T00:30:00Z", []string{c}},
		{"before:2026-11-01T00:30:00Z after:2026-11-01", []string{b, a}},
		{"sort:longest", []string{a, b, c}},
		{"sort:errors", []string{a, b, c}},
		{"(browser:firefox OR country:US) errors:>0 sort:errors", []string{a, b}},
	}
	for _, tc := range cases {
		t.Run(tc.query, func(t *testing.T) {
			r, l := s.search(t, url.Values{"q": {tc.query}})
			if r.Status != 200 {
				t.Fatalf("status %d %s", r.Status, r.Body)
			}
			if got := ids(l); !slices.Equal(got, tc.want) {
				t.Errorf("ids = %v, want %v", got, tc.want)
			}
			if l.Count == nil || *l.Count != len(tc.want) {
				t.Errorf("count = %v, want %d", l.Count != nil && *l.Count == len(tc.want), len(tc.want))
			}
		})
	}
	// The index row carries the counts and the trusted country.
	_, l := s.search(t, url.Values{"q": {"user:bob"}})
	if got := l.Sessions[0]; got.Country != "US" || got.Errors != 1 || got.Failed != 1 {
		t.Errorf("bob's session = %+v", got)
	}
}

func TestSearchPagination(t *testing.T) {
	s := newSearchStack(t)
	seedSearch(t, s)
	for _, tc := range []struct {
		sort string
		want []string
	}{
		{"recent", []string{"s_charl_0003", "s_bravo_0002", "s_alpha_0001"}},
		{"longest", []string{"s_alpha_0001", "s_bravo_0002", "s_charl_0003"}},
		{"errors", []string{"s_alpha_0001", "s_bravo_0002", "s_charl_0003"}},
	} {
		t.Run(tc.sort, func(t *testing.T) {
			var got []string
			cursor := ""
			for range 5 {
				p := url.Values{"sort": {tc.sort}, "limit": {"1"}}
				if cursor != "" {
					p.Set("cursor", cursor)
				}
				r, l := s.search(t, p)
				if r.Status != 200 || l.Sort != tc.sort {
					t.Fatalf("status %d %s", r.Status, r.Body)
				}
				if cursor == "" && (l.Count == nil || *l.Count != 3) {
					t.Errorf("first page count = %v", l.Count)
				}
				got = append(got, ids(l)...)
				if cursor = l.NextCursor; cursor == "" {
					break
				}
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("pages = %v, want %v", got, tc.want)
			}
		})
	}
}

func TestSearchHostile(t *testing.T) {
	s := newSearchStack(t)
	seedSearch(t, s)
	// Injection attempts are values like any other: they match nothing and change nothing.
	for _, q := range []string{
		`user:"' OR 1=1 --"`,
		`user:"alice' OR '1'='1"`,
		`browser:firefox');DROP_TABLE_sessions;--`,
		`error:"%' UNION SELECT id FROM users --"`,
		`user.plan":x`,
		`user.x'||1:y`,
		`visited:/*'*`,
		`event:"]["`,
		`visited:"/[a-z]*"`,
		`visited:/?`,
	} {
		t.Run(q, func(t *testing.T) {
			r, l := s.search(t, url.Values{"q": {q}})
			if r.Status == 400 && r.code() == "bad_query" {
				return
			}
			if r.Status != 200 || len(l.Sessions) != 0 {
				t.Fatalf("%q = %d %s", q, r.Status, r.Body)
			}
		})
	}
	if _, l := s.search(t, url.Values{}); len(l.Sessions) != 3 {
		t.Fatalf("sessions after injection attempts = %d", len(l.Sessions))
	}
	for _, tc := range []struct{ name, q, sort, msg string }{
		{"deep nesting", strings.Repeat("(", 10000) + "os:linux" + strings.Repeat(")", 10000), "", "longer than"},
		{"nesting within length", strings.Repeat("(", 500) + "os:linux" + strings.Repeat(")", 500), "", "deeper than 16"},
		{"many terms", strings.Repeat("os:linux OR ", 100) + "os:ios", "", "more than 64 filters"},
		{"huge", strings.Repeat("x", 1<<20), "", "longer than"},
		{"malformed", "browser:firefox (os:linux", "", "expected ')' to close '(' at position 16, found end of query at position 25"},
		{"unknown field", "colour:red", "", `unknown field "colour" at position 0`},
		{"bad sort param", "", "random", `unknown sort "random"`},
		{"conflicting sort", "sort:errors", "longest", "sort given twice"},
		{"null byte", "user:\x00", "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := url.Values{"q": {tc.q}}
			if tc.sort != "" {
				p.Set("sort", tc.sort)
			}
			r, _ := s.search(t, p)
			if tc.msg == "" {
				if r.Status != 200 && r.code() != "bad_query" {
					t.Fatalf("%d %s", r.Status, r.Body)
				}
				return
			}
			var e struct {
				Error struct{ Code, Message string } `json:"error"`
			}
			json.Unmarshal(r.Body, &e)
			if r.Status != 400 || e.Error.Code != "bad_query" || !strings.Contains(e.Error.Message, tc.msg) {
				t.Fatalf("= %d %s, want 400 bad_query containing %q", r.Status, r.Body, tc.msg)
			}
		})
	}
}
