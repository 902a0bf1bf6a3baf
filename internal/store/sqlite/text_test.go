package sqlite

import (
	"bytes"
	"context"
	"database/sql/driver"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/reelhq/reel/internal/search"
	"github.com/reelhq/reel/internal/store"
	"github.com/reelhq/reel/internal/store/storetest"
)

// maxPieceBytes is rrweb.Text's bound on one piece.
const maxPieceBytes = 1024

// textEnv is an index with one project and helpers for on-screen text.
type textEnv struct {
	t    *testing.T
	ctx  context.Context
	db   *DB
	path string
}

func newTextEnv(t *testing.T) *textEnv {
	t.Helper()
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "index.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.CreateProject(ctx, store.Project{ID: "p", Name: "p", PublicKey: "pk"}); err != nil {
		t.Fatal(err)
	}
	return &textEnv{t: t, ctx: ctx, db: db, path: path}
}

var textT0 = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// add ingests a batch of session id showing pieces; seq also orders the sessions in time.
func (e *textEnv) add(id string, seq int64, pieces ...string) {
	e.t.Helper()
	at := textT0.Add(time.Duration(seq) * time.Second)
	b := store.Batch{ProjectID: "p", Text: pieces, Chunk: store.Chunk{SessionID: id, Tab: "tab_0001", Seq: seq, FirstAt: at, LastAt: at, BlobKey: "k"}}
	if err := e.db.AppendBatch(e.ctx, b); err != nil {
		e.t.Fatal(err)
	}
}

func (e *textEnv) count(q string, args ...any) int {
	e.t.Helper()
	var n int
	if err := e.db.write.QueryRowContext(e.ctx, q, args...).Scan(&n); err != nil {
		e.t.Fatalf("%s: %v", q, err)
	}
	return n
}

// expect runs each query with text compiled both ways (rare: the probe lists the sessions;
// common: each session walked is tested) and wants the sessions in order, and their count.
func (e *textEnv) expect(cases ...textCase) {
	e.t.Helper()
	defer func() { rareRows = 10000 }()
	for _, rare := range []int{10000, 0} {
		rareRows = rare
		for _, tc := range cases {
			plan, err := search.Parse(tc.q)
			if err != nil {
				e.t.Fatal(err)
			}
			page, err := e.db.ListSessions(e.ctx, store.ListQuery{ProjectID: "p", Limit: 10, Query: plan, Count: true})
			if err != nil {
				e.t.Fatalf("%q: %v", tc.q, err)
			}
			got := []string{}
			for _, s := range page.Sessions {
				got = append(got, s.ID)
			}
			if !slices.Equal(got, tc.want) && !(len(got) == 0 && len(tc.want) == 0) || page.Count != len(tc.want) {
				e.t.Errorf("rareRows=%d %q = %v (count %d), want %v", rare, tc.q, got, page.Count, tc.want)
			}
		}
	}
}

type textCase struct {
	q    string
	want []string
}

// sessionText is the text a session references, piece by piece.
func (e *textEnv) sessionText(id string) []string {
	e.t.Helper()
	ids, err := sessionPieces(e.ctx, e.db.write, id)
	if err != nil {
		e.t.Fatal(err)
	}
	var out []string
	for _, p := range ids {
		var s string
		if err := e.db.write.QueryRowContext(e.ctx, `SELECT text FROM text_pieces WHERE id = ?`, p).Scan(&s); err != nil {
			e.t.Fatalf("piece %d of %s: %v", p, id, err)
		}
		out = append(out, s)
	}
	return out
}

// words lists the words of the pieces' full-text index.
func (e *textEnv) words() []string {
	e.t.Helper()
	if _, err := e.db.write.ExecContext(e.ctx, `CREATE VIRTUAL TABLE IF NOT EXISTS temp.piece_words USING fts5vocab(main, text_pieces_fts, row)`); err != nil {
		e.t.Fatal(err)
	}
	rows, err := e.db.write.QueryContext(e.ctx, `SELECT term FROM temp.piece_words`)
	if err != nil {
		e.t.Fatal(err)
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var w string
		if err := rows.Scan(&w); err != nil {
			e.t.Fatal(err)
		}
		out = append(out, w)
	}
	return out
}

// consistent checks both full-text indexes against what they index.
func (e *textEnv) consistent() {
	e.t.Helper()
	for _, q := range []string{
		`INSERT INTO text_pieces_fts(text_pieces_fts, rank) VALUES ('integrity-check', 1)`,
		`INSERT INTO session_text_refs_fts(session_text_refs_fts, rank) VALUES ('integrity-check', 0)`,
	} {
		if _, err := e.db.write.ExecContext(e.ctx, q); err != nil {
			e.t.Errorf("full-text index out of step: %s: %v", q, err)
		}
	}
	// Every row's pieces exist and are in the rows' index under the row.
	rows, err := e.db.write.QueryContext(e.ctx, `SELECT id, pieces FROM session_text_refs`)
	if err != nil {
		e.t.Fatal(err)
	}
	refs := map[int64][]int64{}
	for rows.Next() {
		var row int64
		var b []byte
		if err := rows.Scan(&row, &b); err != nil {
			e.t.Fatal(err)
		}
		if refs[row], err = unpackIDs(b); err != nil {
			e.t.Fatal(err)
		}
	}
	rows.Close()
	for row, ids := range refs {
		for _, id := range ids {
			if e.count(`SELECT COUNT(*) FROM session_text_refs_fts WHERE session_text_refs_fts MATCH ? AND rowid = ?`, strconv.FormatInt(id, 10), row) != 1 {
				e.t.Errorf("row %d's piece %d is not in the rows' index", row, id)
			}
			if e.count(`SELECT COUNT(*) FROM text_pieces WHERE id = ?`, id) != 1 {
				e.t.Errorf("row %d references piece %d, which is gone", row, id)
			}
		}
	}
}

// TestTextIndex: pieces repeated by later batches are referenced once, a session stops at
// maxSessionText, text: answers the same both ways, and deleting a session leaves no word of
// it in the full-text index.
func TestTextIndex(t *testing.T) {
	e := newTextEnv(t)
	e.add("s_one", 0, "Menu", "Checkout", "Payment declined")
	e.add("s_one", 1, "Menu", "Checkout", "Thank you")
	e.add("s_two", 2, "Menu", "Erase-me secret words")
	var long []string
	for i := range 4000 {
		long = append(long, time.Duration(i).String()+" of a long list of things on a page")
	}
	e.add("s_long", 3, long...)
	e.add("s_long", 4, strings.Repeat("tail ", maxPieceBytes/5))
	if got := e.sessionText("s_one"); !slices.Equal(got, []string{"Menu", "Checkout", "Payment declined", "Thank you"}) {
		t.Errorf("s_one references %q", got)
	}
	if n := e.count(`SELECT COUNT(*) FROM session_text_refs WHERE session_id = 's_one'`); n != 2 {
		t.Errorf("s_one has %d rows, want one per batch with new pieces", n)
	}
	if n := e.count(`SELECT COUNT(*) FROM text_pieces WHERE text = 'Menu'`); n != 1 {
		t.Errorf("Menu stored %d times, want once for both sessions", n)
	}
	size := 0
	for _, p := range e.sessionText("s_long") {
		size += len(p) + 1
	}
	if size > maxSessionText || size < maxSessionText-2*maxPieceBytes {
		t.Errorf("long session holds %d bytes, want just under %d", size, maxSessionText)
	}
	if n := e.count(`SELECT text_bytes FROM sessions WHERE id = 's_long'`); n != size {
		t.Errorf("text_bytes = %d, the pieces hold %d", n, size)
	}
	e.expect(
		textCase{"text:menu", []string{"s_two", "s_one"}},
		textCase{`text:"payment declined"`, []string{"s_one"}},
		textCase{"text:thank text:payment", []string{"s_one"}},
		textCase{"text:decl* -text:thank", nil},
		textCase{`text:"checkout payment"`, nil}, // a phrase is matched within one piece
		textCase{"-text:menu", []string{"s_long"}},
		textCase{"text:tail", nil}, // past the session's bound
		textCase{"text:nowhere", nil},
		textCase{"-text:nowhere", []string{"s_long", "s_two", "s_one"}},
	)
	if _, err := e.db.DeleteSessions(e.ctx, []string{"s_two"}); err != nil {
		t.Fatal(err)
	}
	if n := e.count(`SELECT COUNT(*) FROM text_pieces_fts WHERE text_pieces_fts MATCH 'secret'`); n != 0 {
		t.Errorf("the deleted session's words still match %d pieces", n)
	}
	if n := e.count(`SELECT COUNT(*) FROM session_text_refs WHERE session_id = 's_two'`); n != 0 {
		t.Errorf("%d text rows left", n)
	}
	e.consistent()
}

// TestTextSharedPieces: two sessions share pieces, each has one of its own. Deleting one keeps
// the other's text, shared pieces included, searchable and removes the pieces only it showed
// from the index, its pages and the database file; deleting the other removes the rest.
func TestTextSharedPieces(t *testing.T) {
	e := newTextEnv(t)
	const secret = "Erase-me secret words"
	e.add("s_a", 0, "Menu", "Checkout", secret)
	e.add("s_b", 1, "Menu", "Checkout", "Only bee sees this")
	e.add("s_b", 2, "Menu", "Payment declined", "Checkout")
	if n := e.count(`SELECT COUNT(*) FROM text_pieces`); n != 5 {
		t.Errorf("%d pieces stored, want the 5 distinct ones", n)
	}
	e.expect(
		textCase{"text:menu", []string{"s_b", "s_a"}},
		textCase{"text:checkout", []string{"s_b", "s_a"}},
		textCase{"text:secret", []string{"s_a"}},
		textCase{"text:secret OR text:bee", []string{"s_b", "s_a"}},
		textCase{`text:"payment declined"`, []string{"s_b"}},
		textCase{"-text:secret", []string{"s_b"}},
	)
	e.consistent()

	if _, err := e.db.DeleteSessions(e.ctx, []string{"s_a"}); err != nil {
		t.Fatal(err)
	}
	e.expect(
		textCase{"text:menu", []string{"s_b"}},
		textCase{"text:checkout", []string{"s_b"}},
		textCase{"text:secret", nil},
		textCase{"text:bee", []string{"s_b"}},
	)
	if n := e.count(`SELECT COUNT(*) FROM text_pieces WHERE text = ?`, secret); n != 0 {
		t.Errorf("the piece only the deleted session showed is still stored")
	}
	if n := e.count(`SELECT COUNT(*) FROM text_pieces`); n != 4 {
		t.Errorf("%d pieces left, want the 4 the other session shows", n)
	}
	for _, w := range e.words() {
		if w == "secret" || w == "erase" {
			t.Errorf("the word %q is still in the pieces' full-text index", w)
		}
	}
	e.consistent()
	// Nothing in the file holds the piece: secure_delete zeroes the freed cells.
	if err := e.db.Checkpoint(e.ctx); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{e.path, e.path + "-wal"} {
		b, err := os.ReadFile(p)
		if err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
		if bytes.Contains(b, []byte(secret)) {
			t.Errorf("%s still holds the deleted session's text", filepath.Base(p))
		}
	}

	if _, err := e.db.DeleteSessions(e.ctx, []string{"s_b"}); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{`SELECT COUNT(*) FROM text_pieces`, `SELECT COUNT(*) FROM session_text_refs`, `SELECT COUNT(*) FROM session_text_refs_fts_docsize`} {
		if n := e.count(q); n != 0 {
			t.Errorf("%s = %d after every session was deleted", q, n)
		}
	}
	if w := e.words(); len(w) != 0 {
		t.Errorf("words left in the pieces' index: %q", w)
	}
	for _, q := range []string{"1", "2", "3", "4", "5"} {
		if n := e.count(`SELECT COUNT(*) FROM session_text_refs_fts WHERE session_text_refs_fts MATCH ?`, q); n != 0 {
			t.Errorf("piece %s still has %d rows in the rows' index", q, n)
		}
	}
	e.consistent()
	// A piece shown again after it was dropped is stored afresh.
	e.add("s_c", 3, "Menu")
	e.expect(textCase{"text:menu", []string{"s_c"}})
	e.consistent()
}

// TestTextMigration: text stored per session by migration 0007 moves into shared pieces with
// migration 0011 and stays searchable, session by session.
func TestTextMigration(t *testing.T) {
	ctx := context.Background()
	// The index is at version 12 without 11, as one created between their commits was:
	// opening it applies 11.
	path, old := migratedTo(t, func(v int) bool { return v < 11 || v == 12 })
	rows := []struct{ session, text string }{
		{"s_one", "Menu\nCheckout\nPayment declined"},
		{"s_one", "Thank you"},
		{"s_two", "Menu\nErase-me secret words\nCheckout"},
		{"s_three", "Ménu of the day"},
	}
	for i, id := range []string{"s_one", "s_two", "s_three"} {
		if _, err := old.ExecContext(ctx, `INSERT INTO projects(id, name, public_key, allowed_origins, created_at) VALUES ('p', 'p', 'pk', '[]', 0) ON CONFLICT DO NOTHING`); err != nil {
			t.Fatal(err)
		}
		at := textT0.Add(time.Duration(i) * time.Minute).UnixMilli()
		if _, err := old.ExecContext(ctx, `INSERT INTO sessions(id, project_id, started_at, ended_at, user_agent, updated_at) VALUES (?, 'p', ?, ?, '', ?)`, id, at, at, at); err != nil {
			t.Fatal(err)
		}
	}
	for _, r := range rows {
		if _, err := old.ExecContext(ctx, `INSERT INTO session_text(session_id, text) VALUES (?, ?)`, r.session, r.text); err != nil {
			t.Fatal(err)
		}
		if _, err := old.ExecContext(ctx, `UPDATE sessions SET text_bytes = text_bytes + ? WHERE id = ?`, len(r.text)+1, r.session); err != nil {
			t.Fatal(err)
		}
	}
	old.Close()

	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	e := &textEnv{t: t, ctx: ctx, db: db, path: path}
	if n := e.count(`SELECT COUNT(*) FROM schema_migrations WHERE version IN (11, 12)`); n != 2 {
		t.Errorf("%d of migrations 11 and 12 recorded", n)
	}
	if n := e.count(`SELECT COUNT(*) FROM sqlite_schema WHERE name LIKE 'session_text' OR name LIKE 'session_text_fts%'`); n != 0 {
		t.Errorf("%d tables of the old layout left", n)
	}
	if n := e.count(`SELECT COUNT(*) FROM text_pieces`); n != 6 {
		t.Errorf("%d pieces, want the 6 distinct ones", n)
	}
	if got := e.sessionText("s_one"); !slices.Equal(got, []string{"Menu", "Checkout", "Payment declined", "Thank you"}) {
		t.Errorf("s_one references %q", got)
	}
	if n := e.count(`SELECT COUNT(*) FROM session_text_refs WHERE session_id = 's_one'`); n != 2 {
		t.Errorf("s_one has %d rows, want its 2", n)
	}
	e.consistent()
	e.expect(
		textCase{"text:menu", []string{"s_three", "s_two", "s_one"}}, // accents ignored, as before
		textCase{`text:"payment declined"`, []string{"s_one"}},
		textCase{"text:secret", []string{"s_two"}},
		textCase{"text:thank", []string{"s_one"}},
	)
	// Ingest after the migration shares the migrated pieces and keeps the session's bound.
	e.add("s_two", 5, "Checkout", "Thank you", "Menu")
	if got := e.sessionText("s_two"); !slices.Equal(got, []string{"Menu", "Checkout", "Erase-me secret words", "Thank you"}) {
		t.Errorf("s_two references %q", got)
	}
	if n := e.count(`SELECT COUNT(*) FROM text_pieces`); n != 6 {
		t.Errorf("%d pieces after ingest, want still 6", n)
	}
	if _, err := db.DeleteSessions(ctx, []string{"s_two"}); err != nil {
		t.Fatal(err)
	}
	e.expect(textCase{"text:secret", nil}, textCase{"text:thank", []string{"s_one"}})
	e.consistent()
}

func TestPackedIDs(t *testing.T) {
	for _, tc := range []struct {
		in, want []int64
	}{
		{nil, nil},
		{[]int64{5}, []int64{5}},
		{[]int64{300, 1, 70000, 1, 2}, []int64{1, 2, 300, 70000}},
		{[]int64{1 << 40, 1}, []int64{1, 1 << 40}},
	} {
		got, err := unpackIDs(packIDs(tc.in))
		if err != nil || !slices.Equal(got, tc.want) {
			t.Errorf("unpack(pack(%v)) = %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
	if _, err := unpackIDs([]byte{0x80}); err == nil {
		t.Error("a cut varint decoded")
	}
	for _, tc := range []struct {
		a, b []int64
		want int64
	}{
		{nil, []int64{1}, 0},
		{[]int64{1, 5, 9}, []int64{2, 6, 10}, 0},
		{[]int64{1, 5, 9}, []int64{2, 9}, 1},
		{[]int64{400}, []int64{1, 2, 3, 400}, 1},
		{[]int64{1, 2, 3, 400}, []int64{401}, 0},
	} {
		got, _ := textAny(nil, []driver.Value{packIDs(tc.a), packIDs(tc.b)})
		if got != tc.want {
			t.Errorf("any(%v, %v) = %v, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}

// TestTextCacheAcrossProcesses: the ids ingest remembers are dropped when another connection
// (reel erase-user works on the data directory directly) deleted the pieces they name, so text
// shown again after that is stored afresh instead of referencing a deleted piece.
func TestTextCacheAcrossProcesses(t *testing.T) {
	e := newTextEnv(t)
	e.add("s_a", 0, "Menu", "Only A")
	other, err := Open(e.ctx, e.path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.DeleteSessions(e.ctx, []string{"s_a"}); err != nil {
		t.Fatal(err)
	}
	other.Close()
	if n := e.count(`SELECT COUNT(*) FROM text_pieces`); n != 0 {
		t.Fatalf("%d pieces left after the other connection deleted their session", n)
	}
	e.add("s_b", 1, "Menu", "Only B")
	e.consistent()
	e.expect(textCase{"text:menu", []string{"s_b"}}, textCase{"text:only", []string{"s_b"}})
}

// TestTextCacheAcrossNodes: a deletion of pieces by any writer moves text_epoch, which every
// ingest transaction reads before it uses its cache, so ids remembered before the deletion are
// never referenced after it; and a deleted piece's id is never given to a new one.
func TestTextCacheAcrossNodes(t *testing.T) {
	e := newTextEnv(t)
	e.add("s_a", 0, "Menu", "Only A")
	before := e.count(`SELECT MAX(id) FROM text_pieces`)
	// The other node deletes s_a and its pieces, then stores one piece of its own.
	other, err := Open(e.ctx, e.path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := other.DeleteSessions(e.ctx, []string{"s_a"}); err != nil {
		t.Fatal(err)
	}
	if err := other.AppendBatch(e.ctx, store.Batch{ProjectID: "p", Text: []string{"Footer"}, Chunk: store.Chunk{SessionID: "s_c", Tab: "tab_0001", FirstAt: textT0, LastAt: textT0, BlobKey: "k2"}}); err != nil {
		t.Fatal(err)
	}
	other.Close()
	if n := e.count(`SELECT MIN(id) FROM text_pieces`); n <= before {
		t.Fatalf("a new piece took id %d; the deleted pieces had ids up to %d", n, before)
	}
	e.add("s_b", 1, "Menu", "Only B")
	e.consistent()
	if got := e.sessionText("s_b"); fmt.Sprint(got) != "[Menu Only B]" {
		t.Fatalf("s_b's text = %v", got)
	}
	e.expect(textCase{"text:menu", []string{"s_b"}}, textCase{"text:footer", []string{"s_c"}})
}

// TestTextContract runs the shared on-screen text contract with text compiled both ways.
func TestTextContract(t *testing.T) {
	defer func() { rareRows = 10000 }()
	for _, rare := range []int{10000, 0} {
		t.Run(strconv.Itoa(rare), func(t *testing.T) {
			rareRows = rare
			storetest.RunText(t, func(t *testing.T) store.Index { return openIndex(t) })
		})
	}
}
