package compact

import (
	"context"
	"fmt"

	"github.com/reelhq/reel/internal/content"
	"github.com/reelhq/reel/internal/layout"
	"github.com/reelhq/reel/internal/store"
)

// piece is one stored run of a tab's events: an uncompacted chunk or an earlier segment.
type piece struct {
	first int64
	seq   int64
	arr   []byte
}

// loaded is a claimed session as it is stored: its row and, per tab, its earlier segments and
// the chunks that arrived since, every content marker resolved, so the rewrite starts from the
// events as recorded and takes content out afresh.
type loaded struct {
	sess store.Session
	tabs map[string][]piece
	// merged are the uncompacted chunks this compaction takes in; none means nothing arrived
	// since the last compaction and there is nothing to do.
	merged []store.Chunk
}

// load reads everything stored for the session: the segments of an earlier compaction and every
// chunk not compacted yet.
func (c *Compactor) load(ctx context.Context, id string) (loaded, error) {
	sess, err := c.index.GetSession(ctx, id)
	if err != nil {
		return loaded{}, err
	}
	chunks, err := c.index.Chunks(ctx, id)
	if err != nil {
		return loaded{}, err
	}
	segments, err := c.index.Segments(ctx, id)
	if err != nil {
		return loaded{}, err
	}

	in := loaded{sess: sess, tabs: map[string][]piece{}}
	for _, g := range segments {
		arr, err := layout.ReadSegment(ctx, c.blobs, g, func(ids []int64) (map[int64]string, error) { return c.index.ContentHashes(ctx, sess.ProjectID, ids) })
		if err != nil {
			return loaded{}, fmt.Errorf("compact %s: segment %d: %w", id, g.Index, err)
		}
		if arr, err = c.resolve(ctx, sess.ProjectID, arr); err != nil {
			return loaded{}, fmt.Errorf("compact %s: segment %d: %w", id, g.Index, err)
		}
		in.tabs[g.Tab] = append(in.tabs[g.Tab], piece{first: g.FirstAt.UnixMilli(), seq: -1, arr: arr})
	}
	for _, ch := range chunks {
		if ch.Compacted {
			continue
		}
		arr, err := layout.ReadChunk(ctx, c.blobs, ch)
		if err != nil {
			return loaded{}, fmt.Errorf("compact %s: chunk %s/%d: %w", id, ch.Tab, ch.Seq, err)
		}
		if arr, err = c.resolve(ctx, sess.ProjectID, arr); err != nil {
			return loaded{}, fmt.Errorf("compact %s: chunk %s/%d: %w", id, ch.Tab, ch.Seq, err)
		}
		in.tabs[ch.Tab] = append(in.tabs[ch.Tab], piece{first: ch.FirstAt.UnixMilli(), seq: ch.Seq, arr: arr})
		in.merged = append(in.merged, ch)
	}
	return in, nil
}

// resolve expands every marker in arr (wire assets, or content an earlier compaction took out)
// so the session is externalised afresh and its references are complete.
func (c *Compactor) resolve(ctx context.Context, projectID string, arr []byte) ([]byte, error) {
	return content.Resolve(arr, func(h string) ([]byte, error) { return c.content.Token(ctx, projectID, h) })
}
