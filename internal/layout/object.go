package layout

import (
	"time"

	"github.com/reelhq/reel/internal/chunk"
	"github.com/reelhq/reel/internal/content"
	"github.com/reelhq/reel/internal/store"
)

// Object is a blob being assembled from byte ranges: a pack of chunks or a compacted session's
// segments. Its rows point into it as it grows; Put it (Bytes under Key) before committing them.
type Object struct {
	key  string
	data []byte
}

// NewPack starts a pack written at now, with room for size bytes.
func NewPack(now time.Time, size int) *Object {
	return &Object{key: PackKey(now), data: make([]byte, 0, size)}
}

// NewSession starts a session's compacted object.
func NewSession(projectID, sessionID string) *Object {
	return &Object{key: SessionKey(projectID, sessionID)}
}

// Key is the object's name.
func (o *Object) Key() string { return o.key }

// Bytes is the object's content so far.
func (o *Object) Bytes() []byte { return o.data }

// AddChunk appends a chunk's compressed events (chunk.EncodeArray) and points c at them.
func (o *Object) AddChunk(c *store.Chunk, data []byte) {
	c.BlobKey, c.BlobOffset, c.BlobLength = o.key, int64(len(o.data)), int64(len(data))
	o.data = append(o.data, data...)
}

// AddSegment appends a segment, its events (a JSON array with hash markers) compressed with its
// content markers numbered by ids, and points g at it. Items ids does not hold keep their hash.
func (o *Object) AddSegment(g *store.Segment, events []byte, ids map[string]int64) {
	data := chunk.Compress(content.Number(events, ids))
	g.BlobKey, g.Offset, g.Length = o.key, int64(len(o.data)), int64(len(data))
	o.data = append(o.data, data...)
}
