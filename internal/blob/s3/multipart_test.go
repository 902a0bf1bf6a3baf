package s3

import (
	"bytes"
	"context"
	"strings"
	"testing"

	"github.com/minio/minio-go/v7"

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
