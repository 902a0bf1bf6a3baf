package lifecycle

import (
	"context"
	"fmt"
	"time"

	"github.com/reelhq/reel/internal/layout"
)

// tempRemover is a blob store that can clear what interrupted writes left behind: Local's
// temporary files, S3's abandoned multipart uploads.
type tempRemover interface {
	RemoveTemps(ctx context.Context, cutoff time.Time) (int, error)
}

// OrphanReport says what an orphan sweep found.
type OrphanReport struct {
	Listed  int // objects listed
	Young   int // unreferenced or not, too recent to judge
	Unknown int // names internal/layout does not write: never touched
	Deleted int // unreferenced objects older than the grace period, deleted
	Temps   int // temporary files or abandoned uploads removed
}

// orphanBatch is how many old objects the sweep asks the index about at once.
const orphanBatch = 500

// logKeysMax bounds the keys one sweep logs one by one; the counts cover the rest.
const logKeysMax = 100

// SweepOrphans deletes the objects that no index row references and that were last modified
// before now minus OrphanGrace: packs and compacted objects written by a node that died (or
// whose write timed out and landed later) before its index transaction committed, and content
// items whose row a sweep removed while their deletion failed. Referenced means a row of the
// blob reference counts (packs, compacted sessions) or a content row of the key's project
// (content items, archived copies included). The grace period is what keeps a write whose
// commit is still to come: nothing writes an object and commits its reference an hour apart.
// Names the layout does not write are left alone, since a bucket may hold other things. The
// temporary files of interrupted writes (and, on S3, abandoned multipart uploads) older than
// the grace period go too.
//
// Keys are logged: they name a day, a project, a random session id or a content hash, never
// recorded data, so they say nothing about the people recorded.
func (l *Lifecycle) SweepOrphans(ctx context.Context, now time.Time) (OrphanReport, error) {
	return l.sweepOrphans(ctx, now.Add(-l.opts.OrphanGrace))
}

// SweepCrashLeftovers is the orphan sweep without a grace period: every object no index row
// references and every temporary file goes, however young. Only a node that is the sole
// writer of its blob store and index, before it writes anything, may run it: then nothing is
// between writing an object and committing its rows, so everything unreferenced was left by
// a process that died (kill -9, power loss), and may hold text of people whose erasure comes
// later. `reel serve` on the embedded index runs it at start, before it listens
// (docs/storage.md, "Crash leftovers"); nodes sharing PostgreSQL keep the grace period.
func (l *Lifecycle) SweepCrashLeftovers(ctx context.Context) (OrphanReport, error) {
	return l.sweepOrphans(ctx, time.Now().Add(time.Second))
}

func (l *Lifecycle) sweepOrphans(ctx context.Context, cutoff time.Time) (OrphanReport, error) {
	var rep OrphanReport
	var batch []layout.Key
	var keys []string
	flush := func() error {
		n, err := l.deleteOrphans(ctx, keys, batch, rep.Deleted)
		rep.Deleted += n
		batch, keys = batch[:0], keys[:0]
		return err
	}
	err := l.blobs.List(ctx, "", func(key string, _ int64, modified time.Time) error {
		rep.Listed++
		if !modified.Before(cutoff) {
			rep.Young++
			return nil
		}
		k, err := layout.Parse(key)
		if err != nil {
			rep.Unknown++
			return nil
		}
		batch, keys = append(batch, k), append(keys, key)
		if len(batch) == orphanBatch {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	if err != nil {
		return rep, fmt.Errorf("lifecycle: orphan sweep: %w", err)
	}
	if tr, ok := l.blobs.(tempRemover); ok {
		n, err := tr.RemoveTemps(ctx, cutoff)
		rep.Temps = n
		if err != nil {
			return rep, fmt.Errorf("lifecycle: orphan sweep: %w", err)
		}
	}
	if rep.Deleted > 0 || rep.Temps > 0 || rep.Unknown > 0 {
		l.log.Info("orphan sweep", "listed", rep.Listed, "deleted", rep.Deleted, "temps", rep.Temps, "unknown", rep.Unknown, "young", rep.Young)
	}
	return rep, nil
}

// deleteOrphans deletes those of keys (parsed as parsed) that the index does not reference
// and returns how many it deleted; done is how many this sweep deleted before, for the log.
func (l *Lifecycle) deleteOrphans(ctx context.Context, keys []string, parsed []layout.Key, done int) (int, error) {
	if len(keys) == 0 {
		return 0, nil
	}
	var objects []string
	hashes := map[string][]string{} // content hashes by project
	for i, k := range parsed {
		if k.Kind == layout.Content {
			hashes[k.Project] = append(hashes[k.Project], k.Hash)
		} else {
			objects = append(objects, keys[i])
		}
	}
	referenced, err := l.index.ReferencedBlobs(ctx, objects)
	if err != nil {
		return 0, err
	}
	missing := map[string]bool{}
	for project, hs := range hashes {
		gone, err := l.index.MissingContent(ctx, project, hs)
		if err != nil {
			return 0, err
		}
		for _, h := range gone {
			missing[layout.ContentKey(project, h)] = true
		}
	}
	n := 0
	for i, k := range parsed {
		key := keys[i]
		if k.Kind == layout.Content && !missing[key] || k.Kind != layout.Content && referenced[key] {
			continue
		}
		if err := l.blobs.Delete(ctx, key); err != nil {
			return n, err
		}
		if done+n < logKeysMax {
			l.log.Info("orphan sweep: deleted an unreferenced object", "key", key)
		}
		n++
	}
	return n, nil
}
