package s3_test

import (
	"context"
	"errors"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/reelhq/reel/internal/blob"
	"github.com/reelhq/reel/internal/blob/blobtest"
	"github.com/reelhq/reel/internal/blob/s3"
	"github.com/reelhq/reel/internal/blob/s3test"
)

func TestMain(m *testing.M) { s3test.Main(m) }

func open(t *testing.T, url string, opts s3.Options) *s3.Store {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	s, err := s3.Open(ctx, url, opts)
	if err != nil {
		t.Fatalf("Open(%s): %v", url, err)
	}
	return s
}

func TestContract(t *testing.T) {
	s3test.URL(t) // skips (or fails in CI) once here when there is no server to run
	blobtest.Run(t, func(t *testing.T) blob.Store {
		return open(t, s3test.URL(t), s3.Options{})
	})
}

// The URL form the README documents, the whole bucket without a key prefix, works as it is.
func TestBucketURL(t *testing.T) {
	srv := s3test.Start(t)
	s3test.SetCredentials(t)
	s := open(t, srv.BucketURL(), s3.Options{})
	ctx := context.Background()
	if err := s.Put(ctx, "chunks/day/x.pack.zst", []byte("pack")); err != nil {
		t.Fatal(err)
	}
	var keys []string
	if err := s.List(ctx, "", func(key string, _ int64, _ time.Time) error {
		keys = append(keys, key)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	// Check's probe object is gone, and would not be listed anyway.
	if len(keys) != 1 || keys[0] != "chunks/day/x.pack.zst" {
		t.Fatalf("List = %v", keys)
	}
	if got := s.String(); strings.Contains(got, s3test.SecretKey) || strings.Contains(got, s3test.AccessKey) || !strings.Contains(got, "s3://reel/") {
		t.Fatalf("String() = %q: want the bucket and no credential", got)
	}
}

// Start-up fails with a message that says what is wrong, and quickly, when the store cannot
// be used.
func TestOpenFails(t *testing.T) {
	srv := s3test.Start(t)
	closed := func() string {
		ln, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		defer ln.Close()
		return ln.Addr().String()
	}()
	fast := s3.Options{Attempts: 2, AttemptTimeout: 2 * time.Second}
	for _, tc := range []struct {
		name, url, secret, want string
	}{
		{"missing bucket", strings.Replace(srv.BucketURL(), "s3://reel?", "s3://nope?", 1), s3test.SecretKey, "bucket does not exist"},
		{"wrong secret", srv.BucketURL(), "wrong", "AWS_SECRET_ACCESS_KEY"},
		{"closed port", "s3://reel?endpoint=http://" + closed + "&region=us-east-1&use_path_style=true", s3test.SecretKey, "cannot be reached"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s3test.SetCredentials(t)
			t.Setenv("AWS_SECRET_ACCESS_KEY", tc.secret)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			start := time.Now()
			_, err := s3.Open(ctx, tc.url, fast)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("Open = %v, want an error saying %q", err, tc.want)
			}
			if strings.Contains(err.Error(), tc.secret) {
				t.Fatalf("error names the secret: %v", err)
			}
			if d := time.Since(start); d > 15*time.Second {
				t.Fatalf("Open took %s to fail", d)
			}
			t.Logf("%s", err)
		})
	}
	t.Run("hung server", func(t *testing.T) {
		s3test.SetCredentials(t)
		srv.Pause(t)
		defer srv.Resume(t)
		start := time.Now()
		_, err := s3.Open(context.Background(), srv.BucketURL(), s3.Options{Attempts: 2, AttemptTimeout: time.Second})
		if err == nil || !strings.Contains(err.Error(), "does not answer") {
			t.Fatalf("Open = %v, want an error saying the endpoint does not answer", err)
		}
		if d := time.Since(start); d > 10*time.Second {
			t.Fatalf("Open took %s to fail", d)
		}
		t.Logf("%s", err)
	})
}

// A server that stops answering makes calls fail within the attempt timeouts, not hang, and
// the store works again once the server is back.
func TestHungServer(t *testing.T) {
	srv := s3test.Start(t)
	s3test.SetCredentials(t)
	s := open(t, srv.BucketURL(), s3.Options{Attempts: 2, AttemptTimeout: 500 * time.Millisecond})
	ctx := context.Background()
	srv.Pause(t)
	start := time.Now()
	err := s.Put(ctx, "chunks/day/hung.pack.zst", []byte("x"))
	srv.Resume(t)
	if err == nil {
		t.Fatal("Put to a paused server succeeded")
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("Put to a paused server took %s to fail", d)
	}
	if err := s.Put(ctx, "chunks/day/after.pack.zst", []byte("y")); err != nil {
		t.Fatalf("Put after resume: %v", err)
	}
	if _, err := s.Get(ctx, "chunks/day/nothing"); !errors.Is(err, blob.ErrNotFound) {
		t.Fatalf("Get(missing) after resume = %v", err)
	}
}

func TestParseURL(t *testing.T) {
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "eu-west-3")
	for _, tc := range []struct {
		url, want string
	}{
		{"s3://reel?endpoint=http://127.0.0.1:9000&region=us-east-1&use_path_style=true", "s3://reel/ at http://127.0.0.1:9000 region us-east-1 path-style"},
		{"s3://reel/prod/eu?endpoint=https://minio.internal", "s3://reel/prod/eu/ at https://minio.internal region eu-west-3"},
		{"s3://my-bucket", "s3://my-bucket/ at https://s3.amazonaws.com region eu-west-3"},
	} {
		c, err := s3.ParseURL(tc.url)
		if err != nil || c.String() != tc.want {
			t.Errorf("ParseURL(%q) = %q, %v; want %q", tc.url, c, err, tc.want)
		}
	}
	for _, bad := range []string{
		"http://reel",
		"s3://",
		"s3://AKID:s3cr3t@reel?endpoint=http://127.0.0.1:9000",
		"s3://reel?endpoint=127.0.0.1:9000",
		"s3://reel?endpoint=http://user:pw@127.0.0.1:9000",
		"s3://reel?endpoint=http://127.0.0.1:9000/path",
		"s3://reel?use_path_style=yes",
		"s3://reel?usePathStyle=true",
		"s3://reel/../x",
	} {
		if c, err := s3.ParseURL(bad); err == nil {
			t.Errorf("ParseURL(%q) = %v, want an error", bad, c)
		} else if strings.Contains(err.Error(), "s3cr3t") || strings.Contains(err.Error(), ":pw") {
			t.Errorf("ParseURL(%q) error repeats the credentials: %v", bad, err)
		}
	}
}
