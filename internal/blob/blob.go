// Package blob stores immutable byte objects (compressed event chunks) by key. It is a driver
// seam: Local keeps them in a directory for the embedded mode, and an S3-compatible store slots
// in for scale-out without its users changing.
package blob

import (
	"context"
	"errors"
	"fmt"
	"strings"
)

// ErrNotFound is returned by Get when no object has the key.
var ErrNotFound = errors.New("blob: not found")

// Store keeps objects by key. Put must be durable when it returns nil: the ingest endpoint
// acknowledges a batch only after Put and the index commit both succeed.
type Store interface {
	Put(ctx context.Context, key string, data []byte) error
	Get(ctx context.Context, key string) ([]byte, error)
	// GetRange reads length bytes at offset, for seeking inside a compacted session.
	GetRange(ctx context.Context, key string, offset, length int64) ([]byte, error)
	Delete(ctx context.Context, key string) error
}

// ValidKey reports whether key is a relative slash-separated path of safe segments, so that
// no key can climb out of a store's root or name something odd on any backend.
func ValidKey(key string) error {
	if key == "" || len(key) > 512 {
		return fmt.Errorf("blob: invalid key length %d", len(key))
	}
	for _, seg := range strings.Split(key, "/") {
		if seg == "" || seg == "." || seg == ".." {
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
