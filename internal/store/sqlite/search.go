package sqlite

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/reelhq/reel/internal/measure"
	"github.com/reelhq/reel/internal/search"
	"github.com/reelhq/reel/internal/store"
)

// urlPath is the path of a page URL, what visited:/… matches; "" when it has none.
func urlPath(raw string) string { return measure.Path(raw) }

// indexForSearch folds a batch's search fields into its session (which exists by now).
func indexForSearch(ctx context.Context, tx querier, b store.Batch) error {
	id := b.Chunk.SessionID
	sc, scTotal := store.ScrubCountsOf(b.Scrubbed)
	_, err := tx.ExecContext(ctx, `UPDATE sessions SET
			browser         = CASE WHEN browser = '' THEN ?1 ELSE browser END,
			browser_version = CASE WHEN browser = '' THEN ?2 ELSE browser_version END,
			os              = CASE WHEN os = '' THEN ?3 ELSE os END,
			device          = CASE WHEN device = '' THEN ?4 ELSE device END,
			country         = CASE WHEN country = '' THEN ?5 ELSE country END,
			errors          = errors + ?6,
			failed_requests = failed_requests + ?7,
			scrubbed        = scrubbed + ?9,
			scrubbed_card   = scrubbed_card + ?10,
			scrubbed_email  = scrubbed_email + ?11,
			scrubbed_phone  = scrubbed_phone + ?12,
			scrubbed_iban   = scrubbed_iban + ?13,
			scrubbed_token  = scrubbed_token + ?14,
			scrubbed_custom = scrubbed_custom + ?15
		WHERE id = ?8`, b.Browser, b.BrowserVersion, b.OS, b.Device, b.Country, b.Errors, b.Failed, id,
		scTotal, sc[0], sc[1], sc[2], sc[3], sc[4], sc[5])
	if err != nil {
		return fmt.Errorf("index for search: %w", err)
	}
	for _, n := range b.EventNames {
		if _, err := tx.ExecContext(ctx, `INSERT INTO session_events(session_id, name) VALUES (?, ?) ON CONFLICT DO NOTHING`, id, n); err != nil {
			return fmt.Errorf("index event name: %w", err)
		}
	}
	for _, m := range b.ErrorMessages {
		if _, err := tx.ExecContext(ctx, `INSERT INTO error_messages(message) VALUES (?) ON CONFLICT(message) DO NOTHING`, m); err != nil {
			return fmt.Errorf("index error message: %w", err)
		}
		if _, err := tx.ExecContext(ctx, `INSERT INTO session_errors(session_id, message_id) SELECT ?, id FROM error_messages WHERE message = ? ON CONFLICT DO NOTHING`, id, m); err != nil {
			return fmt.Errorf("index error message: %w", err)
		}
	}
	for _, u := range b.AllUserIDs() {
		if _, err := tx.ExecContext(ctx, `INSERT INTO session_users(session_id, user_id, first_at) VALUES (?, ?, ?)
			ON CONFLICT(session_id, user_id) DO UPDATE SET first_at = MIN(first_at, excluded.first_at)`, id, u.UserID, ms(u.FirstAt)); err != nil {
			return fmt.Errorf("index user id: %w", err)
		}
	}
	keys := make([]string, 0, len(b.Traits))
	for k := range b.Traits {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if _, err := tx.ExecContext(ctx, `INSERT INTO session_traits(session_id, key, value) VALUES (?, ?, ?) ON CONFLICT(session_id, key) DO UPDATE SET value = excluded.value`, id, k, b.Traits[k]); err != nil {
			return fmt.Errorf("index trait: %w", err)
		}
	}
	return nil
}

// compiler turns a search plan into SQLite: a WHERE clause over sessions (aliased s) with ?
// placeholders and its arguments. Every value from the query travels as an argument; the
// only text the compiler writes into SQL comes from its own tables below.
//
// A term on another table (pages, events, traits, errors) compiles one of two ways. Most
// terms match many sessions, and the list only needs the newest 50 (and a count up to
// store.CountCap), so walking sessions in sort order and checking each with a correlated
// EXISTS stops early whatever the table's size. A rare term would make that walk visit every
// session, so the compiler first probes the term's own index for at most rareRows rows; if
// it finds fewer, it compiles to s.id IN (…), which SQLite uses to fetch just those sessions.
type compiler struct {
	ctx   context.Context
	probe func(ctx context.Context, query string, args ...any) *sql.Row
	query func(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	args  []any
	neg   bool // inside an odd number of NOTs: IN would materialise the whole list
	// probed is the row count the last probe found (at most rareRows), which orders the
	// lookups of a conjunction.
	probed int
	// lookup is the last term compiled as a walk's lookup, lookupOf that term.
	lookup   *lookup
	lookupOf *search.Term
	current  *search.Term // the term being compiled
	root     search.Node
	count    *countPlan
}

// rareRows is where the walk in sort order stops paying: a term matching fewer index rows is
// used to drive the query instead.
var rareRows = 10000

// compileWhere is the SQLite dialect of a plan's filter; "" when it matches everything. count
// is how to count its sessions, nil for walking sessions.
func (db *DB) compileWhere(ctx context.Context, n search.Node) (where string, args []any, count *countPlan, err error) {
	if n == nil {
		return "", nil, nil, nil
	}
	c := &compiler{ctx: ctx, probe: db.read.QueryRowContext, query: db.read.QueryContext, root: n}
	w, err := c.node(n)
	if c.count == nil && c.lookup != nil && n == search.Node(c.lookupOf) {
		c.count = &countPlan{lookup: *c.lookup}
	}
	return w, c.args, c.count, err
}

// lookup is a filter's test on a table keyed by session: cond is its WHERE over that table
// when it drives, check when it tests one session (both take args).
type lookup struct {
	table, cond, check string
	args               []any
	// from and fromCond (with fromArgs), when set, enumerate the lookup's rows (aliased d)
	// more cheaply than table and cond: the full-text index streamed and joined, for
	// on-screen text.
	from, fromCond string
	fromArgs       []any
}

// test is the lookup as a test of the session whose id is the SQL expression id.
func (l lookup) test(id string) string {
	return "(SELECT 1 FROM " + l.table + " WHERE session_id = " + id + " AND " + l.check + " LIMIT 1) IS NOT NULL"
}

// countPlan counts a conjunction from the rows of one of its lookups instead of walking
// sessions: the count stops at store.CountCap, and a lookup matching one session in ten finds
// that many ten times sooner. others are the conjunction's other lookups, tested on the id
// before the session is read; rest is its remaining terms, tested on the session ("" for none).
type countPlan struct {
	lookup
	others   []lookup
	rest     string
	restArgs []any
}

func (c *compiler) node(n search.Node) (string, error) {
	switch n := n.(type) {
	case *search.And:
		return c.and(n)
	case *search.Or:
		return c.group(n.Children, " OR ")
	case *search.Not:
		c.neg = !c.neg
		w, err := c.node(n.Child)
		c.neg = !c.neg
		return "NOT (" + w + ")", err
	case *search.Term:
		c.current = n
		return c.term(n)
	}
	return "", fmt.Errorf("sqlite: search: unknown plan node %T", n)
}

// and compiles a conjunction with its cheapest, most selective tests first. SQLite tests a
// session's terms in the order written and stops at the first that fails, so the order decides
// how many sessions are read and how many lookups run for the ones that fail:
//
//   - browser, OS, device and country (and rare terms, compiled as IN): the index SQLite walks
//     for one of them holds the others (0009_search_bound.sql), and IN tests the id the index
//     holds too, so these are tested before the session's row is read;
//   - the other comparisons on the session row;
//   - lookups in tables keyed by session (events, traits, errors, properties, findings), the
//     fewest matching rows first as the probe counted them;
//   - pages and on-screen text, whose lookups cost more;
//   - anything else (negated lookups, OR over lookups), which rarely rules a session out.
//
// A term that no session matches makes the whole conjunction "0", which SQLite answers
// without walking anything.
//
// At the top of the plan, the first lookup in that order may count the conjunction
// (countPlan), unless a term on browser, OS, device or country or a rare lookup is there to
// walk instead.
func (c *compiler) and(and *search.And) (string, error) {
	type part struct {
		where      string
		args       []any
		rank, rows int
		lookup     *lookup
	}
	parts := make([]part, len(and.Children))
	for i, n := range and.Children {
		mark := len(c.args)
		c.probed, c.lookup = rareRows, nil
		w, err := c.node(n)
		if err != nil {
			return "", err
		}
		if w == "0" {
			c.args = c.args[:mark]
			return "0", nil
		}
		p := part{where: w, args: slices.Clone(c.args[mark:]), rank: rank(n)}
		if t, ok := n.(*search.Term); ok && !onRow(t) {
			p.rows = c.probed
			if p.rows < rareRows {
				p.rank = 0
			}
			if c.lookupOf == t {
				p.lookup = c.lookup
			}
		}
		parts[i] = p
		c.args = c.args[:mark]
	}
	slices.SortStableFunc(parts, func(a, b part) int { return cmp.Or(cmp.Compare(a.rank, b.rank), cmp.Compare(a.rows, b.rows)) })
	join := func(parts []part) (string, []any) {
		ws := make([]string, len(parts))
		var args []any
		for i, p := range parts {
			ws[i] = "(" + p.where + ")"
			args = append(args, p.args...)
		}
		return strings.Join(ws, " AND "), args
	}
	if and == c.root && !slices.ContainsFunc(parts, func(p part) bool { return p.rank == 0 }) {
		if i := slices.IndexFunc(parts, func(p part) bool { return p.lookup != nil }); i >= 0 {
			count := &countPlan{lookup: *parts[i].lookup}
			var rest []part
			for j, p := range parts {
				switch {
				case j == i:
				case p.lookup != nil:
					count.others = append(count.others, *p.lookup)
				default:
					rest = append(rest, p)
				}
			}
			count.rest, count.restArgs = join(rest)
			c.count = count
		}
	}
	w, args := join(parts)
	c.args = append(c.args, args...)
	return w, nil
}

// rank orders the terms of a conjunction (see and).
func rank(n search.Node) int {
	if t, ok := n.(*search.Term); ok {
		switch t.Field {
		case search.Browser, search.OS, search.Device, search.Country:
			return 0
		case search.Visited, search.Text:
			return 3
		}
	}
	if onRow(n) {
		return 1
	}
	if _, ok := n.(*search.Term); ok {
		return 2
	}
	return 4
}

func (c *compiler) group(ns []search.Node, op string) (string, error) {
	parts := make([]string, len(ns))
	for i, n := range ns {
		w, err := c.node(n)
		if err != nil {
			return "", err
		}
		parts[i] = "(" + w + ")"
	}
	return strings.Join(parts, op), nil
}

// related compiles a test on a table keyed by session_id: cond is its condition with its own
// arguments.
//
// SQLite turns EXISTS into a join and may look rows up by cond's column first; a column
// written +col in existsCond keeps it to the session_id-led primary key instead (for error
// ids, one lookup per session instead of one per id).
func (c *compiler) related(table, cond string, args []any, existsCond ...string) (string, error) {
	if !c.neg && c.probe != nil {
		var n int
		err := c.probe(c.ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM `+table+` WHERE `+cond+` LIMIT ?)`, append(slices.Clone(args), rareRows)...).Scan(&n)
		if err != nil {
			return "", fmt.Errorf("sqlite: search: probe %s: %w", table, err)
		}
		c.probed = n
		if n < rareRows {
			if n == 0 {
				return "0", nil
			}
			c.args = append(c.args, args...)
			return "s.id IN (SELECT session_id FROM " + table + " WHERE " + cond + ")", nil
		}
	}
	l := lookup{table: table, cond: cond, check: cond, args: args}
	if len(existsCond) > 0 {
		l.check = existsCond[0]
	}
	return c.lookupTest(l), nil
}

// lookupTest compiles a lookup that is not rare as a test of each session walked, and keeps it
// as the conjunction's candidate for counting from its rows.
func (c *compiler) lookupTest(l lookup) string {
	if !c.neg {
		c.lookup, c.lookupOf = &l, c.current
	}
	c.args = append(c.args, l.args...)
	// Written as a correlated scalar subquery rather than EXISTS: SQLite rewrites EXISTS into a
	// join and builds a Bloom filter over the whole table first, which costs a scan of every
	// row of it on each query.
	return l.test("s.id")
}

// maxMessages bounds the distinct error messages an error: term lists by id.
const maxMessages = 500

// errorText finds the distinct messages containing the text first (LIKE is case-insensitive
// for ASCII, which is what error:typeerror should mean), so the per-session test is an index
// lookup by id rather than a scan of messages.
func (c *compiler) errorText(t *search.Term) (string, error) {
	pattern := "%" + likeEscape(t.Text) + "%"
	const like = `SELECT id FROM error_messages WHERE message LIKE ? ESCAPE '\'`
	if c.probe == nil {
		return c.related("session_errors", "message_id IN ("+like+")", []any{pattern})
	}
	rows, err := c.query(c.ctx, like+` LIMIT ?`, pattern, maxMessages+1)
	if err != nil {
		return "", fmt.Errorf("sqlite: search: error messages: %w", err)
	}
	defer rows.Close()
	var ids []any
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return "", fmt.Errorf("sqlite: search: error messages: %w", err)
		}
		ids = append(ids, id)
	}
	if err := rows.Err(); err != nil {
		return "", fmt.Errorf("sqlite: search: error messages: %w", err)
	}
	switch {
	case len(ids) == 0:
		return "0", nil
	case len(ids) > maxMessages:
		return c.related("session_errors", "message_id IN ("+like+")", []any{pattern})
	}
	list := "(" + strings.TrimSuffix(strings.Repeat("?,", len(ids)), ",") + ")"
	return c.related("session_errors", "message_id IN "+list, ids, "+message_id IN "+list)
}

// onRow reports whether a plan node tests only columns of the session row.
func onRow(n search.Node) bool {
	switch n := n.(type) {
	case *search.And:
		return !slices.ContainsFunc(n.Children, func(c search.Node) bool { return !onRow(c) })
	case *search.Or:
		return !slices.ContainsFunc(n.Children, func(c search.Node) bool { return !onRow(c) })
	case *search.Not:
		return onRow(n.Child)
	case *search.Term:
		_, ok := sessionColumns[n.Field]
		return ok || n.Field == search.Entry || n.Field == search.Exit || n.Field == search.ScrubbedKind
	}
	return false
}

// sessionColumns are the fields stored on the sessions row itself.
var sessionColumns = map[search.Field]string{
	search.Browser: "s.browser", search.OS: "s.os", search.Device: "s.device", search.Country: "s.country",
	search.Duration: "(s.ended_at - s.started_at)", search.Active: "s.active_ms", search.Clicks: "s.clicks",
	search.Pages: "s.pages", search.Errors: "s.errors", search.Failed: "s.failed_requests", search.Started: "s.started_at",
	search.Rage: "s.rage_clicks", search.Dead: "s.dead_clicks", search.Friction: "s.friction", search.Score: "s.score", search.Scrubbed: "s.scrubbed",
	search.Referrer: "s.referrer_host", search.UTMSource: "s.utm_source", search.UTMMedium: "s.utm_medium", search.UTMCampaign: "s.utm_campaign",
	search.ViewportWidth: "s.vp_width", search.ViewportHeight: "s.vp_height",
}

func (c *compiler) arg(v any) string {
	c.args = append(c.args, v)
	return "?"
}

// match compares col with the term's text: = for exact, GLOB (case-sensitive, so prefix
// patterns use the index) for patterns with *.
func match(col string, t *search.Term) (string, []any) {
	switch t.Op {
	case search.Glob:
		return col + " GLOB ?", []any{globPattern(t.Text)}
	case search.Exists:
		return col + " <> ''", nil
	}
	if t.Text != "" {
		// Restating what = implies lets SQLite use partial indexes WHERE col <> ''.
		return "(" + col + " = ? AND " + col + " <> '')", []any{t.Text}
	}
	return col + " = ?", []any{t.Text}
}

func (c *compiler) match(col string, t *search.Term) string {
	cond, args := match(col, t)
	c.args = append(c.args, args...)
	return cond
}

func (c *compiler) term(t *search.Term) (string, error) {
	if w, ok, err := c.moreTerm(t); ok {
		return w, err
	}
	switch t.Field {
	case search.Visited:
		col := "url"
		if strings.HasPrefix(t.Text, "/") {
			col = "path"
		}
		cond, args := match(col, t)
		return c.related("session_pages", cond, args)
	case search.Entry, search.Exit:
		col := "s." + string(t.Field) + "_url"
		if strings.HasPrefix(t.Text, "/") {
			col = "s." + string(t.Field) + "_path"
		}
		return c.match(col, t), nil
	case search.Event:
		cond, args := match("name", t)
		return c.related("session_events", cond, args)
	case search.User:
		// Any id the session was ever identified as, not only its current one.
		cond, args := match("user_id", t)
		return c.related("session_users", cond, args)
	case search.Trait:
		if t.Op == search.Exists {
			return c.related("session_traits", "key = ?", []any{t.Key})
		}
		cond, args := match("value", t)
		return c.related("session_traits", "key = ? AND "+cond, append([]any{t.Key}, args...))
	case search.ErrorText:
		return c.errorText(t)
	case search.ScrubbedKind:
		if !slices.Contains(search.ScrubbedKinds, t.Key) {
			return "", fmt.Errorf("sqlite: search: unknown scrubbed kind %q", t.Key)
		}
		switch t.Op {
		case search.Eq, search.Gt, search.Ge, search.Lt, search.Le:
			// The column name comes from the fixed list above, never from the query's text.
			return "s.scrubbed_" + t.Key + " " + string(t.Op) + " " + c.arg(t.Num), nil
		}
		return "", fmt.Errorf("sqlite: search: %s cannot compare with %s", t.Field, t.Op)
	}
	col, ok := sessionColumns[t.Field]
	if !ok {
		return "", fmt.Errorf("sqlite: search: field %s is not indexed", t.Field)
	}
	switch t.Field {
	case search.Duration, search.Active, search.Clicks, search.Pages, search.Errors, search.Failed, search.Started,
		search.Rage, search.Dead, search.Friction, search.Score, search.ViewportWidth, search.ViewportHeight, search.Scrubbed:
		switch t.Op {
		case search.Eq, search.Gt, search.Ge, search.Lt, search.Le:
			return col + " " + string(t.Op) + " " + c.arg(t.Num), nil
		}
		return "", fmt.Errorf("sqlite: search: %s cannot compare with %s", t.Field, t.Op)
	}
	return c.match(col, t), nil
}

// globPattern makes the language's pattern (only * is special) a GLOB pattern: ? and [ are
// special to GLOB, so they are bracketed to mean themselves.
func globPattern(p string) string {
	r := strings.NewReplacer("[", "[[]", "?", "[?]")
	return r.Replace(p)
}

func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(s)
}

// sortKey is the SQL expression each order sorts by (descending, then by id).
func sortKey(s search.Sort) string {
	switch s {
	case search.Longest:
		return "(s.ended_at - s.started_at)"
	case search.Errored:
		return "s.errors"
	case search.Interesting:
		return "s.score"
	case search.MostFriction:
		return "s.friction"
	case search.LiveFirst:
		return "s.ended_at"
	}
	return "s.started_at"
}
