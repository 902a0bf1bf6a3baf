package postgres

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"

	"github.com/reelhq/reel/internal/search"
)

// compiler turns a search plan into PostgreSQL: a WHERE clause over sessions (aliased s) with
// $n placeholders and its arguments. Every value from the query travels as an argument; the
// only text the compiler writes into SQL comes from its own tables below.
//
// A term on another table (pages, events, traits, errors, properties, findings, on-screen
// text) compiles to a correlated EXISTS, which PostgreSQL plans as a semi-join: walking the
// sessions in sort order and probing the table's session-led key when the term is common,
// or reading the term's own index (hash, trigram, GIN) first when it is rare. Unlike SQLite,
// PostgreSQL orders a conjunction's tests by their estimated cost itself, so the compiler
// does not reorder (docs/storage.md). Under OR it probes, as SQLite's compiler does: the
// planner turns an EXISTS there into a hash of every matching row, built before the first
// session is read, whatever the LIMIT; for a common term (rareRows or more rows) the compiler
// writes a test of one session instead, which the walk in sort order runs only for the
// sessions it reads.
type compiler struct {
	ctx  context.Context
	db   *DB
	args []any
	or   int // inside this many ORs
	mark int // the first argument of the term being compiled
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
		return c.group(n.Children, " AND ")
	case *search.Or:
		c.or++
		defer func() { c.or-- }()
		return c.group(n.Children, " OR ")
	case *search.Not:
		w, err := c.node(n.Child)
		return "NOT (" + w + ")", err
	case *search.Term:
		return c.term(n)
	}
	return "", fmt.Errorf("postgres: search: unknown plan node %T", n)
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

// rareRows is where a lookup under OR stops being worth hashing whole (see compiler).
var rareRows = 10000

// related is a test on a table keyed by session_id (aliased d): cond is its condition, with
// the arguments the current term added.
func (c *compiler) related(table, cond string) (string, error) {
	if c.or > 0 {
		// The probe takes the term's arguments alone: its placeholders are renumbered from $1.
		probe := placeholder.ReplaceAllStringFunc(cond, func(p string) string {
			n, _ := strconv.Atoi(p[1:])
			return "$" + strconv.Itoa(n-c.mark)
		})
		var n int
		err := c.db.pool.QueryRow(c.ctx, `SELECT COUNT(*) FROM (SELECT 1 FROM `+table+` d WHERE `+probe+` LIMIT `+strconv.Itoa(rareRows)+`) p`, c.args[c.mark:]...).Scan(&n)
		if err != nil {
			return "", fmt.Errorf("postgres: search: probe %s: %w", table, err)
		}
		if n >= rareRows {
			return "(SELECT true FROM " + table + " d WHERE d.session_id = s.id AND " + cond + " LIMIT 1) IS NOT NULL", nil
		}
	}
	return "EXISTS (SELECT 1 FROM " + table + " d WHERE d.session_id = s.id AND " + cond + ")", nil
}

var placeholder = regexp.MustCompile(`\$[0-9]+`)

// sessionColumns are the fields stored on the sessions row itself.
var sessionColumns = map[search.Field]string{
	search.Browser: "s.browser", search.OS: "s.os", search.Device: "s.device", search.Country: "s.country",
	search.User: "s.user_id", search.Duration: "(s.ended_at - s.started_at)", search.Active: "s.active_ms", search.Clicks: "s.clicks",
	search.Pages: "s.pages", search.Errors: "s.errors", search.Failed: "s.failed_requests", search.Started: "s.started_at",
	search.Rage: "s.rage_clicks", search.Dead: "s.dead_clicks", search.Friction: "s.friction", search.Score: "s.score",
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
		return c.related("session_pages", c.match(col, t))
	case search.Entry, search.Exit:
		col := "s." + string(t.Field) + "_url"
		if strings.HasPrefix(t.Text, "/") {
			col = "s." + string(t.Field) + "_path"
		}
		return c.match(col, t), nil
	case search.Event:
		return c.related("session_events", c.match("d.name", t))
	case search.Trait:
		key := "d.key = " + c.arg(t.Key)
		if t.Op == search.Exists {
			return c.related("session_traits", key)
		}
		return c.related("session_traits", key+" AND "+c.match("d.value", t))
	case search.EventProp:
		key := "d.key = " + c.arg(t.Key)
		if t.Op == search.Exists {
			return c.related("session_event_props", key)
		}
		return c.related("session_event_props", key+" AND "+c.match("d.value", t))
	case search.ErrorText:
		return c.errorText(t)
	case search.Referrer:
		col := "s.referrer_host"
		if strings.Contains(t.Text, "://") {
			col = "s.referrer"
		}
		return c.match(col, t), nil
	case search.Issue:
		return c.related("session_signals", c.match("d.fingerprint", t))
	case search.Text:
		return c.text(t)
	case search.FrictionKind:
		if t.Op == search.Gt && t.Num == 0 || t.Op == search.Ge && t.Num == 1 {
			return c.related("session_signals", "d.kind = "+c.arg(t.Key))
		}
		return c.numeric("(SELECT COUNT(*) FROM session_signals d WHERE d.session_id = s.id AND d.kind = "+c.arg(t.Key)+")", t)
	}
	col, ok := sessionColumns[t.Field]
	if !ok {
		return "", fmt.Errorf("postgres: search: field %s is not indexed", t.Field)
	}
	switch t.Field {
	case search.Duration, search.Active, search.Clicks, search.Pages, search.Errors, search.Failed, search.Started,
		search.Rage, search.Dead, search.Friction, search.Score, search.ViewportWidth, search.ViewportHeight:
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
	rows, err := c.db.pool.Query(c.ctx, like+` LIMIT $2`, pattern, maxMessages+1)
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
		return c.related("session_errors", "d.message_id IN ("+strings.ReplaceAll(like, "$1", p)+")")
	}
	return c.related("session_errors", "d.message_id = ANY("+c.arg(ids)+"::bigint[])")
}

// text compiles text: in two steps, as SQLite does: the full-text index of the distinct pieces
// finds the pieces with the words (a short list even for a common word), then the sessions'
// rows are tested for any of them (&&, which their GIN index answers).
func (c *compiler) text(t *search.Term) (string, error) {
	q := tsquery(t)
	if q == "" {
		return "FALSE", nil
	}
	rows, err := c.db.pool.Query(c.ctx, `SELECT id FROM text_pieces WHERE words @@ $1::tsquery`, q)
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
	return c.related("session_text_refs", "d.pieces && "+c.arg(ids)+"::bigint[]")
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
	}
	return "s.started_at"
}
