package alert

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reelhq/reel/internal/store"
)

// Every attempt to post a rule's webhook is kept with its status or reason, firings and
// "Send test" alike; a firing of one session says "1 session"; a test is marked as one.
func TestDeliveriesAreRecorded(t *testing.T) {
	ctx := context.Background()
	var mu sync.Mutex
	var got []Message
	status := http.StatusOK
	hook, _ := receiver(t, "127.0.0.1:0", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var m Message
		json.Unmarshal(b, &m)
		mu.Lock()
		defer mu.Unlock()
		got = append(got, m)
		w.WriteHeader(status)
		w.Write([]byte("no such channel"))
	})
	db := withRules(t, hook.URL)
	e := New(db, "http://reel.example", slog.New(slog.DiscardHandler), Options{AllowPrivate: true})
	if n, err := e.RunOnce(ctx, time.Now()); err != nil || n != 1 {
		t.Fatalf("RunOnce fired %d, %v", n, err)
	}
	if len(got) != 1 || !strings.Contains(got[0].Text, "in 1 session in the last") || got[0].Test {
		t.Fatalf("firing message = %+v; want “in 1 session”, not a test", got)
	}
	rules, _ := db.Alerts(ctx, "default")
	rule := rules[0]

	status = http.StatusNotFound
	d, err := e.Test(ctx, rule)
	if err != nil {
		t.Fatal(err)
	}
	if !d.Test || d.Status != 404 || d.Error != "webhook answered 404 Not Found: no such channel" {
		t.Fatalf("failed test delivery = %+v", d)
	}
	m := got[1]
	if !m.Test || !strings.Contains(m.Text, "test message") || !strings.Contains(m.Text, "No sessions triggered it") || m.Sessions != 0 {
		t.Fatalf("test message = %+v", m)
	}

	// A webhook on loopback without --webhook-private: nothing answered, and the reason says
	// what allows it.
	closed := New(db, "http://reel.example", slog.New(slog.DiscardHandler), Options{})
	d, err = closed.Test(ctx, rule)
	if err != nil || d.Status != 0 || !strings.Contains(d.Error, "--webhook-private") || strings.Contains(d.Error, hook.URL) {
		t.Fatalf("refused test delivery = %+v, %v", d, err)
	}

	all, err := db.AlertDeliveries(ctx, "default")
	if err != nil || len(all) != 3 {
		t.Fatalf("AlertDeliveries = %+v, %v", all, err)
	}
	if first := all[2]; first.Test || first.Status != 200 || first.Error != "" {
		t.Fatalf("the firing's delivery = %+v", first)
	}

	// A rule deleted meanwhile: the test is still posted, its recording is refused.
	if err := db.DeleteAlert(ctx, "default", rule.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.Test(ctx, rule); err == nil {
		t.Fatal("Test of a deleted rule recorded a delivery")
	}
}

func TestCondition(t *testing.T) {
	for _, tc := range []struct {
		name string
		rule store.AlertRule
		want string
	}{
		{"issue", store.AlertRule{Fingerprint: "rage_click|/checkout|button.pay", Threshold: 5, Window: time.Hour}, "rage clicks on /checkout at button.pay ≥ 5 sessions in 1 h"},
		{"issue without target", store.AlertRule{Fingerprint: "dead_click|/|", Threshold: 1, Window: 30 * time.Minute}, "dead clicks on / ≥ 1 session in 30 min"},
		{"error", store.AlertRule{Fingerprint: "js_error|x is not a function", Threshold: 2, Window: 24 * time.Hour}, "JS error “x is not a function” ≥ 2 sessions in 1 day"},
		{"kind", store.AlertRule{Kind: "form_abandonment", Threshold: 3, Window: 72 * time.Hour}, "abandoned forms on any page ≥ 3 sessions in 3 days"},
		{"anything", store.AlertRule{Threshold: 10, Window: 90 * time.Minute}, "friction or errors ≥ 10 sessions in 90 min"},
		{"saved search", store.AlertRule{SavedSearchID: 4, SavedQuery: "visited:/checkout", Threshold: 2, Window: 2 * time.Hour}, "sessions matching “visited:/checkout” ≥ 2 sessions in 2 h"},
		{"odd fingerprint", store.AlertRule{Fingerprint: "imported", Threshold: 1, Window: time.Minute}, "issue imported ≥ 1 session in 1 min"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if got := Condition(tc.rule); got != tc.want {
				t.Fatalf("Condition = %q; want %q", got, tc.want)
			}
		})
	}
}
