// Package archive keeps copies of the external resources a recording used but did not carry,
// so its replay keeps its look after the site redeploys or when the viewer cannot reach it
// (docs/archive.md). rrweb inlines the stylesheets it can read; a cross-origin stylesheet
// served without CORS headers stays a link, and fonts and images stay URLs. After a session is
// compacted, the server fetches each such URL once per project (again after a refresh period),
// with the limits of a public-facing fetcher, and stores the bytes in the project's content
// store, where they are shared, referenced by the sessions that use them and swept with them.
//
// The recorded events are never changed: the player asks for a session's archived URLs and
// points its replay at the copies.
package archive

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/netip"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/reelhq/reel/internal/content"
	"github.com/reelhq/reel/internal/layout"
	"github.com/reelhq/reel/internal/safehttp"
	"github.com/reelhq/reel/internal/store"
)

// index is what archiving needs from the store.
type index interface {
	SessionArchive(ctx context.Context, sessionID string) ([]store.Archived, error)
	LatestArchived(ctx context.Context, projectID, url string) (store.Archived, bool, error)
	TouchContent(ctx context.Context, projectID, hash string, now time.Time) (bool, error)
	SaveArchive(ctx context.Context, sessionID string, rows []store.Archived, refs []store.ContentRef, now time.Time) error
}

type blobs interface {
	Put(ctx context.Context, key string, data []byte) error
}

// Options tune archiving.
type Options struct {
	Limits Limits
	// Refresh is how long a copy is reused for other sessions of the project before its URL is
	// fetched again (a stylesheet at an unversioned URL changes when the site redeploys).
	Refresh time.Duration
	// Retry is how long a failed fetch is remembered before the URL is tried again.
	Retry time.Duration
	// AllowPrivate lets fetches reach loopback, private and link-local addresses (a site on
	// the same machine or network; tests).
	AllowPrivate bool
	// UserAgent is added to the visitor's User-Agent (or sent alone when the session has none).
	UserAgent string
	// Workers is how many sessions are archived at once, across projects; PerProject how many
	// of one project's. Queue is how many of a project's sessions may wait.
	Workers, PerProject, Queue int
	// PerHost is how many fetches go to one host at once, across sessions and projects.
	PerHost int
	// HostRetry is how long a project leaves a host alone after it did not answer (a timeout,
	// a refused connection, an unknown name): the session's other URLs there are recorded as
	// not fetched instead of each costing a timeout.
	HostRetry time.Duration
	// Observe counts fetches by result (internal/metrics); nil: nobody.
	Observe FetchObserver

	allow func(netip.Addr) bool // tests: which addresses count as reachable
}

// FetchObserver counts fetches by result: "stored", "refused" (by the address or scheme
// rules), "error" (the site failed or the copy could not be stored).
type FetchObserver interface {
	ArchiveFetched(result string)
}

func (a *Archiver) observe(result string) {
	if a.opts.Observe != nil {
		a.opts.Observe.ArchiveFetched(result)
	}
}

// Defaults: a day between fetches of the same URL keeps up with a site's deploys without
// fetching it for every session; a failure is retried after an hour. Four sessions at once,
// one per project, keep one project's backlog from holding the others' (and one at a time per
// project keeps its fetch cache whole: two sessions at once would both fetch the URLs they
// share before either recorded them); two fetches per host is what a browser's connection or
// two would carry; ten minutes away from a host that did not answer outlasts a restart or a
// short outage without hiding a long one for long.
var Defaults = Options{Limits: DefaultLimits, Refresh: 24 * time.Hour, Retry: time.Hour, UserAgent: "Reel-Archiver/1",
	Workers: 4, PerProject: 1, Queue: 1000, PerHost: 2, HostRetry: 10 * time.Minute}

// Archiver fetches and records sessions' external resources.
type Archiver struct {
	index   index
	blobs   blobs
	content *layout.Cache
	log     *slog.Logger
	opts    Options
	fetch   *fetcher
	hosts   *hosts
	queue   *queue
}

// New returns an Archiver; zero options take the defaults. cache reads stored stylesheets back
// (their own references are archived too).
func New(idx index, b blobs, cache *layout.Cache, log *slog.Logger, opts Options) *Archiver {
	d := Defaults
	l := &opts.Limits
	for _, f := range []struct {
		v   *time.Duration
		def time.Duration
	}{{&l.Timeout, d.Limits.Timeout}, {&l.Deadline, d.Limits.Deadline}, {&opts.Refresh, d.Refresh}, {&opts.Retry, d.Retry}, {&opts.HostRetry, d.HostRetry}} {
		if *f.v <= 0 {
			*f.v = f.def
		}
	}
	for _, f := range []struct {
		v   *int64
		def int64
	}{{&l.CSS, d.Limits.CSS}, {&l.Other, d.Limits.Other}, {&l.Session, d.Limits.Session}} {
		if *f.v <= 0 {
			*f.v = f.def
		}
	}
	for _, f := range []struct {
		v   *int
		def int
	}{{&l.Resources, d.Limits.Resources}, {&l.Concurrency, d.Limits.Concurrency}, {&opts.Workers, d.Workers}, {&opts.PerProject, d.PerProject},
		{&opts.Queue, d.Queue}, {&opts.PerHost, d.PerHost}} {
		if *f.v <= 0 {
			*f.v = f.def
		}
	}
	if opts.UserAgent == "" {
		opts.UserAgent = d.UserAgent
	}
	allow := opts.allow
	if allow == nil && opts.AllowPrivate {
		allow = func(netip.Addr) bool { return true }
	}
	return &Archiver{index: idx, blobs: b, content: cache, log: log, opts: opts, fetch: newFetcher(*l, opts.UserAgent, allow),
		hosts: newHosts(opts.PerHost, opts.HostRetry), queue: newQueue()}
}

// run is one session's archiving.
type run struct {
	a        *Archiver
	sess     store.Session
	page     string
	existing map[string]store.Archived

	mu      sync.Mutex
	seen    map[string]bool
	rows    []store.Archived
	refs    []store.ContentRef
	bytes   int64
	count   int
	fetched int // resources fetched over the network (the others came from the cache)
}

// archive archives what a compacted session uses without carrying (found in its events, each
// tab's, markers resolved). It returns once every fetch is done or the deadline passed; what
// was archived is recorded either way.
func (a *Archiver) archive(ctx context.Context, sess store.Session, col found) error {
	if col.empty() {
		return nil
	}
	ctx, cancel := context.WithTimeout(ctx, a.opts.Limits.Deadline)
	defer cancel()
	have, err := a.index.SessionArchive(ctx, sess.ID)
	if err != nil {
		return fmt.Errorf("archive %s: %w", sess.ID, err)
	}
	r := &run{a: a, sess: sess, page: col.page, existing: map[string]store.Archived{}, seen: map[string]bool{}}
	for _, h := range have {
		if h.Hash != "" {
			r.existing[h.URL] = h
		}
	}
	started := time.Now()
	// Stylesheets first, level by level (a sheet's @imports are the next level), then what
	// CSS names, then images: if the deadline cuts archiving short, styles come first.
	sheets := col.refs[kindStylesheet]
	resources := col.refs[kindResource]
	for _, list := range [][]ref{sheets, resources, col.refs[kindImage]} {
		for _, x := range list {
			r.seen[x.url] = true
		}
	}
	for depth := 0; len(sheets) > 0 && depth < 4; depth++ {
		texts := r.all(ctx, sheets)
		sheets = nil
		for i, text := range texts {
			base, err := url.Parse(texts[i].url)
			if err != nil || text.css == "" {
				continue
			}
			for _, c := range scanCSS(text.css) {
				abs := resolve(base, c.url)
				if abs == "" || r.seen[abs] {
					continue
				}
				r.seen[abs] = true
				if c.isImport {
					sheets = append(sheets, ref{url: abs, kind: kindStylesheet})
				} else {
					resources = append(resources, ref{url: abs, kind: kindResource})
				}
			}
		}
	}
	r.all(ctx, resources)
	r.all(ctx, col.refs[kindImage])
	if len(r.rows) == 0 {
		return nil
	}
	// The deadline may have passed; recording what was fetched still gets a moment.
	sctx, scancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer scancel()
	if err := a.index.SaveArchive(sctx, sess.ID, r.rows, r.refs, time.Now()); err != nil {
		return fmt.Errorf("archive %s: %w", sess.ID, err)
	}
	archived := 0
	for _, row := range r.rows {
		if row.Hash != "" {
			archived++
		}
	}
	level := slog.LevelDebug
	if r.fetched > 0 {
		level = slog.LevelInfo
	}
	a.log.Log(ctx, level, "archived external resources", "session", sess.ID, "archived", archived, "failed", len(r.rows)-archived,
		"fetched", r.fetched, "bytes", r.bytes, "ms", time.Since(started).Milliseconds())
	return nil
}

// sheetText is a stylesheet's URL and text, for the references inside it.
type sheetText struct {
	url string
	css string
}

// all archives refs concurrently (the fetcher bounds how many fetches run at once) and returns
// the text of those that are stylesheets.
func (r *run) all(ctx context.Context, refs []ref) []sheetText {
	out := make([]sheetText, len(refs))
	var wg sync.WaitGroup
	for i, x := range refs {
		wg.Go(func() {
			out[i] = sheetText{url: x.url, css: r.one(ctx, x)}
		})
	}
	wg.Wait()
	return out
}

// one archives one reference for the session and returns its text when it is a stylesheet.
func (r *run) one(ctx context.Context, x ref) string {
	if ctx.Err() != nil {
		return ""
	}
	a, project := r.a, r.sess.ProjectID
	if row, ok := r.existing[x.url]; ok {
		// Archived for this session before (it is being compacted again): keep that copy.
		if x.kind == kindStylesheet {
			return r.text(ctx, row)
		}
		return ""
	}
	r.mu.Lock()
	if r.count >= a.opts.Limits.Resources || r.bytes >= a.opts.Limits.Session {
		r.mu.Unlock()
		return ""
	}
	r.count++
	r.mu.Unlock()

	now := time.Now()
	if last, ok, err := a.index.LatestArchived(ctx, project, x.url); err != nil {
		a.log.Warn("archive: cache lookup", "session", r.sess.ID, "err", err)
		return ""
	} else if ok {
		switch {
		case last.Hash != "" && now.Sub(last.FetchedAt) < a.opts.Refresh:
			// Another session has a fresh copy. Touching it keeps a sweep from taking it
			// before this session's reference is recorded.
			if alive, err := a.index.TouchContent(ctx, project, last.Hash, now); err == nil && alive {
				if !r.take(last, store.ContentRef{Hash: last.Hash, Root: true}) {
					return ""
				}
				if x.kind == kindStylesheet {
					return r.text(ctx, last)
				}
				return ""
			}
		case last.Hash == "" && now.Sub(last.FetchedAt) < a.opts.Retry:
			r.take(last, store.ContentRef{})
			return ""
		}
	}

	host := hostOf(x.url)
	release, err := a.hosts.acquire(ctx, host)
	if err != nil {
		return "" // the session ran out of time waiting for the host
	}
	if a.hosts.isDown(project, host, time.Now()) {
		release()
		r.take(store.Archived{URL: x.url, Error: errHostDown, FetchedAt: now}, store.ContentRef{})
		return ""
	}
	f, err := a.fetch.get(ctx, x.url, x.kind, r.page, r.sess.UserAgent)
	if hostFailure(err) && ctx.Err() == nil {
		// Remembered before the slot is given back, so the fetch waiting for it sees it.
		a.hosts.failed(project, host, time.Now())
	}
	release()
	if err != nil && (errors.Is(err, ErrScheme) || errors.Is(err, ErrPrivate) || ctx.Err() != nil) {
		// Refused by policy, or the session ran out of time: not a fact about the URL.
		a.log.Debug("archive: not fetched", "session", r.sess.ID, "err", err)
		if ctx.Err() == nil {
			a.observe("refused")
		}
		return ""
	}
	r.mu.Lock()
	r.fetched++
	r.mu.Unlock()
	if err != nil {
		a.observe("error")
		r.take(store.Archived{URL: x.url, Error: reason(err), FetchedAt: now}, store.ContentRef{})
		return ""
	}
	s := encode(f)
	tok := content.Token(s)
	h := content.Hash(s)
	stored, err := layout.PutContent(ctx, a.blobs, project, h, tok)
	if err != nil {
		a.log.Warn("archive: store", "session", r.sess.ID, "err", err)
		a.observe("error")
		return ""
	}
	a.observe("stored")
	if !r.take(store.Archived{URL: x.url, Hash: h, Type: f.Type, Size: len(f.Body), FetchedAt: now},
		store.ContentRef{Hash: h, Size: len(tok), Stored: stored, Root: true}) {
		return ""
	}
	if x.kind == kindStylesheet {
		return s
	}
	return ""
}

// errHostDown is the reason recorded for a URL not fetched because its host did not answer
// another of the project's fetches a moment before.
const errHostDown = "not fetched: the host did not answer a moment ago"

// take adds a row (and the content it holds) to the session's archive, unless its bytes would
// go over the session's cap.
func (r *run) take(row store.Archived, ref store.ContentRef) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	if row.Hash != "" {
		if r.bytes+int64(row.Size) > r.a.opts.Limits.Session {
			return false
		}
		r.bytes += int64(row.Size)
		r.refs = append(r.refs, ref)
	}
	row.URL = strings.Clone(row.URL)
	r.rows = append(r.rows, row)
	return true
}

// text returns an archived stylesheet's text.
func (r *run) text(ctx context.Context, row store.Archived) string {
	tok, err := r.a.content.Token(ctx, r.sess.ProjectID, row.Hash)
	if err != nil {
		return ""
	}
	var s string
	if json.Unmarshal(tok, &s) != nil {
		return ""
	}
	return s
}

// reason says briefly why a fetch failed, without the URL (it is in the row) or addresses.
func reason(err error) string {
	for e := err; e != nil; e = errors.Unwrap(e) {
		if m, ok := strings.CutPrefix(e.Error(), "archive: "); ok {
			return m
		}
	}
	return safehttp.Reason(err)
}

// A copy is stored as a content item (a JSON string): a stylesheet as its text, anything else
// as a base64 data URL, so every item stays a valid JSON string and a stylesheet compresses
// like the ones rrweb inlines.
func encode(f Fetched) string {
	if f.Type == "text/css" {
		return strings.ToValidUTF8(string(f.Body), "\uFFFD")
	}
	return "data:" + f.Type + ";base64," + base64.StdEncoding.EncodeToString(f.Body)
}

// Decode returns the bytes of a copy stored for a resource served as typ.
func Decode(typ, s string) ([]byte, error) {
	if typ == "text/css" {
		return []byte(s), nil
	}
	_, b64, ok := strings.Cut(s, ";base64,")
	if !ok || !strings.HasPrefix(s, "data:") {
		return nil, errors.New("archive: stored copy is not a data URL")
	}
	return base64.StdEncoding.DecodeString(b64)
}

// StylesheetFor returns an archived stylesheet's text for the replay: every reference made
// absolute against the sheet's URL (sheetURL) and, where path names a copy of it (path returns
// "" when there is none), pointed at that copy.
func StylesheetFor(css, sheetURL string, path func(absolute string) string) string {
	base, err := url.Parse(sheetURL)
	if err != nil {
		return css
	}
	return rewriteCSS(css, scanCSS(css), func(c cssRef) string {
		abs := resolve(base, c.url)
		if abs == "" {
			return ""
		}
		if p := path(abs); p != "" {
			if i := strings.IndexByte(c.url, '#'); i >= 0 {
				return p + c.url[i:]
			}
			return p
		}
		return abs
	})
}
