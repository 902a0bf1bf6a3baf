// Package lifecycle ends what Reel keeps: sessions past their project's retention, everything
// recorded about one user on request (GDPR/CCPA erasure), and content no session references
// any more. Index rows go first, in one transaction, then the blobs they pointed to, so a crash
// leaves at most unreferenced blobs, never a readable session with missing parts.
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
	store.Maintenance
}

type blobs interface {
	Delete(ctx context.Context, key string) error
}

// compactor rewrites a session into its own blob (package compact).
type compactor interface {
	Session(ctx context.Context, id string) (bool, error)
}

// forgetter drops cached content (the API's content cache).
type forgetter interface {
	Forget(projectID string, hashes []string)
}

// Options tune the background job.
type Options struct {
	Interval time.Duration // how often retention runs
	// Grace keeps unreferenced content this long after it was last referenced, so a worker
	// that is about to reference it again (compaction, ingest) never loses it to a sweep.
	Grace time.Duration
}

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
		opts.Interval = time.Hour
	}
	if opts.Grace <= 0 {
		opts.Grace = time.Hour
	}
	return &Lifecycle{index: idx, blobs: b, log: log, opts: opts, caches: caches}
}

// Run applies retention every interval until ctx is done.
func (l *Lifecycle) Run(ctx context.Context) {
	t := time.NewTicker(l.opts.Interval)
	defer t.Stop()
	for {
		if n, err := l.Expire(ctx, time.Now()); err != nil && ctx.Err() == nil {
			l.log.Error("retention pass failed", "err", err)
		} else if n > 0 {
			l.log.Info("retention removed sessions", "sessions", n)
		}
		// Backends whose query planner keeps statistics (SQLite) refresh them as sessions come
		// and go, so search keeps choosing the right indexes.
		if err := l.index.Optimize(ctx); err != nil && ctx.Err() == nil {
			l.log.Warn("refreshing planner statistics failed", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
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
	return total, nil
}

// ErasureReport says what an erasure removed.
type ErasureReport struct {
	Sessions int `json:"sessions"`
	Content  int `json:"content"`
}

// EraseUser deletes every session of a project identified as userID, and the content only
// those sessions referenced, at once (no grace period: the request is to forget now).
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
		return rep, nil
	}
	// Batches ingested together share a pack; the other sessions in those packs are compacted
	// into their own blobs first, so deleting this user's sessions frees the packs whole and no
	// byte of theirs stays on disk.
	if l.compactor != nil {
		others, err := l.index.SessionsSharingBlobs(ctx, ids)
		if err != nil {
			return rep, err
		}
		for _, o := range others {
			for attempt := 0; ; attempt++ {
				ok, err := l.compactor.Session(ctx, o)
				if err != nil {
					return rep, fmt.Errorf("lifecycle: compact %s before erasure: %w", o, err)
				}
				if ok || attempt == 20 {
					break
				}
				time.Sleep(250 * time.Millisecond) // another worker holds it; it will finish
			}
		}
	}
	if err := l.delete(ctx, ids); err != nil {
		return rep, err
	}
	rep.Sessions = len(ids)
	// Sweep only unreferenced content; what other sessions still use stays.
	n, err := l.sweep(ctx, time.Now().Add(time.Minute))
	rep.Content = n
	if err != nil {
		return rep, err
	}
	// Backends that keep deleted data in a log until a checkpoint (SQLite's WAL) flush it now.
	if err := l.index.Checkpoint(ctx); err != nil {
		return rep, err
	}
	return rep, nil
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
