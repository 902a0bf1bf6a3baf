package e2e

import (
	"net/http"
	"testing"

	"github.com/chromedp/chromedp"
)

// TestSdkStartsAnewAfterErasure: when the server erases the session a page is recording (a
// user's erasure request), the next batch is answered 410 session_erased and the SDK goes on
// in a new session instead of sending into the erased one, which stays gone.
func TestSdkStartsAnewAfterErasure(t *testing.T) {
	r := startReel(t, t.TempDir())
	site := sdkSite(t, r.URL, publicKey(t, r))
	ctx := browser(t)
	run(t, ctx, "open", chromedp.Navigate(sdkPage(site, "sdk.html", `{"flushIntervalMs": 200}`)), waitFor(`window.Reel && Reel.getSessionId()`))
	flushSession(t, ctx, "first batches")
	run(t, ctx, "identify", chromedp.Evaluate(`Reel.identify("erase-me")`, nil))
	old := flushSession(t, ctx, "identified")
	var s struct{ UserID string }
	r.api(t, "/api/v1/sessions/"+old, &s)
	if s.UserID != "erase-me" {
		t.Fatalf("session %s user = %q", old, s.UserID)
	}

	req, _ := http.NewRequest(http.MethodDelete, r.URL+"/api/v1/projects/default/users/erase-me", nil)
	req.Header.Set("Authorization", "Bearer "+adminToken)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 200 {
		t.Fatalf("erase = %d", res.StatusCode)
	}

	run(t, ctx, "record on",
		chromedp.Evaluate(`Reel.track("after-erasure")`, nil),
		chromedp.Evaluate(`Reel.flush()`, nil, awaitPromise),
		waitFor(`Reel.getSessionId() && Reel.getSessionId() !== `+jsString(old)),
	)
	fresh := flushSession(t, ctx, "the new session's batches")
	if fresh == old {
		t.Fatalf("still in the erased session %s", old)
	}
	var again struct{ ID string }
	r.api(t, "/api/v1/sessions/"+fresh, &again)
	req, _ = http.NewRequest(http.MethodGet, r.URL+"/api/v1/sessions/"+old, nil)
	req.Header.Set("Authorization", "Bearer "+adminToken)
	res, err = http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != 404 {
		t.Fatalf("the erased session came back: %d", res.StatusCode)
	}
}
