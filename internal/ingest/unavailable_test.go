package ingest

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/reelhq/reel/internal/blob"
	"github.com/reelhq/reel/internal/store"
	"github.com/reelhq/reel/internal/store/sqlite"
)

// failingCommits is the real SQLite index whose group commits fail while down is set, as they
// do when a database connection is lost mid-batch.
type failingCommits struct {
	*sqlite.DB
	down atomic.Bool
}

func (f *failingCommits) AppendBatches(ctx context.Context, bs []store.Batch) []error {
	if f.down.Load() {
		errs := make([]error, len(bs))
		for i := range errs {
			errs[i] = errors.New("conn closed")
		}
		return errs
	}
	return f.DB.AppendBatches(ctx, bs)
}

// A batch whose commit fails is not acknowledged: the client hears 503 with Retry-After (so the
// SDK keeps and resends it), the pack written for it is removed, and the resent batch is stored
// once when the index is back.
func TestStorageFailureAsksForRetry(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db, err := sqlite.Open(ctx, filepath.Join(dir, "index.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.CreateProject(ctx, store.Project{ID: "default", Name: "Default", PublicKey: "pk_test"}); err != nil {
		t.Fatal(err)
	}
	blobs, err := blob.NewLocal(filepath.Join(dir, "blobs"))
	if err != nil {
		t.Fatal(err)
	}
	idx := &failingCommits{DB: db}
	srv := httptest.NewServer(New(idx, blobs, slog.New(slog.DiscardHandler), Options{}))
	t.Cleanup(srv.Close)
	e := &env{srv: srv, db: db, blobs: blobs}

	body := gz(t, batchJSON("s_session01", "t_tab00001", 0, metaEv, fullEv, clickEv))
	idx.down.Store(true)
	r := e.post(t, "v=1&key=pk_test", body)
	if r.Status != 503 || r.Code != "storage_unavailable" || r.Header.Get("Retry-After") == "" {
		t.Fatalf("commit failed = %d %s (Retry-After %q), want 503 storage_unavailable with Retry-After", r.Status, r.Body, r.Header.Get("Retry-After"))
	}
	if packs := files(t, filepath.Join(dir, "blobs")); len(packs) != 0 {
		t.Fatalf("blobs left after a failed commit: %v", packs)
	}
	if _, err := db.GetSession(ctx, "s_session01"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("session after a failed commit: %v, want ErrNotFound", err)
	}

	idx.down.Store(false)
	if r := e.post(t, "v=1&key=pk_test", body); r.Status != 200 {
		t.Fatalf("resent batch = %d %s", r.Status, r.Body)
	}
	chunks, err := db.Chunks(ctx, "s_session01")
	if err != nil || len(chunks) != 1 || chunks[0].Events != 3 {
		t.Fatalf("chunks after the resend = %+v, %v; want one chunk of 3 events", chunks, err)
	}
}

// files lists the regular files under dir.
func files(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() {
			out = append(out, p)
		}
		return err
	})
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		t.Fatal(err)
	}
	return out
}

// A batch timed before 2000 or more than a day ahead of the server's clock is refused with a
// clear 400 and nothing stored: a year past 9999 cannot be written as JSON, and a session
// holding one could not be listed. A browser clock a couple of hours fast is accepted.
func TestImplausibleEventTimesRefused(t *testing.T) {
	e := newEnv(t, Options{})
	ev := func(ts int64) string {
		return fmt.Sprintf(`{"type":4,"timestamp":%d,"data":{"href":"http://127.0.0.1/demo/","width":1280,"height":720}}`, ts)
	}
	year10000 := time.Date(10000, 1, 2, 0, 0, 0, 0, time.UTC).UnixMilli()
	for _, tc := range []struct {
		name, session string
		ts            int64
		status        int
	}{
		{"year 10000", "s_future0001", year10000, 400},
		{"a week ahead", "s_future0002", time.Now().Add(7 * 24 * time.Hour).UnixMilli(), 400},
		{"1990", "s_past000001", time.Date(1990, 1, 1, 0, 0, 0, 0, time.UTC).UnixMilli(), 400},
		{"two hours fast", "s_fastclock1", time.Now().Add(2 * time.Hour).UnixMilli(), 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := e.post(t, "v=1&key=pk_test", gz(t, batchJSON(tc.session, "t_tab00001", 0, ev(tc.ts))))
			if r.Status != tc.status || tc.status == 400 && r.Code != "bad_timestamp" {
				t.Fatalf("= %d %s, want %d", r.Status, r.Body, tc.status)
			}
			_, err := e.db.GetSession(context.Background(), tc.session)
			if stored := err == nil; stored != (tc.status == 200) {
				t.Fatalf("stored = %v (%v), want %v", stored, err, tc.status == 200)
			}
		})
	}
}
