package storetest

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/reelhq/reel/internal/search"
	"github.com/reelhq/reel/internal/store"
)

// RunText runs the contract of on-screen text (text: in docs/search.md): what is indexed, the
// session's bound, sharing between sessions and what deletion leaves searchable.
func RunText(t *testing.T, open func(t *testing.T) store.Index) {
	t.Run("Index", func(t *testing.T) { testTextIndex(t, newTextEnv(t, open)) })
	t.Run("SharedPieces", func(t *testing.T) { testTextSharedPieces(t, newTextEnv(t, open)) })
	t.Run("GroupCommit", func(t *testing.T) { testTextGroupCommit(t, newTextEnv(t, open)) })
	t.Run("HostileText", func(t *testing.T) { testHostileText(t, newTextEnv(t, open)) })
}

// maxPieceBytes is rrweb.Text's bound on one piece.
const maxPieceBytes = 1024

// maxSessionText is the on-screen text indexed for one session, in bytes (each piece counts
// its length and one).
const maxSessionText = 64 << 10

type textEnv struct {
	t   *testing.T
	ctx context.Context
	db  store.Index
}

func newTextEnv(t *testing.T, open func(t *testing.T) store.Index) *textEnv {
	db := open(t)
	t.Cleanup(func() { db.Close() })
	ctx := context.Background()
	if err := db.CreateProject(ctx, store.Project{ID: "p", Name: "p", PublicKey: "pk"}); err != nil {
		t.Fatal(err)
	}
	return &textEnv{t: t, ctx: ctx, db: db}
}

var textT0 = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

func textBatch(id string, seq int64, pieces ...string) store.Batch {
	at := textT0.Add(time.Duration(seq) * time.Second)
	return store.Batch{ProjectID: "p", Text: pieces, Chunk: store.Chunk{SessionID: id, Tab: "tab_0001", Seq: seq, FirstAt: at, LastAt: at, BlobKey: "k"}}
}

// add ingests a batch of session id showing pieces; seq also orders the sessions in time.
func (e *textEnv) add(id string, seq int64, pieces ...string) {
	e.t.Helper()
	if err := e.db.AppendBatch(e.ctx, textBatch(id, seq, pieces...)); err != nil {
		e.t.Fatal(err)
	}
}

type textCase struct {
	q    string
	want []string
}

// expect runs each query and wants the sessions in order, and their count.
func (e *textEnv) expect(cases ...textCase) {
	e.t.Helper()
	for _, tc := range cases {
		plan, err := search.Parse(tc.q)
		if err != nil {
			e.t.Fatal(err)
		}
		want := tc.want
		if want == nil {
			want = []string{}
		}
		if got := searchPages(e.t, e.db, store.ListQuery{ProjectID: "p", Limit: 10, Query: plan, Count: true}, len(want)); !slices.Equal(got, want) {
			e.t.Errorf("%q = %v, want %v", tc.q, got, want)
		}
	}
}

// testTextIndex: text: finds words within one piece, a session stops at its bound, and
// deleting a session leaves no word of its own searchable.
func testTextIndex(t *testing.T, e *textEnv) {
	e.add("s_one", 0, "Menu", "Checkout", "Payment declined")
	e.add("s_one", 1, "Menu", "Checkout", "Thank you")
	e.add("s_two", 2, "Menu", "Erase-me secret words")
	var long []string
	for i := range 4000 {
		long = append(long, time.Duration(i).String()+" of a long list of things on a page")
	}
	e.add("s_long", 3, long...)
	e.add("s_long", 4, strings.Repeat("tail ", maxPieceBytes/5))
	e.expect(
		textCase{"text:menu", []string{"s_two", "s_one"}},
		textCase{`text:"payment declined"`, []string{"s_one"}},
		textCase{"text:thank text:payment", []string{"s_one"}},
		textCase{"text:decl* -text:thank", nil},
		textCase{`text:"checkout payment"`, nil}, // a phrase is matched within one piece
		textCase{"-text:menu", []string{"s_long"}},
		textCase{"text:tail", nil}, // past the session's bound
		textCase{`text:"0s of a long list"`, []string{"s_long"}},
		textCase{"text:nowhere", nil},
		textCase{"-text:nowhere", []string{"s_long", "s_two", "s_one"}},
		textCase{"text:erase text:secret", []string{"s_two"}},
		textCase{`text:"erase me"`, []string{"s_two"}},
	)
	// The bound counts each piece's bytes and one: the long session holds the pieces that fit
	// in order, the first that does not fit and those after it are left out.
	size, last := 0, -1
	for i, p := range long {
		if size+len(p)+1 > maxSessionText {
			break
		}
		size, last = size+len(p)+1, i
	}
	fits := time.Duration(last).String() + " of a long"
	over := time.Duration(last+1).String() + " of a long"
	e.expect(textCase{`text:"` + fits + `"`, []string{"s_long"}}, textCase{`text:"` + over + `"`, nil})
	if _, err := e.db.DeleteSessions(e.ctx, []string{"s_two"}); err != nil {
		t.Fatal(err)
	}
	e.expect(textCase{"text:secret", nil}, textCase{"text:menu", []string{"s_one"}})
}

// testTextSharedPieces: two sessions share pieces, each has one of its own. Deleting one keeps
// the other's text, shared pieces included, searchable; a piece shown again after every
// session showing it went is searchable again.
func testTextSharedPieces(t *testing.T, e *textEnv) {
	const secret = "Erase-me secret words"
	e.add("s_a", 0, "Menu", "Checkout", secret)
	e.add("s_b", 1, "Menu", "Checkout", "Only bee sees this")
	e.add("s_b", 2, "Menu", "Payment declined", "Checkout")
	e.expect(
		textCase{"text:menu", []string{"s_b", "s_a"}},
		textCase{"text:checkout", []string{"s_b", "s_a"}},
		textCase{"text:secret", []string{"s_a"}},
		textCase{"text:secret OR text:bee", []string{"s_b", "s_a"}},
		textCase{`text:"payment declined"`, []string{"s_b"}},
		textCase{"-text:secret", []string{"s_b"}},
	)
	if _, err := e.db.DeleteSessions(e.ctx, []string{"s_a"}); err != nil {
		t.Fatal(err)
	}
	e.expect(
		textCase{"text:menu", []string{"s_b"}},
		textCase{"text:checkout", []string{"s_b"}},
		textCase{"text:secret", nil},
		textCase{"text:bee", []string{"s_b"}},
	)
	if _, err := e.db.DeleteSessions(e.ctx, []string{"s_b"}); err != nil {
		t.Fatal(err)
	}
	e.expect(textCase{"text:menu", nil}, textCase{"-text:menu", nil})
	e.add("s_c", 3, "Menu")
	e.add("s_d", 4, "Erase-me secret words")
	e.expect(textCase{"text:menu", []string{"s_c"}}, textCase{"text:secret", []string{"s_d"}})
}

// testTextGroupCommit: batches of one group commit showing the same new pieces, of one
// session and of several, index them as batches committed one by one would.
func testTextGroupCommit(t *testing.T, e *textEnv) {
	dup := textBatch("s_x", 0, "Shared banner")
	for i, err := range e.db.AppendBatches(e.ctx, []store.Batch{
		textBatch("s_x", 0, "Shared banner", "Only x"),
		textBatch("s_y", 1, "Shared banner", "Only y", "Only y"),
		textBatch("s_x", 2, "Shared banner", "Later x"),
		dup, // a duplicate batch indexes nothing of its own
	}) {
		if want := i == 3; (err != nil) != want {
			t.Errorf("batch %d: %v", i, err)
		}
	}
	e.expect(
		textCase{"text:shared", []string{"s_y", "s_x"}},
		textCase{`text:"only y"`, []string{"s_y"}},
		textCase{"text:only", []string{"s_y", "s_x"}},
		textCase{"text:later", []string{"s_x"}},
	)
}

// testHostileText: NUL bytes, invalid UTF-8 and line breaks in on-screen text are stored and
// searched the same way by every backend (docs/decisions.md).
func testHostileText(t *testing.T, e *textEnv) {
	e.add("s_h", 0, "Hello\x00World", "bad \xff\xfe byte", "two\nlines", "emoji 🎉 party", "日本語 テキスト")
	e.expect(
		textCase{"text:helloworld", []string{"s_h"}},
		textCase{`text:"bad byte"`, []string{"s_h"}},
		textCase{`text:"two lines"`, []string{"s_h"}},
		textCase{`text:"emoji party"`, []string{"s_h"}},
		textCase{"text:日本語", []string{"s_h"}},
		textCase{"text:テキスト", []string{"s_h"}},
		textCase{"text:hello", nil},
	)
}
