package ingest

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/reelhq/reel/internal/content"
	"github.com/reelhq/reel/internal/datascan"
	"github.com/reelhq/reel/internal/layout"
	"github.com/reelhq/reel/internal/scrub"
	"github.com/reelhq/reel/internal/search"
	"github.com/reelhq/reel/internal/store"
)

// The values a page leaked past the browser's masking, in every place of a batch the issue
// lists; none may reach the disk.
const (
	leakCard  = "4111 1111 1111 1111"
	leakCard2 = "5555555555554444"
	leakEmail = "jane.doe@example.com"
	leakJWT   = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJqYW5lIn0.c2lnbmF0dXJlLXNpZ25hdHVyZQ"
	leakKey   = "sk_live_4eC39HqLyjWDarjtT1zdp7dc"
	leakPhone = "(555) 123-4567"
	leakIBAN  = "DE89 3704 0044 0532 0130 00"
	// keptUser is the identify userId: kept as sent (erasure and user: search go by it).
	keptUser = "user.kept@example.org"
)

var leaks = []string{leakCard, "4111111111111111", leakCard2, leakEmail, leakJWT, leakKey, leakPhone, leakIBAN, "3704 0044 0532"}

// leakyBatch is a batch with a leak in each of: the page URL and referrer, a Meta href, a text
// node, attributes (title, alt, value, href query), a long text node sent as an asset, console
// arguments, an error's message and stack, a network request's URL, headers and bodies, track
// properties and identify traits. A data: URI font holds digits that look like a card and must
// come through unchanged.
func leakyBatch(session string) ([]byte, string, string) {
	long := strings.Repeat("Terms and conditions. ", 60) + "Contact " + leakEmail + " or call " + leakPhone + "."
	hash := content.Hash(long)
	font := "data:font/woff2;base64,d09GMgABAAAAAA+4012888888881881+" + strings.Repeat("QUJD", 30)
	snapshot := fmt.Sprintf(`{"type":2,"timestamp":1764237600010,"data":{"node":{"type":0,"id":1,"childNodes":[{"type":2,"id":2,"tagName":"body","attributes":{"title":%q,"style":%q},"childNodes":[
		{"type":3,"id":3,"textContent":%q},
		{"type":2,"id":4,"tagName":"img","attributes":{"alt":%q,"src":"/img/5105105105105100x.png?card=4111111111111111"},"childNodes":[]},
		{"type":2,"id":5,"tagName":"input","attributes":{"value":%q},"childNodes":[]},
		{"type":2,"id":6,"tagName":"a","attributes":{"href":"/products/12345?iban=DE89370400440532013000"},"childNodes":[]},
		{"type":3,"id":7,"textContent":"\u0000reel:a:%s"}]}]},"initialOffset":{"left":0,"top":0}}}`,
		"Card "+leakCard, "@font-face{src:url("+font+")}", "Your card: "+leakCard+", mail "+leakEmail, "IBAN "+leakIBAN, leakCard2, hash)
	custom := func(tag, payload string) string {
		return fmt.Sprintf(`{"type":5,"timestamp":1764237601000,"data":{"tag":%q,"payload":%s}}`, tag, payload)
	}
	events := []string{
		fmt.Sprintf(`{"type":4,"timestamp":1764237600000,"data":{"href":"http://shop.test/pay?email=%s&t=%s","width":1280,"height":720}}`, leakEmail, leakJWT),
		snapshot,
		custom("reel.console", fmt.Sprintf(`{"level":"log","args":["token %s","card %s"]}`, leakKey, leakCard)),
		custom("reel.error", fmt.Sprintf(`{"kind":"error","message":"failed for %s","stack":"Error: Bearer %s\n    at pay (app.js:1:2)"}`, leakEmail, leakJWT)),
		custom("reel.network", fmt.Sprintf(`{"method":"POST","url":"/api/pay?card=%s","status":200,"durationMs":5,"requestHeaders":{"authorization":"Bearer %s"},"requestBody":"{\"card\":\"%s\",\"email\":\"%s\"}","responseBody":"ok %s"}`,
			"4111111111111111", leakKey, leakCard, leakEmail, leakIBAN)),
		custom("reel.track", fmt.Sprintf(`{"name":"checkout","props":{"email":%q,"plan":"pro","sku":"5105105105105100x"}}`, leakEmail)),
		custom("reel.identify", fmt.Sprintf(`{"userId":%q,"traits":{"email":%q,"phone":%q}}`, keptUser, leakEmail, leakPhone)),
		custom("reel.navigation", fmt.Sprintf(`{"url":"http://shop.test/done?card=%s","kind":"push"}`, "4111111111111111")),
	}
	b := fmt.Sprintf(`{"session":%q,"tab":"t_tab00001","seq":0,"sentAt":1764237603000,"meta":{"sdk":"reel-js/test","url":"http://shop.test/pay?email=%s","referrer":"http://mail.test/?to=%s","userAgent":"Mozilla/5.0 Chrome/156.0"},"assets":{%q:%q},"events":[%s]}`,
		session, leakEmail, leakEmail, hash, long, strings.Join(events, ","))
	return []byte(b), hash, font
}

// TestScrubAtIngest sends a batch leaking card numbers, emails, tokens, a phone number and an
// IBAN everywhere, over real HTTP, and then looks for them on disk (every file of the data
// directory, decompressed) and in what the events API reads: gone, counted, and the rest of the
// batch intact.
func TestScrubAtIngest(t *testing.T) {
	e := newEnv(t, Options{})
	body, hash, font := leakyBatch("s_leaky0001")
	if r := e.post(t, "v=1&key=pk_test", gz(t, body)); r.Status != 200 {
		t.Fatalf("ingest = %d %s", r.Status, r.Body)
	}
	hits, err := datascan.Find(e.dir, leaks...)
	if err != nil {
		t.Fatal(err)
	}
	for _, h := range hits {
		t.Errorf("found on disk: %s", h)
	}

	ctx := context.Background()
	s, err := e.db.GetSession(ctx, "s_leaky0001")
	if err != nil {
		t.Fatal(err)
	}
	if s.UserID != keptUser {
		t.Errorf("user id = %q, want it kept as %q", s.UserID, keptUser)
	}
	// Counted once per value: cards in the title, the text, the img src query, the input value,
	// console, network URL and body, navigation URL; emails in the Meta href, the text, the error,
	// the request body, track, traits, meta url and referrer, the asset; tokens in the Meta href,
	// console, the stack's Bearer and the authorization header; phones in the asset and the
	// traits; IBANs in the alt, the href query, the response body.
	want := map[string]int{"card": 8, "email": 9, "token": 4, "phone": 2, "iban": 3}
	if fmt.Sprint(s.Scrubbed) != fmt.Sprint(want) {
		t.Errorf("scrubbed = %v, want %v", s.Scrubbed, want)
	}
	chunks, err := e.db.Chunks(ctx, "s_leaky0001")
	if err != nil || len(chunks) != 1 {
		t.Fatalf("chunks = %v, %v", chunks, err)
	}
	events, err := layout.ReadChunk(ctx, e.blobs, chunks[0])
	if err != nil {
		t.Fatal(err)
	}
	text := string(events)
	for _, kept := range []string{keptUser, font, "/img/5105105105105100x.png?card=████████████████", "5105105105105100x", "/products/12345?iban=██████████████████████",
		"████ ████ ████ ████", `"plan":"pro"`, "\\u0000reel:a:" + hash} {
		if !strings.Contains(text, kept) {
			t.Errorf("stored events lack %q", kept)
		}
	}
	if !json.Valid(events) {
		t.Error("stored events are not valid JSON")
	}
	// The asset is kept under the hash the browser gave it (the SDK remembers that hash), with
	// its text scrubbed.
	item, err := layout.NewCache(e.blobs, 1<<20).Token(ctx, "default", hash)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(item), leakEmail) || !strings.Contains(string(item), strings.Repeat(string(scrub.Mask), len(leakEmail))) {
		t.Errorf("stored asset = …%s", item[len(item)-80:])
	}
	// Search finds the session by what was scrubbed, not by the values.
	for q, want := range map[string]int{"scrubbed.card:>0": 1, "scrubbed:>20": 1, "text:jane": 0, "user:" + keptUser: 1} {
		query, err := search.Parse(q)
		if err != nil {
			t.Fatal(err)
		}
		page, err := e.db.ListSessions(ctx, store.ListQuery{ProjectID: "default", Limit: 10, Query: query})
		if err != nil || len(page.Sessions) != want {
			t.Errorf("%s: %d sessions, %v; want %d", q, len(page.Sessions), err, want)
		}
	}
}

// TestScrubFailureStoresNothing: when the scrubber fails (it panics, its output would pass the
// batch limits, or no longer decodes) the batch is refused with a 500 and nothing of it is
// written: no session, no chunk, no asset, no leak anywhere on disk.
func TestScrubFailureStoresNothing(t *testing.T) {
	for _, tc := range []struct {
		name  string
		fault func([]byte) []byte
	}{
		{"panic", func([]byte) []byte { panic("scrubber bug") }},
		{"too large", func(b []byte) []byte { return append(b, make([]byte, DefaultLimits.MaxDecompressed)...) }},
		{"broken JSON", func(b []byte) []byte { return b[:len(b)/2] }},
		{"another batch", func(b []byte) []byte { return []byte(strings.Replace(string(b), `"seq":0`, `"seq":1`, 1)) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			scrubFault = tc.fault
			t.Cleanup(func() { scrubFault = nil })
			e := newEnv(t, Options{})
			body, _, _ := leakyBatch("s_failed001")
			r := e.post(t, "v=1&key=pk_test", gz(t, body))
			if r.Status != 500 || r.Code != "scrub_failed" || strings.Contains(r.Body, "scrubber bug") {
				t.Fatalf("ingest = %d %s, want 500 scrub_failed without the cause", r.Status, r.Body)
			}
			if _, err := e.db.GetSession(context.Background(), "s_failed001"); err == nil {
				t.Error("the session was stored")
			}
			hits, err := datascan.Find(e.dir, append(leaks, keptUser, "Terms and conditions")...)
			if err != nil {
				t.Fatal(err)
			}
			for _, h := range hits {
				t.Errorf("found on disk: %s", h)
			}
		})
	}
}

// TestScrubSettingsAtIngest: a project's own patterns and switched-off kinds apply to its next
// batch; a project with the scrubber off stores its batch as sent.
func TestScrubSettingsAtIngest(t *testing.T) {
	e := newEnv(t, Options{})
	ctx := context.Background()
	p, err := e.db.Project(ctx, "default")
	if err != nil {
		t.Fatal(err)
	}
	ev := func(text string) string {
		return fmt.Sprintf(`{"type":5,"timestamp":1764237601000,"data":{"tag":"reel.console","payload":{"level":"log","args":[%q]}}}`, text)
	}
	for i, tc := range []struct {
		scrub, text, want string
		counts            map[string]int
	}{
		{`{}`, "order ORD-123456 by " + leakEmail, "order ORD-123456 by ████████████████████", map[string]int{"email": 1}},
		{`{"patterns":["ORD-[0-9]{6}"],"off":["email"]}`, "order ORD-123456 by " + leakEmail, "order ██████████ by " + leakEmail, map[string]int{"custom": 1}},
		{`{"disabled":true}`, "order ORD-123456 by " + leakEmail, "order ORD-123456 by " + leakEmail, nil},
	} {
		p.Scrub = json.RawMessage(tc.scrub)
		if err := e.db.UpdateProject(ctx, p); err != nil {
			t.Fatal(err)
		}
		session := fmt.Sprintf("s_settings%02d", i)
		if r := e.post(t, "v=1&key=pk_test", gz(t, batchJSON(session, "t_tab00001", 0, metaEv, ev(tc.text)))); r.Status != 200 {
			t.Fatalf("%s: ingest = %d %s", tc.scrub, r.Status, r.Body)
		}
		s, err := e.db.GetSession(ctx, session)
		if err != nil {
			t.Fatal(err)
		}
		chunks, _ := e.db.Chunks(ctx, session)
		events, err := layout.ReadChunk(ctx, e.blobs, chunks[0])
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(events), tc.want) || fmt.Sprint(s.Scrubbed) != fmt.Sprint(tc.counts) {
			t.Errorf("%s: stored %s, counts %v; want %q, %v", tc.scrub, events, s.Scrubbed, tc.want, tc.counts)
		}
	}
}

// TestScrubKindsAgree keeps the kinds' three lists (the scrubber's, the index columns', the
// search language's) equal.
func TestScrubKindsAgree(t *testing.T) {
	kinds := append(append([]string{}, scrub.Kinds...), scrub.Custom)
	if fmt.Sprint(kinds) != fmt.Sprint(store.ScrubKinds[:]) || fmt.Sprint(kinds) != fmt.Sprint(search.ScrubbedKinds) {
		t.Fatalf("scrub %v, store %v, search %v", kinds, store.ScrubKinds, search.ScrubbedKinds)
	}
}
