package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reelhq/reel/internal/blob/s3"
	"github.com/reelhq/reel/internal/blob/s3test"
)

// syncBuffer is written by the server while the test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

// `reel serve --blobs s3://reel?endpoint=…&region=us-east-1&use_path_style=true`, the form the
// README documents, keeps the batches it acknowledges in the bucket, says where in its log
// without a credential, and `reel erase-user` works on the same store.
func TestServeWithS3Blobs(t *testing.T) {
	srv := s3test.Start(t)
	s3test.SetCredentials(t)
	url := srv.BucketURL()
	data := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- serveUntil(ctx, []string{"--addr", "127.0.0.1:0", "--data", data, "--blobs", url, "--archive-assets=false"}, &stdout, &stderr)
	}()
	var base, key string
	banner := regexp.MustCompile(`Dashboard\s+(http://\S+)/\n(?s:.*)Public key\s+(\S+)`)
	for deadline := time.Now().Add(30 * time.Second); base == ""; {
		if m := banner.FindStringSubmatch(stdout.String()); m != nil {
			base, key = m[1], m[2]
			break
		}
		select {
		case err := <-done:
			t.Fatalf("serve ended: %v\n%s", err, stderr.String())
		case <-time.After(50 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("no banner in 30 s:\n%s\n%s", stdout.String(), stderr.String())
		}
	}
	if !strings.Contains(stdout.String(), "objects in s3://reel/ at "+srv.Endpoint) {
		t.Errorf("banner does not say where objects go:\n%s", stdout.String())
	}
	if log := stderr.String(); !strings.Contains(log, "s3://reel/ at "+srv.Endpoint) || strings.Contains(log, s3test.SecretKey) {
		t.Errorf("log should describe the store without its secret:\n%s", log)
	}

	var body bytes.Buffer
	zw := gzip.NewWriter(&body)
	fmt.Fprint(zw, `{"session":"s_s3session1","tab":"t_tab00001","seq":0,"sentAt":1764237603000,"meta":{"sdk":"reel-js/test","userAgent":"Mozilla/5.0"},"events":[`+
		`{"type":4,"timestamp":1764237600000,"data":{"href":"http://127.0.0.1/demo/","width":1280,"height":720}},`+
		`{"type":2,"timestamp":1764237600010,"data":{"node":{"type":0,"childNodes":[],"id":1},"initialOffset":{"left":0,"top":0}}}]}`)
	zw.Close()
	resp, err := http.Post(base+"/api/v1/ingest?v=1&key="+key, "text/plain", &body)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("ingest = %d %s", resp.StatusCode, b)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve: %v", err)
	}

	store, err := s3.Open(context.Background(), url, s3.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var packs []string
	if err := store.List(context.Background(), "chunks/", func(key string, _ int64, _ time.Time) error {
		packs = append(packs, key)
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	if len(packs) != 1 {
		t.Fatalf("packs in the bucket = %v, want the one batch's", packs)
	}

	var out, errOut bytes.Buffer
	// Forgetting --blobs would erase the index rows and leave the recordings in the bucket.
	if err := run([]string{"erase-user", "--data", data, "nobody"}, &out, &errOut); err == nil || !strings.Contains(err.Error(), "same --blobs") {
		t.Fatalf("erase-user without the server's --blobs: %v", err)
	}
	if err := run([]string{"erase-user", "--data", data, "--blobs", url, "nobody"}, &out, &errOut); err != nil || !strings.Contains(out.String(), "0 sessions") {
		t.Fatalf("erase-user with --blobs = %v, %q %q", err, out.String(), errOut.String())
	}
	// A store that cannot be used stops both commands before they do anything, saying why.
	bad := strings.Replace(url, "s3://reel?", "s3://nope?", 1)
	if err := run([]string{"erase-user", "--data", data, "--blobs", bad, "nobody"}, &out, &errOut); err == nil || !strings.Contains(err.Error(), "bucket does not exist") {
		t.Fatalf("erase-user with a missing bucket: %v", err)
	}
	if err := run([]string{"serve", "--addr", "127.0.0.1:0", "--data", t.TempDir(), "--blobs", bad}, &out, &errOut); err == nil || !strings.Contains(err.Error(), "bucket does not exist") {
		t.Fatalf("serve with a missing bucket: %v", err)
	}
	if err := run([]string{"serve", "--addr", "127.0.0.1:0", "--data", t.TempDir(), "--blobs", "/srv/blobs"}, &out, &errOut); err == nil || !strings.Contains(err.Error(), "s3://") {
		t.Fatalf("serve with --blobs a path: %v", err)
	}
}
