package server

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// TestEventsUntilFirstSnapshot: ?until=first-snapshot answers the events of the tab that
// recorded the session's first full snapshot, up to and including it, reading no further than
// the chunk that holds it; a session without a snapshot answers []; other values are refused.
func TestEventsUntilFirstSnapshot(t *testing.T) {
	s := newStack(t)
	ctx := context.Background()
	auth := []string{"Authorization", "Bearer " + adminToken}
	const t0 = 1764237600000
	full := func(at int64, text string) string {
		return ev(2, at, fmt.Sprintf(`{"node":{"type":0,"childNodes":[{"type":3,"textContent":%q,"id":2}],"id":1},"initialOffset":{"left":0,"top":0}}`, text))
	}
	meta := func(at int64, href string) string {
		return ev(4, at, fmt.Sprintf(`{"href":%q,"width":1280,"height":720}`, href))
	}
	click := func(at int64) string { return ev(3, at, `{"source":2,"type":2,"id":2,"x":1,"y":2}`) }
	identify := func(at int64) string { return ev(5, at, `{"tag":"reel.identify","payload":{"userId":"ada"}}`) }

	// Two pages in two chunks of one tab; a second tab whose page was recorded later.
	home := []string{identify(t0), meta(t0+1, "http://shop.example/"), full(t0+2, "home page"), click(t0 + 500)}
	s.ingest(t, "s_preview001", "t_tabone01", 0, home...)
	s.ingest(t, "s_preview001", "t_tabone01", 1, click(t0+900), meta(t0+1000, "http://shop.example/cart"), full(t0+1001, "cart page"))
	s.ingest(t, "s_preview001", "t_tabtwo02", 0, meta(t0+600, "http://shop.example/help"), full(t0+601, "help page"), click(t0+700))
	// The first tab to record a page is not the first in name order.
	s.ingest(t, "s_preview002", "t_tabaaa01", 0, click(t0+100), meta(t0+300, "http://shop.example/late"), full(t0+301, "late page"))
	s.ingest(t, "s_preview002", "t_tabzzz02", 0, meta(t0+200, "http://shop.example/early"), full(t0+201, "early page"))
	// The Meta event at the end of one batch, its snapshot at the start of the next.
	s.ingest(t, "s_preview003", "t_tabone01", 0, click(t0), meta(t0+10, "http://shop.example/split"))
	s.ingest(t, "s_preview003", "t_tabone01", 1, full(t0+11, "split page"), click(t0+20))
	// Nothing to show yet: no page recorded, or a Meta event whose snapshot has not arrived.
	s.ingest(t, "s_preview004", "t_tabone01", 0, identify(t0), click(t0+5))
	s.ingest(t, "s_preview005", "t_tabone01", 0, click(t0), meta(t0+10, "http://shop.example/slow"))

	arr := func(evs ...string) string { return "[" + strings.Join(evs, ",") + "]" }
	cases := []struct {
		name, query, want string
	}{
		{"first page of the first tab, what came before it included", "s_preview001/events?until=first-snapshot", arr(home[:3]...)},
		{"one tab", "s_preview001/events?until=first-snapshot&tab=t_tabtwo02", arr(meta(t0+600, "http://shop.example/help"), full(t0+601, "help page"))},
		{"the tab that recorded a page first", "s_preview002/events?until=first-snapshot", arr(meta(t0+200, "http://shop.example/early"), full(t0+201, "early page"))},
		{"snapshot in the next batch", "s_preview003/events?until=first-snapshot", arr(click(t0), meta(t0+10, "http://shop.example/split"), full(t0+11, "split page"))},
		{"no page recorded", "s_preview004/events?until=first-snapshot", "[]"},
		{"snapshot not arrived", "s_preview005/events?until=first-snapshot", "[]"},
		{"unknown tab", "s_preview001/events?until=first-snapshot&tab=t_nosuch01", "[]"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			r := do(t, http.DefaultClient, "GET", s.srv.URL+"/api/v1/sessions/"+tc.query, nil, auth...)
			if r.Status != 200 || string(r.Body) != tc.want || !strings.HasPrefix(r.Header.Get("Content-Type"), "application/json") {
				t.Fatalf("GET %s = %d\n%s\nwant\n%s", tc.query, r.Status, r.Body, tc.want)
			}
		})
	}

	bad := []struct {
		name, query string
		status      int
		code        string
	}{
		{"unknown value", "s_preview001/events?until=last-snapshot", 400, "bad_request"},
		{"empty value", "s_preview001/events?until=", 400, "bad_request"},
		{"case matters", "s_preview001/events?until=FIRST-SNAPSHOT", 400, "bad_request"},
		{"a number", "s_preview001/events?until=1764237600000", 400, "bad_request"},
		{"with from", fmt.Sprintf("s_preview001/events?until=first-snapshot&from=%d", t0+1000), 400, "bad_request"},
		{"with after", fmt.Sprintf("s_preview001/events?until=first-snapshot&after=%d", t0), 400, "bad_request"},
		{"with to", fmt.Sprintf("s_preview001/events?until=first-snapshot&to=%d", t0), 400, "bad_request"},
		{"to not a number", "s_preview001/events?to=soon", 400, "bad_request"},
		{"to empty", "s_preview001/events?to=", 400, "bad_request"},
		{"to zero", "s_preview001/events?to=0", 400, "bad_request"},
		{"to negative", "s_preview001/events?to=-5", 400, "bad_request"},
		{"to too big", "s_preview001/events?to=99999999999999999999", 400, "bad_request"},
		{"unknown session", "s_nosuch0001/events?until=first-snapshot", 404, "not_found"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			r := do(t, http.DefaultClient, "GET", s.srv.URL+"/api/v1/sessions/"+tc.query, nil, auth...)
			if r.Status != tc.status || r.code() != tc.code {
				t.Fatalf("GET %s = %d %s", tc.query, r.Status, r.Body)
			}
		})
	}
	if r := do(t, http.DefaultClient, "GET", s.srv.URL+"/api/v1/sessions/s_preview001/events?until=first-snapshot", nil); r.Status != 401 {
		t.Fatalf("anonymous preview events = %d %s", r.Status, r.Body)
	}

	// Only the chunk holding the snapshot is read: with the second chunk's blob gone, the
	// whole recording fails but the first page is still served.
	chunks, err := s.db.Chunks(ctx, "s_preview001")
	if err != nil {
		t.Fatal(err)
	}
	var firstKey, secondKey string
	for _, c := range chunks {
		if c.Tab == "t_tabone01" && c.Seq == 0 {
			firstKey = c.BlobKey
		}
		if c.Tab == "t_tabone01" && c.Seq == 1 {
			secondKey = c.BlobKey
		}
	}
	if firstKey == "" || secondKey == "" || firstKey == secondKey {
		t.Fatalf("chunks of s_preview001 = %+v; want the two batches of t_tabone01 in their own blobs", chunks)
	}
	if err := s.blobs.Delete(ctx, secondKey); err != nil {
		t.Fatal(err)
	}
	if r := do(t, http.DefaultClient, "GET", s.srv.URL+"/api/v1/sessions/s_preview001/events", nil, auth...); r.Status != 500 {
		t.Fatalf("all events without the second chunk = %d %s", r.Status, r.Body)
	}
	if r := do(t, http.DefaultClient, "GET", s.srv.URL+"/api/v1/sessions/s_preview001/events?until=first-snapshot", nil, auth...); r.Status != 200 || string(r.Body) != arr(home[:3]...) {
		t.Fatalf("first page without the second chunk = %d %s", r.Status, r.Body)
	}
}

// TestEventsPruneGone: a seek's answer with prune=gone leaves out the nodes a re-render threw
// away before the moment (and says how many), keeps everything else, and the parameter is
// refused without from and to or with another value.
func TestEventsPruneGone(t *testing.T) {
	s := newStack(t)
	auth := []string{"Authorization", "Bearer " + adminToken}
	const t0 = 1764237600000
	meta := ev(4, t0, `{"href":"https://spa.example/","width":1280,"height":720}`)
	full := ev(2, t0+1, `{"node":{"type":0,"id":1,"childNodes":[{"type":2,"tagName":"ul","attributes":{},"id":2,"childNodes":[{"type":2,"tagName":"li","attributes":{},"id":3,"childNodes":[{"type":3,"textContent":"old item","id":4}]}]}]},"initialOffset":{"left":0,"top":0}}`)
	rerender := ev(3, t0+100, `{"source":0,"removes":[{"parentId":2,"id":3}],"adds":[{"parentId":2,"nextId":null,"node":{"type":2,"tagName":"li","attributes":{},"childNodes":[],"id":5}},{"parentId":5,"nextId":null,"node":{"type":3,"textContent":"thrown away","id":6}}],"texts":[],"attributes":[]}`)
	again := ev(3, t0+200, `{"source":0,"removes":[{"parentId":2,"id":5}],"adds":[{"parentId":2,"nextId":null,"node":{"type":2,"tagName":"li","attributes":{},"childNodes":[],"id":7}},{"parentId":7,"nextId":null,"node":{"type":3,"textContent":"kept item","id":8}}],"texts":[],"attributes":[]}`)
	s.ingest(t, "s_prunegone1", "t_tabone01", 0, meta, full, rerender, again)

	base := s.srv.URL + "/api/v1/sessions/s_prunegone1/events"
	seek := fmt.Sprintf("?from=%d&to=%d", t0+300, t0+300)
	plain := do(t, http.DefaultClient, "GET", base+seek, nil, auth...)
	pruned := do(t, http.DefaultClient, "GET", base+seek+"&prune=gone", nil, auth...)
	if plain.Status != 200 || pruned.Status != 200 {
		t.Fatalf("seek = %d / %d: %s %s", plain.Status, pruned.Status, plain.Body, pruned.Body)
	}
	for _, text := range []string{"old item", "thrown away", "kept item"} {
		if !strings.Contains(string(plain.Body), text) {
			t.Errorf("the answer without prune lacks %q", text)
		}
	}
	if strings.Contains(string(pruned.Body), "old item") || strings.Contains(string(pruned.Body), "thrown away") {
		t.Errorf("prune=gone kept nodes gone by the moment: %s", pruned.Body)
	}
	if !strings.Contains(string(pruned.Body), "kept item") || !strings.Contains(string(pruned.Body), `"href":"https://spa.example/"`) {
		t.Errorf("prune=gone lost what is on the page at the moment: %s", pruned.Body)
	}
	if got := pruned.Header.Get("X-Reel-Gone"); got != "4" {
		t.Errorf("X-Reel-Gone = %q, want 4 (the old item, its text, the thrown-away item, its text)", got)
	}
	if plain.Header.Get("X-Reel-Gone") != "" {
		t.Error("an answer without prune says it left nodes out")
	}

	for name, q := range map[string]string{
		"without to":    fmt.Sprintf("?from=%d&prune=gone", t0+300),
		"without from":  fmt.Sprintf("?to=%d&prune=gone", t0+300),
		"unknown value": seek + "&prune=all",
		"empty value":   seek + "&prune=",
	} {
		if r := do(t, http.DefaultClient, "GET", base+q, nil, auth...); r.Status != 400 || r.code() != "bad_request" {
			t.Errorf("%s: GET %s = %d %s", name, q, r.Status, r.Body)
		}
	}
}
