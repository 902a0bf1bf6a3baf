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

// A receiver checks every post with the rule's secret as docs/api.md tells it to: the body it
// got is the body that was signed, a changed body or another secret fails, and so does the
// same post replayed later than the tolerance.
func TestWebhooksAreSignedAndFormatted(t *testing.T) {
	ctx := context.Background()
	type post struct {
		h    http.Header
		body []byte
	}
	var mu sync.Mutex
	var posts []post
	hook, _ := receiver(t, "127.0.0.1:0", func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		posts = append(posts, post{r.Header.Clone(), b})
		mu.Unlock()
	})
	db := withRules(t)
	secret := NewSecret()
	if !strings.HasPrefix(secret, "whsec_") || len(secret) != 6+64 || secret == NewSecret() {
		t.Fatalf("NewSecret = %q", secret)
	}
	for _, r := range []store.AlertRule{
		{ProjectID: "default", Name: "to chat", Kind: "rage_click", Threshold: 1, Window: time.Hour, Webhook: hook.URL + "/slack", Format: store.FormatSlack, Secret: secret},
		{ProjectID: "default", Name: "to a program", Kind: "rage_click", Threshold: 1, Window: time.Hour, Webhook: hook.URL + "/json", Format: store.FormatJSON, Secret: secret},
	} {
		if _, err := db.CreateAlert(ctx, r); err != nil {
			t.Fatal(err)
		}
	}
	rules, err := db.Alerts(ctx, "default")
	if err != nil || len(rules) != 2 || rules[1].Format != store.FormatJSON || rules[1].Secret != secret {
		t.Fatalf("stored rules = %+v, %v", rules, err)
	}
	now := time.Now()
	if n, err := New(db, "http://reel.example", slog.New(slog.DiscardHandler), Options{AllowPrivate: true}).RunOnce(ctx, now); err != nil || n != 2 {
		t.Fatalf("fired %d, %v", n, err)
	}
	if len(posts) != 2 {
		t.Fatalf("receiver got %d posts", len(posts))
	}
	var slack Message
	var event Event
	for _, p := range posts {
		if err := Verify(secret, p.h, p.body, time.Now(), 5*time.Minute); err != nil {
			t.Fatalf("a genuine post does not verify: %v\n%s", err, p.body)
		}
		if err := Verify(secret, p.h, append([]byte(" "), p.body...), time.Now(), 5*time.Minute); err != ErrBadSignature {
			t.Errorf("a changed body verified: %v", err)
		}
		if err := Verify(NewSecret(), p.h, p.body, time.Now(), 5*time.Minute); err != ErrBadSignature {
			t.Errorf("another secret verified: %v", err)
		}
		if err := Verify(secret, p.h, p.body, time.Now().Add(10*time.Minute), 5*time.Minute); err != ErrStale {
			t.Errorf("a post replayed 10 minutes later verified: %v", err)
		}
		if err := Verify(secret, http.Header{}, p.body, time.Now(), 5*time.Minute); err != ErrNoSignature {
			t.Errorf("an unsigned post: %v", err)
		}
		if strings.Contains(string(p.body), `"type"`) {
			json.Unmarshal(p.body, &event)
		} else {
			json.Unmarshal(p.body, &slack)
		}
	}
	if slack.Rule != "to chat" || !strings.Contains(slack.Text, "Reel alert “to chat”") {
		t.Errorf("Slack body = %+v", slack)
	}
	if event.Type != "alert.fired" || event.Rule.Name != "to a program" || event.Rule.Condition == "" || event.Project != "default" ||
		event.Sessions != 1 || !strings.HasPrefix(event.URL, "http://reel.example/issues") || event.Timestamp.IsZero() {
		t.Errorf("JSON body = %+v", event)
	}
}

// A receiver that is down for a moment gets the post again; every attempt is in the delivery
// log, and a refusal that will not change (400) is not repeated.
func TestFailedPostsAreRetried(t *testing.T) {
	ctx := context.Background()
	var mu sync.Mutex
	answers := map[string][]int{"/flaky": {503, 429, 200}, "/wrong": {400, 200}}
	asked := map[string]int{}
	hook, _ := receiver(t, "127.0.0.1:0", func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		defer mu.Unlock()
		w.WriteHeader(answers[r.URL.Path][asked[r.URL.Path]])
		asked[r.URL.Path]++
	})
	db := withRules(t, hook.URL+"/flaky", hook.URL+"/wrong")
	e := New(db, "http://reel.example", slog.New(slog.DiscardHandler), Options{AllowPrivate: true, Retries: []time.Duration{time.Millisecond, time.Millisecond, time.Millisecond}})
	n, err := e.RunOnce(ctx, time.Now())
	if err != nil || n != 1 {
		t.Fatalf("fired %d, %v; want the flaky receiver's rule only", n, err)
	}
	if asked["/flaky"] != 3 || asked["/wrong"] != 1 {
		t.Fatalf("receiver asked %v; want /flaky 3 times (503, 429, 200), /wrong once (400)", asked)
	}
	all, err := db.AlertDeliveries(ctx, "default")
	if err != nil {
		t.Fatal(err)
	}
	statuses := map[int64][]int{}
	for i := len(all) - 1; i >= 0; i-- { // newest first
		statuses[all[i].RuleID] = append(statuses[all[i].RuleID], all[i].Status)
	}
	if got := statuses[1]; len(got) != 3 || got[0] != 503 || got[1] != 429 || got[2] != 200 {
		t.Errorf("flaky rule's deliveries = %v", got)
	}
	if got := statuses[2]; len(got) != 1 || got[0] != 400 {
		t.Errorf("wrong rule's deliveries = %v", got)
	}
}
