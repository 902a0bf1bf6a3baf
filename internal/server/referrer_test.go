package server

import (
	"net/http"
	"testing"
)

// No answer lets the browser name a Reel URL as Referer: the dashboard's pages replay recorded
// sites' images, and the session's URL (or even the dashboard's origin) is not theirs to know.
func TestNoReferrerOnEveryAnswer(t *testing.T) {
	s := newStack(t)
	for _, path := range []string{"/", "/sessions/s_anything", "/assets/app.js", "/api/v1/sessions", "/api/v1/nope", "/healthz", "/demo/", "/sdk/reel.js"} {
		r := do(t, http.DefaultClient, "GET", s.srv.URL+path, nil)
		if got := r.Header.Get("Referrer-Policy"); got != "no-referrer" {
			t.Errorf("GET %s (%d): Referrer-Policy = %q, want no-referrer", path, r.Status, got)
		}
	}
}
