package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/reelhq/reel/internal/store"
)

// RunAlerts runs the contract of store.Alerts: rules kept per project, the count a rule
// watches, and the de-duplication that lets several nodes evaluate the same rules while only
// one of them posts each firing (the race itself is in RunConcurrency).
func RunAlerts(t *testing.T, open func(t *testing.T) store.Index) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Index)
	}{
		{"Rules", testAlertRules},
		{"Count", testAlertCount},
		{"MarkFired", testMarkFired},
		{"Deliveries", testAlertDeliveries},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() { s.Close() })
			tc.fn(t, s)
		})
	}
}

func mustAlert(t *testing.T, s store.Index, r store.AlertRule) store.AlertRule {
	t.Helper()
	got, err := s.CreateAlert(context.Background(), r)
	if err != nil {
		t.Fatalf("CreateAlert %s: %v", r.Name, err)
	}
	if got.ID == 0 {
		t.Fatalf("CreateAlert %s gave no id", r.Name)
	}
	return got
}

func testAlertRules(t *testing.T, s store.Index) {
	ctx := context.Background()
	mustProject(t, s, "p")
	mustProject(t, s, "q")
	saved, err := s.CreateSavedSearch(ctx, store.SavedSearch{ProjectID: "p", Name: "Checkout errors", Query: "visited:/checkout", Shared: true, CreatedAt: t0, UpdatedAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	r1 := mustAlert(t, s, store.AlertRule{ProjectID: "p", Name: "rage", Kind: "rage_click", Threshold: 5, Window: time.Hour, Webhook: "https://hooks.example/1", CreatedAt: t0,
		Format: store.FormatJSON, Secret: "whsec_0123"})
	r2 := mustAlert(t, s, store.AlertRule{ProjectID: "p", Name: "search", SavedSearchID: saved.ID, Threshold: 2, Window: 24 * time.Hour, Webhook: "https://hooks.example/2", CreatedAt: t0})
	r3 := mustAlert(t, s, store.AlertRule{ProjectID: "q", Name: "one issue", Fingerprint: "fp", Threshold: 1, Window: time.Minute, Webhook: "https://hooks.example/3", CreatedAt: t0})
	if r1.ID == r2.ID || r2.ID == r3.ID {
		t.Fatalf("ids not distinct: %d %d %d", r1.ID, r2.ID, r3.ID)
	}
	rules, err := s.Alerts(ctx, "p")
	if err != nil || len(rules) != 2 {
		t.Fatalf("Alerts(p) = %+v, %v", rules, err)
	}
	got := rules[0]
	if got.ID != r1.ID || got.Name != "rage" || got.Kind != "rage_click" || got.Threshold != 5 || got.Window != time.Hour ||
		got.Webhook != r1.Webhook || !got.CreatedAt.Equal(t0) || !got.FiredAt.IsZero() || got.SavedSearchID != 0 || got.SavedQuery != "" ||
		got.Format != store.FormatJSON || got.Secret != "whsec_0123" {
		t.Fatalf("Alerts(p)[0] = %+v", got)
	}
	if rules[1].SavedSearchID != saved.ID || rules[1].SavedQuery != "visited:/checkout" {
		t.Fatalf("a rule on a saved search = %+v; want the search's current text", rules[1])
	}
	// The saved query is read when listing, so an edited search is what the rule watches.
	saved.Query = "visited:/pay"
	if err := s.UpdateSavedSearch(ctx, saved); err != nil {
		t.Fatal(err)
	}
	if rules, _ := s.Alerts(ctx, "p"); len(rules) != 2 || rules[1].SavedQuery != "visited:/pay" {
		t.Fatalf("after editing the search: %+v", rules)
	}
	all, err := s.Alerts(ctx, "")
	if err != nil || len(all) != 3 {
		t.Fatalf("Alerts of every project = %+v, %v", all, err)
	}
	// A rule is deleted only through its own project.
	if err := s.DeleteAlert(ctx, "q", r1.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("DeleteAlert through another project = %v; want ErrNotFound", err)
	}
	if err := s.DeleteAlert(ctx, "p", r1.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteAlert(ctx, "p", r1.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("deleting twice = %v; want ErrNotFound", err)
	}
	if rules, _ := s.Alerts(ctx, "p"); len(rules) != 1 || rules[0].ID != r2.ID {
		t.Fatalf("after delete: %+v", rules)
	}
}

// testAlertCount: distinct sessions of the rule's project with a matching finding since the
// given time, matching by fingerprint, by kind, or both.
func testAlertCount(t *testing.T, s store.Index) {
	ctx := context.Background()
	mustProject(t, s, "p")
	mustProject(t, s, "q")
	for i, id := range []string{"s1", "s2", "s3"} {
		mustAppend(t, s, batch("p", id, "t", 0, t0.Add(time.Duration(i)*time.Minute), 1))
	}
	mustAppend(t, s, batch("q", "x", "t", 0, t0, 1))
	save := func(id string, sigs ...store.StoredSignal) {
		t.Helper()
		if err := s.SaveAnalysis(ctx, store.Analysis{SessionID: id, Signals: sigs, At: t0, Counts: map[string]int{}}); err != nil {
			t.Fatal(err)
		}
	}
	save("s1", signal("rage_click", "fp-a", t0), signal("rage_click", "fp-a", t0.Add(time.Second)))
	save("s2", signal("rage_click", "fp-b", t0.Add(time.Hour)))
	save("s3", signal("dead_click", "fp-a", t0.Add(2*time.Hour)))
	save("x", signal("rage_click", "fp-a", t0.Add(time.Hour)))
	for _, tc := range []struct {
		name  string
		rule  store.AlertRule
		since time.Time
		want  int
	}{
		{"kind", store.AlertRule{ProjectID: "p", Kind: "rage_click"}, t0, 2},
		{"kind since", store.AlertRule{ProjectID: "p", Kind: "rage_click"}, t0.Add(time.Minute), 1},
		{"fingerprint", store.AlertRule{ProjectID: "p", Fingerprint: "fp-a"}, t0, 2},
		{"both", store.AlertRule{ProjectID: "p", Kind: "dead_click", Fingerprint: "fp-a"}, t0, 1},
		{"other project", store.AlertRule{ProjectID: "q", Kind: "rage_click"}, t0, 1},
		{"nothing since", store.AlertRule{ProjectID: "p", Kind: "rage_click"}, t0.Add(3 * time.Hour), 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n, err := s.AlertCount(ctx, tc.rule, tc.since)
			if err != nil || n != tc.want {
				t.Fatalf("AlertCount = %d, %v; want %d", n, err, tc.want)
			}
		})
	}
}

// testMarkFired: a rule fires once per window, whichever node asks.
func testMarkFired(t *testing.T, s store.Index) {
	ctx := context.Background()
	mustProject(t, s, "p")
	r := mustAlert(t, s, store.AlertRule{ProjectID: "p", Name: "rage", Kind: "rage_click", Threshold: 1, Window: time.Hour, Webhook: "https://hooks.example", CreatedAt: t0})
	fire := func(at time.Time) bool {
		t.Helper()
		ok, err := s.MarkFired(ctx, r.ID, at, at.Add(-r.Window))
		if err != nil {
			t.Fatalf("MarkFired at %v: %v", at, err)
		}
		return ok
	}
	if !fire(t0) {
		t.Fatal("the first firing was refused")
	}
	if fire(t0.Add(30 * time.Minute)) {
		t.Fatal("fired again within the window")
	}
	rules, _ := s.Alerts(ctx, "p")
	if len(rules) != 1 || !rules[0].FiredAt.Equal(t0) {
		t.Fatalf("FiredAt = %+v; want the first firing", rules)
	}
	if !fire(t0.Add(2 * time.Hour)) {
		t.Fatal("refused after the window passed")
	}
	if ok, err := s.MarkFired(ctx, r.ID+1000, t0, t0); ok || err != nil {
		t.Fatalf("MarkFired of an unknown rule = %v, %v", ok, err)
	}
}

// testAlertDeliveries: a rule's webhook attempts are kept newest first, only the last
// store.DeliveriesKept of each rule, per project, and go with their rule.
func testAlertDeliveries(t *testing.T, s store.Index) {
	ctx := context.Background()
	mustProject(t, s, "p")
	mustProject(t, s, "q")
	r1 := mustAlert(t, s, store.AlertRule{ProjectID: "p", Name: "rage", Kind: "rage_click", Threshold: 5, Window: time.Hour, Webhook: "https://hooks.example/1", CreatedAt: t0,
		Format: store.FormatJSON, Secret: "whsec_0123"})
	r2 := mustAlert(t, s, store.AlertRule{ProjectID: "p", Name: "dead", Kind: "dead_click", Threshold: 5, Window: time.Hour, Webhook: "https://hooks.example/2", CreatedAt: t0})
	r3 := mustAlert(t, s, store.AlertRule{ProjectID: "q", Name: "other", Threshold: 1, Window: time.Hour, Webhook: "https://hooks.example/3", CreatedAt: t0})

	if got, err := s.AlertDeliveries(ctx, "p"); err != nil || len(got) != 0 {
		t.Fatalf("AlertDeliveries before any = %+v, %v", got, err)
	}
	first, err := s.RecordDelivery(ctx, store.AlertDelivery{RuleID: r1.ID, At: t0, Test: true, Status: 200})
	if err != nil || first.ID == 0 {
		t.Fatalf("RecordDelivery = %+v, %v", first, err)
	}
	failed, err := s.RecordDelivery(ctx, store.AlertDelivery{RuleID: r2.ID, At: t0.Add(time.Minute), Status: 500, Error: "webhook answered 500 Internal Server Error: \u00e9 down"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.RecordDelivery(ctx, store.AlertDelivery{RuleID: r3.ID, At: t0, Error: "connection refused"}); err != nil {
		t.Fatal(err)
	}
	got, err := s.AlertDeliveries(ctx, "p")
	if err != nil || len(got) != 2 {
		t.Fatalf("AlertDeliveries(p) = %+v, %v", got, err)
	}
	want := []store.AlertDelivery{failed, first}
	for i, d := range got {
		w := want[i]
		if d.ID != w.ID || d.RuleID != w.RuleID || !d.At.Equal(w.At) || d.Test != w.Test || d.Status != w.Status || d.Error != w.Error {
			t.Fatalf("AlertDeliveries(p)[%d] = %+v; want %+v", i, d, w)
		}
	}

	// Only the latest DeliveriesKept of a rule stay; another rule's are untouched.
	var last store.AlertDelivery
	for i := range store.DeliveriesKept + 3 {
		if last, err = s.RecordDelivery(ctx, store.AlertDelivery{RuleID: r1.ID, At: t0.Add(time.Duration(i+2) * time.Minute), Status: 200 + i}); err != nil {
			t.Fatal(err)
		}
	}
	got, _ = s.AlertDeliveries(ctx, "p")
	var ofR1 []store.AlertDelivery
	for _, d := range got {
		if d.RuleID == r1.ID {
			ofR1 = append(ofR1, d)
		}
	}
	if len(ofR1) != store.DeliveriesKept || ofR1[0].ID != last.ID || ofR1[0].Status != 200+store.DeliveriesKept+2 || len(got) != store.DeliveriesKept+1 {
		t.Fatalf("after %d more deliveries: %d of rule 1 (newest %+v), %d in all", store.DeliveriesKept+3, len(ofR1), ofR1[0], len(got))
	}

	// They go with their rule; a rule that is gone takes no more.
	if err := s.DeleteAlert(ctx, "p", r1.ID); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.AlertDeliveries(ctx, "p"); len(got) != 1 || got[0].RuleID != r2.ID {
		t.Fatalf("after deleting rule 1: %+v", got)
	}
	if _, err := s.RecordDelivery(ctx, store.AlertDelivery{RuleID: r1.ID, At: t0}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("RecordDelivery of a deleted rule = %v; want ErrNotFound", err)
	}
	if got, _ := s.AlertDeliveries(ctx, "q"); len(got) != 1 || got[0].RuleID != r3.ID || got[0].Status != 0 || got[0].Error != "connection refused" {
		t.Fatalf("AlertDeliveries(q) = %+v", got)
	}
}
