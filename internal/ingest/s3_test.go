package ingest

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/reelhq/reel/internal/blob"
	"github.com/reelhq/reel/internal/blob/s3"
	"github.com/reelhq/reel/internal/blob/s3test"
	"github.com/reelhq/reel/internal/layout"
	"github.com/reelhq/reel/internal/store"
	"github.com/reelhq/reel/internal/store/sqlite"
)

// With the blobs on S3, a batch whose pack cannot be written — the store answers 5xx, hangs,
// or is gone — is not acknowledged: the SDK hears 503 with Retry-After, the index gains
// nothing that points at a missing or partial object, and the same batch resent once the
// store is back is stored once and reads back whole. The store is a real versitygw behind the
// real S3 client; the client's retries are bounded so each failure is answered in seconds.
func TestS3FailureAsksForRetry(t *testing.T) {
	srv := s3test.Start(t)
	faults := srv.Faults(t)
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "index.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	if err := db.CreateProject(ctx, store.Project{ID: "default", Name: "Default", PublicKey: "pk_test"}); err != nil {
		t.Fatal(err)
	}
	blobs, err := s3.Open(ctx, faults.PrefixURL(t), s3.Options{Attempts: 3, AttemptTimeout: 500 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(New(db, blobs, slog.New(slog.DiscardHandler), Options{}))
	t.Cleanup(hs.Close)
	e := &env{srv: hs, db: db}

	seq := 0
	send := func(t *testing.T, wantStatus int) reply {
		t.Helper()
		r := e.post(t, "v=1&key=pk_test", gz(t, batchJSON("s_session01", "t_tab00001", seq, metaEv, fullEv, clickEv)))
		if r.Status != wantStatus {
			t.Fatalf("batch %d = %d %s, want %d", seq, r.Status, r.Body, wantStatus)
		}
		return r
	}
	send(t, 200)
	seq++

	for _, tc := range []struct {
		name          string
		break_, mend  func(t testing.TB)
		wantRetriesOf int64 // requests the proxy failed: the client retried, boundedly
	}{
		{"5xx", func(testing.TB) { faults.Fail(http.StatusInternalServerError) }, func(testing.TB) { faults.Pass() }, 3},
		{"SlowDown", func(testing.TB) { faults.Fail(http.StatusServiceUnavailable) }, func(testing.TB) { faults.Pass() }, 3},
		{"hung", srv.Pause, srv.Resume, 0},
		{"gone", srv.Kill, srv.Restart, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := faults.Failed()
			tc.break_(t)
			start := time.Now()
			r := send(t, http.StatusServiceUnavailable)
			took := time.Since(start)
			tc.mend(t)
			if r.Code != "storage_unavailable" || r.Header.Get("Retry-After") == "" {
				t.Fatalf("failed write = %s (Retry-After %q), want storage_unavailable with Retry-After", r.Body, r.Header.Get("Retry-After"))
			}
			if strings.Contains(r.Body, "s3") || strings.Contains(r.Body, "injected") {
				t.Fatalf("the cause was sent to the client: %s", r.Body)
			}
			if took > 15*time.Second {
				t.Fatalf("the failure took %s to answer", took)
			}
			if got := faults.Failed() - before; got != tc.wantRetriesOf {
				t.Fatalf("the store failed %d requests, want %d (every attempt, no more)", got, tc.wantRetriesOf)
			}
			chunks, err := db.Chunks(ctx, "s_session01")
			if err != nil || len(chunks) != seq {
				t.Fatalf("chunks after a failed write = %d, %v; want the %d acknowledged", len(chunks), err, seq)
			}
			// The SDK resends the same batch; now it is stored.
			send(t, 200)
			seq++
		})
	}

	// Every chunk the index holds reads back whole from S3, and there is one per batch
	// acknowledged.
	chunks, err := db.Chunks(ctx, "s_session01")
	if err != nil || len(chunks) != seq {
		t.Fatalf("chunks = %d, %v; want %d", len(chunks), err, seq)
	}
	referenced := map[string]bool{}
	for _, c := range chunks {
		referenced[c.BlobKey] = true
		if _, err := layout.ReadChunk(ctx, blobs, c); err != nil {
			t.Fatalf("chunk %d (%s): %v", c.Seq, c.BlobKey, err)
		}
	}
	// A pack whose write timed out may still land when the server resumes; nothing refers to
	// it, and the orphan sweep (blob.Store.List) is what removes it.
	var orphans []string
	if err := blobs.List(ctx, "", func(key string, _ int64, _ time.Time) error {
		if !referenced[key] {
			orphans = append(orphans, key)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	t.Logf("%d batches stored in %d packs; unreferenced objects left for the sweep: %v", seq, len(referenced), orphans)
	if _, err := blobs.Get(ctx, "chunks/none"); !errors.Is(err, blob.ErrNotFound) {
		t.Fatalf("Get(missing) after the faults = %v", err)
	}
}
