package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"sort"
	"strings"

	"github.com/reelhq/reel/internal/search"
	"github.com/reelhq/reel/internal/store"
)

// urlPath is the path of a page URL, what visited:/… matches; "" when it has none.
func urlPath(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	if u.Path == "" && u.Host != "" {
		return "/"
	}
	return u.Path
}

// indexForSearch folds a batch's search fields into its session (which exists by now).
func indexForSearch(ctx context.Context, tx *sql.Tx, b store.Batch) error {
	id := b.Chunk.SessionID
	_, err := tx.ExecContext(ctx, `UPDATE sessions SET
			browser         = CASE WHEN browser = '' THEN ?1 ELSE browser END,
			browser_version = CASE WHEN browser = '' THEN ?2 ELSE browser_version END,
			os              = CASE WHEN os = '' THEN ?3 ELSE os END,
			device          = CASE WHEN device = '' THEN ?4 ELSE device END,
			country         = CASE WHEN country = '' THEN ?5 ELSE country END,
			errors          = errors + ?6,
			failed_requests = failed_requests + ?7
		WHERE id = ?8`, b.Browser, b.BrowserVersion, b.OS, b.Device, b.Country, b.Errors, b.Failed, id)
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
type compiler struct {
	args []any
}

// compileWhere is the SQLite dialect of a plan's filter; "" when it matches everything.
func compileWhere(n search.Node) (string, []any, error) {
	if n == nil {
		return "", nil, nil
	}
	c := &compiler{}
	w, err := c.node(n)
	return w, c.args, err
}

func (c *compiler) node(n search.Node) (string, error) {
	switch n := n.(type) {
	case *search.And:
		return c.group(n.Children, " AND ")
	case *search.Or:
		return c.group(n.Children, " OR ")
	case *search.Not:
		w, err := c.node(n.Child)
		return "NOT (" + w + ")", err
	case *search.Term:
		return c.term(n)
	}
	return "", fmt.Errorf("sqlite: search: unknown plan node %T", n)
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

// sessionColumns are the fields stored on the sessions row itself.
var sessionColumns = map[search.Field]string{
	search.Browser: "s.browser", search.OS: "s.os", search.Device: "s.device", search.Country: "s.country",
	search.User: "s.user_id", search.Duration: "(s.ended_at - s.started_at)", search.Clicks: "s.clicks",
	search.Pages: "s.pages", search.Errors: "s.errors", search.Failed: "s.failed_requests", search.Started: "s.started_at",
}

func (c *compiler) arg(v any) string {
	c.args = append(c.args, v)
	return "?"
}

// match compares col with the term's text: = for exact, GLOB (case-sensitive, so prefix
// patterns use the index) for patterns with *.
func (c *compiler) match(col string, t *search.Term) string {
	switch t.Op {
	case search.Glob:
		return col + " GLOB " + c.arg(globPattern(t.Text))
	case search.Exists:
		return col + " <> ''"
	}
	return col + " = " + c.arg(t.Text)
}

func (c *compiler) term(t *search.Term) (string, error) {
	switch t.Field {
	case search.Visited:
		col := "url"
		if strings.HasPrefix(t.Text, "/") {
			col = "path"
		}
		return "s.id IN (SELECT session_id FROM session_pages WHERE " + c.match(col, t) + ")", nil
	case search.Entry, search.Exit:
		col := "s." + string(t.Field) + "_url"
		if strings.HasPrefix(t.Text, "/") {
			col = "s." + string(t.Field) + "_path"
		}
		return c.match(col, t), nil
	case search.Event:
		return "s.id IN (SELECT session_id FROM session_events WHERE " + c.match("name", t) + ")", nil
	case search.Trait:
		k := c.arg(t.Key)
		if t.Op == search.Exists {
			return "s.id IN (SELECT session_id FROM session_traits WHERE key = " + k + ")", nil
		}
		return "s.id IN (SELECT session_id FROM session_traits WHERE key = " + k + " AND " + c.match("value", t) + ")", nil
	case search.ErrorText:
		// LIKE is case-insensitive for ASCII, which is what error:typeerror should mean.
		return "s.id IN (SELECT session_id FROM session_errors WHERE message_id IN (SELECT id FROM error_messages WHERE message LIKE " +
			c.arg("%"+likeEscape(t.Text)+"%") + ` ESCAPE '\'))`, nil
	}
	col, ok := sessionColumns[t.Field]
	if !ok {
		return "", fmt.Errorf("sqlite: search: field %s is not indexed", t.Field)
	}
	switch t.Field {
	case search.Duration, search.Clicks, search.Pages, search.Errors, search.Failed, search.Started:
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
	}
	return "s.started_at"
}
