package main

import (
	"archive/zip"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/reelhq/reel/internal/layout"
)

// `reel users export` writes the subject access zip from the data directory without a server:
// every session ever identified as the user (one whose user changed too), nothing of another;
// bad input is refused with a reason and writes no file. A second `reel serve` on the same
// data directory is refused while the first runs (the lock the crash sweep relies on).
func TestUsersExportCommand(t *testing.T) {
	data := t.TempDir()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stdout, stderr syncBuffer
	done := make(chan error, 1)
	go func() {
		done <- serveUntil(ctx, []string{"--addr", "127.0.0.1:0", "--data", data, "--archive-assets=false", "--demo=false"}, &stdout, &stderr)
	}()
	var base, key string
	banner := regexp.MustCompile(`Dashboard\s+(http://\S+)/\n(?s:.*)Public key\s+(\S+)`)
	for deadline := time.Now().Add(60 * time.Second); base == ""; {
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
			t.Fatalf("no banner in 60 s:\n%s\n%s", stdout.String(), stderr.String())
		}
	}
	var out, errOut bytes.Buffer
	if err := serveUntil(ctx, []string{"--addr", "127.0.0.1:0", "--data", data}, &out, &errOut); err == nil || !strings.Contains(err.Error(), "another reel serve") {
		t.Fatalf("a second server on the same data directory: %v", err)
	}
	if err := run([]string{"sweep-orphans", "--data", data, "--grace", "0s"}, &out, &errOut); err == nil || !strings.Contains(err.Error(), "another reel serve") {
		t.Fatalf("sweep-orphans while the server runs: %v", err)
	}
	send := func(session string, seq int, user, text string) {
		t.Helper()
		var body bytes.Buffer
		zw := gzip.NewWriter(&body)
		fmt.Fprintf(zw, `{"session":%q,"tab":"t_tab00001","seq":%d,"events":[`+
			`{"type":4,"timestamp":%d,"data":{"href":"http://127.0.0.1/demo/","width":1280,"height":720}},`+
			`{"type":2,"timestamp":%d,"data":{"node":{"type":0,"childNodes":[{"type":3,"textContent":%q,"id":2}],"id":1},"initialOffset":{"left":0,"top":0}}},`+
			`{"type":5,"timestamp":%d,"data":{"tag":"reel.identify","payload":{"userId":%q}}}]}`,
			session, seq, 1764237600000+seq*1000, 1764237600001+seq*1000, text, 1764237600002+seq*1000, user)
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
	}
	send("s_cliexport1", 0, "alice", "Alice's basket")
	send("s_cliswitch1", 0, "alice", "Shared laptop")
	send("s_cliswitch1", 1, "bob", "Shared laptop")
	send("s_clibobonly", 0, "bob", "Bob's basket")
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("serve: %v\n%s", err, stderr.String())
	}

	// With the server stopped, sweep-orphans removes what a crash would leave, however young.
	leftovers := []string{filepath.Join(data, "blobs", filepath.FromSlash(layout.PackKey(time.Now()))), filepath.Join(data, "blobs", "chunks", ".tmp-cut-short")}
	for _, p := range leftovers {
		if err := os.MkdirAll(filepath.Dir(p), 0o700); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("Alice's basket"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	out.Reset()
	if err := run([]string{"sweep-orphans", "--data", data, "--grace", "0s"}, &out, &errOut); err != nil || !strings.Contains(out.String(), "1 unreferenced deleted, 1 temporary files removed") {
		t.Fatalf("sweep-orphans = %v %q", err, out.String())
	}
	for _, p := range leftovers {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s is still there (%v)", p, err)
		}
	}

	file := filepath.Join(t.TempDir(), "alice.zip")
	out.Reset()
	if err := run([]string{"users", "export", "--data", data, "--user", "alice", "-o", file}, &out, &errOut); err != nil {
		t.Fatalf("users export: %v\n%s", err, errOut.String())
	}
	if !strings.Contains(out.String(), "2 sessions") {
		t.Errorf("output = %q", out.String())
	}
	zr, err := zip.OpenReader(file)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	var names []string
	var all bytes.Buffer
	for _, f := range zr.File {
		names = append(names, f.Name)
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		io.Copy(&all, rc)
		rc.Close()
	}
	slices.Sort(names)
	want := []string{"README.txt", "sessions/001-s_cliexport1/events.json", "sessions/001-s_cliexport1/findings.json", "sessions/001-s_cliexport1/metadata.json",
		"sessions/002-s_cliswitch1/events.json", "sessions/002-s_cliswitch1/findings.json", "sessions/002-s_cliswitch1/metadata.json"}
	if !slices.Equal(names, want) {
		t.Fatalf("entries = %q\nwant %q", names, want)
	}
	if !strings.Contains(all.String(), "Alice's basket") || strings.Contains(all.String(), "Bob's basket") {
		t.Errorf("the zip holds the wrong sessions' text")
	}

	for name, args := range map[string][]string{
		"no user":         {"users", "export", "--data", data, "-o", file + "2"},
		"no file":         {"users", "export", "--data", data, "--user", "alice"},
		"10 kB user":      {"users", "export", "--data", data, "--user", strings.Repeat("u", 10<<10), "-o", file + "2"},
		"unknown project": {"users", "export", "--data", data, "--project", "nope", "--user", "alice", "-o", file + "2"},
		"no data":         {"users", "export", "--data", t.TempDir(), "--user", "alice", "-o", file + "2"},
	} {
		if err := run(args, &out, &errOut); err == nil {
			t.Errorf("%s: no error", name)
		}
		if _, err := zip.OpenReader(file + "2"); err == nil {
			t.Errorf("%s: a file was written", name)
		}
	}
}
