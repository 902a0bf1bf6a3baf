package compact

import (
	"context"
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
		return err
	}
	for _, k := range obsolete {
		if err := c.blobs.Delete(ctx, k); err != nil {
			c.log.Warn("compaction: remove obsolete blob", "key", k, "err", err)
		}
	}
	return nil
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
