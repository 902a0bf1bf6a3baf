// Package compact rewrites a session that has gone quiet into its at-rest layout: one blob per
// session holding a sequence of independently zstd-compressed segments, each starting at a full
// snapshot, with large strings moved into the project's content store. The whole session is one
// read; any moment is one ranged read of the segment that holds it (the seek index is the
// segments table).
package compact

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"sort"
	"time"

	"github.com/reelhq/reel/internal/analyze"
	"github.com/reelhq/reel/internal/blob"
	"github.com/reelhq/reel/internal/chunk"
	"github.com/reelhq/reel/internal/content"
	"github.com/reelhq/reel/internal/rewrite"
	"github.com/reelhq/reel/internal/rrweb"
	"github.com/reelhq/reel/internal/store"
	"github.com/reelhq/reel/internal/useragent"
)

// index is what compaction needs from the store.
type index interface {
	IdleSessions(ctx context.Context, idleBefore time.Time, limit int) ([]string, error)
	ClaimSession(ctx context.Context, id string, lease time.Duration) (bool, error)
	GetSession(ctx context.Context, id string) (store.Session, error)
	Project(ctx context.Context, id string) (store.Project, error)
	Chunks(ctx context.Context, sessionID string) ([]store.Chunk, error)
	Segments(ctx context.Context, sessionID string) ([]store.Segment, error)
	MissingContent(ctx context.Context, projectID string, hashes []string) ([]string, error)
	NumberContent(ctx context.Context, projectID string, refs []store.ContentRef, now time.Time) (map[string]int64, error)
	ContentHashes(ctx context.Context, projectID string, ids []int64) (map[int64]string, error)
	CommitCompaction(ctx context.Context, c store.Compaction) ([]string, error)
	SaveAnalysis(ctx context.Context, a store.Analysis) error
	SaveHeat(ctx context.Context, h store.Heat) error
}

// blobs is what compaction needs from the blob store.
type blobs interface {
	Get(ctx context.Context, key string) ([]byte, error)
	GetRange(ctx context.Context, key string, offset, length int64) ([]byte, error)
	Put(ctx context.Context, key string, data []byte) error
	Delete(ctx context.Context, key string) error
}

// Options tune compaction.
type Options struct {
	// Idle is how long a session must receive nothing before it is compacted.
	Idle time.Duration
	// Interval is how often the worker looks for idle sessions.
	Interval time.Duration
	// MinContent is the size from which a string (as JSON text) goes to the content store.
	MinContent int
	// Lease is how long one worker may hold a session.
	Lease time.Duration
	// Cache resolves stored content while recompacting; share the API's so an item is read
	// from disk once. Nil: a small cache of its own.
	Cache *content.Cache
}

// Defaults: a session idle for 10 minutes is most likely over (the SDK ends one after 30
// minutes idle, and a later batch is simply compacted again); 1 KiB strings are where a hash
// reference starts to pay for itself many times over.
var Defaults = Options{Idle: 10 * time.Minute, Interval: 30 * time.Second, MinContent: 1024, Lease: 5 * time.Minute}

// Compactor compacts sessions.
type Compactor struct {
	index    index
	blobs    blobs
	log      *slog.Logger
	opts     Options
	content  *content.Cache
	rewriter rewriter
	archiver archiver
}

// New returns a Compactor; zero options take the defaults.
func New(idx index, b blobs, log *slog.Logger, opts Options) *Compactor {
	if opts.Idle <= 0 {
		opts.Idle = Defaults.Idle
	}
	if opts.Interval <= 0 {
		opts.Interval = min(Defaults.Interval, max(opts.Idle/2, 100*time.Millisecond))
	}
	if opts.MinContent <= 0 {
		opts.MinContent = Defaults.MinContent
	}
	if opts.Lease <= 0 {
		opts.Lease = Defaults.Lease
	}
	if opts.Cache == nil {
		opts.Cache = content.NewCache(b, 16<<20)
	}
	return &Compactor{index: idx, blobs: b, log: log, opts: opts, content: opts.Cache}
}

// Run compacts idle sessions until ctx is done.
func (c *Compactor) Run(ctx context.Context) {
	t := time.NewTicker(c.opts.Interval)
	defer t.Stop()
	for {
		if n, err := c.RunOnce(ctx, time.Now()); err != nil && ctx.Err() == nil {
			c.log.Error("compaction pass failed", "err", err)
		} else if n > 0 {
			c.log.Info("compacted sessions", "sessions", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// RunOnce compacts every session idle at now and returns how many it compacted.
func (c *Compactor) RunOnce(ctx context.Context, now time.Time) (int, error) {
	done := 0
	for {
		ids, err := c.index.IdleSessions(ctx, now.Add(-c.opts.Idle), 50)
		if err != nil {
			return done, err
		}
		progressed := false
		for _, id := range ids {
			ok, err := c.session(ctx, id, true)
			if err != nil {
				if ctx.Err() != nil {
					return done, ctx.Err()
				}
				c.log.Error("compaction failed", "session", id, "err", err)
				continue
			}
			if ok {
				done++
				progressed = true
			}
		}
		if len(ids) < 50 || !progressed {
			return done, nil
		}
	}
}

// piece is one stored run of a tab's events: an uncompacted chunk or an earlier segment.
type piece struct {
	first int64
	seq   int64
	arr   []byte
}

type event struct {
	typ rrweb.EventType
	at  int64
	raw []byte
}

// Session compacts one session now. It reports false when another worker holds it. Unlike the
// background pass it archives nothing: its callers (erasure) must not wait on other sites.
func (c *Compactor) Session(ctx context.Context, id string) (bool, error) {
	return c.session(ctx, id, false)
}

func (c *Compactor) session(ctx context.Context, id string, archive bool) (bool, error) {
	ok, err := c.index.ClaimSession(ctx, id, c.opts.Lease)
	if err != nil || !ok {
		return false, err
	}
	sess, err := c.index.GetSession(ctx, id)
	if err != nil {
		return false, err
	}
	chunks, err := c.index.Chunks(ctx, id)
	if err != nil {
		return false, err
	}
	segments, err := c.index.Segments(ctx, id)
	if err != nil {
		return false, err
	}

	tabs := map[string][]piece{}
	var merged []store.Chunk
	for _, g := range segments {
		data, err := c.blobs.GetRange(ctx, g.BlobKey, g.Offset, g.Length)
		if err != nil {
			return false, fmt.Errorf("compact %s: segment %d: %w", id, g.Index, err)
		}
		arr, err := chunk.DecodeArray(data)
		if err != nil {
			return false, fmt.Errorf("compact %s: segment %d: %w", id, g.Index, err)
		}
		if arr, err = content.Unnumber(arr, func(ids []int64) (map[int64]string, error) { return c.index.ContentHashes(ctx, sess.ProjectID, ids) }); err != nil {
			return false, fmt.Errorf("compact %s: segment %d: %w", id, g.Index, err)
		}
		if arr, err = c.resolve(ctx, sess.ProjectID, arr); err != nil {
			return false, fmt.Errorf("compact %s: segment %d: %w", id, g.Index, err)
		}
		tabs[g.Tab] = append(tabs[g.Tab], piece{first: g.FirstAt.UnixMilli(), seq: -1, arr: arr})
	}
	for _, ch := range chunks {
		if ch.Compacted {
			continue
		}
		arr, err := chunk.Load(ctx, c.blobs, ch.BlobKey, ch.BlobOffset, ch.BlobLength)
		if err != nil {
			return false, fmt.Errorf("compact %s: chunk %s/%d: %w", id, ch.Tab, ch.Seq, err)
		}
		if arr, err = c.resolve(ctx, sess.ProjectID, arr); err != nil {
			return false, fmt.Errorf("compact %s: chunk %s/%d: %w", id, ch.Tab, ch.Seq, err)
		}
		tabs[ch.Tab] = append(tabs[ch.Tab], piece{first: ch.FirstAt.UnixMilli(), seq: ch.Seq, arr: arr})
		merged = append(merged, ch)
	}
	if len(merged) == 0 {
		return false, nil
	}

	var packed bytes.Buffer
	var newSegments []store.Segment
	roots := map[string]bool{}
	taken := map[string][]byte{}
	var nonce [6]byte
	_, _ = rand.Read(nonce[:])
	key := blob.ChunkKey(sess.ProjectID, id, "compact."+hex.EncodeToString(nonce[:])+".zst")
	tabNames := make([]string, 0, len(tabs))
	for t := range tabs {
		tabNames = append(tabNames, t)
	}
	sort.Strings(tabNames)
	var analysed [][]json.RawMessage
	var texts [][]byte // each new segment's events, its content taken out
	for _, tab := range tabNames {
		events, err := flatten(tabs[tab])
		if err != nil {
			return false, fmt.Errorf("compact %s tab %s: %w", id, tab, err)
		}
		raws := make([]json.RawMessage, len(events))
		for i, e := range events {
			raws[i] = e.raw
		}
		analysed = append(analysed, raws)
		for i, seg := range cut(events) {
			arr := join(seg)
			out, tokens, err := content.Externalize(arr, c.opts.MinContent)
			if err != nil {
				return false, fmt.Errorf("compact %s: %w", id, err)
			}
			// Everything was resolved before externalising, so what was taken is exactly
			// what the session uses; the segment's own markers are its roots.
			for h, tok := range tokens {
				taken[h] = tok
			}
			for _, h := range content.Refs(out) {
				roots[h] = true
			}
			newSegments = append(newSegments, store.Segment{
				SessionID: id, Tab: tab, Index: i,
				FirstAt: time.UnixMilli(seg[0].at).UTC(), LastAt: time.UnixMilli(seg[len(seg)-1].at).UTC(),
				BlobKey: key, Events: len(seg), RawBytes: len(arr),
			})
			texts = append(texts, out)
		}
	}

	// New content first, then the session's blob, then the index: a crash anywhere before the
	// commit leaves only unreferenced blobs, and the chunks keep serving the session.
	var contentRefs []store.ContentRef
	newHashes := make([]string, 0, len(taken))
	for h := range taken {
		newHashes = append(newHashes, h)
	}
	missing, err := c.index.MissingContent(ctx, sess.ProjectID, newHashes)
	if err != nil {
		return false, err
	}
	isMissing := map[string]bool{}
	for _, h := range missing {
		isMissing[h] = true
	}
	for h, tok := range taken {
		ref := store.ContentRef{Hash: h, Size: len(tok), Root: roots[h], Children: content.Refs(tok)}
		if isMissing[h] {
			stored, err := content.Put(ctx, c.blobs, sess.ProjectID, h, tok)
			if err != nil {
				return false, err
			}
			ref.Stored = stored
		}
		contentRefs = append(contentRefs, ref)
	}
	// Segments name the items by number (content.Number): the items are numbered first, in a
	// transaction of their own, so the numbers are known before the blob is written.
	numbers, err := c.index.NumberContent(ctx, sess.ProjectID, contentRefs, time.Now())
	if err != nil {
		return false, fmt.Errorf("compact %s: %w", id, err)
	}
	for i := range contentRefs {
		contentRefs[i].ID = numbers[contentRefs[i].Hash]
	}
	for i, out := range texts {
		data := chunk.Compress(content.Number(out, numbers))
		newSegments[i].Offset, newSegments[i].Length = int64(packed.Len()), int64(len(data))
		packed.Write(data)
	}
	if err := c.blobs.Put(ctx, key, packed.Bytes()); err != nil {
		return false, fmt.Errorf("compact %s: %w", id, err)
	}
	obsolete, err := c.index.CommitCompaction(ctx, store.Compaction{SessionID: id, Segments: newSegments, Chunks: merged, Content: contentRefs, At: time.Now()})
	if err != nil {
		_ = c.blobs.Delete(ctx, key)
		return false, err
	}
	for _, k := range obsolete {
		if err := c.blobs.Delete(ctx, k); err != nil {
			c.log.Warn("compaction: remove obsolete blob", "key", k, "err", err)
		}
	}
	// The whole session is at hand: analyse it now (friction, summary, score, issues).
	a := Analysis(sess, analysed, c.thresholds(ctx, sess.ProjectID))
	if c.rewriter != nil {
		c.rewrite(ctx, &a)
	}
	if err := c.index.SaveAnalysis(ctx, a); err != nil {
		c.log.Warn("compaction: save analysis", "session", id, "err", err)
	}
	if err := c.index.SaveHeat(ctx, Heat(sess, tabNames, analysed)); err != nil {
		c.log.Warn("compaction: save heatmap data", "session", id, "err", err)
	}
	// The session is safely compacted; its external resources are archived after, so a slow
	// site delays only the next compaction, never this one's result.
	if archive && c.archiver != nil {
		if err := c.archiver.Session(ctx, sess, analysed); err != nil && ctx.Err() == nil {
			c.log.Warn("compaction: archive external resources", "session", id, "err", err)
		}
	}
	return true, nil
}

// archiver keeps copies of what a session's recording uses without carrying: cross-origin
// stylesheets, their fonts and images (package archive).
type archiver interface {
	Session(ctx context.Context, sess store.Session, tabs [][]json.RawMessage) error
}

// SetArchiver has compaction archive each session's external resources; nil (the default)
// archives nothing.
func (c *Compactor) SetArchiver(a archiver) { c.archiver = a }

// rewriter rephrases a summary (package rewrite: an operator-configured language model).
type rewriter interface {
	Rewrite(ctx context.Context, in rewrite.Input) (string, error)
}

// SetRewriter has summaries rephrased by a language model; nil (the default) keeps Reel's own.
func (c *Compactor) SetRewriter(r rewriter) { c.rewriter = r }

// rewrite replaces a's summary with the model's, keeping Reel's own when the model fails.
func (c *Compactor) rewrite(ctx context.Context, a *store.Analysis) {
	in := rewrite.Input{Summary: a.Summary}
	for _, s := range a.Signals {
		if s.Kind == "js_error" {
			in.Errors = append(in.Errors, s.Target)
		} else {
			in.Signals = append(in.Signals, s.Kind+" on "+s.Path+": "+s.Target)
		}
	}
	rctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	out, err := c.rewriter.Rewrite(rctx, in)
	if err != nil {
		c.log.Warn("summary rewrite failed; keeping Reel's", "session", a.SessionID, "err", err)
		return
	}
	a.Summary = out
}

// thresholds returns the project's friction thresholds; the API validated them when they were
// set, so a project that cannot be read falls back to the defaults with a warning.
func (c *Compactor) thresholds(ctx context.Context, projectID string) analyze.Thresholds {
	p, err := c.index.Project(ctx, projectID)
	if err != nil {
		c.log.Warn("compaction: read project thresholds; using defaults", "project", projectID, "err", err)
		return analyze.Defaults
	}
	th, err := analyze.Defaults.Override(p.Friction)
	if err != nil {
		c.log.Warn("compaction: bad project thresholds; using defaults", "project", projectID, "err", err)
	}
	return th
}

// Analysis runs the detectors, tuned by th, over a session's tabs and shapes the result for
// the index.
func Analysis(sess store.Session, tabs [][]json.RawMessage, th analyze.Thresholds) store.Analysis {
	ua := useragent.Parse(sess.UserAgent)
	rep := analyze.Analyze(tabs, analyze.Facts{UserID: sess.UserID, Browser: ua.Browser, OS: ua.OS, Device: ua.Device, DurationMS: sess.Duration().Milliseconds()}, th)
	a := store.Analysis{SessionID: sess.ID, Score: rep.Score, Summary: rep.Summary, Counts: map[string]int{}, At: time.Now()}
	for k, n := range rep.Counts {
		a.Counts[string(k)] = n
	}
	for _, s := range rep.Signals {
		a.Signals = append(a.Signals, store.StoredSignal{Kind: string(s.Kind), At: time.UnixMilli(s.At), Path: analyze.Path(s.URL), Target: s.Target,
			Fingerprint: analyze.Fingerprint(s), Detail: s.Detail})
	}
	for _, e := range rep.ErrorEvents {
		a.Signals = append(a.Signals, store.StoredSignal{Kind: "js_error", At: time.UnixMilli(e.At), Path: analyze.Path(e.URL), Target: e.Message,
			Fingerprint: analyze.ErrorFingerprint(e.Message)})
		a.Counts["js_error"]++
	}
	return a
}

// resolve expands every marker in arr (wire assets, or content an earlier compaction took out)
// so the session is externalised afresh and its references are complete.
func (c *Compactor) resolve(ctx context.Context, projectID string, arr []byte) ([]byte, error) {
	return content.Resolve(arr, func(h string) ([]byte, error) { return c.content.Token(ctx, projectID, h) })
}

// flatten orders a tab's pieces by time (earlier segments, then chunks by sequence) and returns
// their events, stably sorted by timestamp so a late batch lands where it belongs.
func flatten(pieces []piece) ([]event, error) {
	sort.SliceStable(pieces, func(i, j int) bool {
		if pieces[i].seq < 0 || pieces[j].seq < 0 {
			return pieces[i].first < pieces[j].first
		}
		return pieces[i].seq < pieces[j].seq
	})
	var out []event
	for _, p := range pieces {
		for _, raw := range rrweb.Elements(p.arr, 1<<30) {
			typ, at, err := rrweb.Header(raw)
			if err != nil {
				return nil, err
			}
			out = append(out, event{typ: typ, at: at, raw: raw})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].at < out[j].at })
	if len(out) == 0 {
		return nil, errors.New("no events")
	}
	return out, nil
}

// cut splits a tab's events into segments, each starting at a Meta event (rrweb emits one right
// before every full snapshot), so each segment can be replayed on its own.
func cut(events []event) [][]event {
	var segs [][]event
	start := 0
	for i, e := range events {
		if e.typ == rrweb.Meta && i > start {
			segs = append(segs, events[start:i])
			start = i
		}
	}
	return append(segs, events[start:])
}

func join(events []event) []byte {
	n := 2
	for _, e := range events {
		n += len(e.raw) + 1
	}
	out := make([]byte, 0, n)
	out = append(out, '[')
	for i, e := range events {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, e.raw...)
	}
	return append(out, ']')
}
