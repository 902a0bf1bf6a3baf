// Package alert watches alert rules: when a problem reaches its threshold of sessions within a
// rule's window, it posts a Slack-compatible message to the rule's webhook, at most once per
// window (coordinated through the index, so several nodes never double-post).
package alert

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode/utf8"

	"github.com/reelhq/reel/internal/safehttp"
	"github.com/reelhq/reel/internal/search"
	"github.com/reelhq/reel/internal/store"
)

// index is what the evaluator needs from the store.
type index interface {
	Alerts(ctx context.Context, projectID string) ([]store.AlertRule, error)
	AlertCount(ctx context.Context, r store.AlertRule, since time.Time) (int, error)
	MarkFired(ctx context.Context, id int64, at, notBefore time.Time) (bool, error)
	ListSessions(ctx context.Context, q store.ListQuery) (store.SessionPage, error)
	TryJob(ctx context.Context, name string, every time.Duration) (bool, error)
	RecordDelivery(ctx context.Context, d store.AlertDelivery) (store.AlertDelivery, error)
}

// Options tune posting.
type Options struct {
	// AllowPrivate lets webhooks reach loopback, private and link-local addresses (a chat
	// server on Reel's own network; tests). Off, such a webhook is refused when it is dialled.
	AllowPrivate bool
	// Timeout bounds one post, redirects included (default 10 s).
	Timeout time.Duration
	// Parallel is how many webhooks are posted at once (default 8).
	Parallel int
	// Retries are the waits before each further attempt at a post that failed in a way that
	// may pass (no answer, 408, 429, 5xx); their number is the number of retries. Nil: the
	// defaults; empty and non-nil: no retries.
	Retries []time.Duration

	allow func(netip.Addr) bool // tests: which addresses count as reachable
}

// Defaults: a chat service answers a webhook in well under a second; ten seconds is for one
// that is having a bad day, not for one that is gone.
var Defaults = Options{Timeout: 10 * time.Second, Parallel: 8, Retries: []time.Duration{2 * time.Second, 10 * time.Second}}

// webhookRedirects is how many redirects a post follows (a moved receiver answers 307/308).
const webhookRedirects = 3

// Evaluator checks rules and posts to webhooks.
type Evaluator struct {
	index   index
	client  *http.Client
	baseURL string // the dashboard, for links in messages
	log     *slog.Logger
	opts    Options
}

// New returns an Evaluator; baseURL is where the dashboard is reached (for links). Webhooks are
// posted through a safehttp client: a rule's URL is typed by a project's admin, who must not be
// able to make the server post into the network it runs in.
func New(idx index, baseURL string, log *slog.Logger, opts Options) *Evaluator {
	if opts.Timeout <= 0 {
		opts.Timeout = Defaults.Timeout
	}
	if opts.Parallel <= 0 {
		opts.Parallel = Defaults.Parallel
	}
	if opts.Retries == nil {
		opts.Retries = Defaults.Retries
	}
	client := safehttp.New(safehttp.Options{Timeout: opts.Timeout, Redirects: webhookRedirects, AllowPrivate: opts.AllowPrivate, Allow: opts.allow})
	return &Evaluator{index: idx, client: client, baseURL: strings.TrimRight(baseURL, "/"), log: log, opts: opts}
}

// Run evaluates the rules every interval until ctx is done, once across every node sharing the
// index: each node asks at start and four times an interval whether the pass is due
// (TryJob), and only the one the index picks runs it. MarkFired still guards each post, so
// even two passes at once would not post a rule twice.
func (e *Evaluator) Run(ctx context.Context, interval time.Duration) {
	t := time.NewTicker(max(interval/4, time.Second))
	defer t.Stop()
	for {
		ok, err := e.index.TryJob(ctx, "alerts", interval)
		if err != nil && ctx.Err() == nil {
			e.log.Warn("asking whether the alert pass is due failed", "err", err)
		}
		if ok {
			if _, err := e.RunOnce(ctx, time.Now()); err != nil && ctx.Err() == nil {
				e.log.Error("alert pass failed", "err", err)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Message is the webhook body: Slack's incoming-webhook format, which Mattermost, Discord's
// Slack-compatible endpoint and most chat tools accept, plus the figures for other receivers.
type Message struct {
	Text     string `json:"text"`
	Rule     string `json:"rule"`
	Sessions int    `json:"sessions"`
	Window   string `json:"window"`
	URL      string `json:"url"`
	// Test marks a message sent by "Send test": no sessions triggered it.
	Test bool `json:"test,omitempty"`
}

// RunOnce evaluates all rules at now and returns how many fired. The webhooks of the rules that
// fire are posted at once (up to Options.Parallel), so a slow receiver holds back only its own
// rule's message, for at most its timeout.
func (e *Evaluator) RunOnce(ctx context.Context, now time.Time) (int, error) {
	rules, err := e.index.Alerts(ctx, "")
	if err != nil {
		return 0, err
	}
	var (
		wg    sync.WaitGroup
		fired atomic.Int64
		slots = make(chan struct{}, e.opts.Parallel)
	)
	err = e.each(ctx, rules, now, func(r store.AlertRule, n int) error {
		select {
		case slots <- struct{}{}:
		case <-ctx.Done():
			return ctx.Err()
		}
		wg.Go(func() {
			defer func() { <-slots }()
			if err := e.post(ctx, r, n, now); err != nil {
				return
			}
			fired.Add(1)
		})
		return nil
	})
	wg.Wait()
	return int(fired.Load()), err
}

// each calls post for every rule due to fire at now, once it has marked it fired.
func (e *Evaluator) each(ctx context.Context, rules []store.AlertRule, now time.Time, post func(r store.AlertRule, n int) error) error {
	for _, r := range rules {
		since := now.Add(-r.Window)
		if !r.FiredAt.IsZero() && r.FiredAt.After(since) {
			continue // fired within this window already
		}
		n, err := e.count(ctx, r, since)
		if errors.Is(err, errSavedQuery) {
			// One rule whose saved query no longer parses must not stop the others.
			e.log.Warn("alert rule skipped", "rule", r.ID, "err", err)
			continue
		}
		if err != nil {
			return err
		}
		if n < r.Threshold {
			continue
		}
		ok, err := e.index.MarkFired(ctx, r.ID, now, since)
		if err != nil || !ok {
			continue
		}
		if err := post(r, n); err != nil {
			return err
		}
	}
	return nil
}

// Test posts a clearly marked test message to a rule's webhook now, whatever the rule's
// count, and records the attempt like a firing's. The error is only the recording's: a
// webhook that failed is in the delivery.
func (e *Evaluator) Test(ctx context.Context, r store.AlertRule) (store.AlertDelivery, error) {
	link := e.baseURL + "/alerts"
	status, err := e.send(ctx, r, Message{
		Text: fmt.Sprintf("Reel test message for the alert “%s” (%s): the webhook works. No sessions triggered it. <%s|Alerts>", r.Name, Condition(r), link),
		Rule: r.Name, Window: r.Window.String(), URL: link, Test: true,
	}, time.Now())
	return e.record(ctx, r, true, status, err)
}

// record keeps one attempt to post r's webhook in the index, and logs a failed one. A
// recording that fails is logged, not returned to the firing: the message went out.
func (e *Evaluator) record(ctx context.Context, r store.AlertRule, test bool, status int, err error) (store.AlertDelivery, error) {
	d := store.AlertDelivery{RuleID: r.ID, At: time.Now(), Test: test, Status: status}
	if err != nil {
		d.Error = e.failed(r, err)
	}
	d, rerr := e.index.RecordDelivery(ctx, d)
	if rerr != nil {
		e.log.Warn("recording an alert delivery failed", "rule", r.ID, "err", rerr)
		return d, fmt.Errorf("alert %d: record delivery: %w", r.ID, rerr)
	}
	return d, nil
}

// Host is the host of a rule's webhook: what may be shown of it, as the URL's path of a Slack
// or Discord webhook is itself the credential.
func Host(webhook string) string {
	if u, err := url.Parse(webhook); err == nil {
		return u.Host
	}
	return ""
}

// failed logs why a rule's webhook was not delivered and returns the reason: the receiver's
// host, never its URL (a Slack or Discord webhook URL is itself the credential).
func (e *Evaluator) failed(r store.AlertRule, err error) string {
	host := Host(r.Webhook)
	reason := safehttp.Reason(err)
	var refused *statusError
	switch {
	case errors.As(err, &refused):
		reason = refused.Error()
	case errors.Is(err, safehttp.ErrPrivate) && !e.opts.AllowPrivate:
		reason += " (--webhook-private allows it)"
	}
	e.log.Warn("alert webhook failed", "rule", r.ID, "project", r.ProjectID, "host", host, "reason", reason)
	return reason
}

// errSavedQuery is a rule whose saved search no longer parses (the language changed since).
var errSavedQuery = errors.New("alert: saved query does not parse")

// count counts the sessions a rule watches since a time: those with a matching finding, or for
// a rule on a saved search, those matching its query that started since then.
func (e *Evaluator) count(ctx context.Context, r store.AlertRule, since time.Time) (int, error) {
	if r.SavedSearchID == 0 {
		return e.index.AlertCount(ctx, r, since)
	}
	plan, err := search.Parse(r.SavedQuery)
	if err != nil {
		return 0, fmt.Errorf("%w: rule %d, saved search %d: %w", errSavedQuery, r.ID, r.SavedSearchID, err)
	}
	page, err := e.index.ListSessions(ctx, store.ListQuery{ProjectID: r.ProjectID, Limit: 1, Query: store.StartedSince(plan, since), Count: true})
	if err != nil {
		return 0, fmt.Errorf("alert %d: %w", r.ID, err)
	}
	return page.Count, nil
}

// post sends a firing's message, retrying as Options.Retries says, and records every attempt
// in the delivery log. It returns the last attempt's error.
func (e *Evaluator) post(ctx context.Context, r store.AlertRule, n int, at time.Time) error {
	msg := e.message(r, n)
	var err error
	for attempt := 0; ; attempt++ {
		var status int
		status, err = e.send(ctx, r, msg, at)
		e.record(ctx, r, false, status, err)
		if err == nil || attempt == len(e.opts.Retries) || !retryable(status, err) {
			return err
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(e.opts.Retries[attempt]):
		}
	}
}

// retryable says whether a failed post may pass if tried again: the receiver did not answer
// (but was not refused by Reel's own rules), or answered that it is busy or broken for now.
func retryable(status int, err error) bool {
	switch {
	case errors.Is(err, safehttp.ErrPrivate), errors.Is(err, safehttp.ErrScheme), errors.Is(err, safehttp.ErrRedirects):
		return false
	case status == 0:
		return true
	}
	return status == http.StatusRequestTimeout || status == http.StatusTooManyRequests || status >= 500
}

// message is what a firing of r with n sessions says.
func (e *Evaluator) message(r store.AlertRule, n int) Message {
	if r.SavedSearchID != 0 {
		link := e.baseURL + "/?saved=" + strconv.FormatInt(r.SavedSearchID, 10)
		return Message{
			Text: fmt.Sprintf("Reel alert “%s”: %s matching %s started in the last %s. <%s|Watch them>", r.Name, sessions(n), "`"+r.SavedQuery+"`", r.Window, link),
			Rule: r.Name, Sessions: n, Window: r.Window.String(), URL: link,
		}
	}
	what := r.Kind
	if r.Fingerprint != "" {
		what = strings.ReplaceAll(r.Fingerprint, "|", " · ")
	}
	if what == "" {
		what = "friction or errors"
	}
	link := e.baseURL + "/issues"
	if r.Fingerprint != "" {
		link += "?fingerprint=" + url.QueryEscape(r.Fingerprint)
	}
	return Message{
		Text: fmt.Sprintf("Reel alert “%s”: %s in %s in the last %s. <%s|Watch them>", r.Name, what, sessions(n), r.Window, link),
		Rule: r.Name, Sessions: n, Window: r.Window.String(), URL: link,
	}
}

// send posts msg to r's webhook in r's format, signed with r's secret, and returns the
// receiver's status (0 when none answered).
func (e *Evaluator) send(ctx context.Context, r store.AlertRule, msg Message, at time.Time) (int, error) {
	// The API accepts only http(s) URLs; a rule from elsewhere (an import, an older version)
	// gets the same answer rather than the transport's.
	if u, err := url.Parse(r.Webhook); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return 0, safehttp.ErrScheme
	}
	body := Body(r, msg, at)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, r.Webhook, bytes.NewReader(body))
	if err != nil {
		return 0, err
	}
	req.Header.Set("Content-Type", "application/json")
	if r.Secret != "" {
		ts := time.Now().Unix()
		req.Header.Set(HeaderTimestamp, strconv.FormatInt(ts, 10))
		req.Header.Set(HeaderSignature, Sign(r.Secret, ts, body))
	}
	resp, err := e.client.Do(req)
	if err != nil {
		return 0, err
	}
	defer resp.Body.Close()
	// A short look at the answer: enough for a receiver's reason ("invalid_token"), and
	// reading it lets the connection be reused. Whatever is longer is not read.
	answer, _ := io.ReadAll(io.LimitReader(resp.Body, 4<<10))
	if resp.StatusCode >= 300 {
		return resp.StatusCode, &statusError{status: resp.Status, body: answer}
	}
	return resp.StatusCode, nil
}

// statusError is a receiver that answered with something other than success.
type statusError struct {
	status string
	body   []byte
}

func (e *statusError) Error() string {
	msg := "webhook answered " + e.status
	if text := printable(e.body, 120); text != "" {
		msg += ": " + text
	}
	return msg
}

// printable is the start of b as one line of printable text, at most n bytes.
func printable(b []byte, n int) string {
	s := strings.Map(func(r rune) rune {
		if r < ' ' || r == 0x7f || r == utf8.RuneError {
			return ' '
		}
		return r
	}, string(b[:min(len(b), n)]))
	return strings.Join(strings.Fields(s), " ")
}
