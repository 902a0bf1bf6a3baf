package alert

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reelhq/reel/internal/store"
	"github.com/reelhq/reel/internal/store/sqlite"
)

func TestRulesPostToWebhookOncePerWindow(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "index.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.CreateProject(ctx, store.Project{ID: "default", Name: "d", PublicKey: "pk"}); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	const fp = "rage_click|/cart|button.coupon \"Apply coupon\""
	for i := range 3 {
		id := fmt.Sprintf("s_alert%04d", i)
		b := store.Batch{ProjectID: "default", Chunk: store.Chunk{SessionID: id, Tab: "t", FirstAt: now, LastAt: now, BlobKey: "k"}}
		if err := db.AppendBatch(ctx, b); err != nil {
			t.Fatal(err)
		}
		if err := db.SaveAnalysis(ctx, store.Analysis{SessionID: id, Counts: map[string]int{"rage_click": 1}, At: now,
			Signals: []store.StoredSignal{{Kind: "rage_click", At: now.Add(-time.Duration(i) * time.Minute), Path: "/cart", Target: "x", Fingerprint: fp}}}); err != nil {
			t.Fatal(err)
		}
	}

	var mu sync.Mutex
	var got []Message
	status := http.StatusOK
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var m Message
		if r.Header.Get("Content-Type") != "application/json" || json.Unmarshal(b, &m) != nil {
			t.Errorf("webhook got %q %s", r.Header.Get("Content-Type"), b)
		}
		mu.Lock()
		got = append(got, m)
		w.WriteHeader(status)
		mu.Unlock()
	}))
	defer receiver.Close()

	rules := []store.AlertRule{
		{ProjectID: "default", Name: "Coupon rage", Fingerprint: fp, Threshold: 3, Window: time.Hour, Webhook: receiver.URL},
		{ProjectID: "default", Name: "Too strict", Kind: "rage_click", Threshold: 4, Window: time.Hour, Webhook: receiver.URL},
		{ProjectID: "default", Name: "Errors", Kind: "js_error", Threshold: 1, Window: time.Hour, Webhook: receiver.URL},
	}
	for _, r := range rules {
		if _, err := db.CreateAlert(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	e := New(db, "http://reel.example", slog.New(slog.DiscardHandler), Options{AllowPrivate: true, Retries: []time.Duration{time.Millisecond, time.Millisecond}})
	n, err := e.RunOnce(ctx, now)
	if err != nil || n != 1 || len(got) != 1 {
		t.Fatalf("first pass fired %d (%v), webhook got %+v", n, err, got)
	}
	m := got[0]
	if m.Rule != "Coupon rage" || m.Sessions != 3 || !strings.Contains(m.Text, "3 sessions") || !strings.Contains(m.Text, "<http://reel.example/issues?fingerprint=") {
		t.Fatalf("message = %+v", m)
	}
	// Within the window it does not fire again.
	if n, _ := e.RunOnce(ctx, now.Add(10*time.Minute)); n != 0 || len(got) != 1 {
		t.Fatalf("second pass fired %d", n)
	}
	// A receiver that fails is tried, then tried again twice (a 500 may pass), but not
	// counted as fired.
	status = http.StatusInternalServerError
	if _, err := db.CreateAlert(ctx, store.AlertRule{ProjectID: "default", Name: "Any rage", Kind: "rage_click", Threshold: 1, Window: 10 * time.Hour, Webhook: receiver.URL}); err != nil {
		t.Fatal(err)
	}
	if n, _ := e.RunOnce(ctx, now.Add(2*time.Hour)); n != 0 || len(got) != 4 {
		t.Fatalf("failing webhook: fired %d, posts %d", n, len(got))
	}
}

func TestRuleOnSavedSearch(t *testing.T) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "index.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.CreateProject(ctx, store.Project{ID: "default", Name: "d", PublicKey: "pk"}); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	// Two Firefox sessions within the hour, one before it, one Chrome within it.
	for i, s := range []struct {
		browser string
		ago     time.Duration
	}{{"firefox", time.Minute}, {"firefox", 30 * time.Minute}, {"firefox", 2 * time.Hour}, {"chrome", time.Minute}} {
		at := now.Add(-s.ago)
		b := store.Batch{ProjectID: "default", Browser: s.browser, Chunk: store.Chunk{SessionID: fmt.Sprintf("s_saved%04d", i), Tab: "t", FirstAt: at, LastAt: at, BlobKey: "k"}}
		if err := db.AppendBatch(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	search, err := db.CreateSavedSearch(ctx, store.SavedSearch{ProjectID: "default", Name: "Firefox", Query: "browser:firefox", CreatedAt: now})
	if err != nil {
		t.Fatal(err)
	}

	var mu sync.Mutex
	var got []Message
	receiver := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var m Message
		if err := json.NewDecoder(r.Body).Decode(&m); err != nil {
			t.Errorf("webhook body: %v", err)
		}
		mu.Lock()
		got = append(got, m)
		mu.Unlock()
	}))
	defer receiver.Close()
	for _, r := range []store.AlertRule{
		{ProjectID: "default", Name: "Too many", SavedSearchID: search.ID, Threshold: 3, Window: time.Hour, Webhook: receiver.URL},
		{ProjectID: "default", Name: "Firefox surge", SavedSearchID: search.ID, Threshold: 2, Window: time.Hour, Webhook: receiver.URL},
	} {
		if _, err := db.CreateAlert(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	e := New(db, "http://reel.example/", slog.New(slog.DiscardHandler), Options{AllowPrivate: true})
	n, err := e.RunOnce(ctx, now)
	if err != nil || n != 1 || len(got) != 1 {
		t.Fatalf("fired %d (%v), webhook got %+v", n, err, got)
	}
	m := got[0]
	link := fmt.Sprintf("http://reel.example/?saved=%d", search.ID)
	if m.Rule != "Firefox surge" || m.Sessions != 2 || m.URL != link || !strings.Contains(m.Text, "2 sessions matching `browser:firefox`") || !strings.Contains(m.Text, "<"+link+"|Watch them>") {
		t.Fatalf("message = %+v", m)
	}
	// The window moves on: an hour later nothing new matches, so nothing fires.
	if n, _ := e.RunOnce(ctx, now.Add(2*time.Hour)); n != 0 {
		t.Fatalf("fired %d with no new sessions", n)
	}
	// Editing the search changes what the rule counts.
	search.Query, search.UpdatedAt = "browser:chrome OR browser:firefox", now
	if err := db.UpdateSavedSearch(ctx, search); err != nil {
		t.Fatal(err)
	}
	rules, _ := db.Alerts(ctx, "default")
	if c, err := e.count(ctx, rules[0], now.Add(-time.Hour)); err != nil || c != 3 {
		t.Fatalf("count after edit = %d, %v", c, err)
	}
}
