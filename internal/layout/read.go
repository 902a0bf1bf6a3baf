package layout

import (
	"context"

	"github.com/reelhq/reel/internal/chunk"
	"github.com/reelhq/reel/internal/content"
	"github.com/reelhq/reel/internal/store"
)

// Reader reads objects and byte ranges of them (a blob.Store).
type Reader interface {
	Get(ctx context.Context, key string) ([]byte, error)
	GetRange(ctx context.Context, key string, offset, length int64) ([]byte, error)
}

// Hashes turns content item numbers back into their hashes, for one project (the index's
// ContentHashes).
type Hashes func(ids []int64) (map[int64]string, error)

// ReadChunk returns a chunk's events as the JSON array text that was ingested.
func ReadChunk(ctx context.Context, r Reader, c store.Chunk) ([]byte, error) {
	var data []byte
	var err error
	if c.BlobLength > 0 {
		data, err = r.GetRange(ctx, c.BlobKey, c.BlobOffset, c.BlobLength)
	} else {
		data, err = r.Get(ctx, c.BlobKey)
	}
	if err != nil {
		return nil, err
	}
	return chunk.DecodeArray(data)
}

// ReadSegment returns a segment's events as JSON array text, its content markers by hash like a
// chunk's, so readers handle both alike. One call of hashes serves the whole segment; segments
// written before markers were numbered read as they are.
func ReadSegment(ctx context.Context, r Reader, g store.Segment, hashes Hashes) ([]byte, error) {
	data, err := r.GetRange(ctx, g.BlobKey, g.Offset, g.Length)
	if err != nil {
		return nil, err
	}
	arr, err := chunk.DecodeArray(data)
	if err != nil {
		return nil, err
	}
	return content.Unnumber(arr, hashes)
}
