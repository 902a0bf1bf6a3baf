// Package blob stores immutable byte objects (compressed event chunks) by key. It is a driver
// seam: Local keeps them in a directory for the embedded mode, and an S3-compatible store slots
// in for scale-out without its users changing.
package blob

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"
)

// ErrNotFound is returned by Get when no object has the key.
var ErrNotFound = errors.New("blob: not found")

// Store keeps objects by key. Put must be durable when it returns nil: the ingest endpoint
// acknowledges a batch only after Put and the index commit both succeed. Keys are names with
// slashes in them, not paths, but one key must not be the "directory" of another ("a" and
// "a/b"): S3 allows it, local files cannot, and internal/layout never does it.
type Store interface {
	Put(ctx context.Context, key string, data []byte) error
	Get(ctx context.Context, key string) ([]byte, error)
	// GetRange reads length bytes at offset, for seeking inside a compacted session.
	GetRange(ctx context.Context, key string, offset, length int64) ([]byte, error)
	Delete(ctx context.Context, key string) error
	// List calls fn for every whole object whose key starts with prefix (a plain string
	// prefix, not only a directory: "chunks/2026-" matches "chunks/2026-12-06/x.pack.zst"),
	// with its size and last modification, in no promised order. It exists for the orphan
	// sweep, which compares what is stored with what the index references; an object being
	// written concurrently may or may not be listed. An error from fn stops the listing and is
	// returned, wrapped.
	List(ctx context.Context, prefix string, fn func(key string, size int64, modified time.Time) error) error
}

// ValidPrefix reports whether prefix can start a valid key: empty (everything), or a key
// (ValidKey) that may end in "/" or in part of a segment.
func ValidPrefix(prefix string) error {
	if prefix == "" {
		return nil
	}
	if err := ValidKey(strings.TrimSuffix(prefix, "/")); err != nil {
		return fmt.Errorf("blob: invalid prefix %q", prefix)
	}
	return nil
}

// tempPrefix starts the names of Local's files that are still being written. Keys may not have
// a segment that starts with it, so a listing never confuses a half-written file with an object.
const tempPrefix = ".tmp-"

// ValidKey reports whether key is a relative slash-separated path of safe segments, so that
// no key can climb out of a store's root or name something odd on any backend. Segments
// starting with ".tmp-" are reserved for files being written.
func ValidKey(key string) error {
	if key == "" || len(key) > 512 {
		return fmt.Errorf("blob: invalid key length %d", len(key))
	}
	for _, seg := range strings.Split(key, "/") {
		if seg == "" || seg == "." || seg == ".." || strings.HasPrefix(seg, tempPrefix) {
			return fmt.Errorf("blob: invalid key %q", key)
		}
		for _, r := range seg {
			ok := r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.'
			if !ok {
				return fmt.Errorf("blob: invalid key %q", key)
			}
		}
	}
	return nil
}
