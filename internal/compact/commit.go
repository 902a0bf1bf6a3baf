package compact

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/reelhq/reel/internal/content"
	"github.com/reelhq/reel/internal/layout"
	"github.com/reelhq/reel/internal/store"
)

// commit makes the rewrite durable: new content first, then the session's blob, then the index.
// A crash anywhere before the index commits leaves only unreferenced blobs (swept later), and
// the chunks keep serving the session. Blobs the commit made obsolete (packs no chunk points
// into any more, the previous compaction's blob) are deleted after it.
func (c *Compactor) commit(ctx context.Context, in loaded, out *rewritten) error {
	id, projectID := in.sess.ID, in.sess.ProjectID
	refs, err := c.storeContent(ctx, projectID, out)
	if err != nil {
		return err
	}
	// Segments name the items by number (content.Number): the items are numbered first, in a
	// transaction of their own, so the numbers are known before the blob is written.
	numbers, err := c.index.NumberContent(ctx, projectID, refs, time.Now())
	if err != nil {
		return fmt.Errorf("compact %s: %w", id, err)
	}
	for i := range refs {
		refs[i].ID = numbers[refs[i].Hash]
	}
	for i, text := range out.texts {
		out.object.AddSegment(&out.segments[i], text, numbers)
	}
	if err := c.blobs.Put(ctx, out.object.Key(), out.object.Bytes()); err != nil {
		return fmt.Errorf("compact %s: %w", id, err)
	}
	obsolete, err := c.index.CommitCompaction(ctx, store.Compaction{SessionID: id, Segments: out.segments, Chunks: in.merged, Content: refs, At: time.Now()})
	if err != nil {
		_ = c.blobs.Delete(ctx, out.object.Key())
		if errors.Is(err, store.ErrNotFound) {
			c.sessionGone(ctx, id, projectID)
		}
		return err
	}
	for _, k := range obsolete {
		if err := c.blobs.Delete(ctx, k); err != nil {
			c.log.Warn("compaction: remove obsolete blob", "key", k, "err", err)
		}
	}
	return nil
}

// sessionGone cleans up after a compaction whose session was deleted while it ran. An erasure
// holds the session's lease, so this happens only to a worker that outlived its lease (or to a
// session retention took): the content items it stored since may be the erased person's and
// be referenced by nothing now. They are swept at once, as the erasure swept, rather than after
// the grace period; an item another worker is about to reference is at worst swept under it,
// whose commit then fails with ErrNotFound and is retried later.
func (c *Compactor) sessionGone(ctx context.Context, id, projectID string) {
	if _, err := c.index.GetSession(ctx, id); !errors.Is(err, store.ErrNotFound) {
		return // an item was swept under this compaction instead; it is retried later
	}
	gone, err := c.index.SweepContent(ctx, time.Now().Add(time.Minute))
	if err != nil {
		c.log.Warn("compaction: sweep after the session was deleted", "session", id, "err", err)
		return
	}
	byProject := map[string][]string{}
	for _, k := range gone {
		if err := c.blobs.Delete(ctx, layout.ContentKey(k.ProjectID, k.Hash)); err != nil {
			c.log.Warn("compaction: delete content", "hash", k.Hash, "err", err)
		}
		byProject[k.ProjectID] = append(byProject[k.ProjectID], k.Hash)
	}
	for p, hs := range byProject {
		c.content.Forget(p, hs)
	}
	c.log.Info("compaction: session deleted while compacting; swept what it stored", "session", id, "project", projectID, "items", len(gone))
}

// storeContent writes the items the project does not have yet and returns a reference for every
// item the session uses, each marked a root when a segment names it directly.
func (c *Compactor) storeContent(ctx context.Context, projectID string, out *rewritten) ([]store.ContentRef, error) {
	hashes := make([]string, 0, len(out.taken))
	for h := range out.taken {
		hashes = append(hashes, h)
	}
	missing, err := c.index.MissingContent(ctx, projectID, hashes)
	if err != nil {
		return nil, err
	}
	isMissing := map[string]bool{}
	for _, h := range missing {
		isMissing[h] = true
	}
	var refs []store.ContentRef
	for h, tok := range out.taken {
		ref := store.ContentRef{Hash: h, Size: len(tok), Root: out.roots[h], Children: content.Refs(tok)}
		if isMissing[h] {
			stored, err := layout.PutContent(ctx, c.blobs, projectID, h, tok)
			if err != nil {
				return nil, err
			}
			ref.Stored = stored
		}
		refs = append(refs, ref)
	}
	return refs, nil
}
