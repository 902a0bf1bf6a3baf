package sqlite

import (
	"context"
	"path/filepath"
	"strings"
	"testing"

	"github.com/reelhq/reel/internal/search"
	"github.com/reelhq/reel/internal/store"
)

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
