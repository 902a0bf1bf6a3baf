package layout

import (
	"context"
	"fmt"
	"sync"

	"github.com/reelhq/reel/internal/chunk"
	"github.com/reelhq/reel/internal/content"
)

type putter interface {
	Put(ctx context.Context, key string, data []byte) error
}

type getter interface {
	Get(ctx context.Context, key string) ([]byte, error)
}

// PutContent stores a project's content item (its JSON token) under its hash and returns the
// stored size. Putting the same item again rewrites identical bytes, which is what makes a
// racing sweep harmless to retry.
func PutContent(ctx context.Context, blobs putter, projectID, hash string, token []byte) (int, error) {
	data := chunk.Compress(token)
	if err := blobs.Put(ctx, ContentKey(projectID, hash), data); err != nil {
		return 0, fmt.Errorf("content: put %s: %w", hash, err)
	}
	return len(data), nil
}

// Cache loads content items' tokens from the blob store and keeps recently used ones in memory,
// up to a byte budget, so a stylesheet shared by every session is read from disk once.
type Cache struct {
	blobs getter
	mu    sync.Mutex
	max   int
	size  int
	items map[string][]byte
	order []string // insertion order, oldest first
}

// NewCache returns a cache holding at most maxBytes of tokens.
func NewCache(blobs getter, maxBytes int) *Cache {
	return &Cache{blobs: blobs, max: maxBytes, items: map[string][]byte{}}
}

// Token returns the JSON token of a project's content item.
func (c *Cache) Token(ctx context.Context, projectID, hash string) ([]byte, error) {
	k := projectID + "/" + hash
	c.mu.Lock()
	tok, ok := c.items[k]
	c.mu.Unlock()
	if ok {
		return tok, nil
	}
	data, err := c.blobs.Get(ctx, ContentKey(projectID, hash))
	if err != nil {
		return nil, fmt.Errorf("%w: %s: %v", content.ErrMissing, hash, err)
	}
	tok, err = chunk.Decompress(data)
	if err != nil {
		return nil, fmt.Errorf("content: %s: %w", hash, err)
	}
	if len(tok) <= c.max/4 {
		c.mu.Lock()
		if _, ok := c.items[k]; !ok {
			c.items[k] = tok
			c.order = append(c.order, k)
			c.size += len(tok)
			for c.size > c.max && len(c.order) > 0 {
				old := c.order[0]
				c.order = c.order[1:]
				c.size -= len(c.items[old])
				delete(c.items, old)
			}
		}
		c.mu.Unlock()
	}
	return tok, nil
}

// Forget drops cached items of a project (after an erasure).
func (c *Cache) Forget(projectID string, hashes []string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, h := range hashes {
		k := projectID + "/" + h
		if tok, ok := c.items[k]; ok {
			c.size -= len(tok)
			delete(c.items, k)
		}
	}
}
