package archive

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"testing"
	"time"

	"github.com/reelhq/reel/internal/store"
)

func TestHostMemoryIsPerProjectAndExpires(t *testing.T) {
	h := newHosts(2, time.Minute)
	now := time.Now()
	h.failed("p1", "cdn.example", now)
	for _, tc := range []struct {
		project, host string
		at            time.Time
		want          bool
	}{
		{"p1", "cdn.example", now, true},
		{"p1", "cdn.example", now.Add(59 * time.Second), true},
		{"p1", "cdn.example", now.Add(time.Minute), false},
		{"p2", "cdn.example", now, false},
		{"p1", "other.example", now, false},
	} {
		if got := h.isDown(tc.project, tc.host, tc.at); got != tc.want {
			t.Errorf("isDown(%s, %s, +%s) = %v", tc.project, tc.host, tc.at.Sub(now), got)
		}
	}
}

func TestHostSlotsBoundAndAreForgotten(t *testing.T) {
	h := newHosts(2, time.Minute)
	ctx := context.Background()
	r1, _ := h.acquire(ctx, "a.example")
	r2, _ := h.acquire(ctx, "a.example")
	// A third waits; with its context done it gives up instead.
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if _, err := h.acquire(cctx, "a.example"); err == nil {
		t.Fatal("a third slot was given")
	}
	r3, err := h.acquire(ctx, "b.example") // another host has its own
	if err != nil {
		t.Fatal(err)
	}
	r1()
	r2()
	r3()
	if len(h.slots) != 0 {
		t.Fatalf("slots kept for hosts no one uses: %v", h.slots)
	}
}

func TestHostFailures(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want bool
	}{
		{fmt.Errorf("archive: HTTP 503"), false},
		{fmt.Errorf("wrapped: %w", ErrPrivate), false},
		{context.DeadlineExceeded, true},
		{nil, false},
	} {
		if got := hostFailure(tc.err); got != tc.want {
			t.Errorf("hostFailure(%v) = %v", tc.err, got)
		}
	}
}

// The queue keeps one entry per session (a recompaction replaces the waiting one) and at most
// Queue per project; a session that references nothing is not queued.
func TestEnqueue(t *testing.T) {
	a := New(nil, nil, nil, slog.New(slog.DiscardHandler), Options{Queue: 2})
	page := func(img string) [][]json.RawMessage {
		return [][]json.RawMessage{{json.RawMessage(`{"type":4,"timestamp":1,"data":{"href":"https://shop.example/","width":1,"height":1}}`),
			json.RawMessage(`{"type":2,"timestamp":2,"data":{"node":{"type":0,"id":1,"childNodes":[{"type":2,"id":2,"tagName":"img","attributes":{"src":"` + img + `"},"childNodes":[]}]}}}`)}}
	}
	s := func(id, project string) store.Session { return store.Session{ID: id, ProjectID: project} }
	a.Enqueue(s("s1", "p"), page("https://cdn.example/1.png"))
	a.Enqueue(s("s1", "p"), page("https://cdn.example/1b.png"))
	a.Enqueue(s("s2", "p"), page("https://cdn.example/2.png"))
	a.Enqueue(s("s3", "p"), page("https://cdn.example/3.png")) // over the project's queue
	a.Enqueue(s("s4", "q"), page("https://cdn.example/4.png"))
	a.Enqueue(s("s5", "q"), [][]json.RawMessage{{json.RawMessage(`not json`)}, {json.RawMessage(`{"type":2}`)}})
	q := a.queue
	if q.pending != 3 || len(q.waiting["p"]) != 2 || len(q.waiting["q"]) != 1 || fmt.Sprint(q.turn) != "[p q]" {
		t.Fatalf("queue = %d pending, %v, turn %v", q.pending, q.waiting, q.turn)
	}
	if got := q.waiting["p"][0].found.refs[kindImage][0].url; got != "https://cdn.example/1b.png" {
		t.Fatalf("the recompacted session kept its older references: %s", got)
	}
	// Workers take the projects in turn.
	ctx := context.Background()
	var order []string
	for range 3 {
		j := a.next(ctx)
		order = append(order, j.sess.ID)
		a.finished(j)
	}
	if fmt.Sprint(order) != "[s1 s4 s2]" {
		t.Fatalf("order = %v", order)
	}
	if err := a.Wait(ctx); err != nil || q.pending != 0 {
		t.Fatalf("Wait = %v with %d pending", err, q.pending)
	}
}

// A recording naming thousands of URLs waits holding twice the session's resource limit of them,
// stylesheets first, and copies of them, not the text they were found in.
func TestEnqueueKeepsABoundedCopy(t *testing.T) {
	lim := DefaultLimits
	lim.Resources = 5
	a := New(nil, nil, nil, slog.New(slog.DiscardHandler), Options{Limits: lim})
	css := ""
	for i := range 1000 {
		css += fmt.Sprintf(".c%d{background:url(https://cdn.example/bg%d.png)} ", i, i)
	}
	sheet, _ := json.Marshal(css)
	tabs := [][]json.RawMessage{{json.RawMessage(`{"type":2,"timestamp":2,"data":{"node":{"type":0,"id":1,"childNodes":[` +
		`{"type":2,"id":2,"tagName":"link","attributes":{"rel":"stylesheet","href":"https://cdn.example/a.css"},"childNodes":[]},` +
		`{"type":2,"id":3,"tagName":"style","attributes":{"_cssText":` + string(sheet) + `},"childNodes":[]}]}}}`)}}
	a.Enqueue(store.Session{ID: "s1", ProjectID: "p"}, tabs)
	f := a.queue.waiting["p"][0].found
	if len(f.refs[kindStylesheet]) != 1 || len(f.refs[kindResource]) != 9 || len(f.refs[kindImage]) != 0 {
		t.Fatalf("kept %d sheets, %d resources, %d images", len(f.refs[kindStylesheet]), len(f.refs[kindResource]), len(f.refs[kindImage]))
	}
}

func TestHostMemoryIsBounded(t *testing.T) {
	h := newHosts(2, time.Hour)
	now := time.Now()
	for i := range maxDown + 50 {
		h.failed("p", fmt.Sprintf("h%d.example", i), now)
	}
	if len(h.down) > maxDown || !h.isDown("p", fmt.Sprintf("h%d.example", maxDown+49), now) {
		t.Fatalf("%d hosts remembered, or the latest forgotten", len(h.down))
	}
}
