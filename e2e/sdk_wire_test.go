package e2e

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	reelingest "github.com/reelhq/reel/internal/ingest"
)

// TestSdkDeltaEncodingRoundTrips checks that the SDK's delta encoding of ids and timestamps
// (docs/wire-format.md) and the server's inverse agree in a real browser: the page's own
// numbers under the encoded names, tricky keys included, come back from the API exactly as the
// page gave them; a number too long to encode exactly makes the SDK send its batch unencoded;
// and the recording itself decodes to a consistent page (every node id once, every mutation
// under a known node, every timestamp within the test's own clock).
func TestSdkDeltaEncodingRoundTrips(t *testing.T) {
	r := startReel(t, t.TempDir())
	key := publicKey(t, r)
	proxy := newIngestProxy(t, r.URL)
	site := sdkSite(t, proxy.URL, key)
	ctx := browser(t)
	started := time.Now().Add(-time.Second).UnixMilli()

	const tricky = `{"id": 5, "nextId": 7, "parentId": -3, "timestamp": 1764208800000, "a\"id": 9, "xid": 11,
		"nested": {"id": 1.5, "list": [{"id": 2e21}, {"id": -0.25}], "nextId": null}, "text": "\"id\":12"}`
	const long = `{"id": 1234567890123456789, "timestamp": 42}`
	run(t, ctx, "record",
		chromedp.Navigate(sdkPage(site, "sdk.html", "")),
		waitFor(`window.Reel && Reel.getSessionId()`),
		chromedp.Evaluate(`(() => {
			const out = document.getElementById("out");
			for (let i = 0; i < 20; i++) { const li = document.createElement("p"); li.textContent = "row " + i; out.append(li); }
			out.firstElementChild.remove();
			Reel.track("tricky", `+tricky+`);
			return true;
		})()`, nil),
		chromedp.Sleep(300*time.Millisecond),
	)
	flushSession(t, ctx, "flush the encoded batch")
	run(t, ctx, "a long number", chromedp.Evaluate(`Reel.track("long", `+long+`)`, nil))
	id := flushSession(t, ctx, "flush the unencoded batch")

	var encoded, plain int
	for _, q := range proxy.seen() {
		switch q.query.Get("enc") {
		case reelingest.EncodingDelta:
			encoded++
		case "":
			plain++
			if !strings.Contains(q.body, `"long"`) {
				t.Errorf("a batch without long numbers was sent unencoded: %.200s", q.body)
			}
		default:
			t.Errorf("enc=%q", q.query.Get("enc"))
		}
		if q.status != 200 {
			t.Errorf("ingest answered %d", q.status)
		}
	}
	if encoded == 0 || plain != 1 {
		t.Fatalf("%d delta-encoded and %d plain requests; want some and exactly one", encoded, plain)
	}

	evs, _ := sessionEvents(t, r, id)
	for name, want := range map[string]string{"tricky": tricky, "long": long} {
		var got []map[string]any
		for _, p := range customs(evs, "reel.track") {
			if p["name"] == name {
				got = append(got, p["props"].(map[string]any))
			}
		}
		var w map[string]any
		if err := json.Unmarshal([]byte(want), &w); err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || !reflect.DeepEqual(got[0], w) {
			t.Errorf("track %q props = %v, want %v", name, got, w)
		}
	}

	// The page as recorded: node ids unique, mutations under known nodes, times plausible.
	now := time.Now().UnixMilli()
	known := map[float64]bool{}
	var walk func(n map[string]any)
	walk = func(n map[string]any) {
		nid := n["id"].(float64)
		if known[nid] {
			t.Errorf("node id %v twice in the snapshot", nid)
		}
		known[nid] = true
		kids, _ := n["childNodes"].([]any)
		for _, k := range kids {
			walk(k.(map[string]any))
		}
	}
	var snapshots, adds int
	for _, e := range evs {
		if e.Timestamp < started || e.Timestamp > now {
			t.Errorf("event at %d, outside the test's %d–%d", e.Timestamp, started, now)
		}
		var d struct {
			Node   map[string]any `json:"node"`
			Source *int           `json:"source"`
			Adds   []struct {
				ParentID float64        `json:"parentId"`
				Node     map[string]any `json:"node"`
			} `json:"adds"`
		}
		json.Unmarshal(e.Data, &d)
		switch {
		case e.Type == 2:
			snapshots++
			walk(d.Node)
		case e.Type == 3 && d.Source != nil && *d.Source == 0:
			for _, a := range d.Adds {
				if !known[a.ParentID] {
					t.Errorf("a node added under unknown parent %v", a.ParentID)
				}
				walk(a.Node)
				adds++
			}
		}
	}
	if snapshots == 0 || adds < 20 {
		t.Errorf("%d snapshots and %d added nodes; want the page and its 20 new rows", snapshots, adds)
	}
}
