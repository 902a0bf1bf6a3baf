package audit_test

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/reelhq/reel/internal/audit"
	"github.com/reelhq/reel/internal/auth"
	"github.com/reelhq/reel/internal/store"
	"github.com/reelhq/reel/internal/store/sqlite"
)

// One person's views of one session within ViewEvery are one entry; another session or
// another person is another entry. Oversized details are cut to a marker, and a nil recorder
// records nothing.
func TestRecorder(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "index.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rec := audit.New(db, slog.New(slog.DiscardHandler), audit.Options{ClientIPHeader: "X-Real-IP", ViewEvery: time.Hour})
	req := func(email, token string) *http.Request {
		r := httptest.NewRequest("GET", "/api/v1/sessions/s1/events", nil)
		r.Header.Set("X-Real-IP", "203.0.113.9")
		return r.WithContext(auth.WithPrincipal(r.Context(), auth.Principal{UserID: 1, Email: email, TokenID: token}))
	}
	view := func(email, token, session string) {
		r := req(email, token)
		rec.RecordView(r.Context(), r, "shop", session)
	}
	for range 5 {
		view("ada@example.com", "", "s1")
	}
	view("ada@example.com", "", "s2")
	view("bob@example.com", "", "s1")
	view("ada@example.com", "0123456789abcdef", "s1")
	r := req("ada@example.com", "")
	rec.Record(r.Context(), r, audit.ProjectUpdate, "shop", "shop", map[string]any{"big": strings.Repeat("x", 10000)})
	var none *audit.Recorder
	none.Record(r.Context(), r, audit.Login, "", "", nil)

	page, err := db.ListAudit(ctx, store.AuditQuery{Limit: 100})
	if err != nil {
		t.Fatal(err)
	}
	if len(page.Entries) != 5 {
		t.Fatalf("%d entries, want 4 views and a settings change: %+v", len(page.Entries), page.Entries)
	}
	if e := page.Entries[0]; e.Action != audit.ProjectUpdate || string(e.Detail) != `{"truncated":true}` {
		t.Fatalf("oversized detail = %+v %s", e, e.Detail)
	}
	if e := page.Entries[4]; e.Action != audit.SessionView || e.Target != "s1" || e.Project != "shop" || e.Actor != "ada@example.com" || e.ActorID != 1 || e.Client != "203.0.113.9" {
		t.Fatalf("first view = %+v", e)
	}
	if e := page.Entries[1]; e.TokenID != "0123456789abcdef" {
		t.Fatalf("a token's view = %+v", e)
	}
}
