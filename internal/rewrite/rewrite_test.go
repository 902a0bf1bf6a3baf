package rewrite

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

func TestRewriteThroughAnOpenAICompatibleEndpoint(t *testing.T) {
	var seen string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		seen = string(b)
		if r.URL.Path != "/v1/chat/completions" || r.Header.Get("Authorization") != "Bearer k" {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		json.NewEncoder(w).Encode(map[string]any{"choices": []any{map[string]any{"message": map[string]string{"role": "assistant", "content": " A shopper gave up on the coupon. "}}}})
	}))
	defer srv.Close()
	c := New(Options{URL: srv.URL + "/v1", Model: "m", APIKey: "k"})
	got, err := c.Rewrite(context.Background(), Input{Summary: "draft", Pages: []string{"/cart"}, Signals: []string{"rage_click on /cart"}})
	if err != nil || got != "A shopper gave up on the coupon." {
		t.Fatalf("Rewrite = %q, %v", got, err)
	}
	if !strings.Contains(seen, `"model":"m"`) || !strings.Contains(seen, "rage_click on /cart") {
		t.Fatalf("request = %s", seen)
	}
	if New(Options{}) != nil {
		t.Fatal("a client without a URL must be nil (off)")
	}
	bad := New(Options{URL: srv.URL + "/nope"})
	if _, err := bad.Rewrite(context.Background(), Input{}); err == nil {
		t.Fatal("an endpoint error was not reported")
	}
}
