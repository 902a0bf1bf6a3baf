package server

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/reelhq/reel/internal/api"
	"github.com/reelhq/reel/internal/auth"
	"github.com/reelhq/reel/internal/blob"
	"github.com/reelhq/reel/internal/compact"
	"github.com/reelhq/reel/internal/demo"
	"github.com/reelhq/reel/internal/ingest"
	"github.com/reelhq/reel/internal/layout"
	"github.com/reelhq/reel/internal/lifecycle"
	"github.com/reelhq/reel/internal/sdk"
	"github.com/reelhq/reel/internal/setup"
	"github.com/reelhq/reel/internal/store"
	"github.com/reelhq/reel/internal/store/sqlite"
	"github.com/reelhq/reel/internal/ui"
)

// analysedStack is the server stack with the compactor that analyses sessions as `reel serve`
// runs it, and the index, so a test can compact on demand and look inside.
type analysedStack struct {
	*stack
	db      *sqlite.DB
	project string
	comp    *compact.Compactor
	life    *lifecycle.Lifecycle
}

func newAnalysedStack(t *testing.T) *analysedStack {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	db, err := sqlite.Open(ctx, filepath.Join(dir, "index.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	blobs, err := blob.NewLocal(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	first, err := setup.Run(ctx, db, setup.Options{AdminEmail: "admin@reel.local", AdminPassword: "hunter2-hunter2"})
	if err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	authn := auth.New(db, log, auth.Options{AdminToken: adminToken})
	ih := ingest.New(db, blobs, log, ingest.Options{})
	cache := layout.NewCache(blobs, 64<<20)
	life := lifecycle.New(db, blobs, log, lifecycle.Options{Grace: time.Nanosecond}, cache)
	a := api.New(db, blobs, authn, log, cache, life)
	srv := httptest.NewServer(Routes(Components{API: a, Auth: authn, Ingest: ih, SDKConfig: ih.SDKConfig(), UI: ui.Handler(), SDK: sdk.Handler(), Demo: demo.Handler(first.Project.PublicKey), Log: log}))
	t.Cleanup(srv.Close)
	return &analysedStack{stack: &stack{srv: srv, key: first.Project.PublicKey}, db: db, life: life, project: first.Project.ID,
		comp: compact.New(db, blobs, log, compact.Options{Idle: time.Nanosecond, Cache: cache})}
}

// postMeta sends one batch through the real ingest endpoint with the given meta object.
func (s *stack) postMeta(t *testing.T, session, meta string, seq int, events ...string) {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	fmt.Fprintf(zw, `{"session":%q,"tab":"tab_000001","seq":%d,"meta":%s,"events":[%s]}`, session, seq, meta, strings.Join(events, ","))
	zw.Close()
	r := do(t, http.DefaultClient, "POST", s.srv.URL+"/api/v1/ingest?v=1&key="+s.key, &buf)
	if r.Status != 200 {
		t.Fatalf("ingest = %d %s", r.Status, r.Body)
	}
}

func viewport(ts int64, href string, w, h int) string {
	return ev(4, ts, fmt.Sprintf(`{"href":%q,"width":%d,"height":%d}`, href, w, h))
}

func (s *stack) expect(t *testing.T, query string, want ...string) {
	t.Helper()
	r, l := s.search(t, url.Values{"q": {query}})
	if r.Status != 200 {
		t.Fatalf("%q: status %d %s", query, r.Status, r.Body)
	}
	if want == nil {
		want = []string{}
	}
	if got := ids(l); !slices.Equal(got, want) || l.Count == nil || *l.Count != len(want) {
		t.Errorf("%q = %v (count %v), want %v", query, got, l.Count, want)
	}
}

// TestSearchSourcesAndProperties: referrer and UTM parameters of the entry page, viewport and
// track event properties, from sessions sent through the real ingest endpoint.
func TestSearchSourcesAndProperties(t *testing.T) {
	s := newAnalysedStack(t)
	const t0 = 1793491200000
	const a, b, c = "s_ads_00001", "s_news_0002", "s_direct03"
	s.postMeta(t, a, `{"referrer":"https://www.Google.com/search?q=alice+smith"}`, 0,
		viewport(t0, "https://shop.example/?utm_source=Google&utm_medium=cpc&utm_campaign=Spring_Sale", 390, 844),
		reel(t0+1000, "reel.track", `{"name":"coupon_applied","props":{"code":"SPRING10","percent":10,"first":true,"nested":{"x":1}}}`))
	// A later page's referrer is the site itself; the entry page's referrer stays.
	s.postMeta(t, a, `{"referrer":"https://shop.example/"}`, 1, viewport(t0+5000, "https://shop.example/cart?utm_source=other", 390, 844))
	s.postMeta(t, b, `{"referrer":"https://news.example.com/item/42#c"}`, 0,
		viewport(t0+60_000, "https://shop.example/blog?utm_source=newsletter&utm_medium=email", 1440, 900),
		reel(t0+61_000, "reel.track", `{"name":"signup_clicked","props":{"from":"hero","plan":"pro"}}`),
		reel(t0+62_000, "reel.track", `{"name":"plan_changed","props":{"plan":"team"}}`))
	// The desktop visitor narrows the window: the latest viewport counts.
	s.postMeta(t, c, `{}`, 0, viewport(t0+120_000, "https://shop.example/", 1920, 1080), ev(3, t0+121_000, `{"source":4,"width":700,"height":1000}`))

	for _, tc := range []struct {
		q    string
		want []string
	}{
		{"referrer:www.google.com", []string{a}},
		{"referrer:*google*", []string{a}},
		{"referrer:https://news.example.com/item/42", []string{b}},
		{"referrer:*", []string{b, a}},
		{"-referrer:*", []string{c}},
		{"referrer:shop.example", nil},
		{`referrer:"*q=alice*"`, nil}, // the query string is not kept
		{"utm_source:google", []string{a}},
		{"utm_source:GOOGLE utm_medium:cpc utm_campaign:spring_*", []string{a}},
		{"utm_source:newsletter", []string{b}},
		{"utm_source:other", nil}, // only the entry page's parameters count
		{"utm_medium:*", []string{b, a}},
		{"-utm_source:*", []string{c}},
		{"viewport.width:<768", []string{c, a}},
		{"viewport.width:>=1440 viewport.height:900", []string{b}},
		{"viewport.height:>950", []string{c}},
		{"event.code:SPRING10", []string{a}},
		{"event.percent:10 event.first:true", []string{a}},
		{"event.plan:pro", []string{b}},
		{"event.plan:team", []string{b}}, // every value a property took
		{"event.plan:*", []string{b}},
		{"event.nested:*", nil},
		{"-event.plan:*", []string{c, a}},
		{"event:signup_clicked event.from:hero", []string{b}},
	} {
		t.Run(tc.q, func(t *testing.T) { s.expect(t, tc.q, tc.want...) })
	}
}

// TestSearchFindingsByKindAndFingerprint: issue:, friction.<kind>: and sort:friction over
// sessions analysed by the compactor.
func TestSearchFindingsByKindAndFingerprint(t *testing.T) {
	s := newAnalysedStack(t)
	t0 := time.Now().Add(-time.Hour).UnixMilli()
	snapshot := func(ts int64) string {
		return ev(2, ts, `{"node":{"type":0,"id":1,"childNodes":[{"type":2,"tagName":"button","id":10,"attributes":{"class":"coupon"},"childNodes":[{"type":3,"id":11,"textContent":"Apply coupon"}]}]},"initialOffset":{"left":0,"top":0}}`)
	}
	clickOn := func(ts int64) string { return ev(3, ts, `{"source":2,"type":2,"id":11,"x":50,"y":60}`) }
	const rage2, rage1, calm = "s_rage_two1", "s_rage_one2", "s_calm_0003"
	s.post(t, rage2, uaFirefox, "", 0, page(t0, "https://shop.example/cart"), snapshot(t0+1),
		// The error is no click's (a burst right before it would be an error click, not rage).
		clickOn(t0+1000), clickOn(t0+1100), clickOn(t0+1200), reel(t0+5000, "reel.error", `{"kind":"error","message":"Cannot read properties of undefined (reading 'x')"}`),
		clickOn(t0+9000), clickOn(t0+9100), clickOn(t0+9200))
	s.post(t, rage1, uaFirefox, "", 0, page(t0+60_000, "https://shop.example/cart"), snapshot(t0+60_001),
		clickOn(t0+61_000), clickOn(t0+61_100), clickOn(t0+61_200))
	s.post(t, calm, uaFirefox, "", 0, page(t0+120_000, "https://shop.example/"), snapshot(t0+120_001))
	if _, err := s.comp.RunOnce(context.Background(), time.Now().Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	issues, err := s.db.Issues(context.Background(), store.IssueQuery{ProjectID: s.project, Since: time.UnixMilli(t0 - 1), Until: time.Now(), Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	var fingerprint string
	for _, is := range issues {
		if is.Kind == "rage_click" {
			fingerprint = is.Fingerprint
		}
	}
	for _, tc := range []struct {
		q    string
		want []string
	}{
		{"friction.rage_click:>0", []string{rage1, rage2}},
		{"friction.rage_click:>=2", []string{rage2}},
		{"friction.rage_click:1", []string{rage1}},
		{"friction.rage_click:0", []string{calm}},
		{"friction.form_abandonment:>0", nil},
		{"-friction.rage_click:>0", []string{calm}},
		{fmt.Sprintf("issue:%q", fingerprint), []string{rage1, rage2}},
		{"issue:rage_click|/cart|*", []string{rage1, rage2}},
		{"issue:js_error|*", []string{rage2}},
		{"issue:nothing", nil},
		{"sort:friction", []string{rage2, rage1, calm}},
		{"friction:>0 sort:friction", []string{rage2, rage1}},
	} {
		t.Run(tc.q, func(t *testing.T) { s.expect(t, tc.q, tc.want...) })
	}
}

// TestSearchOnScreenText: text: finds words a session showed, from full snapshots and from
// mutations of a live session, never masked text, input values or text in reel-mask and
// reel-block elements; hostile values are words like any other; erasing a session erases its
// text.
func TestSearchOnScreenText(t *testing.T) {
	s := newAnalysedStack(t)
	const t0 = 1793491200000
	snapshot := func(ts int64, body string) string {
		return ev(2, ts, `{"node":{"type":0,"childNodes":[{"type":2,"tagName":"html","attributes":{},"childNodes":[`+
			`{"type":2,"tagName":"head","attributes":{},"childNodes":[{"type":2,"tagName":"title","attributes":{},"childNodes":[{"type":3,"textContent":"Headtitle","id":4}],"id":3}],"id":2},`+
			`{"type":2,"tagName":"body","attributes":{},"childNodes":[`+body+`],"id":5}],"id":1}],"id":0},"initialOffset":{"left":0,"top":0}}`)
	}
	const a, b = "s_text_0001", "s_text_0002"
	s.postMeta(t, a, `{}`, 0, page(t0, "https://shop.example/checkout"), snapshot(t0+1,
		`{"type":2,"tagName":"h1","attributes":{},"childNodes":[{"type":3,"textContent":"Checkout","id":7}],"id":6},`+
			`{"type":2,"tagName":"input","attributes":{"type":"text","value":"Alice Liddell","placeholder":"Name on card"},"childNodes":[],"id":8},`+
			`{"type":2,"tagName":"div","attributes":{"class":"address reel-mask"},"childNodes":[{"type":3,"textContent":"Wonderland Lane","id":10}],"id":9},`+
			`{"type":3,"textContent":"****** *******","id":11},`+
			`{"type":2,"tagName":"script","attributes":{},"childNodes":[{"type":3,"textContent":"SCRIPT_PLACEHOLDER","id":13}],"id":12}`))
	// A later batch of the live session: the error appears through a mutation.
	s.postMeta(t, a, `{}`, 1, ev(3, t0+5000, `{"source":0,"texts":[],"attributes":[],"removes":[],"adds":[{"parentId":5,"nextId":null,"node":`+
		`{"type":2,"tagName":"div","attributes":{"role":"alert"},"childNodes":[{"type":3,"textContent":"Payment declined. Try another card.","id":21}],"id":20}}]}`))
	s.postMeta(t, b, `{}`, 0, page(t0+60_000, "https://shop.example/"), snapshot(t0+60_001,
		`{"type":3,"textContent":"Payment options: declined cards are refunded","id":6}`),
		reel(t0+60_002, "reel.identify", `{"userId":"bob"}`))

	for _, tc := range []struct {
		q    string
		want []string
	}{
		{`text:"payment declined"`, []string{a}},
		{"text:declined", []string{b, a}},
		{"text:DECLINED text:refunded", []string{b}},
		{"text:decl*", []string{b, a}},
		{"text:anoth*", []string{a}},
		{`text:"another ca*"`, nil}, // quoted, * is no prefix
		{`text:"Name on card"`, []string{a}},
		{"-text:checkout", []string{b}},
		{"text:alice", nil},      // an input value
		{"text:wonderland", nil}, // inside .reel-mask
		{"text:headtitle", nil},  // not on screen
		{"text:script_placeholder", nil},
		{`text:"declined payment"`, nil}, // words in sequence
		{`text:"a\" OR 1=1"`, nil},
		{`text:"NEAR(payment declined)"`, nil},
		{`text:"payment\" OR \"x"`, nil},
		{`text:"*:payment"`, []string{b, a}}, // no column filter: just the word
		{`text:"{text}: payment"`, nil},
		{`text:"payment" OR text:"^refunded"`, []string{b, a}},
		{"text:" + strings.Repeat("declined", 60), nil},
	} {
		t.Run(tc.q, func(t *testing.T) { s.expect(t, tc.q, tc.want...) })
	}
	for _, q := range []string{`text:"()"`, `text:""`, `text:"` + strings.Repeat("word ", 40) + `"`} {
		if r, _ := s.search(t, url.Values{"q": {q}}); r.Status != 400 || r.code() != "bad_query" {
			t.Errorf("%q = %d %s, want 400 bad_query", q, r.Status, r.Body)
		}
	}
	if _, err := s.life.EraseUser(context.Background(), s.project, "bob"); err != nil {
		t.Fatal(err)
	}
	s.expect(t, "text:refunded")
	s.expect(t, "text:declined", a)
}
