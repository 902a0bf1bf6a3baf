package s3

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/reelhq/reel/internal/blob"
	"github.com/reelhq/reel/internal/blob/s3test"
)

// An object larger than PartSize goes up in parts: S3 gives a multipart object an ETag ending
// in "-<number of parts>", which no single PUT has.
func TestLargeObjectIsMultipart(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, s3test.URL(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		size  int
		parts string
	}{
		{PartSize, ""},
		{PartSize + 1, "-2"},
		{2*PartSize + 10, "-3"},
	} {
		data := bytes.Repeat([]byte{7}, tc.size)
		if err := s.Put(ctx, "large/object", data); err != nil {
			t.Fatal(err)
		}
		info, err := s.core.Client.StatObject(ctx, s.cfg.Bucket, s.cfg.Prefix+"large/object", minio.StatObjectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		multipart := strings.Contains(info.ETag, "-")
		if multipart != (tc.parts != "") || tc.parts != "" && !strings.HasSuffix(info.ETag, tc.parts) {
			t.Errorf("%d bytes stored with ETag %q, want parts %q", tc.size, info.ETag, tc.parts)
		}
	}
}

// An upload a dead process started and never completed is aborted by RemoveTemps once older
// than the cutoff, and left alone while it may still be running.
func TestRemoveTemps(t *testing.T) {
	ctx := context.Background()
	s, err := Open(ctx, s3test.URL(t), Options{})
	if err != nil {
		t.Fatal(err)
	}
	name := s.cfg.Prefix + "sessions/p/ab/abandoned.compact.x.zst"
	id, err := s.core.NewMultipartUpload(ctx, s.cfg.Bucket, name, minio.PutObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	part := bytes.Repeat([]byte{1}, 5<<20)
	if _, err := s.core.PutObjectPart(ctx, s.cfg.Bucket, name, id, 1, bytes.NewReader(part), int64(len(part)), minio.PutObjectPartOptions{}); err != nil {
		t.Fatal(err)
	}
	// A start-up probe whose process died before deleting it.
	probe := s.cfg.Prefix + probePrefix + "dead"
	if _, err := s.core.Client.PutObject(ctx, s.cfg.Bucket, probe, bytes.NewReader([]byte("probe")), 5, minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	if n, err := s.RemoveTemps(ctx, time.Now().Add(-time.Hour)); err != nil || n != 0 {
		t.Fatalf("RemoveTemps(an hour ago) = %d, %v; want 0: the upload and the probe are newer", n, err)
	}
	if n, err := s.RemoveTemps(ctx, time.Now().Add(time.Minute)); err != nil || n != 2 {
		t.Fatalf("RemoveTemps(now) = %d, %v; want 2", n, err)
	}
	for up := range s.core.Client.ListIncompleteUploads(ctx, s.cfg.Bucket, s.cfg.Prefix, true) {
		t.Fatalf("upload left after RemoveTemps: %+v", up)
	}
	if _, err := s.core.Client.StatObject(ctx, s.cfg.Bucket, probe, minio.StatObjectOptions{}); !notFound(err) {
		t.Fatalf("probe left after RemoveTemps (%v)", err)
	}
}

// A multipart Put whose parts fail (after the client's retries) returns the error, leaves no
// object, and aborts its upload so no parts stay behind.
func TestFailedMultipartPutIsAborted(t *testing.T) {
	ctx := context.Background()
	faults := s3test.Start(t).Faults(t)
	s, err := Open(ctx, faults.PrefixURL(t), Options{Attempts: 2, AttemptTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	faults.FailParts(500)
	err = s.Put(ctx, "sessions/p/ab/big.compact.x.zst", bytes.Repeat([]byte{3}, PartSize+10))
	faults.Pass()
	if err == nil {
		t.Fatal("Put with failing parts succeeded")
	}
	if faults.Failed() == 0 {
		t.Fatal("no part upload reached the proxy")
	}
	if _, err := s.Get(ctx, "sessions/p/ab/big.compact.x.zst"); !errors.Is(err, blob.ErrNotFound) {
		t.Fatalf("Get after the failed Put = %v, want ErrNotFound", err)
	}
	for up := range s.core.Client.ListIncompleteUploads(ctx, s.cfg.Bucket, s.cfg.Prefix, true) {
		t.Fatalf("upload left after a failed Put: %+v", up)
	}
}
