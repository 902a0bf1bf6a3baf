// Package compact finalises a session that has gone quiet. It rewrites the session into its
// at-rest layout: one blob per session holding a sequence of independently zstd-compressed
// segments, each starting at a full snapshot, with large strings moved into the project's
// content store. The whole session is one read; any moment is one ranged read of the segment
// that holds it (the seek index is the segments table). With the whole session at hand it then
// analyses it (friction, summary, score), extracts its heatmap points and hands the external
// resources it uses to the archiver, which fetches them in a pool of its own.
//
// One session goes through five steps, each in a file of its own: claim (this file), load
// (load.go), rewrite (rewrite.go), commit (commit.go) and finalise (finalise.go).
package compact

import (
	"context"
	"log/slog"
	"time"

	"github.com/reelhq/reel/internal/layout"
	"github.com/reelhq/reel/internal/store"
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
	SaveSteps(ctx context.Context, sessionID string, steps []store.Step) error
	SweepContent(ctx context.Context, touchedBefore time.Time) ([]store.ContentKey, error)
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
	Cache *layout.Cache
	// Observe is told about each pass and each session compacted (internal/metrics); nil:
	// nobody.
	Observe Observer
}

// Observer watches compaction: a pass's queue and lag, and each session's time.
type Observer interface {
	CompactionPass(waiting int, lag time.Duration)
	Compacted(took, commit time.Duration, err error)
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
	content  *layout.Cache
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
		opts.Cache = layout.NewCache(b, 16<<20)
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
	done, waiting := 0, 0
	var lag time.Duration
	if c.opts.Observe != nil {
		defer func() { c.opts.Observe.CompactionPass(waiting, lag) }()
	}
	for {
		ids, err := c.index.IdleSessions(ctx, now.Add(-c.opts.Idle), 50)
		if err != nil {
			return done, err
		}
		waiting += len(ids)
		progressed := false
		for _, id := range ids {
			ok, waited, err := c.timed(ctx, id, now)
			lag = max(lag, waited)
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

// Session compacts one session now. It reports false when another worker holds it. Unlike the
// background pass it archives nothing: its callers (erasure) must not wait on other sites.
func (c *Compactor) Session(ctx context.Context, id string) (bool, error) {
	ok, _, _, err := c.session(ctx, id, false)
	return ok, err
}

// session finalises one session: it claims it, loads what is stored, rewrites it into segments
// and content, commits that, and then analyses, maps and (when archive is set) queues it for
// archiving. It
// reports false when another worker holds the session or nothing new arrived since the last
// compaction. Only the steps up to the commit can fail it; finalising is best effort, logged.
// It also returns the session as loaded and how long its commit took.
func (c *Compactor) session(ctx context.Context, id string, archive bool) (bool, store.Session, time.Duration, error) {
	if ok, err := c.claim(ctx, id); err != nil || !ok {
		return false, store.Session{}, 0, err
	}
	in, err := c.load(ctx, id)
	if err != nil {
		return false, store.Session{}, 0, err
	}
	if len(in.merged) == 0 {
		return false, in.sess, 0, nil
	}
	out, err := c.rewrite(in)
	if err != nil {
		return false, in.sess, 0, err
	}
	start := time.Now()
	if err := c.commit(ctx, in, out); err != nil {
		return false, in.sess, 0, err
	}
	commit := time.Since(start)
	c.finalise(ctx, in.sess, out, archive)
	return true, in.sess, commit, nil
}

// timed compacts one session for a pass at now, telling the observer how long it took, and
// returns how long past the idle time the session had waited.
func (c *Compactor) timed(ctx context.Context, id string, now time.Time) (bool, time.Duration, error) {
	start := time.Now()
	ok, s, commit, err := c.session(ctx, id, true)
	var waited time.Duration
	if ok {
		waited = now.Sub(s.UpdatedAt) - c.opts.Idle
	}
	if c.opts.Observe != nil && (ok || err != nil) {
		c.opts.Observe.Compacted(time.Since(start), commit, err)
	}
	return ok, waited, err
}

// claim leases the session to this worker, so two workers (or the background pass and an
// erasure) never rewrite the same session at once. It reports false when another holds it.
func (c *Compactor) claim(ctx context.Context, id string) (bool, error) {
	return c.index.ClaimSession(ctx, id, c.opts.Lease)
}
