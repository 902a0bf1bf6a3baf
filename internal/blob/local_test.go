package blob

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func TestLocalRoundTrip(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := NewLocal(dir)
	if err != nil {
		t.Fatal(err)
	}
	key := "p/default/s/abc/t1/0000000001.zst"
	if err := s.Put(ctx, key, []byte("hello")); err != nil {
		t.Fatal(err)
	}
	got, err := s.Get(ctx, key)
	if err != nil || !bytes.Equal(got, []byte("hello")) {
		t.Fatalf("Get = %q, %v", got, err)
	}
	if part, err := s.GetRange(ctx, key, 1, 3); err != nil || string(part) != "ell" {
		t.Fatalf("GetRange = %q, %v", part, err)
	}
	if _, err := s.GetRange(ctx, key, 3, 10); err == nil {
		t.Fatal("GetRange past the end succeeded")
	}
	// Overwriting replaces the whole object.
	if err := s.Put(ctx, key, []byte("bye")); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.Get(ctx, key); string(got) != "bye" {
		t.Fatalf("after overwrite Get = %q", got)
	}
	// No temporary files are left behind.
	entries, _ := os.ReadDir(filepath.Join(dir, "p/default/s/abc/t1"))
	if len(entries) != 1 {
		t.Fatalf("want 1 file in chunk dir, got %d", len(entries))
	}
	if err := s.Delete(ctx, key); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Get(ctx, key); !errors.Is(err, ErrNotFound) {
		t.Fatalf("Get after delete: %v, want ErrNotFound", err)
	}
	if err := s.Delete(ctx, key); err != nil {
		t.Fatalf("second delete: %v", err)
	}
}

func TestLocalRejectsHostileKeys(t *testing.T) {
	s, err := NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{"", "../x", "a/../../x", "/abs", "a//b", "a/./b", "a\\b", "a b", "a/b\x00", string(make([]byte, 600))} {
		t.Run(key, func(t *testing.T) {
			if err := s.Put(context.Background(), key, []byte("x")); err == nil {
				t.Fatalf("Put(%q) succeeded, want error", key)
			}
			if _, err := s.Get(context.Background(), key); err == nil {
				t.Fatalf("Get(%q) succeeded, want error", key)
			}
		})
	}
}
