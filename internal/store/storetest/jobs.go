package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/reelhq/reel/internal/store"
)

// RunJobs runs the contract of what lets several nodes share background work: TryJob, which
// lets one caller per interval run a job, and ReferencedBlobs, which the orphan sweep asks.
func RunJobs(t *testing.T, open func(t *testing.T) store.Index) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Index)
	}{
		{"OneWinnerAtOnce", testJobOneWinner},
		{"AgainAfterInterval", testJobAgain},
		{"NamesApart", testJobNames},
		{"BadArguments", testJobBadArguments},
		{"ReferencedBlobs", testReferencedBlobs},
		{"Clock", testClock},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() { s.Close() })
			tc.fn(t, s)
		})
	}
}

// testClock: the database's clock is the one the machine running the tests keeps (database and
// tests share a host here), and it moves forward.
func testClock(t *testing.T, s store.Index) {
	ctx := context.Background()
	a, err := s.Clock(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if d := time.Since(a); d < -time.Minute || d > time.Minute {
		t.Fatalf("Clock = %v, %v from this machine's clock", a, d)
	}
	time.Sleep(5 * time.Millisecond)
	if b, err := s.Clock(ctx); err != nil || !b.After(a) {
		t.Fatalf("Clock went from %v to %v (%v)", a, b, err)
	}
}

// race calls TryJob from n goroutines released together and returns how many won.
func race(t *testing.T, s store.Index, n int, name string, every time.Duration) int {
	t.Helper()
	var wg sync.WaitGroup
	var mu sync.Mutex
	won := 0
	start := make(chan struct{})
	for range n {
		wg.Go(func() {
			<-start
			ok, err := s.TryJob(context.Background(), name, every)
			if err != nil {
				t.Errorf("TryJob(%s): %v", name, err)
				return
			}
			if ok {
				mu.Lock()
				won++
				mu.Unlock()
			}
		})
	}
	close(start)
	wg.Wait()
	return won
}

// testJobOneWinner: callers racing for a job nobody ran yet (the row's insert races too) and
// then for one that ran just now: one wins the first race, none the second.
func testJobOneWinner(t *testing.T, s store.Index) {
	if won := race(t, s, 8, "retention", time.Hour); won != 1 {
		t.Fatalf("8 callers at once on a new job: %d won, want 1", won)
	}
	if won := race(t, s, 8, "retention", time.Hour); won != 0 {
		t.Fatalf("8 callers within the interval: %d won, want 0", won)
	}
}

// testJobAgain: once the interval has passed on the database's clock, exactly one caller wins
// again. TryJob takes no time from its caller, so no node's clock enters the decision: a node
// whose clock is off by ten minutes asks the same question and gets the same answer.
func testJobAgain(t *testing.T, s store.Index) {
	ctx := context.Background()
	// Long enough that the six callers' race ends within it even on a loaded machine: a race
	// that outlasts the interval has a second rightful winner.
	every := 2 * time.Second
	if ok, err := s.TryJob(ctx, "sweep", every); err != nil || !ok {
		t.Fatalf("first TryJob = %v, %v; want true", ok, err)
	}
	if ok, err := s.TryJob(ctx, "sweep", every); err != nil || ok {
		t.Fatalf("TryJob at once again = %v, %v; want false", ok, err)
	}
	time.Sleep(every + 300*time.Millisecond)
	if won := race(t, s, 6, "sweep", every); won != 1 {
		t.Fatalf("6 callers after the interval: %d won, want 1", won)
	}
	// A longer interval asked of the same job is measured from the same last run.
	if ok, err := s.TryJob(ctx, "sweep", time.Hour); err != nil || ok {
		t.Fatalf("TryJob with a longer interval right after a run = %v, %v; want false", ok, err)
	}
}

// testJobNames: each job name has its own schedule.
func testJobNames(t *testing.T, s store.Index) {
	ctx := context.Background()
	for _, name := range []string{"retention", "orphans", "alerts", "optimize"} {
		if ok, err := s.TryJob(ctx, name, time.Hour); err != nil || !ok {
			t.Fatalf("TryJob(%s) = %v, %v; want true", name, ok, err)
		}
	}
	if ok, err := s.TryJob(ctx, "alerts", time.Hour); err != nil || ok {
		t.Fatalf("TryJob(alerts) again = %v, %v; want false", ok, err)
	}
}

func testJobBadArguments(t *testing.T, s store.Index) {
	ctx := context.Background()
	for _, tc := range []struct {
		name  string
		every time.Duration
	}{{"", time.Hour}, {"x", 0}, {"x", -time.Second}} {
		if ok, err := s.TryJob(ctx, tc.name, tc.every); err == nil || ok {
			t.Errorf("TryJob(%q, %s) = %v, %v; want an error", tc.name, tc.every, ok, err)
		}
	}
}

// testReferencedBlobs: a pack is referenced while a chunk row points into it, a session's
// compacted object while its segments do, and neither once the session is deleted.
func testReferencedBlobs(t *testing.T, s store.Index) {
	ctx := context.Background()
	mustProject(t, s, "p")
	a := batch("p", "a", "t", 0, t0, 3)
	b := batch("p", "b", "t", 0, t0, 3)
	b.Chunk.BlobKey = a.Chunk.BlobKey // one pack holding both
	for _, x := range []store.Batch{a, b} {
		if err := s.AppendBatch(ctx, x); err != nil {
			t.Fatal(err)
		}
	}
	pack, compacted, never := a.Chunk.BlobKey, "sessions/p/00/b.compact.1.zst", "chunks/2026-11-27/never.pack.zst"
	check := func(step string, want map[string]bool) {
		t.Helper()
		got, err := s.ReferencedBlobs(ctx, []string{pack, compacted, never})
		if err != nil {
			t.Fatalf("%s: ReferencedBlobs: %v", step, err)
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Fatalf("%s: ReferencedBlobs = %v, want %v", step, got, want)
		}
	}
	check("ingested", map[string]bool{pack: true})
	if got, err := s.ReferencedBlobs(ctx, nil); err != nil || len(got) != 0 {
		t.Fatalf("ReferencedBlobs(nil) = %v, %v", got, err)
	}

	if ok, err := s.ClaimSession(ctx, "b", time.Minute); err != nil || !ok {
		t.Fatalf("ClaimSession = %v, %v", ok, err)
	}
	chunks, err := s.Chunks(ctx, "b")
	if err != nil {
		t.Fatal(err)
	}
	seg := store.Segment{SessionID: "b", Tab: "t", FirstAt: t0, LastAt: t0.Add(time.Second), BlobKey: compacted, Length: 10, Events: 3, RawBytes: 300}
	if _, err := s.CommitCompaction(ctx, store.Compaction{SessionID: "b", Chunks: chunks, Segments: []store.Segment{seg}, At: time.Now()}); err != nil {
		t.Fatal(err)
	}
	check("b compacted", map[string]bool{pack: true, compacted: true})
	if _, err := s.DeleteSessions(ctx, []string{"a", "b"}); err != nil {
		t.Fatal(err)
	}
	check("deleted", map[string]bool{})
}
