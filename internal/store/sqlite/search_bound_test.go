package sqlite

import (
	"context"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/reelhq/reel/internal/search"
	"github.com/reelhq/reel/internal/store"
)

// boundSession is what TestSearchConjunctions gives each session, to work out by hand which
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

// TestSearchConjunctions pages through conjunctions of common filters that match nothing, a
// few or many sessions, with the lookups compiled as walks, as IN lists and mixed, and expects
// the sessions a plain reading of the query gives, in order, with the same count on every page.
func TestSearchConjunctions(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "index.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, p := range []string{"p", "q"} {
		if err := db.CreateProject(ctx, store.Project{ID: p, Name: p, PublicKey: "pk_" + p}); err != nil {
			t.Fatal(err)
		}
	}
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	var all []boundSession
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
		if err := db.AppendBatch(ctx, b); err != nil {
			t.Fatal(err)
		}
		all = append(all, s)
		if i < 40 { // the same session in another project, which no query of p may count
			b.ProjectID, b.Chunk.SessionID, b.Chunk.BlobKey = "q", "q"+s.id, "q"+s.id
			if err := db.AppendBatch(ctx, b); err != nil {
				t.Fatal(err)
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
	}
	defer func() { rareRows = 10000 }()
	for _, tc := range cases {
		var want []string
		for i := len(all) - 1; i >= 0; i-- { // newest first
			if tc.match(all[i]) {
				want = append(want, all[i].id)
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
		// 10000: every lookup is rare (IN); 0: every lookup walks; 60: some of each.
		for _, rare := range []int{10000, 0, 60} {
			rareRows = rare
			got := []string{}
			cursor := ""
			for pages := 0; ; pages++ {
				page, err := db.ListSessions(ctx, store.ListQuery{ProjectID: "p", Limit: 4, Cursor: cursor, Query: plan, Count: true})
				if err != nil {
					t.Fatalf("rareRows=%d %q: %v", rare, tc.q, err)
				}
				if page.Count != len(want) {
					t.Errorf("rareRows=%d %q page %d: count %d, want %d", rare, tc.q, pages, page.Count, len(want))
				}
				for _, s := range page.Sessions {
					got = append(got, s.ID)
				}
				if cursor = page.Next; cursor == "" || pages > len(all) {
					break
				}
			}
			if !slices.Equal(got, append([]string{}, want...)) {
				t.Errorf("rareRows=%d %q =\n%v\nwant\n%v", rare, tc.q, got, want)
			}
		}
	}
}

// TestConjunctionOrder: a conjunction compiles with the per-value columns first, then the
// session row's other columns, then lookups (events, traits, errors), then pages, then the
// negated ones, whatever order the query wrote them in, and counts from its first lookup's
// rows when nothing better walks; a lookup no session matches makes it "0".
func TestConjunctionOrder(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "index.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.CreateProject(ctx, store.Project{ID: "p", Name: "p", PublicKey: "pk"}); err != nil {
		t.Fatal(err)
	}
	b := store.Batch{ProjectID: "p", Pages: []store.Page{{Tab: "tab_0001", URL: "https://x.test/checkout"}}, Traits: map[string]string{"plan": "pro"},
		EventNames: []string{"signup"}, Chunk: store.Chunk{SessionID: "s_one", Tab: "tab_0001", BlobKey: "k"}}
	if err := db.AppendBatch(ctx, b); err != nil {
		t.Fatal(err)
	}
	defer func() { rareRows = 10000 }()
	rareRows = 0
	var countedFrom string
	compile := func(q string) string {
		t.Helper()
		plan, err := search.Parse(q)
		if err != nil {
			t.Fatal(err)
		}
		w, _, count, err := db.compileWhere(ctx, plan.Root)
		if err != nil {
			t.Fatal(err)
		}
		countedFrom = ""
		if count != nil {
			countedFrom = count.table
		}
		return w
	}
	w := compile(`-visited:/thanks visited:/checkout* event:signup clicks:>3 user.plan:pro country:DE`)
	order := []string{"s.country", "s.clicks", "session_events", "session_traits", "path GLOB", "NOT ("}
	last := -1
	for _, part := range order {
		at := strings.Index(w, part)
		if at < last {
			t.Errorf("%q comes before what precedes it in %v:\n%s", part, order, w)
		}
		last = at
	}
	for q, want := range map[string]string{
		"user.plan:pro":                                         "session_traits",
		"user.plan:pro OR visited:/checkout":                    "", // neither is needed
		"browser:firefox event:signup":                          "", // the browser's index walks
		"-event:signup clicks:>2":                               "",
		"visited:/checkout* -event:signup (event:a OR event:b)": "session_pages",
		"visited:/checkout* clicks:>2 user.plan:pro":            "session_traits",
	} {
		if compile(q); countedFrom != want {
			t.Errorf("%q counted from %q, want %q", q, countedFrom, want)
		}
	}
	rareRows = 10000
	if w := compile(`country:DE event:never_sent visited:/checkout*`); w != "0" {
		t.Errorf("a conjunction with a lookup nothing matches = %s, want 0", w)
	}
	if w := compile(`event:signup visited:/checkout*`); !strings.Contains(w, "s.id IN") {
		t.Errorf("rare lookups = %s, want IN lists", w)
	}
}
