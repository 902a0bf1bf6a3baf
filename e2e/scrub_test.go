package e2e

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/reelhq/reel/internal/datascan"
)

// TestScrubberDone is issue 15's first "done when": a page shows a card number and an email,
// and carries them and a JWT in its URL's query string and in a fetch request's URL and body,
// with masking rules that miss them all (inputs and text unmasked, network bodies recorded).
// None of them is found afterwards in the index or the blobs (every file of the data
// directory, decompressed) or in what the events API serves, and the Session pane says what was
// scrubbed.
func TestScrubberDone(t *testing.T) {
	dir := t.TempDir()
	r := startReel(t, dir)
	key := publicKey(t, r)
	site := sdkSite(t, r.URL, key)
	ctx := browser(t)

	const (
		card  = "4111 1111 1111 1111"
		email = "jane.doe@example.com"
		jwt   = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJqYW5lLmRvZSIsIm5hbWUiOiJKYW5lIERvZSJ9.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
	)
	needles := []string{card, strings.ReplaceAll(card, " ", ""), email, jwt, "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"}

	// Masking that misses everything: inputs and text unmasked, the echo API's bodies recorded.
	opts := fmt.Sprintf(`{"maskAllInputs": false, "maskAllText": false, "network": {"allowUrls": [%q]}}`, site.URL+"/echo")
	page := sdkPage(site, "scrub.html", opts) + "&card=" + strings.ReplaceAll(card, " ", "") + "&mail=" + email + "&jwt=" + url.QueryEscape(jwt)
	var answer string
	run(t, ctx, "open the page",
		chromedp.Navigate(page),
		waitFor(`window.Reel && Reel.getSessionId()`),
		// The SDK patches fetch once its remote configuration is read.
		waitFor(`!String(window.fetch).includes("[native code]")`),
		chromedp.Evaluate(`window.send()`, &answer, awaitPromise),
		waitFor(`document.body.innerText.includes("4111 1111 1111 1111")`),
	)
	if !strings.Contains(answer, `"ok":true`) {
		t.Fatalf("the page's request failed: %s", answer)
	}
	id := flushSession(t, ctx, "flush")

	// The events API: the page was recorded, its secrets masked.
	evs, raw := sessionEvents(t, r, id)
	if len(evs) == 0 || !strings.Contains(raw, "Thank you for your order") || !strings.Contains(raw, "████ ████ ████ ████") {
		t.Fatalf("the recording lacks the page or its masks: %.2000s", raw)
	}
	if len(customs(evs, "reel.network")) == 0 || !strings.Contains(raw, `\"card\":\"████ ████ ████ ████\"`) {
		t.Fatalf("the fetch and its masked body were not recorded: %.3000s", raw)
	}
	for _, n := range needles {
		if i := strings.Index(raw, n); i >= 0 {
			t.Errorf("the events API serves %q: …%s…", n, raw[max(0, i-100):min(len(raw), i+100)])
		}
	}

	// The index and the blobs: every file, raw and decompressed.
	hits, err := datascan.Find(dir, needles...)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range hits {
		t.Errorf("on disk: %s", h)
	}

	// The counts: in the session API, and as a person reads them in the Session pane.
	var s struct {
		Scrubbed map[string]int `json:"scrubbed"`
	}
	r.api(t, "/api/v1/sessions/"+id, &s)
	if s.Scrubbed["card"] < 3 || s.Scrubbed["email"] < 3 || s.Scrubbed["token"] < 2 {
		t.Fatalf("scrubbed = %v; want cards, emails and tokens from the text, the URLs and the body", s.Scrubbed)
	}
	if s.Scrubbed["phone"]+s.Scrubbed["iban"]+s.Scrubbed["custom"] > 0 {
		b, _ := json.Marshal(s.Scrubbed)
		t.Fatalf("scrubbed = %s: kinds the page does not hold", b)
	}
	// The pane is read in a browser of its own: the recorded page stays open, and a batch it
	// sends later (or as it is left) may add to the counts, so the pane is compared with the
	// API's counts as they are when it is read.
	dash := browser(t)
	run(t, dash, "log in", loginActions(r)...)
	var shown, want string
	deadline := time.Now().Add(30 * time.Second)
	for {
		run(t, dash, "the Session pane",
			chromedp.Navigate(r.URL+"/sessions/"+id+"?t=0"),
			waitFor(`document.body.dataset.playerReady === "1"`),
			chromedp.Click(`[data-testid=pane-session]`, chromedp.ByQuery),
			waitFor(visible(`[data-testid=scrubbed]`)),
			chromedp.Text(`[data-testid=scrubbed]`, &shown, chromedp.ByQuery),
		)
		r.api(t, "/api/v1/sessions/"+id, &s)
		want = "Scrubbed on the server: " + strings.Join([]string{
			fmt.Sprintf("%d card numbers", s.Scrubbed["card"]),
			fmt.Sprintf("%d emails", s.Scrubbed["email"]),
			fmt.Sprintf("%d tokens", s.Scrubbed["token"]),
		}, ", ")
		if strings.TrimSpace(shown) == want || time.Now().After(deadline) {
			break
		}
		time.Sleep(500 * time.Millisecond)
	}
	if strings.TrimSpace(shown) != want {
		t.Fatalf("the Session pane shows %q, want %q", shown, want)
	}
}
