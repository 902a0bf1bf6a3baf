// Package blobtest is the contract every blob.Store backend must pass. Each backend's tests call
// Run with a function that opens a fresh, empty store; the cases use only the public interface,
// so what they prove about local files holds for S3 too, and callers (ingest, compaction, the
// events API, the orphan sweep) can rely on one behaviour.
package blobtest

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/reelhq/reel/internal/blob"
)

// LargeSize is the size of the large object case: above the S3 store's part size, so S3
// uploads it in parts and a range read crosses a part boundary.
const LargeSize = 20 << 20

// Run runs every case of the contract, each on a fresh, empty store from open.
func Run(t *testing.T, open func(t *testing.T) blob.Store) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s blob.Store)
	}{
		{"PutGet", testPutGet},
		{"Overwrite", testOverwrite},
		{"Empty", testEmpty},
		{"GetRange", testGetRange},
		{"NotFound", testNotFound},
		{"DeleteIdempotent", testDelete},
		{"List", testList},
		{"ListStops", testListStops},
		{"InvalidKeys", testInvalidKeys},
		{"Cancelled", testCancelled},
		{"ConcurrentPuts", testConcurrentPuts},
		{"Large", testLarge},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.fn(t, open(t))
		})
	}
}

func ctx(t *testing.T) context.Context {
	c, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	return c
}

// pattern returns n bytes that differ at every offset a range read could confuse (not a
// repeated short string), so a read from the wrong place never compares equal.
func pattern(n int, seed byte) []byte {
	b := make([]byte, n)
	x := uint32(seed) + 1
	for i := range b {
		x ^= x << 13
		x ^= x >> 17
		x ^= x << 5
		b[i] = byte(x)
	}
	return b
}

func mustPut(t *testing.T, s blob.Store, key string, data []byte) {
	t.Helper()
	if err := s.Put(ctx(t), key, data); err != nil {
		t.Fatalf("Put(%q, %d bytes): %v", key, len(data), err)
	}
}

func mustGet(t *testing.T, s blob.Store, key string, want []byte) {
	t.Helper()
	got, err := s.Get(ctx(t), key)
	if err != nil {
		t.Fatalf("Get(%q): %v", key, err)
	}
	if !bytes.Equal(got, want) {
		t.Fatalf("Get(%q) = %d bytes, want the %d put", key, len(got), len(want))
	}
}

func testPutGet(t *testing.T, s blob.Store) {
	key := "chunks/2026-12-06/a1b2c3.pack.zst"
	data := pattern(1000, 1)
	mustPut(t, s, key, data)
	mustGet(t, s, key, data)
	// A key that is a prefix of another's directory lives beside it.
	mustPut(t, s, "sessions/p/ab/s1.compact.x.zst", []byte("one"))
	mustPut(t, s, "sessions/p/ab/s1.compact.x.zst.2", []byte("two"))
	mustGet(t, s, "sessions/p/ab/s1.compact.x.zst", []byte("one"))
	mustGet(t, s, "sessions/p/ab/s1.compact.x.zst.2", []byte("two"))
}

func testOverwrite(t *testing.T, s blob.Store) {
	key := "content/p/ab/abcdef.zst"
	mustPut(t, s, key, pattern(5000, 2))
	// A shorter object replaces the whole longer one: no tail of the old one remains.
	short := []byte("short")
	mustPut(t, s, key, short)
	mustGet(t, s, key, short)
	if _, err := s.GetRange(ctx(t), key, 0, 100); err == nil {
		t.Fatal("GetRange past the end of the new, shorter object succeeded")
	}
}

func testEmpty(t *testing.T, s blob.Store) {
	key := "empty/object"
	mustPut(t, s, key, nil)
	got, err := s.Get(ctx(t), key)
	if err != nil || len(got) != 0 {
		t.Fatalf("Get(empty) = %d bytes, %v; want 0 bytes, no error", len(got), err)
	}
	if got, err := s.GetRange(ctx(t), key, 0, 0); err != nil || len(got) != 0 {
		t.Fatalf("GetRange(empty, 0, 0) = %d bytes, %v", len(got), err)
	}
	found := false
	err = s.List(ctx(t), "empty/", func(k string, size int64, _ time.Time) error {
		found = found || k == key && size == 0
		return nil
	})
	if err != nil || !found {
		t.Fatalf("List did not report the empty object with size 0 (err %v)", err)
	}
}

func testGetRange(t *testing.T, s blob.Store) {
	key := "sessions/p/cd/s2.compact.y.zst"
	data := pattern(4096, 3)
	mustPut(t, s, key, data)
	n := int64(len(data))
	for _, tc := range []struct {
		name           string
		offset, length int64
	}{
		{"start", 0, 10},
		{"middle", 1000, 2000},
		{"end", n - 7, 7},
		{"whole", 0, n},
		{"one byte", 4095, 1},
		{"empty at start", 0, 0},
		{"empty at end", n, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.GetRange(ctx(t), key, tc.offset, tc.length)
			if err != nil {
				t.Fatalf("GetRange(%d, %d): %v", tc.offset, tc.length, err)
			}
			if !bytes.Equal(got, data[tc.offset:tc.offset+tc.length]) {
				t.Fatalf("GetRange(%d, %d) = %d bytes that differ from the object's", tc.offset, tc.length, len(got))
			}
		})
	}
	// A range the object does not wholly hold is an error (never a short read a caller could
	// take for a segment), and not ErrNotFound: the object is there.
	for _, tc := range []struct {
		name           string
		offset, length int64
	}{
		{"past the end", n - 5, 10},
		{"starting at the end", n, 1},
		{"starting after the end", n + 100, 10},
		{"negative offset", -1, 10},
		{"negative length", 0, -1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := s.GetRange(ctx(t), key, tc.offset, tc.length)
			if err == nil {
				t.Fatalf("GetRange(%d, %d) = %d bytes, want an error", tc.offset, tc.length, len(got))
			}
			if errors.Is(err, blob.ErrNotFound) {
				t.Fatalf("GetRange(%d, %d) = %v, want an error other than ErrNotFound", tc.offset, tc.length, err)
			}
		})
	}
}

func testNotFound(t *testing.T, s blob.Store) {
	key := "chunks/nothing/here.pack.zst"
	if _, err := s.Get(ctx(t), key); !errors.Is(err, blob.ErrNotFound) {
		t.Fatalf("Get(missing) = %v, want ErrNotFound", err)
	}
	if _, err := s.GetRange(ctx(t), key, 0, 10); !errors.Is(err, blob.ErrNotFound) {
		t.Fatalf("GetRange(missing) = %v, want ErrNotFound", err)
	}
	if _, err := s.GetRange(ctx(t), key, 0, 0); !errors.Is(err, blob.ErrNotFound) {
		t.Fatalf("GetRange(missing, 0, 0) = %v, want ErrNotFound", err)
	}
	// A key below an existing object's name is missing too, not an error of another kind.
	mustPut(t, s, "file", []byte("x"))
	if _, err := s.Get(ctx(t), "file/below"); !errors.Is(err, blob.ErrNotFound) {
		t.Fatalf("Get(below an object) = %v, want ErrNotFound", err)
	}
}

func testDelete(t *testing.T, s blob.Store) {
	key := "sessions/p/ef/s3.compact.z.zst"
	mustPut(t, s, key, []byte("bytes"))
	mustPut(t, s, key+"x", []byte("neighbour"))
	for i := range 2 {
		if err := s.Delete(ctx(t), key); err != nil {
			t.Fatalf("Delete #%d: %v", i+1, err)
		}
		if _, err := s.Get(ctx(t), key); !errors.Is(err, blob.ErrNotFound) {
			t.Fatalf("Get after Delete #%d = %v, want ErrNotFound", i+1, err)
		}
	}
	if err := s.Delete(ctx(t), "never/was"); err != nil {
		t.Fatalf("Delete(never stored): %v", err)
	}
	mustGet(t, s, key+"x", []byte("neighbour"))
}

type listed struct {
	key  string
	size int64
}

func list(t *testing.T, s blob.Store, prefix string) []listed {
	t.Helper()
	var out []listed
	err := s.List(ctx(t), prefix, func(key string, size int64, modified time.Time) error {
		if d := time.Since(modified); d < -time.Hour || d > time.Hour {
			t.Errorf("List(%q): %s modified %s, not about now", prefix, key, modified)
		}
		out = append(out, listed{key, size})
		return nil
	})
	if err != nil {
		t.Fatalf("List(%q): %v", prefix, err)
	}
	slices.SortFunc(out, func(a, b listed) int {
		if a.key < b.key {
			return -1
		}
		if a.key > b.key {
			return 1
		}
		return 0
	})
	return out
}

func testList(t *testing.T, s blob.Store) {
	objects := []listed{
		{"a-x/5", 5},
		{"a/b/1", 1},
		{"a/b/2", 2},
		{"a/bz/6", 6},
		{"a/c/3", 3},
		{"ab/4", 4},
		{"b", 7},
	}
	for _, o := range objects {
		mustPut(t, s, o.key, pattern(int(o.size), byte(o.size)))
	}
	pick := func(keys ...string) []listed {
		var out []listed
		for _, o := range objects {
			if slices.Contains(keys, o.key) {
				out = append(out, o)
			}
		}
		return out
	}
	for _, tc := range []struct {
		prefix string
		want   []listed
	}{
		{"", objects},
		{"a/", pick("a/b/1", "a/b/2", "a/bz/6", "a/c/3")},
		{"a/b/", pick("a/b/1", "a/b/2")},
		{"a/b", pick("a/b/1", "a/b/2", "a/bz/6")},
		{"a", pick("a-x/5", "a/b/1", "a/b/2", "a/bz/6", "a/c/3", "ab/4")},
		{"a/b/1", pick("a/b/1")},
		{"b", pick("b")},
		{"zzz/", nil},
		{"a/q", nil},
	} {
		t.Run(fmt.Sprintf("prefix %q", tc.prefix), func(t *testing.T) {
			if got := list(t, s, tc.prefix); !slices.Equal(got, tc.want) {
				t.Fatalf("List(%q) = %v, want %v", tc.prefix, got, tc.want)
			}
		})
	}
	// A deleted object is no longer listed.
	if err := s.Delete(ctx(t), "a/b/1"); err != nil {
		t.Fatal(err)
	}
	if got := list(t, s, "a/b/"); !slices.Equal(got, pick("a/b/2")) {
		t.Fatalf("List after Delete = %v", got)
	}
	for _, prefix := range []string{"../", "a/../b", "/a", "a//", "a b"} {
		if err := s.List(ctx(t), prefix, func(string, int64, time.Time) error { return nil }); err == nil {
			t.Errorf("List(%q) succeeded, want an invalid prefix error", prefix)
		}
	}
}

func testListStops(t *testing.T, s blob.Store) {
	for i := range 5 {
		mustPut(t, s, fmt.Sprintf("stop/%d", i), []byte("x"))
	}
	stop := errors.New("enough")
	calls := 0
	err := s.List(ctx(t), "stop/", func(string, int64, time.Time) error {
		calls++
		return stop
	})
	if !errors.Is(err, stop) || calls != 1 {
		t.Fatalf("List with fn failing = %v after %d calls, want fn's error after 1", err, calls)
	}
}

func testInvalidKeys(t *testing.T, s blob.Store) {
	for _, key := range []string{"", "../x", "a/../../x", "/abs", "a//b", "a/./b", "a\\b", "a b", "a/b\x00", "trailing/", ".tmp-123", "a/.tmp-x/b", string(make([]byte, 600))} {
		name := fmt.Sprintf("%q", key)
		if len(key) > 40 {
			name = fmt.Sprintf("%d bytes", len(key))
		}
		t.Run(name, func(t *testing.T) {
			if blob.ValidKey(key) == nil {
				t.Fatalf("ValidKey(%q) = nil", key)
			}
			if err := s.Put(ctx(t), key, []byte("x")); err == nil {
				t.Fatal("Put succeeded")
			}
			if _, err := s.Get(ctx(t), key); err == nil || errors.Is(err, blob.ErrNotFound) {
				t.Fatalf("Get = %v, want an invalid key error", err)
			}
			if _, err := s.GetRange(ctx(t), key, 0, 1); err == nil || errors.Is(err, blob.ErrNotFound) {
				t.Fatalf("GetRange = %v, want an invalid key error", err)
			}
			if err := s.Delete(ctx(t), key); err == nil {
				t.Fatal("Delete succeeded")
			}
		})
	}
	if got := list(t, s, ""); len(got) != 0 {
		t.Fatalf("refused keys left objects: %v", got)
	}
}

func testCancelled(t *testing.T, s blob.Store) {
	c, cancel := context.WithCancel(context.Background())
	cancel()
	key := "cancelled/object"
	if err := s.Put(c, key, []byte("never")); err == nil {
		t.Fatal("Put with a cancelled context succeeded")
	}
	if _, err := s.Get(ctx(t), key); !errors.Is(err, blob.ErrNotFound) {
		t.Fatalf("Get after a cancelled Put = %v, want ErrNotFound", err)
	}
	mustPut(t, s, key, []byte("later"))
	if _, err := s.Get(c, key); err == nil {
		t.Fatal("Get with a cancelled context succeeded")
	}
}

func testConcurrentPuts(t *testing.T, s blob.Store) {
	const n = 16
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range n {
		wg.Go(func() {
			// Half the keys share a directory, half have their own, as packs of one day and
			// content items of many projects do.
			key := fmt.Sprintf("concurrent/shared/%02d", i)
			if i%2 == 1 {
				key = fmt.Sprintf("concurrent/own%02d/x", i)
			}
			errs[i] = s.Put(ctx(t), key, pattern(10000+i, byte(i)))
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Put #%d: %v", i, err)
		}
	}
	for i := range n {
		key := fmt.Sprintf("concurrent/shared/%02d", i)
		if i%2 == 1 {
			key = fmt.Sprintf("concurrent/own%02d/x", i)
		}
		mustGet(t, s, key, pattern(10000+i, byte(i)))
	}
	if got := list(t, s, "concurrent/"); len(got) != n {
		t.Fatalf("List after %d concurrent puts = %d objects", n, len(got))
	}
}

func testLarge(t *testing.T, s blob.Store) {
	key := "sessions/p/gh/large.compact.w.zst"
	data := pattern(LargeSize, 9)
	mustPut(t, s, key, data)
	mustGet(t, s, key, data)
	// Ranges at and across the 16 MiB mark, where the S3 store cuts its first part.
	for _, off := range []int64{0, 16<<20 - 100, 16 << 20, LargeSize - 1000} {
		got, err := s.GetRange(ctx(t), key, off, 1000)
		if err != nil || !bytes.Equal(got, data[off:off+1000]) {
			t.Fatalf("GetRange(%d, 1000) = %d bytes, %v; want the object's bytes", off, len(got), err)
		}
	}
	if got := list(t, s, "sessions/p/gh/"); len(got) != 1 || got[0].size != LargeSize {
		t.Fatalf("List = %v, want one object of %d bytes", got, LargeSize)
	}
}
