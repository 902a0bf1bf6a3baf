package server

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/reelhq/reel/internal/alert"
	"github.com/reelhq/reel/internal/auth"
)

type alertList struct {
	Alerts []struct {
		ID          int64  `json:"id"`
		Webhook     string `json:"webhook"`
		WebhookHost string `json:"webhookHost"`
		Condition   string `json:"condition"`
		Deliveries  []struct {
			Test   bool   `json:"test"`
			OK     bool   `json:"ok"`
			Status int    `json:"status"`
			Error  string `json:"error"`
		} `json:"deliveries"`
	} `json:"alerts"`
}

// "Send test" posts a marked message to the rule's webhook now and the delivery shows in the
// list with its status; viewers read the rules with the webhook's host, never its URL, and
// may not send.
func TestSendTestAlert(t *testing.T) {
	s := newStack(t)
	var mu sync.Mutex
	var bodies []map[string]any
	status := http.StatusOK
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var m map[string]any
		json.Unmarshal(b, &m)
		mu.Lock()
		defer mu.Unlock()
		bodies = append(bodies, m)
		w.WriteHeader(status)
	}))
	defer hook.Close()
	admin := s.admin(t)
	viewer := s.user(t, "viewer@reel.local", auth.RoleViewer, "default")
	secret := hook.URL + "/services/T000/B000/secret-part"

	var rule struct{ ID int64 }
	admin.json("POST", "/api/v1/alerts", fmt.Sprintf(`{"name":"Checkout rage","fingerprint":"rage_click|/checkout|button.pay","threshold":5,"windowMinutes":60,"webhook":%q}`, secret), 201, &rule)
	var d struct {
		Test   bool   `json:"test"`
		OK     bool   `json:"ok"`
		Status int    `json:"status"`
		Error  string `json:"error"`
	}
	admin.json("POST", fmt.Sprintf("/api/v1/alerts/%d/test", rule.ID), "", 200, &d)
	if !d.Test || !d.OK || d.Status != 200 || len(bodies) != 1 || bodies[0]["test"] != true || !strings.Contains(bodies[0]["text"].(string), "rage clicks on /checkout") {
		t.Fatalf("test delivery = %+v, webhook got %+v", d, bodies)
	}
	status = http.StatusGone
	admin.json("POST", fmt.Sprintf("/api/v1/alerts/%d/test", rule.ID), "", 200, &d)
	if d.OK || d.Status != 410 || d.Error != "webhook answered 410 Gone" {
		t.Fatalf("refused test delivery = %+v", d)
	}

	var list alertList
	admin.json("GET", "/api/v1/alerts", "", 200, &list)
	a := list.Alerts[0]
	if a.Webhook != secret || a.WebhookHost != strings.TrimPrefix(hook.URL, "http://") || a.Condition != "rage clicks on /checkout at button.pay ≥ 5 sessions in 1 h" {
		t.Fatalf("alert as admin = %+v", a)
	}
	if len(a.Deliveries) != 2 || a.Deliveries[0].Status != 410 || a.Deliveries[1].Status != 200 || !a.Deliveries[1].OK {
		t.Fatalf("deliveries, newest first = %+v", a.Deliveries)
	}
	r := viewer.do("GET", "/api/v1/alerts", "")
	if r.Status != 200 || strings.Contains(string(r.Body), "secret-part") || !strings.Contains(string(r.Body), `"webhookHost"`) {
		t.Fatalf("alerts as viewer = %d %s; want the host, not the URL", r.Status, r.Body)
	}
	if r := viewer.do("POST", fmt.Sprintf("/api/v1/alerts/%d/test", rule.ID), ""); r.Status != 403 {
		t.Fatalf("viewer sending a test = %d %s", r.Status, r.Body)
	}

	// Bad, unknown and hostile targets get a clear error and post nothing.
	posts := len(bodies)
	for _, tc := range []struct {
		path   string
		status int
		code   string
	}{
		{"/api/v1/alerts/abc/test", 400, "bad_request"},
		{"/api/v1/alerts/-1/test", 400, "bad_request"},
		{"/api/v1/alerts/99999999999999999999/test", 400, "bad_request"},
		{"/api/v1/alerts/999/test", 404, "not_found"},
		{fmt.Sprintf("/api/v1/alerts/%d/test?project=nope", rule.ID), 404, "not_found"},
		{fmt.Sprintf("/api/v1/alerts/%d/test?project=%s", rule.ID, strings.Repeat("x", 5000)), 404, "not_found"},
	} {
		if r := admin.do("POST", tc.path, `{"junk":`); r.Status != tc.status || r.code() != tc.code {
			t.Errorf("POST %.60s = %d %s; want %d %s", tc.path, r.Status, r.Body, tc.status, tc.code)
		}
	}
	if len(bodies) != posts {
		t.Fatalf("a refused request posted to the webhook")
	}
}

// A rule in the JSON format posts a signed event object that a receiver verifies with the
// secret the admin read from the API; viewers never read the secret; a bad format, or a
// secret chosen by the caller, is refused.
func TestSignedJSONWebhookOverHTTP(t *testing.T) {
	s := newStack(t)
	type got struct {
		h    http.Header
		body []byte
	}
	posts := make(chan got, 4)
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		posts <- got{r.Header.Clone(), b}
	}))
	defer hook.Close()
	admin := s.admin(t)
	viewer := s.user(t, "viewer@reel.local", auth.RoleViewer, "default")

	for _, body := range []string{
		fmt.Sprintf(`{"name":"x","kind":"js_error","threshold":1,"windowMinutes":60,"webhook":%q,"format":"xml"}`, hook.URL),
		fmt.Sprintf(`{"name":"x","kind":"js_error","threshold":1,"windowMinutes":60,"webhook":%q,"secret":"mine"}`, hook.URL),
	} {
		if r := admin.do("POST", "/api/v1/alerts", body); r.Status != 400 || r.code() != "bad_request" {
			t.Errorf("POST %s = %d %s; want 400", body, r.Status, r.Body)
		}
	}
	var rule struct {
		ID     int64  `json:"id"`
		Format string `json:"format"`
		Secret string `json:"secret"`
	}
	admin.json("POST", "/api/v1/alerts", fmt.Sprintf(`{"name":"Errors to the pager","kind":"js_error","threshold":1,"windowMinutes":60,"webhook":%q,"format":"json"}`, hook.URL), 201, &rule)
	if rule.Format != "json" || !strings.HasPrefix(rule.Secret, "whsec_") {
		t.Fatalf("created rule = %+v", rule)
	}
	admin.json("POST", fmt.Sprintf("/api/v1/alerts/%d/test", rule.ID), "", 200, nil)
	p := <-posts
	if err := alert.Verify(rule.Secret, p.h, p.body, time.Now(), 5*time.Minute); err != nil {
		t.Fatalf("the post does not verify with the rule's secret: %v", err)
	}
	var ev alert.Event
	if err := json.Unmarshal(p.body, &ev); err != nil || ev.Type != "alert.test" || ev.Rule.ID != rule.ID || ev.Rule.Name != "Errors to the pager" {
		t.Fatalf("event = %+v, %v: %s", ev, err, p.body)
	}
	if r := viewer.do("GET", "/api/v1/alerts", ""); r.Status != 200 || strings.Contains(string(r.Body), rule.Secret) || !strings.Contains(string(r.Body), `"format":"json"`) {
		t.Fatalf("alerts as viewer = %d %s; want the format, not the secret", r.Status, r.Body)
	}
}
