package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
)

// postSession sends one batch opening session id: a page, its snapshot and a click.
func postSession(base, key, id string, at int64) error {
	var body bytes.Buffer
	zw := gzip.NewWriter(&body)
	fmt.Fprintf(zw, `{"session":%q,"tab":"t_backup01","seq":0,"events":[`+
		`{"type":4,"timestamp":%d,"data":{"href":"https://shop.example/%s","width":1280,"height":720}},`+
		`{"type":2,"timestamp":%d,"data":{"node":{"type":0,"id":1,"childNodes":[{"type":2,"id":2,"tagName":"html","attributes":{},"childNodes":[{"type":2,"id":3,"tagName":"body","attributes":{},"childNodes":[{"type":3,"id":4,"textContent":"backup %s"}]}]}]},"initialOffset":{"left":0,"top":0}}},`+
		`{"type":3,"timestamp":%d,"data":{"source":2,"type":2,"id":3,"x":10,"y":10}}]}`, id, at, id, at+1, id, at+2)
	zw.Close()
	resp, err := http.Post(base+"/api/v1/ingest?v=1&key="+key, "text/plain", &body)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		return fmt.Errorf("ingest %s = %d %s", id, resp.StatusCode, b)
	}
	return nil
}

// A backup taken while sessions keep arriving (and compaction keeps rewriting and deleting
// packs) restores into a fresh directory where a server finds every session acknowledged
// before the backup started, with its events.
func TestBackupWhileIngestingAndRestore(t *testing.T) {
	data := t.TempDir()
	s := startServer(t, data)
	var mu sync.Mutex
	var acked []string
	stop := make(chan struct{})
	errs := make(chan error, 1)
	var wg sync.WaitGroup
	wg.Go(func() {
		t0 := time.Now().UnixMilli() - 60_000
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			id := fmt.Sprintf("s_backup%06d", i)
			if err := postSession(s.base, s.key, id, t0+int64(i)*10); err != nil {
				errs <- err
				return
			}
			mu.Lock()
			acked = append(acked, id)
			mu.Unlock()
			time.Sleep(2 * time.Millisecond) // leave the two cores some room
		}
	})
	// Let sessions pile up and the first ones be compacted (after 1 s of quiet).
	for deadline := time.Now().Add(60 * time.Second); ; {
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		var first struct {
			Compacted string `json:"compactedAt"`
		}
		if n > 0 {
			s.get(t, "/api/v1/sessions/s_backup000000", &first)
		}
		if n >= 100 && first.Compacted != "" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after 60 s: %d sessions acknowledged, the first not compacted yet", n)
		}
		time.Sleep(200 * time.Millisecond)
	}
	mu.Lock()
	before := append([]string(nil), acked...)
	mu.Unlock()
	archive := filepath.Join(t.TempDir(), "reel.tar.zst")
	var out, errOut strings.Builder
	began := time.Now()
	if err := run([]string{"backup", "--data", data, "-o", archive}, &out, &errOut); err != nil {
		t.Fatalf("backup: %v\n%s", err, errOut.String())
	}
	took := time.Since(began)
	// Ingest goes on a little after the backup, then stops.
	time.Sleep(300 * time.Millisecond)
	close(stop)
	wg.Wait()
	select {
	case err := <-errs:
		t.Fatalf("ingest while backing up: %v", err)
	default:
	}
	if !strings.Contains(out.String(), "backed up "+data+" to "+archive) {
		t.Fatalf("backup printed %q", out.String())
	}
	t.Logf("%s in %s, while ingesting (%d sessions acknowledged before it started, %d in all)", strings.TrimSpace(out.String()), took.Round(time.Millisecond), len(before), len(acked))
	if entries, _ := filepath.Glob(filepath.Join(data, ".backup-*")); len(entries) > 0 {
		t.Errorf("backup left %v behind", entries)
	}

	restored := filepath.Join(t.TempDir(), "restored")
	out.Reset()
	if err := run([]string{"restore", "--data", restored, archive}, &out, &errOut); err != nil {
		t.Fatalf("restore: %v", err)
	}
	if !strings.Contains(out.String(), "every checksum verified") {
		t.Fatalf("restore printed %q", out.String())
	}
	if err := s.stop(); err != nil {
		t.Fatalf("first server: %v", err)
	}
	r := startServer(t, restored)
	var all struct {
		Sessions []struct{ ID string } `json:"sessions"`
		Count    int                   `json:"count"`
	}
	r.get(t, "/api/v1/sessions?project=default&limit=1", &all)
	if all.Count < len(before) {
		t.Fatalf("restored server lists %d sessions, %d were acknowledged before the backup", all.Count, len(before))
	}
	// Every session acknowledged before the backup started plays: its events read back whole.
	for _, id := range before {
		var evs []struct {
			Type int `json:"type"`
		}
		r.get(t, "/api/v1/sessions/"+id+"/events", &evs)
		if len(evs) != 3 || evs[0].Type != 4 || evs[1].Type != 2 || evs[2].Type != 3 {
			t.Fatalf("restored session %s has events %+v", id, evs)
		}
	}
}

// Restore refuses a directory with anything in it, and an archive whose bytes do not match
// its manifest, leaving the directory as it was.
func TestRestoreRefuses(t *testing.T) {
	data := t.TempDir()
	s := startServer(t, data)
	if err := postSession(s.base, s.key, "s_restore0001", time.Now().UnixMilli()); err != nil {
		t.Fatal(err)
	}
	archive := filepath.Join(t.TempDir(), "reel.tar.zst")
	if err := run([]string{"backup", "--data", data, "-o", archive}, io.Discard, io.Discard); err != nil {
		t.Fatal(err)
	}
	s.stop()

	full := t.TempDir()
	os.WriteFile(filepath.Join(full, "notes.txt"), []byte("mine"), 0o600)
	if err := run([]string{"restore", "--data", full, archive}, io.Discard, io.Discard); err == nil || !strings.Contains(err.Error(), "is not empty (notes.txt…)") {
		t.Fatalf("restore into a non-empty directory: %v", err)
	}

	// Flip one byte of the first object and write the archive again with the old manifest.
	raw, err := os.ReadFile(archive)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := zstd.NewReader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	var tampered bytes.Buffer
	zw, _ := zstd.NewWriter(&tampered)
	tw := tar.NewWriter(zw)
	flipped := ""
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(tr)
		if flipped == "" && strings.HasPrefix(hdr.Name, "blobs/") {
			b[len(b)/2] ^= 0xff
			flipped = hdr.Name
		}
		tw.WriteHeader(hdr)
		tw.Write(b)
	}
	tw.Close()
	zw.Close()
	zr.Close()
	bad := filepath.Join(t.TempDir(), "tampered.tar.zst")
	os.WriteFile(bad, tampered.Bytes(), 0o600)
	target := filepath.Join(t.TempDir(), "target")
	err = run([]string{"restore", "--data", target, bad}, io.Discard, io.Discard)
	if err == nil || !strings.Contains(err.Error(), flipped+" does not match its checksum") {
		t.Fatalf("restore of a tampered archive: %v", err)
	}
	if entries, _ := os.ReadDir(target); len(entries) != 0 {
		t.Fatalf("a failed restore left %d entries in %s", len(entries), target)
	}
	// A cut archive is refused too.
	cut := filepath.Join(t.TempDir(), "cut.tar.zst")
	os.WriteFile(cut, raw[:len(raw)/2], 0o600)
	if err := run([]string{"restore", "--data", target, cut}, io.Discard, io.Discard); err == nil {
		t.Fatal("restore of half an archive succeeded")
	}
}
