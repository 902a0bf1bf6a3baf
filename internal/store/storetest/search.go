package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/reelhq/reel/internal/search"
	"github.com/reelhq/reel/internal/store"
)

// RunSearch runs the contract of the search language (docs/search.md) as scripted cases: a
// fixed corpus of sessions loaded through the interface, then queries and the sessions each
// must find, in order, with their count. Every backend compiles the same plan its own way;
// these cases are what "the same results" means.
func RunSearch(t *testing.T, open func(t *testing.T) store.Index) {
	t.Run("Language", func(t *testing.T) { testSearchLanguage(t, open(t)) })
	t.Run("Conjunctions", func(t *testing.T) { testSearchConjunctions(t, open(t)) })
	t.Run("EraseRemovesSearchIndex", func(t *testing.T) { testEraseRemovesSearchIndex(t, open(t)) })
	t.Run("EventPropsBounded", func(t *testing.T) { testEventPropsBounded(t, open(t)) })
	t.Run("HostileBatch", func(t *testing.T) { testHostileBatch(t, open(t)) })
	t.Run("LiveFirst", func(t *testing.T) { testSearchLiveFirst(t, open(t)) })
}

// testSearchLiveFirst: sort:live puts a session still recording (started first, newest event
// last) ahead of newer sessions that ended, then orders by the newest event; filters still
// apply, and the cursors walk the same order.
func testSearchLiveFirst(t *testing.T, db store.Index) {
	t.Cleanup(func() { db.Close() })
	ctx := context.Background()
	if err := db.CreateProject(ctx, store.Project{ID: "p", Name: "p", PublicKey: "pk_p", CreatedAt: searchT0}); err != nil {
		t.Fatal(err)
	}
	add := func(id string, start, last time.Duration, browser string) {
		t.Helper()
		b := store.Batch{ProjectID: "p", Browser: browser, Pages: []store.Page{{URL: "https://shop.test/", Tab: "tab_0001", At: searchT0.Add(start)}},
			Chunk: store.Chunk{SessionID: id, Tab: "tab_0001", FirstAt: searchT0.Add(start), LastAt: searchT0.Add(last), BlobKey: id, Events: 1}}
		if err := db.AppendBatch(ctx, b); err != nil {
			t.Fatalf("append %s: %v", id, err)
		}
	}
	add("s_live", 0, time.Hour, "firefox")                         // started first, still recording
	add("s_ended", 30*time.Minute, 40*time.Minute, "firefox")      // started later, ended
	add("s_newest", 50*time.Minute, 51*time.Minute, "chrome")      // started last, ended
	add("s_short", 10*time.Minute, 10*time.Minute+time.Second, "") // over long ago
	for _, tc := range []searchCase{
		{"sort:live", "s_live s_newest s_ended s_short"},
		{"sort:recent", "s_newest s_ended s_short s_live"},
		{"browser:firefox sort:live", "s_live s_ended"},
	} {
		plan, err := search.Parse(tc.q)
		if err != nil {
			t.Fatalf("%q: %v", tc.q, err)
		}
		want := strings.Fields(tc.want)
		if got := searchPages(t, db, store.ListQuery{ProjectID: "p", Limit: 10, Query: plan, Count: true}, len(want)); !slices.Equal(got, want) {
			t.Errorf("%q = %v, want %v", tc.q, got, want)
		}
		if paged := searchPages(t, db, store.ListQuery{ProjectID: "p", Limit: 1, Query: plan, Count: true}, len(want)); !slices.Equal(paged, want) {
			t.Errorf("%q one per page = %v, want %v", tc.q, paged, want)
		}
	}
}

var searchT0 = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// searchCorpus loads four sessions of project p (s_a oldest … s_d newest) and a decoy in
// project q that matches most filters, so a query that leaks across projects shows it.
func searchCorpus(t *testing.T, db store.Index) {
	t.Helper()
	ctx := context.Background()
	for _, p := range []string{"p", "q"} {
		if err := db.CreateProject(ctx, store.Project{ID: p, Name: p, PublicKey: "pk_" + p, CreatedAt: searchT0}); err != nil {
			t.Fatal(err)
		}
	}
	add := func(id string, seq int64, start, first, last time.Duration, b store.Batch) {
		t.Helper()
		if b.ProjectID == "" {
			b.ProjectID = "p"
		}
		b.Chunk = store.Chunk{SessionID: id, Tab: "tab_0001", Seq: seq, FirstAt: searchT0.Add(start + first), LastAt: searchT0.Add(start + last), BlobKey: id, Events: 1}
		for i := range b.Pages {
			b.Pages[i].Tab, b.Pages[i].At = "tab_0001", b.Chunk.FirstAt.Add(time.Duration(i)*time.Second)
		}
		if err := db.AppendBatch(ctx, b); err != nil {
			t.Fatalf("append %s/%d: %v", id, seq, err)
		}
	}
	page := func(urls ...string) []store.Page {
		var ps []store.Page
		for _, u := range urls {
			ps = append(ps, store.Page{URL: u})
		}
		return ps
	}
	add("s_a", 0, 0, 0, 2*time.Minute, store.Batch{
		Pages:    page("https://shop.test/?utm_source=Ads&utm_medium=CPC&utm_campaign=Spring", "https://shop.test/checkout/pay", "https://shop.test/thanks"),
		Referrer: "https://www.google.com/search?q=secret", UserID: "alice",
		Browser: "firefox", BrowserVersion: 120, OS: "linux", Device: "desktop", Country: "DE",
		Clicks: 5, ActiveMS: 30000, Viewport: store.Viewport{Width: 1280, Height: 800},
		Errors: 1, ErrorMessages: []string{"TypeError: x is undefined"},
		EventNames: []string{"signup"}, Traits: map[string]string{"plan": "pro", "email": "a@x.test"},
		EventProps: []store.Prop{{Key: "plan", Value: "pro"}, {Key: "step", Value: "2"}},
		Text:       []string{"Welcome to the Café", "Checkout"},
		Scrubbed:   map[string]int{"card": 1, "email": 2},
	})
	add("q_all", 0, 5*time.Minute, 0, time.Hour, store.Batch{ProjectID: "q",
		Pages:    page("https://shop.test/?utm_source=ads", "https://shop.test/checkout/pay"),
		Referrer: "https://www.google.com/", UserID: "alice",
		Browser: "firefox", OS: "linux", Device: "desktop", Country: "DE",
		Clicks: 50, ActiveMS: 60000, Viewport: store.Viewport{Width: 1280, Height: 800},
		Errors: 3, Failed: 3, ErrorMessages: []string{"TypeError: boom", "RangeError: 100% [bad]", "ReferenceError: y"},
		EventNames: []string{"signup", "upgrade"}, Traits: map[string]string{"plan": "pro"},
		EventProps: []store.Prop{{Key: "plan", Value: "pro"}},
		Text:       []string{"Welcome to the Café", "Checkout", "Payment declined", "Menu"},
	})
	add("s_b", 0, 10*time.Minute, 0, 10*time.Minute, store.Batch{
		Pages:    page("https://shop.test/blog/post-1?utm_source=newsletter", "https://shop.test/checkout/pay"),
		Referrer: "https://News.Example/item?id=1", UserID: "bob",
		Browser: "safari", OS: "ios", Device: "mobile", Country: "US",
		Viewport: store.Viewport{Width: 390, Height: 844},
		Errors:   2, Failed: 3, ErrorMessages: []string{"RangeError: 100% [bad]", "TypeError: boom"},
		EventNames: []string{"upgrade"}, Traits: map[string]string{"plan": "free"},
		EventProps: []store.Prop{{Key: "plan", Value: "free"}},
		Text:       []string{"Payment declined", "Checkout"},
	})
	add("s_c", 0, 20*time.Minute, 0, 0, store.Batch{
		Pages:   page("https://other.test/"),
		Browser: "firefox", OS: "windows", Device: "tablet", Country: "FR",
		Clicks: 12, ActiveMS: 5000, Failed: 1,
		Text: []string{"Menu", "Über uns"},
	})
	add("s_d", 0, 30*time.Minute, 0, time.Minute, store.Batch{
		Pages:   page("https://shop.test/Blog/Upper"),
		UserID:  "carol",
		Browser: "chrome", OS: "macos", Device: "desktop", Country: "DE",
		EventNames: []string{"signup"}, Traits: map[string]string{"plan": "pro"},
		EventProps: []store.Prop{{Key: "plan", Value: "team"}},
		Scrubbed:   map[string]int{"email": 1},
	})
	// A later batch: the latest trait value counts, counters add up, the viewport is the latest;
	// the user switched accounts (carol, then dave): the session keeps both ids.
	add("s_d", 1, 30*time.Minute, 50*time.Minute, time.Hour, store.Batch{
		UserID: "dave", UserIDs: []store.SessionUser{{UserID: "dave", FirstAt: searchT0.Add(80 * time.Minute)}},
		Clicks: 3, ActiveMS: 600000, Viewport: store.Viewport{Width: 1920, Height: 1080},
		Errors: 1, ErrorMessages: []string{"ReferenceError: y"},
		EventNames: []string{"purchase"}, Traits: map[string]string{"plan": "team"},
		EventProps: []store.Prop{{Key: "price", Value: "9.99"}},
		Text:       []string{"Thank you for order 42"},
		Scrubbed:   map[string]int{"email": 1, "bogus": 7},
	})
	signal := func(kind, path, target string) store.StoredSignal {
		return store.StoredSignal{Kind: kind, At: searchT0, Path: path, Target: target, Fingerprint: kind + "|" + path + "|" + target}
	}
	for _, a := range []store.Analysis{
		{SessionID: "s_a", ActiveMS: 30000, Score: 80, Counts: map[string]int{"rage_click": 2, "dead_click": 1},
			Signals: []store.StoredSignal{signal("rage_click", "/checkout/pay", "#pay"), signal("rage_click", "/checkout/pay", "#pay"), signal("dead_click", "/", "img")}},
		{SessionID: "s_b", Score: 40, Counts: map[string]int{"quick_back": 1, "js_error": 1},
			Signals: []store.StoredSignal{signal("quick_back", "/blog/post-1", ""), signal("js_error", "/checkout/pay", "TypeError")}},
		{SessionID: "s_d", ActiveMS: 600000, Score: 10, Counts: map[string]int{"rage_click": 1},
			Signals: []store.StoredSignal{signal("rage_click", "/Blog/Upper", "#x")}},
		{SessionID: "q_all", ActiveMS: 60000, Score: 99, Counts: map[string]int{"rage_click": 2, "quick_back": 1},
			Signals: []store.StoredSignal{signal("rage_click", "/checkout/pay", "#pay"), signal("rage_click", "/checkout/pay", "#pay"), signal("quick_back", "/", "")}},
	} {
		// Analysis counts the whole session's active time, here what its batches said.
		a.At = searchT0.Add(2 * time.Hour)
		if err := db.SaveAnalysis(ctx, a); err != nil {
			t.Fatal(err)
		}
	}
}

// searchCase is a query and the sessions of project p it finds, in order.
type searchCase struct {
	q    string
	want string // space-separated ids; "" for none
}

// searchCases cover every filter of docs/search.md over searchCorpus. Sessions are listed
// newest first (s_d, s_c, s_b, s_a) unless the query sorts otherwise.
var searchCases = []searchCase{
	{"", "s_d s_c s_b s_a"},
	// Per-value fields, lowercased (country uppercased) by the parser.
	{"browser:firefox", "s_c s_a"},
	{"browser:FIREFOX", "s_c s_a"},
	{"browser:fire*", "s_c s_a"},
	{"browser:*fox", "s_c s_a"},
	{"-browser:firefox", "s_d s_b"},
	{"NOT browser:firefox", "s_d s_b"},
	{"browser:opera", ""},
	{"os:ios", "s_b"},
	{"os:mac*", "s_d"},
	{"device:desktop", "s_d s_a"},
	{"device:tablet OR device:mobile", "s_c s_b"},
	{"country:de", "s_d s_a"},
	{"country:US OR country:FR", "s_c s_b"},
	// The identified user, case-sensitive.
	{"user:alice", "s_a"},
	{"user:ALICE", ""},
	{"user:*", "s_d s_b s_a"},
	{"user:*o*", "s_d s_b"},
	{"-user:*", "s_c"},
	// A session is found by every id it was ever identified as, not only its current one.
	{"user:carol", "s_d"},
	{"user:dave", "s_d"},
	{"user:carol user:dave", "s_d"},
	{"user:carol -user:dave", ""},
	{"-user:carol", "s_c s_b s_a"},
	{"user:da*", "s_d"},
	{"user:dave OR user:bob", "s_d s_b"},
	// Numbers and times.
	{"duration:>5m", "s_d s_b"},
	{"duration:<1m", "s_c"},
	{"duration:120", "s_a"},
	{"active:>=30s", "s_d s_a"},
	{"active:<1s", "s_b"},
	{"clicks:>4", "s_c s_a"},
	{"clicks:0", "s_b"},
	{"pages:3", "s_a"},
	{"pages:>=2", "s_b s_a"},
	{"errors:>0", "s_d s_b s_a"},
	{"errors:2", "s_b"},
	{"failed:>0", "s_c s_b"},
	{"after:2026-11-01T00:15:00Z", "s_d s_c"},
	{"before:2026-11-01T00:15:00Z", "s_b s_a"},
	{"after:2026-11-01T00:10:00Z before:2026-11-01T00:30:00Z", "s_c s_b"},
	{"after:2026-11-02", ""},
	{"viewport.width:>1000", "s_d s_a"},
	{"viewport.height:844", "s_b"},
	{"viewport.width:0", "s_c"},
	// Analysis.
	{"rage:>0", "s_d s_a"},
	{"dead:1", "s_a"},
	{"friction:>=1", "s_d s_b s_a"},
	{"friction:3", "s_a"},
	{"score:>50", "s_a"},
	{"score:<=10", "s_d s_c"},
	{"issue:rage_click*", "s_d s_a"},
	{"issue:rage_click|/checkout/pay|#pay", "s_a"},
	{"issue:*", "s_d s_b s_a"},
	{"-issue:quick_back*", "s_d s_c s_a"},
	{"friction.rage_click:2", "s_a"},
	{"friction.rage_click:<2", "s_d s_c s_b"},
	{"friction.rage_click:>0", "s_d s_a"},
	{"friction.rage_click:>=1", "s_d s_a"},
	{"friction.quick_back:>0", "s_b"},
	{"friction.dead_click:0", "s_d s_c s_b"},
	// What the server's scrubber masked, summed over a session's batches (kinds it does not
	// know are not counted).
	{"scrubbed:>0", "s_d s_a"},
	{"scrubbed:3", "s_a"},
	{"scrubbed:0", "s_c s_b"},
	{"scrubbed.card:>0", "s_a"},
	{"scrubbed.email:2", "s_d s_a"},
	{"scrubbed.email:<2", "s_c s_b"},
	{"scrubbed.iban:>0", ""},
	{"-scrubbed.card:>0 scrubbed:>=1", "s_d"},
	// Where the visit came from: the entry page's referrer and UTM parameters, lowercased.
	{"referrer:www.google.com", "s_a"},
	{"referrer:*google*", "s_a"},
	{"referrer:news.example", "s_b"},
	{"referrer:https://www.google.com/search", "s_a"},
	{"referrer:https://www.google.com/search?q=secret", ""},
	{"referrer:*", "s_b s_a"},
	{"-referrer:*", "s_d s_c"},
	{"utm_source:ads", "s_a"},
	{"utm_source:ADS", "s_a"},
	{"utm_source:*", "s_b s_a"},
	{"utm_source:news*", "s_b"},
	{"utm_medium:cpc", "s_a"},
	{"utm_campaign:spring", "s_a"},
	{"utm_campaign:*", "s_a"},
	// Pages: a path (starting with /) or a full URL; patterns are case-sensitive.
	{"visited:/checkout/pay", "s_b s_a"},
	{"visited:/checkout/*", "s_b s_a"},
	{"visited:/checkout*", "s_b s_a"},
	{"visited:/checkout", ""},
	{"visited:/blog/*", "s_b"},
	{"visited:/Blog/*", "s_d"},
	{"visited:/", "s_c s_a"},
	{"visited:https://other.test/", "s_c"},
	{"visited:*other.test*", "s_c"},
	{"visited:https://shop.test/thanks", "s_a"},
	{"visited:/check_ut/pay", ""}, // _ is no wildcard
	{"visited:/checkout/* -visited:/thanks", "s_b"},
	{"entry:/blog/*", "s_b"},
	{"entry:/", "s_c s_a"},
	{"entry:https://other.test/", "s_c"},
	{"exit:/thanks", "s_a"},
	{"exit:/checkout/pay", "s_b"},
	{"exit:*Upper", "s_d"},
	// Track events, their properties and identify traits.
	{"event:signup", "s_d s_a"},
	{"event:SIGNUP", "s_d s_a"},
	{"event:sign*", "s_d s_a"},
	{"event:signup event:purchase", "s_d"},
	{"event:signup OR event:upgrade", "s_d s_b s_a"},
	{"event:*", "s_d s_b s_a"},
	{"-event:*", "s_c"},
	{"event:never_sent", ""},
	{"event.plan:pro", "s_a"},
	{"event.plan:*", "s_d s_b s_a"},
	{"-event.plan:*", "s_c"},
	{"event.plan:t*", "s_d"},
	{"event.step:2 OR event.plan:free", "s_b s_a"},
	{"event.price:9.99", "s_d"},
	{"event.price:9_99", ""},
	{"user.plan:pro", "s_a"}, // s_d's latest value is team
	{"user.plan:team", "s_d"},
	{"user.plan:PRO", ""},
	{"user.plan:*", "s_d s_b s_a"},
	{"-user.plan:*", "s_c"},
	{"user.plan:*r*", "s_b s_a"},
	{"user.email:a@x.test", "s_a"},
	{"user.email:*", "s_a"},
	// Error messages contain the text, ignoring the case of ASCII letters.
	{`error:typeerror`, "s_b s_a"},
	{`error:"TypeError"`, "s_b s_a"},
	{`error:"x is"`, "s_a"},
	{`error:"x_is"`, ""},
	{`error:"100% [bad"`, "s_b"},
	{`error:"100%%"`, ""},
	{`error:"nothing like it"`, ""},
	{`-error:boom`, "s_d s_c s_a"},
	{`error:REFERENCEerror`, "s_d"},
	{"errors:3 browser:firefox", ""},
	// On-screen text: words in sequence within one piece, diacritics ignored, a trailing *
	// for a prefix.
	{"text:welcome", "s_a"},
	{"text:WELCOME", "s_a"},
	{"text:cafe", "s_a"},
	{"text:café", "s_a"},
	{"text:checkout", "s_b s_a"},
	{`text:"payment declined"`, "s_b"},
	{`text:"declined payment"`, ""},
	{`text:"checkout payment"`, ""},
	{"text:pay*", "s_b"},
	{"text:p*", "s_b"},
	{"text:über", "s_c"},
	{"text:uber", "s_c"},
	{"text:42", "s_d"},
	{`text:"order 42"`, "s_d"},
	{`text:"welcome to the"`, "s_a"},
	{"text:welcome text:cafe", "s_a"},
	{"text:welcome text:menu", ""},
	{"text:menu OR text:thank", "s_d s_c"},
	{"-text:checkout", "s_d s_c"},
	{"text:nowhere", ""},
	{"-text:nowhere", "s_d s_c s_b s_a"},
	// Boolean structure.
	{"(browser:firefox OR browser:chrome) country:DE", "s_d s_a"},
	{"browser:firefox country:DE OR os:ios", "s_b s_a"},
	{"-(user.plan:pro OR event:signup)", "s_c s_b"},
	{"browser:firefox -(clicks:>10 OR errors:>0)", ""},
	{"-(-browser:firefox)", "s_c s_a"},
	{"event:signup text:welcome error:typeerror visited:/thanks user.plan:pro", "s_a"},
	{"event:signup text:welcome error:typeerror visited:/thanks user.plan:free", ""},
	// Orders: ties newest first (by id).
	{"sort:errors", "s_b s_d s_a s_c"},
	{"sort:longest", "s_d s_b s_a s_c"},
	{"sort:interesting", "s_a s_b s_d s_c"},
	{"sort:friction", "s_a s_d s_b s_c"},
	{"sort:recent", "s_d s_c s_b s_a"},
	{"browser:firefox sort:longest", "s_a s_c"},
}

func testSearchLanguage(t *testing.T, db store.Index) {
	t.Cleanup(func() { db.Close() })
	searchCorpus(t, db)
	ctx := context.Background()
	for _, tc := range searchCases {
		plan, err := search.Parse(tc.q)
		if err != nil {
			t.Fatalf("%q: %v", tc.q, err)
		}
		want := strings.Fields(tc.want)
		got := searchPages(t, db, store.ListQuery{ProjectID: "p", Limit: 10, Query: plan, Count: true}, len(want))
		if !slices.Equal(got, want) {
			t.Errorf("%q = %v, want %v", tc.q, got, want)
		}
		// One at a time, through the cursors: the same sessions in the same order.
		if paged := searchPages(t, db, store.ListQuery{ProjectID: "p", Limit: 1, Query: plan, Count: true}, len(want)); !slices.Equal(paged, want) {
			t.Errorf("%q one per page = %v, want %v", tc.q, paged, want)
		}
	}
	// Without a project, every project's sessions.
	plan, _ := search.Parse("browser:firefox")
	if got := searchPages(t, db, store.ListQuery{Limit: 10, Query: plan, Count: true}, 3); !slices.Equal(got, []string{"s_c", "q_all", "s_a"}) {
		t.Errorf("every project's firefox sessions = %v", got)
	}
	if got := searchPages(t, db, store.ListQuery{ProjectID: "q", Limit: 10, Count: true}, 1); !slices.Equal(got, []string{"q_all"}) {
		t.Errorf("project q = %v", got)
	}
	_ = ctx
}

// searchPages pages through a query and returns the ids, checking that every page counts want.
func searchPages(t *testing.T, db store.Store, q store.ListQuery, want int) []string {
	t.Helper()
	got := []string{}
	for pages := 0; ; pages++ {
		page, err := db.ListSessions(context.Background(), q)
		if err != nil {
			t.Fatalf("%v: %v", q.Query, err)
		}
		if q.Count && (page.Count != want || page.Capped) {
			t.Errorf("%v page %d: count %d (capped %v), want %d", q.Query, pages, page.Count, page.Capped, want)
		}
		for _, s := range page.Sessions {
			got = append(got, s.ID)
		}
		if q.Cursor = page.Next; q.Cursor == "" || pages > 1000 {
			return got
		}
	}
}

// boundSession is what testSearchConjunctions gives each session, to work out by hand which
// sessions a query should find.
type boundSession struct {
	id                string
	browser, country  string
	clicks, minutes   int
	plan              string // "" when not identified
	signup, typeError bool
	referenceError    bool
	checkout, thanks  bool
}

// testSearchConjunctions pages through conjunctions of common filters that match nothing, a
// few or many sessions, and expects the sessions a plain reading of the query gives, in order,
// with the same count on every page.
func testSearchConjunctions(t *testing.T, db store.Index) {
	t.Cleanup(func() { db.Close() })
	ctx := context.Background()
	for _, p := range []string{"p", "q"} {
		if err := db.CreateProject(ctx, store.Project{ID: p, Name: p, PublicKey: "pk_" + p}); err != nil {
			t.Fatal(err)
		}
	}
	t0 := searchT0
	var all []boundSession
	var batches []store.Batch
	for i := range 240 {
		s := boundSession{
			id:      fmt.Sprintf("s_%03d", i),
			browser: []string{"firefox", "chrome", "safari"}[i%3],
			country: []string{"DE", "US"}[i/3%2],
			clicks:  i % 7,
			minutes: i % 5,
			// firefox sessions (i%3 == 0) are never pro (i%4 == 1): each is common, together none.
			signup:    i%2 == 0,
			typeError: i%5 == 0,
			checkout:  i%3 != 2,
			thanks:    i%4 == 0,
		}
		switch i % 4 {
		case 1:
			s.plan = "pro"
		case 2:
			s.plan = "free"
		}
		if i%3 == 0 {
			s.plan = strings.Replace(s.plan, "pro", "team", 1)
		}
		first := t0.Add(time.Duration(i) * time.Hour)
		b := store.Batch{ProjectID: "p", Browser: s.browser, Country: s.country, Clicks: s.clicks,
			Chunk: store.Chunk{SessionID: s.id, Tab: "tab_0001", FirstAt: first, LastAt: first.Add(time.Duration(s.minutes) * time.Minute), BlobKey: s.id}}
		if s.plan != "" {
			b.Traits = map[string]string{"plan": s.plan}
		}
		if s.signup {
			b.EventNames = []string{"signup"}
		}
		if s.typeError {
			b.ErrorMessages, b.Errors = []string{fmt.Sprintf("TypeError: x%d is undefined", i%3)}, 1
		} else if s.referenceError = i%2 == 1; s.referenceError {
			b.ErrorMessages, b.Errors = []string{"ReferenceError: y"}, 1
		}
		b.Pages = []store.Page{{URL: "https://x.test/"}}
		if s.checkout {
			b.Pages = append(b.Pages, store.Page{URL: "https://x.test/checkout/pay"})
		}
		if s.checkout && i%3 == 0 { // visited:/checkout* finds two rows of this session
			b.Pages = append(b.Pages, store.Page{URL: "https://x.test/checkout/review"})
		}
		if s.thanks {
			b.Pages = append(b.Pages, store.Page{URL: "https://x.test/thanks"})
		}
		for k := range b.Pages {
			b.Pages[k].Tab, b.Pages[k].At = "tab_0001", first
		}
		batches = append(batches, b)
		all = append(all, s)
		if i < 40 { // the same session in another project, which no query of p may count
			b.ProjectID, b.Chunk.SessionID, b.Chunk.BlobKey = "q", "q"+s.id, "q"+s.id
			batches = append(batches, b)
		}
	}
	// Ingest's group commit: many batches, one transaction.
	for start := 0; start < len(batches); start += 50 {
		for i, err := range db.AppendBatches(ctx, batches[start:min(start+50, len(batches))]) {
			if err != nil {
				t.Fatalf("batch %d: %v", start+i, err)
			}
		}
	}

	cases := []struct {
		q     string
		match func(s boundSession) bool
		size  string // none, few (one page of 4 or less) or many
	}{
		{`browser:firefox user.plan:pro event:signup visited:/checkout* clicks:>1`,
			func(s boundSession) bool { return false }, "none"},
		{`visited:/checkout* -visited:/thanks error:"TypeError" browser:firefox duration:<2m user.plan:team country:US clicks:>0 -event:signup`,
			func(s boundSession) bool {
				return s.checkout && !s.thanks && s.typeError && s.browser == "firefox" && s.minutes < 2 && s.plan == "team" && s.country == "US" && s.clicks > 0 && !s.signup
			}, "few"},
		{`browser:chrome event:never_sent`, func(s boundSession) bool { return false }, "none"},
		{`event:signup country:US user.plan:* -visited:/thanks`,
			func(s boundSession) bool { return s.signup && s.country == "US" && s.plan != "" && !s.thanks }, "many"},
		{`(browser:firefox OR country:US) -event:signup error:typeerror`,
			func(s boundSession) bool {
				return (s.browser == "firefox" || s.country == "US") && !s.signup && s.typeError
			}, "many"},
		{`visited:/checkout* user.plan:pro OR browser:safari country:DE error:referenceerror`,
			func(s boundSession) bool {
				return s.checkout && s.plan == "pro" || s.browser == "safari" && s.country == "DE" && s.referenceError
			}, "many"},
		{`visited:/checkout* clicks:>2`, func(s boundSession) bool { return s.checkout && s.clicks > 2 }, "many"},
		{`error:typeerror`, func(s boundSession) bool { return s.typeError }, "many"},
		{`event:signup clicks:>1 user.plan:* visited:/checkout* -visited:/thanks`,
			func(s boundSession) bool { return s.signup && s.clicks > 1 && s.plan != "" && s.checkout && !s.thanks }, "many"},
		{`-(user.plan:pro OR event:signup) visited:/checkout/pay clicks:<3`,
			func(s boundSession) bool { return !(s.plan == "pro" || s.signup) && s.checkout && s.clicks < 3 }, "many"},
		{`sort:longest browser:safari`, nil, "many"},
	}
	for _, tc := range cases {
		var want []string
		if tc.match == nil { // longest first, ties by id descending
			var ss []boundSession
			for _, s := range all {
				if s.browser == "safari" {
					ss = append(ss, s)
				}
			}
			slices.SortFunc(ss, func(a, b boundSession) int {
				if a.minutes != b.minutes {
					return b.minutes - a.minutes
				}
				return strings.Compare(b.id, a.id)
			})
			for _, s := range ss {
				want = append(want, s.id)
			}
		} else {
			for i := len(all) - 1; i >= 0; i-- { // newest first
				if tc.match(all[i]) {
					want = append(want, all[i].id)
				}
			}
		}
		switch size := len(want); {
		case tc.size == "none" && size != 0, tc.size == "few" && (size == 0 || size > 4), tc.size == "many" && size <= 4:
			t.Fatalf("%q: the corpus gives %d sessions, not %s", tc.q, size, tc.size)
		}
		plan, err := search.Parse(tc.q)
		if err != nil {
			t.Fatal(err)
		}
		got := searchPages(t, db, store.ListQuery{ProjectID: "p", Limit: 4, Query: plan, Count: true}, len(want))
		if !slices.Equal(got, append([]string{}, want...)) {
			t.Errorf("%q =\n%v\nwant\n%v", tc.q, got, want)
		}
	}
	// Past store.CountCap the count stops and says so; the list still pages through all.
	var more []store.Batch
	for i := range store.CountCap + 10 {
		at := t0.Add(-time.Duration(i+1) * time.Minute)
		more = append(more, store.Batch{ProjectID: "p", Browser: "lynx",
			Chunk: store.Chunk{SessionID: fmt.Sprintf("l_%04d", i), Tab: "tab_0001", FirstAt: at, LastAt: at, BlobKey: "l"}})
	}
	for _, err := range db.AppendBatches(ctx, more) {
		if err != nil {
			t.Fatal(err)
		}
	}
	plan, _ := search.Parse("browser:lynx")
	page, err := db.ListSessions(ctx, store.ListQuery{ProjectID: "p", Limit: 50, Query: plan, Count: true})
	if err != nil || page.Count != store.CountCap || !page.Capped || len(page.Sessions) != 50 || page.Sessions[0].ID != "l_0000" {
		t.Errorf("capped count = %d, capped %v, %d sessions, %v", page.Count, page.Capped, len(page.Sessions), err)
	}
}

// testEraseRemovesSearchIndex: deleting a session removes what search knew about it.
func testEraseRemovesSearchIndex(t *testing.T, db store.Index) {
	t.Cleanup(func() { db.Close() })
	ctx := context.Background()
	if err := db.CreateProject(ctx, store.Project{ID: "p", Name: "p", PublicKey: "pk"}); err != nil {
		t.Fatal(err)
	}
	for i, id := range []string{"s_alice", "s_bob"} {
		msgs := []string{"shared error"}
		if id == "s_alice" {
			msgs = append(msgs, "no account for alice@example.com")
		}
		at := searchT0.Add(time.Duration(i) * time.Minute)
		b := store.Batch{ProjectID: "p", Chunk: store.Chunk{SessionID: id, Tab: "tab_0001", FirstAt: at, LastAt: at, BlobKey: id},
			Pages: []store.Page{{Tab: "tab_0001", At: at, URL: "https://x.test/" + id}}, Text: []string{"Hello " + id},
			UserID: id, ErrorMessages: msgs, EventNames: []string{"x"}, Traits: map[string]string{"email": id + "@example.com"}}
		if err := db.AppendBatch(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.DeleteSessions(ctx, []string{"s_alice"}); err != nil {
		t.Fatal(err)
	}
	for q, want := range map[string]string{
		"error:alice":        "",
		`error:"shared"`:     "s_bob",
		"user:s_alice":       "",
		"user.email:*":       "s_bob",
		"event:x":            "s_bob",
		"visited:/s_alice":   "",
		"text:s_alice":       "",
		"text:hello":         "s_bob",
		"-text:hello":        "",
		"-error:nothing":     "s_bob",
		"visited:https://*":  "s_bob",
		"user.email:s_a*":    "",
		`error:"no account"`: "",
	} {
		plan, err := search.Parse(q)
		if err != nil {
			t.Fatal(err)
		}
		if got := strings.Join(searchPages(t, db, store.ListQuery{ProjectID: "p", Limit: 10, Query: plan, Count: true}, len(strings.Fields(want))), " "); got != want {
			t.Errorf("%q after erasing s_alice = %q, want %q", q, got, want)
		}
	}
	// A message seen again after its last session went is found again.
	at := searchT0.Add(time.Hour)
	b := store.Batch{ProjectID: "p", Chunk: store.Chunk{SessionID: "s_carol", Tab: "tab_0001", FirstAt: at, LastAt: at, BlobKey: "c"},
		ErrorMessages: []string{"no account for alice@example.com"}, Text: []string{"Hello s_alice"}}
	if err := db.AppendBatch(ctx, b); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"error:alice", "text:s_alice"} {
		plan, _ := search.Parse(q)
		if got := searchPages(t, db, store.ListQuery{ProjectID: "p", Limit: 10, Query: plan, Count: true}, 1); !slices.Equal(got, []string{"s_carol"}) {
			t.Errorf("%q = %v, want s_carol", q, got)
		}
	}
}

// testEventPropsBounded: a page sending a fresh property value with every event stops adding
// to the session's index at its bound (200 distinct properties), keeping the first.
func testEventPropsBounded(t *testing.T, db store.Index) {
	t.Cleanup(func() { db.Close() })
	ctx := context.Background()
	if err := db.CreateProject(ctx, store.Project{ID: "p", Name: "p", PublicKey: "pk"}); err != nil {
		t.Fatal(err)
	}
	for seq := range 10 {
		var props []store.Prop
		for i := range 50 {
			props = append(props, store.Prop{Key: "k", Value: fmt.Sprintf("v%03d", seq*50+i)})
		}
		b := store.Batch{ProjectID: "p", EventProps: props, Chunk: store.Chunk{SessionID: "s_noisy", Tab: "tab_0001", Seq: int64(seq), FirstAt: searchT0, LastAt: searchT0, BlobKey: "k"}}
		if err := db.AppendBatch(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	for q, want := range map[string]int{"event.k:v000": 1, "event.k:v199": 1, "event.k:v200": 0, "event.k:v499": 0} {
		plan, _ := search.Parse(q)
		searchPages(t, db, store.ListQuery{ProjectID: "p", Limit: 10, Query: plan, Count: true}, want)
	}
}

// testHostileBatch: NUL bytes and invalid UTF-8 in every string of a batch do not fail it (a
// backend whose text refuses them cleans them, docs/decisions.md); the batch is found again by
// the strings it was sent with, a retry is a duplicate, and its valid parts are searchable.
func testHostileBatch(t *testing.T, db store.Index) {
	t.Cleanup(func() { db.Close() })
	ctx := context.Background()
	if err := db.CreateProject(ctx, store.Project{ID: "p", Name: "p", PublicKey: "pk"}); err != nil {
		t.Fatal(err)
	}
	bad := "a\x00b\xffc"
	at := searchT0
	b := store.Batch{ProjectID: "p", Chunk: store.Chunk{SessionID: "s_" + bad, Tab: "tab_" + bad, FirstAt: at, LastAt: at, BlobKey: "k"},
		UserID: "user_" + bad, UserAgent: bad, Referrer: "https://ref.test/" + bad, Browser: bad, OS: bad, Device: bad,
		Pages:         []store.Page{{Tab: bad, At: at, URL: "https://x.test/" + bad + "?utm_source=" + bad}, {Tab: bad, At: at, URL: "\xff://bad url"}},
		ErrorMessages: []string{"boom " + bad}, EventNames: []string{"evt_" + bad}, Traits: map[string]string{bad: bad},
		EventProps: []store.Prop{{Key: bad, Value: bad}}, Text: []string{"hostile " + bad}}
	if err := db.AppendBatch(ctx, b); err != nil {
		t.Fatalf("hostile batch: %v", err)
	}
	if ok, err := db.HasChunk(ctx, b.ProjectID, b.Chunk.SessionID, b.Chunk.Tab, 0); err != nil || !ok {
		t.Errorf("HasChunk = %v, %v; want the chunk found by the strings it was sent with", ok, err)
	}
	if err := db.AppendBatch(ctx, b); !errors.Is(err, store.ErrDuplicate) {
		t.Errorf("the same batch again = %v, want ErrDuplicate", err)
	}
	if s, err := db.GetSession(ctx, b.Chunk.SessionID); err != nil || len(s.URLs) != 2 {
		t.Errorf("GetSession = %+v, %v", s, err)
	}
	for _, q := range []string{`error:"boom a"`, "event:evt_*", "user:user_*", "text:hostile", "visited:https://x.test/*"} {
		plan, err := search.Parse(q)
		if err != nil {
			t.Fatal(err)
		}
		if got := searchPages(t, db, store.ListQuery{ProjectID: "p", Limit: 10, Query: plan, Count: true}, 1); len(got) != 1 {
			t.Errorf("%q = %v, want the hostile session", q, got)
		}
	}
}
