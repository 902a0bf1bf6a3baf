package layout

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/reelhq/reel/internal/blob"
	"github.com/reelhq/reel/internal/chunk"
	"github.com/reelhq/reel/internal/content"
	"github.com/reelhq/reel/internal/store"
)

func TestKeysParseBack(t *testing.T) {
	hash := content.Hash("body{}")
	day := time.Date(2026, 11, 27, 23, 59, 0, 0, time.FixedZone("x", -3600))
	for _, tc := range []struct {
		name, key string
		want      Key
	}{
		{"pack", PackKey(day), Key{Kind: Pack, Day: "2026-11-28"}},
		{"session", SessionKey("default", "s_abc123"), Key{Kind: Session, Project: "default", Session: "s_abc123"}},
		{"content", ContentKey("default", hash), Key{Kind: Content, Project: "default", Hash: hash}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if err := blob.ValidKey(tc.key); err != nil {
				t.Fatal(err)
			}
			got, err := Parse(tc.key)
			if err != nil || got != tc.want {
				t.Fatalf("Parse(%q) = %+v, %v; want %+v", tc.key, got, err, tc.want)
			}
		})
	}
	if a, b := SessionKey("p", "s1"), SessionKey("p", "s1"); a == b {
		t.Fatalf("two compactions of a session got the same key %q", a)
	}
}

func TestParseRefuses(t *testing.T) {
	hash := content.Hash("x")
	for name, key := range map[string]string{
		"empty":             "",
		"unknown prefix":    "other/a/b",
		"pack bad day":      "chunks/2026-13-01/00ff.pack.zst",
		"pack no random":    "chunks/2026-11-27/.pack.zst",
		"session wrong dir": "sessions/p/zz/s1.compact.00ff.zst",
		"session no marker": "sessions/p/" + spread("s1") + "/s1.00ff.zst",
		"content bad hash":  "content/p/ab/abc.zst",
		"content wrong dir": "content/p/zz/" + hash + ".zst",
	} {
		t.Run(name, func(t *testing.T) {
			if k, err := Parse(key); err == nil {
				t.Fatalf("Parse(%q) = %+v, want an error", key, k)
			}
		})
	}
}

func TestChunksAndSegmentsReadBack(t *testing.T) {
	ctx := context.Background()
	blobs, err := blob.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}

	// A pack holds chunks back to back; a chunk of its own is a whole object.
	pack := NewPack(time.Now(), 0)
	var a, b store.Chunk
	pack.AddChunk(&a, chunk.EncodeArray([]byte(`[1]`)))
	pack.AddChunk(&b, chunk.EncodeArray([]byte(`[2,3]`)))
	if err := blobs.Put(ctx, pack.Key(), pack.Bytes()); err != nil {
		t.Fatal(err)
	}
	if err := blobs.Put(ctx, "one", chunk.EncodeArray([]byte(`[4]`))); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		c    store.Chunk
		want string
	}{
		{"first in pack", a, `[1]`},
		{"second in pack", b, `[2,3]`},
		{"whole object", store.Chunk{BlobKey: "one"}, `[4]`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got, err := ReadChunk(ctx, blobs, tc.c); err != nil || string(got) != tc.want {
				t.Fatalf("ReadChunk = %s, %v; want %s", got, err, tc.want)
			}
		})
	}

	// A segment names content by number at rest and reads back by hash.
	hash := content.Hash(strings.Repeat("x", 2000))
	events := []byte(`[{"type":4,"data":` + string(content.Marker(hash)) + `}]`)
	obj := NewSession("default", "s_abc123")
	var first, second store.Segment
	obj.AddSegment(&first, []byte(`[{"type":4}]`), nil)
	obj.AddSegment(&second, events, map[string]int64{hash: 7})
	if err := blobs.Put(ctx, obj.Key(), obj.Bytes()); err != nil {
		t.Fatal(err)
	}
	raw, err := blobs.GetRange(ctx, second.BlobKey, second.Offset, second.Length)
	if err != nil {
		t.Fatal(err)
	}
	if at, _ := chunk.DecodeArray(raw); strings.Contains(string(at), hash) {
		t.Fatalf("segment at rest names content by hash: %s", at)
	}
	hashes := func(ids []int64) (map[int64]string, error) { return map[int64]string{7: hash}, nil }
	if got, err := ReadSegment(ctx, blobs, second, hashes); err != nil || string(got) != string(events) {
		t.Fatalf("ReadSegment = %s, %v; want %s", got, err, events)
	}
	if got, err := ReadSegment(ctx, blobs, first, hashes); err != nil || string(got) != `[{"type":4}]` {
		t.Fatalf("ReadSegment(first) = %s, %v", got, err)
	}
}

func TestContentItems(t *testing.T) {
	ctx := context.Background()
	blobs, err := blob.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	s := strings.Repeat("y", 3000)
	hash, tok := content.Hash(s), content.Token(s)
	if n, err := PutContent(ctx, blobs, "default", hash, tok); err != nil || n <= 0 {
		t.Fatalf("PutContent = %d, %v", n, err)
	}
	cache := NewCache(blobs, 1<<20)
	if got, err := cache.Token(ctx, "default", hash); err != nil || string(got) != string(tok) {
		t.Fatalf("Token = %.20s…, %v", got, err)
	}
	if _, err := cache.Token(ctx, "other", hash); !errors.Is(err, content.ErrMissing) {
		t.Fatalf("another project's item: err = %v, want content.ErrMissing", err)
	}
}
