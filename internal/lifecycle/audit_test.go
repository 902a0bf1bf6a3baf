package lifecycle_test

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"github.com/reelhq/reel/internal/blob"
	"github.com/reelhq/reel/internal/lifecycle"
	"github.com/reelhq/reel/internal/store"
)

// The background jobs prune audit entries older than the configured retention and keep the
// rest.
func TestAuditRetention(t *testing.T) {
	ctx := context.Background()
	db := openIndex(t)
	blobs, err := blob.NewLocal(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	for _, age := range []time.Duration{40 * 24 * time.Hour, 31 * 24 * time.Hour, 29 * 24 * time.Hour, time.Hour} {
		if err := db.AppendAudit(ctx, store.AuditEntry{At: now.Add(-age), Actor: "ada@example.com", Action: "login", Target: age.String()}); err != nil {
			t.Fatal(err)
		}
	}
	l := lifecycle.New(db, blobs, slog.New(slog.DiscardHandler), lifecycle.Options{AuditRetention: 30 * 24 * time.Hour})
	l.RunDue(ctx)
	page, err := db.ListAudit(ctx, store.AuditQuery{Limit: 10})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Entries) != 2 || page.Entries[0].Target != time.Hour.String() || page.Entries[1].Target != (29*24*time.Hour).String() {
		t.Fatalf("after retention: %+v, want the two younger than 30 days", page.Entries)
	}
}
