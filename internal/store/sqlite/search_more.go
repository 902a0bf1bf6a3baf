package sqlite

import (
	"context"
	"fmt"
	"net/url"
	"strings"

	"github.com/reelhq/reel/internal/search"
	"github.com/reelhq/reel/internal/store"
)

// maxSessionProps bounds the distinct track properties indexed for one session: a page that
// sends a fresh value with every event cannot grow the index without limit.
const maxSessionProps = 200

// indexMore folds what migration 0007 indexes into the session, after its row and pages are
// up to date: track properties, and the entry page's UTM parameters and referrer. On-screen
// text is indexed by AppendBatches after the batches' savepoints (indexText).
func indexMore(ctx context.Context, tx querier, b store.Batch) error {
	id := b.Chunk.SessionID
	if len(b.EventProps) > 0 {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT COUNT(*) FROM session_event_props WHERE session_id = ?`, id).Scan(&n); err != nil {
			return fmt.Errorf("index event properties: %w", err)
		}
		for _, p := range b.EventProps {
			if n >= maxSessionProps {
				break
			}
			res, err := tx.ExecContext(ctx, `INSERT INTO session_event_props(session_id, key, value) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`, id, p.Key, p.Value)
			if err != nil {
				return fmt.Errorf("index event property: %w", err)
			}
			if k, _ := res.RowsAffected(); k > 0 {
				n++
			}
		}
	}
	if len(b.Pages) == 0 {
		return nil
	}
	// The entry page can change when a batch with an earlier page arrives late, so the UTM
	// parameters are read again from it whenever pages arrive; the referrer is the one sent
	// with the entry page itself.
	var tab, entry string
	var at int64
	err := tx.QueryRowContext(ctx, `SELECT tab, at, url FROM session_pages WHERE session_id = ? ORDER BY at, rowid LIMIT 1`, id).Scan(&tab, &at, &entry)
	if err != nil {
		return fmt.Errorf("index entry page: %w", err)
	}
	src, medium, campaign := utm(entry)
	_, err = tx.ExecContext(ctx, `UPDATE sessions SET utm_source = ?, utm_medium = ?, utm_campaign = ? WHERE id = ?`, src, medium, campaign, id)
	if err != nil {
		return fmt.Errorf("index utm: %w", err)
	}
	for _, p := range b.Pages {
		if p.Tab == tab && ms(p.At) == at && p.URL == entry {
			ref, host := referrer(b.Referrer)
			if _, err := tx.ExecContext(ctx, `UPDATE sessions SET referrer = ?, referrer_host = ? WHERE id = ?`, ref, host, id); err != nil {
				return fmt.Errorf("index referrer: %w", err)
			}
			break
		}
	}
	return nil
}

// ftsQuery is the full-text expression for a text: term: its words (letters and digits
// only, search.Words) as one quoted phrase, with a trailing * for a prefix. No character of
// the user's query reaches FTS5 as syntax: a word has no quote to end the phrase with.
func ftsQuery(t *search.Term) string {
	words := strings.TrimSuffix(t.Text, "*")
	q := `"` + strings.Join(search.Words(words), " ") + `"`
	if t.Op == search.Glob {
		q += " *"
	}
	return q
}

// utm reads a page URL's campaign parameters, lowercased and bounded.
func utm(raw string) (source, medium, campaign string) {
	u, err := url.Parse(raw)
	if err != nil {
		return "", "", ""
	}
	q := u.Query()
	get := func(k string) string { return strings.ToLower(truncate(strings.TrimSpace(q.Get(k)), 256)) }
	return get("utm_source"), get("utm_medium"), get("utm_campaign")
}

// referrer keeps a referrer's scheme, host and path, lowercased: its query and fragment may
// carry search terms or tokens that name the person, and are not needed to tell sources apart.
func referrer(raw string) (ref, host string) {
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil || u.Host == "" {
		return "", ""
	}
	host = strings.ToLower(u.Hostname())
	ref = strings.ToLower(u.Scheme) + "://" + host + u.EscapedPath()
	return strings.ToLower(truncate(ref, 1024)), host
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n]
}

// moreTerm compiles the filters of migration 0007; ok is false for any other field.
func (c *compiler) moreTerm(t *search.Term) (w string, ok bool, err error) {
	switch t.Field {
	case search.Referrer:
		col := "s.referrer_host"
		if strings.Contains(t.Text, "://") {
			col = "s.referrer"
		}
		return c.match(col, t), true, nil
	case search.EventProp:
		if t.Op == search.Exists {
			w, err = c.related("session_event_props", "key = ?", []any{t.Key})
			return w, true, err
		}
		cond, args := match("value", t)
		w, err = c.related("session_event_props", "key = ? AND "+cond, append([]any{t.Key}, args...))
		return w, true, err
	case search.Flag:
		if t.Op == search.Exists {
			w, err = c.related("session_flags", "name = ?", []any{t.Key})
			return w, true, err
		}
		cond, args := match("variant", t)
		w, err = c.related("session_flags", "name = ? AND "+cond, append([]any{t.Key}, args...))
		return w, true, err
	case search.Issue:
		cond, args := match("fingerprint", t)
		w, err = c.related("session_signals", cond, args)
		return w, true, err
	case search.Text:
		w, err = c.text(ftsQuery(t))
		return w, true, err
	case search.Vital:
		cond, err := vitalCond(t)
		if err != nil {
			return "", true, fmt.Errorf("sqlite: search: %w", err)
		}
		w, err = c.related("page_vitals", cond, []any{t.Num})
		return w, true, err
	case search.FrictionKind:
		// Having any is the common question and is a lookup; other counts count the session's
		// findings of the kind (few per session).
		if t.Op == search.Gt && t.Num == 0 || t.Op == search.Ge && t.Num == 1 {
			w, err = c.related("session_signals", "kind = ?", []any{t.Key})
			return w, true, err
		}
		switch t.Op {
		case search.Eq, search.Gt, search.Ge, search.Lt, search.Le:
		default:
			return "", true, fmt.Errorf("sqlite: search: %s cannot compare with %s", t.Field, t.Op)
		}
		w = "(SELECT COUNT(*) FROM session_signals WHERE session_id = s.id AND kind = " + c.arg(t.Key) + ") " + string(t.Op) + " " + c.arg(t.Num)
		return w, true, nil
	}
	return "", false, nil
}

// vitalCond is the test of one page view's vital a vitals.<metric>: term stands for (Num is
// milliseconds, or thousandths for cls). The column comes from the fixed list of metrics,
// never from the query's text.
func vitalCond(t *search.Term) (string, error) {
	i := store.VitalIndex(t.Key)
	if i < 0 {
		return "", fmt.Errorf("unknown web vital %q", t.Key)
	}
	switch t.Op {
	case search.Eq, search.Gt, search.Ge, search.Lt, search.Le:
	default:
		return "", fmt.Errorf("%s cannot compare with %s", t.Field, t.Op)
	}
	col := store.VitalMetrics[i]
	if col == "cls" {
		col = "ROUND(cls * 1000)"
	} else {
		col = "ROUND(" + col + ")"
	}
	return col + " " + string(t.Op) + " ?", nil
}
