// Package lifecycle ends what Reel keeps: sessions past their project's retention, everything
// recorded about one user on request (GDPR/CCPA erasure), and content no session references
// any more. Index rows go first, in one transaction, then the blobs they pointed to, so a crash
// leaves at most unreferenced blobs, never a readable session with missing parts; the orphan
// sweep (orphans.go) finds and removes those. With several nodes on one index, each of these
// jobs runs once per interval across all of them (store.Maintenance.TryJob).
package lifecycle

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/reelhq/reel/internal/layout"
	"github.com/reelhq/reel/internal/store"
)

// index is what lifecycle needs from the store.
type index interface {
	ExpiredSessions(ctx context.Context, now time.Time, limit int) ([]string, error)
	SessionsOfUser(ctx context.Context, projectID, userID string) ([]string, error)
	SessionsSharingBlobs(ctx context.Context, ids []string) ([]string, error)
	DeleteSessions(ctx context.Context, ids []string) ([]string, error)
	SweepContent(ctx context.Context, touchedBefore time.Time) ([]store.ContentKey, error)
	GetSession(ctx context.Context, id string) (store.Session, error)
	MissingContent(ctx context.Context, projectID string, hashes []string) ([]string, error)
	ClaimSession(ctx context.Context, id string, lease time.Duration) (bool, error)
	PruneAudit(ctx context.Context, before time.Time) (int, error)
	RecordErased(ctx context.Context, projectID string, ids []string, at time.Time) error
	PruneErased(ctx context.Context, before time.Time) (int, error)
	SessionsOfProject(ctx context.Context, projectID string, limit int) ([]string, error)
	DeleteProject(ctx context.Context, id string) error
	store.Maintenance
}

// blobs is what lifecycle needs from the blob store: deletion, and the listing the orphan
// sweep compares with the index.
type blobs interface {
	Delete(ctx context.Context, key string) error
	List(ctx context.Context, prefix string, fn func(key string, size int64, modified time.Time) error) error
}

// compactor rewrites a session into its own blob (package compact).
type compactor interface {
	Session(ctx context.Context, id string) (bool, error)
}

// forgetter drops cached content (the API's content cache).
type forgetter interface {
	Forget(projectID string, hashes []string)
}

// Options tune the background jobs. Intervals are for the whole cluster: with several nodes on
// one index, each job runs once per interval on whichever node asks first.
type Options struct {
	Interval time.Duration // how often retention (with the content sweep) and Optimize run
	// Grace keeps unreferenced content this long after it was last referenced, so a worker
	// that is about to reference it again (compaction, ingest) never loses it to a sweep.
	Grace time.Duration
	// OrphanGrace keeps an object no index row references for this long after it was last
	// modified, and a temporary file as long: a write in progress, or one whose index commit
	// is still to come, is younger than that (docs/storage.md, "Orphan sweep").
	OrphanGrace time.Duration
	// OrphanInterval is how often the orphan sweep lists the blob store.
	OrphanInterval time.Duration
	// Poll is how often each node asks the index whether a job is due. It is shorter than the
	// intervals so a job runs close to on time whichever node's turn it is.
	Poll time.Duration
	// EraseLease is how long an erasure holds the sessions it deletes against compaction, and
	// ClaimWait how long it waits for a compaction holding one to finish (ErrBusy after).
	EraseLease, ClaimWait time.Duration
	// AuditRetention is how long audit log entries are kept (pruned with retention).
	AuditRetention time.Duration
}

// Defaults for Options' zero fields. An orphan exists only after a crash or a write that
// timed out, so listing every object hourly costs more than it finds; six hours is often
// enough to keep their cost small.
var Defaults = Options{Interval: time.Hour, Grace: time.Hour, OrphanGrace: time.Hour, OrphanInterval: 6 * time.Hour, Poll: time.Minute,
	EraseLease: 5 * time.Minute, ClaimWait: 30 * time.Second, AuditRetention: 365 * 24 * time.Hour}

// Names of the jobs in the index's job table (TryJob).
const (
	jobRetention = "retention"
	jobOptimize  = "optimize"
	jobOrphans   = "orphans"
	jobAudit     = "audit-retention"
)

// Lifecycle deletes sessions and content.
type Lifecycle struct {
	index     index
	blobs     blobs
	log       *slog.Logger
	opts      Options
	caches    []forgetter
	compactor compactor
}

// SetCompactor lets erasure move other sessions out of the packs it must delete.
func (l *Lifecycle) SetCompactor(c compactor) { l.compactor = c }

// New returns a Lifecycle. caches are told about content that is gone.
func New(idx index, b blobs, log *slog.Logger, opts Options, caches ...forgetter) *Lifecycle {
	if opts.Interval <= 0 {
		opts.Interval = Defaults.Interval
	}
	if opts.Grace <= 0 {
		opts.Grace = Defaults.Grace
	}
	if opts.OrphanGrace <= 0 {
		opts.OrphanGrace = Defaults.OrphanGrace
	}
	if opts.OrphanInterval <= 0 {
		opts.OrphanInterval = Defaults.OrphanInterval
	}
	if opts.EraseLease <= 0 {
		opts.EraseLease = Defaults.EraseLease
	}
	if opts.AuditRetention <= 0 {
		opts.AuditRetention = Defaults.AuditRetention
	}
	if opts.ClaimWait <= 0 {
		opts.ClaimWait = Defaults.ClaimWait
	}
	if opts.Poll <= 0 {
		opts.Poll = max(min(Defaults.Poll, opts.Interval/4, opts.OrphanInterval/4), 10*time.Millisecond)
	}
	return &Lifecycle{index: idx, blobs: b, log: log, opts: opts, caches: caches}
}

// Run runs the background jobs until ctx is done: retention with the content sweep, planner
// statistics, and the orphan sweep. It asks at start and every Poll whether each is due, and
// runs one only when the index says this node's turn has come (TryJob), so a cluster runs each
// once per interval and a restart does not repeat a job that just ran elsewhere.
func (l *Lifecycle) Run(ctx context.Context) {
	t := time.NewTicker(l.opts.Poll)
	defer t.Stop()
	for {
		l.RunDue(ctx)
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// RunDue runs each job that is due and whose turn this node won.
func (l *Lifecycle) RunDue(ctx context.Context) {
	if l.due(ctx, jobRetention, l.opts.Interval) {
		if n, err := l.Expire(ctx, l.now(ctx)); err != nil && ctx.Err() == nil {
			l.log.Error("retention pass failed", "err", err)
		} else if n > 0 {
			l.log.Info("retention removed sessions", "sessions", n)
		}
	}
	// Backends whose query planner keeps statistics refresh them as sessions come and go, so
	// search keeps choosing the right indexes.
	if l.due(ctx, jobOptimize, l.opts.Interval) {
		if err := l.index.Optimize(ctx); err != nil && ctx.Err() == nil {
			l.log.Warn("refreshing planner statistics failed", "err", err)
		}
	}
	if l.due(ctx, jobAudit, l.opts.Interval) {
		if n, err := l.index.PruneAudit(ctx, l.now(ctx).Add(-l.opts.AuditRetention)); err != nil && ctx.Err() == nil {
			l.log.Error("pruning the audit log failed", "err", err)
		} else if n > 0 {
			l.log.Info("audit log entries past retention removed", "entries", n)
		}
	}
	if l.due(ctx, jobOrphans, l.opts.OrphanInterval) {
		if _, err := l.SweepOrphans(ctx, l.now(ctx)); err != nil && ctx.Err() == nil {
			l.log.Error("orphan sweep failed", "err", err)
		}
	}
}

// now is the database's clock, which every node shares (a node's own may be off by minutes);
// this node's when the database cannot say.
func (l *Lifecycle) now(ctx context.Context) time.Time {
	t, err := l.index.Clock(ctx)
	if err != nil {
		if ctx.Err() == nil {
			l.log.Warn("reading the database's clock failed; using this node's", "err", err)
		}
		return time.Now()
	}
	return t
}

// due asks the index whether this node runs job now; an index that cannot answer means no.
func (l *Lifecycle) due(ctx context.Context, job string, every time.Duration) bool {
	ok, err := l.index.TryJob(ctx, job, every)
	if err != nil && ctx.Err() == nil {
		l.log.Warn("asking whether a job is due failed", "job", job, "err", err)
	}
	return ok
}

// Expire deletes every session past its project's retention at now, then sweeps content.
func (l *Lifecycle) Expire(ctx context.Context, now time.Time) (int, error) {
	total := 0
	for {
		ids, err := l.index.ExpiredSessions(ctx, now, 200)
		if err != nil {
			return total, err
		}
		if len(ids) == 0 {
			break
		}
		if err := l.delete(ctx, ids); err != nil {
			return total, err
		}
		total += len(ids)
	}
	if _, err := l.sweep(ctx, now.Add(-l.opts.Grace)); err != nil {
		return total, err
	}
	if _, err := l.index.PruneErased(ctx, now.Add(-TombstoneTTL)); err != nil {
		return total, fmt.Errorf("lifecycle: prune tombstones: %w", err)
	}
	return total, nil
}

// ErasureReport says what an erasure removed.
type ErasureReport struct {
	Sessions int `json:"sessions"`
	Content  int `json:"content"`
}

// EraseUser deletes every session of a project that was ever identified as userID (under any
// of its ids), and the content only those sessions referenced, at once (no grace period: the
// request is to forget now).
func (l *Lifecycle) EraseUser(ctx context.Context, projectID, userID string) (ErasureReport, error) {
	var rep ErasureReport
	if userID == "" {
		return rep, errors.New("lifecycle: empty user id")
	}
	ids, err := l.index.SessionsOfUser(ctx, projectID, userID)
	if err != nil {
		return rep, err
	}
	if len(ids) == 0 {
		// Nothing left to delete; a request repeated after a checkpoint that readers cut short
		// finishes it here.
		return rep, l.index.Checkpoint(ctx)
	}
	if err := l.erase(ctx, projectID, ids); err != nil {
		return rep, err
	}
	rep.Sessions = len(ids)
	return rep, l.afterErasure(ctx, &rep)
}

// erase deletes sessions of one project as an erasure does: each id gets a tombstone first,
// so no batch sent later (a queue the SDK kept) brings a session back, then the sessions go
// with their blobs.
func (l *Lifecycle) erase(ctx context.Context, projectID string, ids []string) error {
	if err := l.index.RecordErased(ctx, projectID, ids, l.now(ctx)); err != nil {
		return fmt.Errorf("lifecycle: tombstones: %w", err)
	}
	// A compaction of one of these sessions already under way (on any node) holds what it
	// loaded in memory, content items resolved through its node's cache included; finishing
	// after the deletion, it would store those items again. Holding each session's lease fences
	// it: the erasure waits for a running compaction to commit (its content then goes with the
	// session below), and none starts until the rows are gone.
	if err := l.claimAll(ctx, ids); err != nil {
		return err
	}
	// Batches ingested together share a pack; the other sessions in those packs are compacted
	// into their own blobs first, so deleting these sessions frees the packs whole and no
	// byte of theirs stays on disk.
	if l.compactor != nil {
		others, err := l.index.SessionsSharingBlobs(ctx, ids)
		if err != nil {
			return err
		}
		for _, o := range others {
			for attempt := 0; ; attempt++ {
				ok, err := l.compactor.Session(ctx, o)
				if err != nil {
					return fmt.Errorf("lifecycle: compact %s before erasure: %w", o, err)
				}
				if ok || attempt == 20 {
					break
				}
				time.Sleep(250 * time.Millisecond) // another worker holds it; it will finish
			}
		}
	}
	return l.delete(ctx, ids)
}

// afterErasure sweeps the content no session references any more (what other sessions still
// use stays) and flushes deleted rows out of a backend's log (SQLite's WAL).
func (l *Lifecycle) afterErasure(ctx context.Context, rep *ErasureReport) error {
	n, err := l.sweep(ctx, time.Now().Add(time.Minute))
	rep.Content = n
	if err != nil {
		return err
	}
	return l.index.Checkpoint(ctx)
}

// DeleteProject erases every session of a project as EraseUser erases a user's (tombstones,
// blobs, content), in rounds, then the project with its saved searches, playlists and alert
// rules. Stopped part way (ErrBusy, a crash), it can be run again: what is gone stays gone.
func (l *Lifecycle) DeleteProject(ctx context.Context, projectID string) (ErasureReport, error) {
	var rep ErasureReport
	// A batch already past its key check when the deletion began may still add a session
	// (the caller stops the project's keys first); the store then refuses, and another round
	// takes it.
	for attempt := 0; ; attempt++ {
		for {
			ids, err := l.index.SessionsOfProject(ctx, projectID, 200)
			if err != nil {
				return rep, err
			}
			if len(ids) == 0 {
				break
			}
			if err := l.erase(ctx, projectID, ids); err != nil {
				return rep, err
			}
			rep.Sessions += len(ids)
		}
		err := l.index.DeleteProject(ctx, projectID)
		if err == nil {
			break
		}
		if !errors.Is(err, store.ErrConflict) || attempt == 2 {
			return rep, fmt.Errorf("lifecycle: delete project %s: %w", projectID, err)
		}
	}
	return rep, l.afterErasure(ctx, &rep)
}

// TombstoneTTL is how long an erased session's id stays refused: far longer than a session
// can last or the SDK keeps an unsent batch, so what a browser still holds of it is refused,
// and bounded, so the table does not grow for ever.
const TombstoneTTL = 90 * 24 * time.Hour

// ErrBusy means a session to erase stayed leased by another worker (a compaction) for longer
// than the erasure waits; nothing was deleted, and the request can be made again.
var ErrBusy = errors.New("lifecycle: a session is being compacted; try again")

// claimAll leases every session of ids to the erasure, waiting up to ClaimWait for leases
// other workers hold. Sessions deleted meanwhile need no lease.
func (l *Lifecycle) claimAll(ctx context.Context, ids []string) error {
	deadline := time.Now().Add(l.opts.ClaimWait)
	for _, id := range ids {
		for {
			ok, err := l.index.ClaimSession(ctx, id, l.opts.EraseLease)
			if err != nil {
				return fmt.Errorf("lifecycle: claim %s for erasure: %w", id, err)
			}
			if ok {
				break
			}
			if _, err := l.index.GetSession(ctx, id); errors.Is(err, store.ErrNotFound) {
				break
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("%w (session %s)", ErrBusy, id)
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(100 * time.Millisecond):
			}
		}
	}
	return nil
}

func (l *Lifecycle) delete(ctx context.Context, ids []string) error {
	keys, err := l.index.DeleteSessions(ctx, ids)
	if err != nil {
		return fmt.Errorf("lifecycle: delete sessions: %w", err)
	}
	for _, k := range keys {
		if err := l.blobs.Delete(ctx, k); err != nil {
			l.log.Warn("lifecycle: delete blob", "key", k, "err", err)
		}
	}
	return nil
}

func (l *Lifecycle) sweep(ctx context.Context, touchedBefore time.Time) (int, error) {
	gone, err := l.index.SweepContent(ctx, touchedBefore)
	if err != nil {
		return 0, fmt.Errorf("lifecycle: sweep content: %w", err)
	}
	byProject := map[string][]string{}
	for _, k := range gone {
		if err := l.blobs.Delete(ctx, layout.ContentKey(k.ProjectID, k.Hash)); err != nil {
			l.log.Warn("lifecycle: delete content", "hash", k.Hash, "err", err)
		}
		byProject[k.ProjectID] = append(byProject[k.ProjectID], k.Hash)
	}
	for p, hs := range byProject {
		for _, c := range l.caches {
			c.Forget(p, hs)
		}
	}
	return len(gone), nil
}
