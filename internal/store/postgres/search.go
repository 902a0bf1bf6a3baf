package postgres

import (
	"cmp"
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/jackc/pgx/v5"

	"github.com/reelhq/reel/internal/search"
)

// compiler turns a search plan into PostgreSQL: a WHERE clause over sessions (aliased s) with
// $n placeholders and its arguments. Every value from the query travels as an argument; the
// only text the compiler writes into SQL comes from its own tables below.
//
// A term on another table (pages, events, traits, errors, properties, findings, on-screen
// text) is first probed: the compiler reads the session ids of at most rareRows of its rows.
// A rare term (fewer rows) becomes s.id = ANY(those ids), which PostgreSQL answers by reading
// just those sessions by their key (or, under NOT and OR, by testing each session walked
// against a hash of the list); a term no row matches makes FALSE. A common term becomes a test
// of one session, a scalar subquery on the table's session-led key, which PostgreSQL can only
// run for each session its walk in sort order reads, so the walk stops after a page however
// large the table is. (An EXISTS would let the planner join the whole table first, hashing
// every matching row before the first session is read, whatever the LIMIT, as it did at a
// million sessions.) The list order, the ids and the tests are SQLite's (docs/search.md); the
// planner orders a conjunction's tests by their cost itself.
type compiler struct {
	ctx  context.Context
	db   *DB
	args []any
	mark int // the first argument of the term being compiled
	neg  bool
	// probed is the row count the last probe found (at most rareRows); lookup is the last term
	// compiled as a test of one session, lookupOf that term.
	probed   int
	lookup   *lookup
	lookupOf *search.Term
	current  *search.Term
	root     search.Node
	count    *countPlan
}

// lookup is a common term's test on a table keyed by session (aliased d): cond over its rows,
// with placeholders into the compiler's arguments; unique when no session has two rows
// matching it, so a count over its rows needs no DISTINCT.
type lookup struct {
	table, cond string
	unique      bool
}

// rowOrder is a column that orders a session's rows in each table a lookup reads (unique within
// the session), so a count can take each session at its first matching row alone.
var rowOrder = map[string]string{
	"session_pages": "id", "session_signals": "id", "session_text_refs": "id", "session_errors": "message_id",
	"session_event_props": "hash", "session_flags": "variant", "session_events": "name", "session_traits": "key", "session_users": "user_id",
}

var rowAlias = regexp.MustCompile(`\bd\.`)

// first is the lookup's condition on its row d and that no row of the same session before it
// matches, true once per session, so a count reads its rows as they come without DISTINCT
// (which PostgreSQL would answer by reading all of them first).
func (l lookup) first() string {
	if l.unique {
		return l.cond
	}
	key := rowOrder[l.table]
	return l.cond + " AND (SELECT true FROM " + l.table + " d2 WHERE d2.session_id = d.session_id AND d2." + key + " < d." + key +
		" AND " + rowAlias.ReplaceAllString(l.cond, "d2.") + " LIMIT 1) IS NULL"
}

// test is the lookup as a test of the session whose id is the SQL expression id.
func (l lookup) test(id string) string {
	return "(SELECT true FROM " + l.table + " d WHERE d.session_id = " + id + " AND " + l.cond + " LIMIT 1) IS NOT NULL"
}

// countPlan counts a conjunction from the rows of one of its lookups instead of walking
// sessions, as SQLite's does: each session those rows name, once, that is in the project and
// passes rest (the conjunction's other terms, tested on the session). The count stops at
// store.CountCap; a lookup one session in ten has finds that many ten times sooner than the
// walk.
type countPlan struct {
	lookup
	rest string
}

func (c *compiler) arg(v any) string {
	if s, ok := v.(string); ok {
		v = clean(s)
	}
	c.args = append(c.args, v)
	return "$" + strconv.Itoa(len(c.args))
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
		c.probed, c.lookup = rareRows, nil
		return c.term(n)
	}
	return "", fmt.Errorf("postgres: search: unknown plan node %T", n)
}

// and compiles a conjunction. A term that no session matches makes it FALSE. At the top of the
// plan, with no term on browser, OS, device or country and no rare term (which the planner
// reads sessions by instead of walking them), the conjunction is counted from the rows of its
// first lookup (countPlan), events, traits, errors, properties and findings before pages and
// text, the fewest probed rows first.
func (c *compiler) and(and *search.And) (string, error) {
	type part struct {
		where      string
		rank, rows int
		lookup     *lookup
	}
	mark := len(c.args)
	parts := make([]part, len(and.Children))
	for i, n := range and.Children {
		c.lookup = nil
		c.probed = rareRows
		w, err := c.node(n)
		if err != nil {
			return "", err
		}
		if w == "FALSE" {
			// Arguments no placeholder refers to would leave their types undetermined.
			c.args = c.args[:mark]
			return "FALSE", nil
		}
		p := part{where: "(" + w + ")", rank: rank(n)}
		if t, ok := n.(*search.Term); ok && !onRow(t) {
			p.rows = c.probed
			if p.rows < rareRows {
				p.rank = 0
			}
			if c.lookupOf == t && c.lookup != nil {
				p.lookup = c.lookup
			}
		}
		parts[i] = p
	}
	ws := make([]string, len(parts))
	for i, p := range parts {
		ws[i] = p.where
	}
	// Two or more of browser, OS, device and country are also asked of sessions_agent, whose
	// GIN index intersects them; a term alone keeps to its own btree, walked in order.
	var agent []string
	for _, n := range and.Children {
		if t, ok := n.(*search.Term); ok && t.Op == search.Eq && agentTag[t.Field] != "" {
			agent = append(agent, agentTag[t.Field]+clean(t.Text))
		}
	}
	if len(agent) >= 2 {
		ws = append(ws, agentArray+" @> "+c.arg(agent)+"::text[]")
	}
	if and == c.root && !slices.ContainsFunc(parts, func(p part) bool { return p.rank == 0 }) {
		best := -1
		for i, p := range parts {
			if p.lookup != nil && (best < 0 || cmp.Or(cmp.Compare(p.rank, parts[best].rank), cmp.Compare(p.rows, parts[best].rows)) < 0) {
				best = i
			}
		}
		if best >= 0 {
			var rest []string
			for i, w := range ws {
				if i != best {
					rest = append(rest, w)
				}
			}
			c.count = &countPlan{lookup: *parts[best].lookup, rest: strings.Join(rest, " AND ")}
		}
	}
	return strings.Join(ws, " AND "), nil
}

// agentArray is sessions_agent's expression (0001_init.sql): browser, OS, device and country
// as one array of tagged values.
const agentArray = `ARRAY['b:' || s.browser, 'o:' || s.os, 'd:' || s.device, 'c:' || s.country]`

var agentTag = map[search.Field]string{search.Browser: "b:", search.OS: "o:", search.Device: "d:", search.Country: "c:"}

// rank orders the terms of a conjunction for choosing the lookup to count from (see and).
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

// rareRows is where the walk in sort order stops paying: a term matching fewer rows is read
// by its ids instead (see compiler).
var rareRows = 10000

// commonRows is the planner's estimate of a term's rows past which the compiler takes it as
// common without counting them (five times rareRows): the estimate of a value in the column's
// statistics (its most common values) is close, and one outside them is estimated small and
// counted.
func commonRows() float64 { return 5 * float64(rareRows) }

// related is a test on a table keyed by session_id (aliased d): cond is its condition, with
// the arguments the current term added; unique says a session has at most one row matching
// it.
func (c *compiler) related(table, cond string, unique bool) (string, error) {
	l := lookup{table: table, cond: cond, unique: unique}
	if c.neg {
		// Under NOT a rare term rules out few sessions and a common one many; the test of one
		// session is as cheap either way, so the probe would only cost.
		return l.test("s.id"), nil
	}
	// The probe takes the term's arguments alone: its placeholders are renumbered from $1.
	probe := placeholder.ReplaceAllStringFunc(cond, func(p string) string {
		n, _ := strconv.Atoi(p[1:])
		return "$" + strconv.Itoa(n-c.mark)
	})
	// The planner's estimate first: a term its statistics put far past rareRows (a common
	// value of the column) is common without reading any row, which would cost 10-50 ms
	// (the planner reads the first rareRows rows by a scan of the table as often as not).
	var plan string
	err := c.db.pool.QueryRow(c.ctx, `EXPLAIN (FORMAT JSON) SELECT 1 FROM `+table+` d WHERE `+probe, append([]any{custom}, c.args[c.mark:]...)...).Scan(&plan)
	if err != nil {
		return "", fmt.Errorf("postgres: search: estimate %s: %w", table, err)
	}
	var est []struct {
		Plan struct {
			Rows float64 `json:"Plan Rows"`
		}
	}
	if err := json.Unmarshal([]byte(plan), &est); err != nil || len(est) != 1 {
		return "", fmt.Errorf("postgres: search: estimate %s: %v", table, err)
	}
	var ids []string
	if est[0].Plan.Rows < commonRows() {
		err = c.db.pool.QueryRow(c.ctx, `SELECT CASE WHEN COUNT(*) < `+strconv.Itoa(rareRows)+` THEN COALESCE(array_agg(DISTINCT session_id), '{}') END
		FROM (SELECT d.session_id FROM `+table+` d WHERE `+probe+` LIMIT `+strconv.Itoa(rareRows)+`) p`, append([]any{custom}, c.args[c.mark:]...)...).Scan(&ids)
		if err != nil {
			return "", fmt.Errorf("postgres: search: probe %s: %w", table, err)
		}
	}
	if ids != nil {
		// The term's own arguments are not needed any more: the ids stand for them.
		c.args = c.args[:c.mark]
		c.probed = len(ids)
		if len(ids) == 0 {
			return "FALSE", nil
		}
		return "s.id = ANY(" + c.arg(ids) + "::text[])", nil
	}
	c.lookup, c.lookupOf = &l, c.current
	return l.test("s.id"), nil
}

// custom runs a search statement planned for its values each time: pgx would otherwise prepare
// it, and after five runs PostgreSQL may switch to a generic plan that knows neither a LIKE's
// prefix nor how many ids a list holds, and walks every session (1.6 s instead of 50 ms for
// the bench's conjunction of eight filters at 100,000 sessions).
const custom = pgx.QueryExecModeCacheDescribe

var placeholder = regexp.MustCompile(`\$[0-9]+`)

// sessionColumns are the fields stored on the sessions row itself.
var sessionColumns = map[search.Field]string{
	search.Browser: "s.browser", search.OS: "s.os", search.Device: "s.device", search.Country: "s.country",
	search.Duration: "(s.ended_at - s.started_at)", search.Active: "s.active_ms", search.Clicks: "s.clicks",
	search.Pages: "s.pages", search.Errors: "s.errors", search.Failed: "s.failed_requests", search.Started: "s.started_at",
	search.Rage: "s.rage_clicks", search.Dead: "s.dead_clicks", search.Friction: "s.friction", search.Score: "s.score", search.Scrubbed: "s.scrubbed",
	search.Referrer: "s.referrer_host", search.UTMSource: "s.utm_source", search.UTMMedium: "s.utm_medium", search.UTMCampaign: "s.utm_campaign",
	search.ViewportWidth: "s.vp_width", search.ViewportHeight: "s.vp_height",
}

// likePattern makes the language's pattern (only * is special) a LIKE pattern: % _ and \ are
// special to LIKE, so they are escaped to mean themselves. LIKE is case-sensitive, as SQLite's
// GLOB is, and a trigram index answers it.
func likePattern(p string) string {
	return strings.ReplaceAll(likeEscape(p), "*", "%")
}

func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, "%", `\%`, "_", `\_`).Replace(s)
}

// match compares col with the term's text: = for exact, LIKE for patterns with *.
func (c *compiler) match(col string, t *search.Term) string {
	switch t.Op {
	case search.Glob:
		return col + " LIKE " + c.arg(likePattern(t.Text))
	case search.Exists:
		return col + " <> ''"
	}
	return col + " = " + c.arg(t.Text)
}

// prefixChars is how much of a long text column its btree indexes hold (left(col, …) in the
// migrations): 512 characters are at most 2,048 bytes, within a btree entry's limit.
const prefixChars = 512

// matchIndexed is match for a column indexed by its first n characters: the test is written on
// the index's expression, so the planner uses it and estimates it by the index's statistics. A
// value shorter than n characters equals the column exactly when it equals the column's first n
// characters, and likewise a prefix (a glob whose only * ends it); a longer one, or any other
// glob, is tested on the whole column too.
func (c *compiler) matchIndexed(col string, n int, t *search.Term) string {
	left := "left(" + col + ", " + strconv.Itoa(n) + ")"
	switch t.Op {
	case search.Glob:
		text := clean(t.Text)
		prefix, rest, _ := strings.Cut(text, "*")
		short := utf8.RuneCountInString(prefix) < n
		if !short {
			prefix = string([]rune(prefix)[:n])
		}
		if prefix == "" {
			return col + " LIKE " + c.arg(likePattern(text))
		}
		cond := left + " LIKE " + c.arg(likeEscape(prefix)+"%")
		if rest != "" || !short {
			cond += " AND " + col + " LIKE " + c.arg(likePattern(text))
		}
		return cond
	case search.Exists:
		return col + " <> ''"
	}
	text := clean(t.Text)
	if utf8.RuneCountInString(text) < n {
		return left + " = " + c.arg(text)
	}
	v := c.arg(text)
	return left + " = left(" + v + ", " + strconv.Itoa(n) + ") AND " + col + " = " + v
}

// numeric compares a number with the term's.
func (c *compiler) numeric(col string, t *search.Term) (string, error) {
	switch t.Op {
	case search.Eq, search.Gt, search.Ge, search.Lt, search.Le:
		return col + " " + string(t.Op) + " " + c.arg(t.Num) + "::bigint", nil
	}
	return "", fmt.Errorf("postgres: search: %s cannot compare with %s", t.Field, t.Op)
}

func (c *compiler) term(t *search.Term) (string, error) {
	c.mark = len(c.args)
	switch t.Field {
	case search.Visited:
		col := "d.url"
		if strings.HasPrefix(t.Text, "/") {
			col = "d.path"
		}
		return c.related("session_pages", c.matchIndexed(col, prefixChars, t), false)
	case search.Entry, search.Exit:
		col := "s." + string(t.Field) + "_url"
		if strings.HasPrefix(t.Text, "/") {
			col = "s." + string(t.Field) + "_path"
		}
		return c.match(col, t), nil
	case search.Event:
		return c.related("session_events", c.matchIndexed("d.name", prefixChars, t), t.Op == search.Eq)
	case search.User:
		// Any id the session was ever identified as, not only its current one.
		return c.related("session_users", c.match("d.user_id", t), t.Op == search.Eq)
	case search.Trait:
		// A session has one value of a trait.
		key := c.matchIndexed("d.key", 256, &search.Term{Op: search.Eq, Text: t.Key})
		if t.Op == search.Exists {
			return c.related("session_traits", key, true)
		}
		return c.related("session_traits", key+" AND "+c.matchIndexed("d.value", 256, t), true)
	case search.EventProp:
		key := c.matchIndexed("d.key", 256, &search.Term{Op: search.Eq, Text: t.Key})
		if t.Op == search.Exists {
			return c.related("session_event_props", key, false)
		}
		return c.related("session_event_props", key+" AND "+c.matchIndexed("d.value", 256, t), t.Op == search.Eq)
	case search.Flag:
		// Names and variants are at most 128 bytes (ingest), within the btree's reach. Every
		// condition names the flag, so the variant orders a session's matching rows.
		name := c.match("d.name", &search.Term{Op: search.Eq, Text: t.Key})
		if t.Op == search.Exists {
			return c.related("session_flags", name, false)
		}
		return c.related("session_flags", name+" AND "+c.match("d.variant", t), t.Op == search.Eq)
	case search.ErrorText:
		return c.errorText(t)
	case search.Referrer:
		col := "s.referrer_host"
		if strings.Contains(t.Text, "://") {
			col = "s.referrer"
		}
		return c.match(col, t), nil
	case search.Issue:
		return c.related("session_signals", c.match("d.fingerprint", t), false)
	case search.Text:
		return c.text(t)
	case search.ScrubbedKind:
		if !slices.Contains(search.ScrubbedKinds, t.Key) {
			return "", fmt.Errorf("postgres: search: unknown scrubbed kind %q", t.Key)
		}
		// The column name comes from the fixed list above, never from the query's text.
		return c.numeric("s.scrubbed_"+t.Key, t)
	case search.Vital:
		return c.vitalTerm(t)
	case search.FrictionKind:
		if t.Op == search.Gt && t.Num == 0 || t.Op == search.Ge && t.Num == 1 {
			return c.related("session_signals", "d.kind = "+c.arg(t.Key), false)
		}
		return c.numeric("(SELECT COUNT(*) FROM session_signals d WHERE d.session_id = s.id AND d.kind = "+c.arg(t.Key)+")", t)
	}
	col, ok := sessionColumns[t.Field]
	if !ok {
		return "", fmt.Errorf("postgres: search: field %s is not indexed", t.Field)
	}
	switch t.Field {
	case search.Duration, search.Active, search.Clicks, search.Pages, search.Errors, search.Failed, search.Started,
		search.Rage, search.Dead, search.Friction, search.Score, search.ViewportWidth, search.ViewportHeight, search.Scrubbed:
		return c.numeric(col, t)
	}
	return c.match(col, t), nil
}

// maxMessages bounds the distinct error messages an error: term lists by id.
const maxMessages = 500

// errorText finds the distinct messages containing the text first, then tests sessions by
// message id. SQLite's LIKE ignores the case of ASCII letters only, and so does this: ILIKE
// lets the trigram index find candidates, the folded LIKE decides.
func (c *compiler) errorText(t *search.Term) (string, error) {
	pattern := "%" + likeEscape(clean(t.Text)) + "%"
	const like = `SELECT id FROM error_messages WHERE message ILIKE $1 AND ` + `translate(message, 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz') LIKE $1`
	rows, err := c.db.pool.Query(c.ctx, like+` LIMIT $2`, custom, pattern, maxMessages+1)
	if err != nil {
		return "", fmt.Errorf("postgres: search: error messages: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return "", fmt.Errorf("postgres: search: error messages: %w", err)
	}
	switch {
	case len(ids) == 0:
		return "FALSE", nil
	case len(ids) > maxMessages:
		p := c.arg(pattern)
		return c.related("session_errors", "d.message_id IN ("+strings.ReplaceAll(like, "$1", p)+")", false)
	}
	return c.related("session_errors", "d.message_id = ANY("+c.arg(ids)+"::bigint[])", len(ids) == 1)
}

// text compiles text: in two steps, as SQLite does: the full-text index of the distinct pieces
// finds the pieces with the words (a short list even for a common word), then the sessions'
// rows are tested for any of them (&&, which their GIN index answers).
func (c *compiler) text(t *search.Term) (string, error) {
	q := tsquery(t)
	if q == "" {
		return "FALSE", nil
	}
	rows, err := c.db.pool.Query(c.ctx, `SELECT id FROM text_pieces WHERE words @@ $1::tsquery`, custom, q)
	if err != nil {
		return "", fmt.Errorf("postgres: search: text pieces: %w", err)
	}
	ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
	if err != nil {
		return "", fmt.Errorf("postgres: search: text pieces: %w", err)
	}
	if len(ids) == 0 {
		return "FALSE", nil
	}
	return c.related("session_text_refs", "d.pieces && "+c.arg(ids)+"::bigint[]", false)
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
