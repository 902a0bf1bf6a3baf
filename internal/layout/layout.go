// Package layout is where and how Reel's data sits in the blob store: the names of its objects
// and which byte ranges of them an index row points at. Everything that writes or reads events
// or content at rest goes through it, so the layout is written down (docs/storage.md) and coded
// in one place:
//
//   - chunks/<day>/<random>.pack.zst: a pack, the batches one group commit ingested, back to
//     back. A chunk (store.Chunk) is the byte range BlobOffset+BlobLength of its pack (or, when
//     BlobLength is 0, a whole object), one zstd frame of the batch's events as a JSON array,
//     content markers by hash ("\u0000reel:a:<sha256>"), as on the wire.
//   - sessions/<project>/<xx>/<session>.compact.<random>.zst: a compacted session. A segment
//     (store.Segment) is the byte range Offset+Length of it, one zstd frame of a JSON array of
//     events starting at a full snapshot, content markers by number ("\u0000reel:i:<id>", the
//     item's id in the index) because a hash is 32 bytes no compressor shrinks.
//   - content/<project>/<xx>/<sha256>.zst: a content item, the JSON token of a large string or
//     subtree, zstd-compressed.
//
// <xx> spreads a project's objects over 256 directories: creating a directory per session costs
// more than writing its first chunk.
package layout

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"hash/fnv"
	"strings"
	"time"

	"github.com/reelhq/reel/internal/content"
)

// Kind is what an object holds.
type Kind int

// The kinds of object at rest.
const (
	Pack    Kind = iota + 1 // batches ingested together
	Session                 // a compacted session's segments
	Content                 // one content item
)

func (k Kind) String() string {
	switch k {
	case Pack:
		return "pack"
	case Session:
		return "session"
	case Content:
		return "content"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Key is a parsed object name; only the fields of its kind are set.
type Key struct {
	Kind    Kind
	Day     string // Pack: the UTC day it was written, 2006-01-02
	Project string // Session, Content
	Session string // Session
	Hash    string // Content
}

// PackKey names a new pack written at now.
func PackKey(now time.Time) string {
	return "chunks/" + now.UTC().Format("2006-01-02") + "/" + random(8) + ".pack.zst"
}

// SessionKey names a new compacted object of a session. Each compaction writes a new one (and
// deletes the one before after its index commit), so a reader of the old one is never cut off.
func SessionKey(projectID, sessionID string) string {
	return fmt.Sprintf("sessions/%s/%s/%s.compact.%s.zst", projectID, spread(sessionID), sessionID, random(6))
}

// ContentKey names a project's content item.
func ContentKey(projectID, hash string) string {
	return "content/" + projectID + "/" + hash[:2] + "/" + hash + ".zst"
}

// Parse reads an object name written by PackKey, SessionKey or ContentKey.
func Parse(key string) (Key, error) {
	bad := fmt.Errorf("layout: not an object name: %q", key)
	parts := strings.Split(key, "/")
	switch {
	case len(parts) == 3 && parts[0] == "chunks":
		day, name := parts[1], parts[2]
		if _, err := time.Parse("2006-01-02", day); err != nil || !isRandom(strings.TrimSuffix(name, ".pack.zst")) {
			return Key{}, bad
		}
		return Key{Kind: Pack, Day: day}, nil
	case len(parts) == 4 && parts[0] == "sessions":
		session, rest, ok := strings.Cut(parts[3], ".compact.")
		if !ok || parts[1] == "" || session == "" || spread(session) != parts[2] || !isRandom(strings.TrimSuffix(rest, ".zst")) {
			return Key{}, bad
		}
		return Key{Kind: Session, Project: parts[1], Session: session}, nil
	case len(parts) == 4 && parts[0] == "content":
		hash, ok := strings.CutSuffix(parts[3], ".zst")
		if !ok || parts[1] == "" || !content.ValidHash(hash) || hash[:2] != parts[2] {
			return Key{}, bad
		}
		return Key{Kind: Content, Project: parts[1], Hash: hash}, nil
	}
	return Key{}, bad
}

// spread is a session's directory among its project's 256, from a hash of its id.
func spread(sessionID string) string {
	sum := fnv.New32a()
	sum.Write([]byte(sessionID))
	return fmt.Sprintf("%02x", sum.Sum32()&0xff)
}

// random is n random bytes in hex, so two writers never pick the same name.
func random(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

func isRandom(s string) bool {
	if s == "" {
		return false
	}
	_, err := hex.DecodeString(s)
	return err == nil
}
