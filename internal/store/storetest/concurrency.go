package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/reelhq/reel/internal/store"
)

// RunConcurrency runs the cases where several callers (goroutines here, nodes in scale-out) use
// one index at once. They use only the public interface, so on a backend whose writers do not
// queue behind one connection (PostgreSQL under READ COMMITTED) they are real races; on SQLite
// they prove the answers are the same whatever order the single writer takes the calls in.
// Each case runs a few rounds, as one interleaving proves little.
func RunConcurrency(t *testing.T, open func(t *testing.T) store.Index) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Index)
	}{
		{"WritersOnOneSession", testWritersOnOneSession},
		{"GroupsInOppositeOrder", testGroupsInOppositeOrder},
		{"ErasureRacingCompaction", testErasureRacingCompaction},
		{"TwoSweeps", testTwoSweeps},
		{"EnsureSetting", testConcurrentEnsureSetting},
		{"MarkFired", testConcurrentMarkFired},
		{"ConsumeInvite", testConcurrentConsumeInvite},
		{"LastOwner", testConcurrentLastOwner},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() { s.Close() })
			tc.fn(t, s)
		})
	}
}

// together runs fns at once, each in its own goroutine, released by one signal so they start
// as close together as the scheduler allows, and waits for all.
func together(fns ...func()) {
	var wg sync.WaitGroup
	start := make(chan struct{})
	for _, fn := range fns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			fn()
		}()
	}
	close(start)
	wg.Wait()
}

// testWritersOnOneSession: two writers append to one session at once, each its own tab, alone
// and in groups, and both send the same batches of a third tab; every acknowledged batch is
// stored once, each repeated one acknowledged exactly once, and the session's counts add up.
func testWritersOnOneSession(t *testing.T, s store.Index) {
	ctx := context.Background()
	mustProject(t, s, "p")
	const perWriter, shared = 20, 6
	type result struct {
		tab string
		seq int64
		err error
	}
	var mu sync.Mutex
	var results []result
	writer := func(tab string) func() {
		return func() {
			var mine []result
			for seq := int64(0); seq < perWriter; seq += 2 {
				// Alone, then a group of the next batch and one of the shared tab.
				b := batch("p", "s", tab, seq, t0.Add(time.Duration(seq)*time.Second), 3)
				mine = append(mine, result{tab, seq, s.AppendBatch(ctx, b)})
				group := []store.Batch{batch("p", "s", tab, seq+1, t0.Add(time.Duration(seq+1)*time.Second), 3)}
				if seq/2 < shared {
					group = append(group, batch("p", "s", "shared", seq/2, t0.Add(time.Duration(seq)*time.Second), 3))
				}
				for i, err := range s.AppendBatches(ctx, group) {
					mine = append(mine, result{group[i].Chunk.Tab, group[i].Chunk.Seq, err})
				}
			}
			mu.Lock()
			results = append(results, mine...)
			mu.Unlock()
		}
	}
	together(writer("a"), writer("b"))

	acked := map[string]int{}
	for _, r := range results {
		key := fmt.Sprintf("%s/%d", r.tab, r.seq)
		switch {
		case r.err == nil:
			acked[key]++
		case errors.Is(r.err, store.ErrDuplicate) && r.tab == "shared":
		default:
			t.Fatalf("batch %s: %v", key, r.err)
		}
	}
	for key, n := range acked {
		if n != 1 {
			t.Fatalf("batch %s acknowledged as new %d times", key, n)
		}
	}
	if want := 2*perWriter + shared; len(acked) != want {
		t.Fatalf("%d batches acknowledged; want %d", len(acked), want)
	}
	chunks, err := s.Chunks(ctx, "s")
	if err != nil {
		t.Fatal(err)
	}
	if len(chunks) != len(acked) {
		t.Fatalf("%d chunks stored for %d acknowledged batches", len(chunks), len(acked))
	}
	for _, c := range chunks {
		if acked[fmt.Sprintf("%s/%d", c.Tab, c.Seq)] != 1 {
			t.Fatalf("chunk %s/%d stored but not acknowledged", c.Tab, c.Seq)
		}
	}
	got, err := s.GetSession(ctx, "s")
	if err != nil {
		t.Fatal(err)
	}
	if got.Events != 3*len(acked) || got.Clicks != len(acked) || got.Tabs != 3 {
		t.Fatalf("session counts: events %d clicks %d tabs %d; want %d, %d, 3", got.Events, got.Clicks, got.Tabs, 3*len(acked), len(acked))
	}
}

// testGroupsInOppositeOrder: two group commits naming the same sessions in opposite orders
// both commit. A backend that locks session rows must take them in one order (by id) whatever
// order the group has, or these two wait for each other.
func testGroupsInOppositeOrder(t *testing.T, s store.Index) {
	ctx := context.Background()
	mustProject(t, s, "p")
	sessions := []string{"s1", "s2", "s3", "s4"}
	mustAppend(t, s, batch("p", "s1", "t", 0, t0, 1), batch("p", "s2", "t", 0, t0, 1), batch("p", "s3", "t", 0, t0, 1), batch("p", "s4", "t", 0, t0, 1))
	for round := int64(1); round <= 5; round++ {
		var forward, backward []store.Batch
		for i, id := range sessions {
			forward = append(forward, batch("p", id, "a", round, t0.Add(time.Duration(round)*time.Second), 1))
			backward = append(backward, batch("p", sessions[len(sessions)-1-i], "b", round, t0.Add(time.Duration(round)*time.Second), 1))
		}
		var errsF, errsB []error
		together(func() { errsF = s.AppendBatches(ctx, forward) }, func() { errsB = s.AppendBatches(ctx, backward) })
		for i, err := range append(errsF, errsB...) {
			if err != nil {
				t.Fatalf("round %d: batch %d: %v", round, i, err)
			}
		}
	}
	for _, id := range sessions {
		if ch, _ := s.Chunks(ctx, id); len(ch) != 11 {
			t.Fatalf("session %s has %d chunks; want 11", id, len(ch))
		}
	}
}

// testErasureRacingCompaction: sessions x and y were ingested together (pack P); y also shares
// pack Q with z. Erasing x races compacting y; in the next round erasing x and y races
// compacting y. Whatever the order, P is handed back for deletion exactly once, by whichever
// call removed its last reference, Q never while z reads it, and y's new segment blob is
// handed back by the erasure exactly when the compaction committed (else the worker deletes
// it itself). This is the race that, decided by "does any row still name P?" under READ
// COMMITTED, leaves P holding x's bytes, referenced by nothing and deleted by nobody.
func testErasureRacingCompaction(t *testing.T, s store.Index) {
	ctx := context.Background()
	mustProject(t, s, "p")
	const rounds = 12
	for round := range rounds {
		eraseY := round%2 == 1
		x, y, z := fmt.Sprintf("x%d", round), fmt.Sprintf("y%d", round), fmt.Sprintf("z%d", round)
		P, Q, yc := fmt.Sprintf("P%d", round), fmt.Sprintf("Q%d", round), fmt.Sprintf("%s-compact", y)
		in := func(b store.Batch, key string, off int64) store.Batch {
			b.Chunk.BlobKey, b.Chunk.BlobOffset, b.Chunk.BlobLength = key, off, 10
			return b
		}
		for _, g := range [][]store.Batch{
			{in(batch("p", x, "t", 0, t0, 1), P, 0), in(batch("p", y, "t", 0, t0, 1), P, 10)},
			{in(batch("p", y, "t", 1, t0.Add(time.Second), 1), Q, 0), in(batch("p", z, "t", 0, t0, 1), Q, 10)},
		} {
			for i, err := range s.AppendBatches(ctx, g) {
				if err != nil {
					t.Fatalf("round %d: AppendBatches[%d]: %v", round, i, err)
				}
			}
		}
		erase := []string{x}
		if eraseY {
			erase = append(erase, y)
		}
		var freedByErasure, freedByCompaction []string
		var errErasure, errCompaction error
		together(
			func() { freedByErasure, errErasure = s.DeleteSessions(ctx, erase) },
			func() { freedByCompaction, errCompaction = tryCompactAll(s, y, yc, time.Minute) },
		)
		if errErasure != nil {
			t.Fatalf("round %d: DeleteSessions: %v", round, errErasure)
		}
		if errCompaction != nil && !eraseY {
			t.Fatalf("round %d: compacting y while only x is erased: %v", round, errCompaction)
		}
		count := map[string]int{}
		for _, k := range append(freedByErasure, freedByCompaction...) {
			count[k]++
		}
		if count[P] != 1 {
			t.Fatalf("round %d (erase %v): P handed back %d times (erasure %v, compaction %v); want exactly once",
				round, erase, count[P], freedByErasure, freedByCompaction)
		}
		if count[Q] != 0 {
			t.Fatalf("round %d: Q handed back while z still reads it (erasure %v, compaction %v)", round, freedByErasure, freedByCompaction)
		}
		wantYC := 0
		if eraseY && errCompaction == nil {
			wantYC = 1 // committed, then erased: the erasure frees y's new blob
		}
		if count[yc] != wantYC {
			t.Fatalf("round %d: y's segment blob handed back %d times (compaction error %v); want %d", round, count[yc], errCompaction, wantYC)
		}
		// Once z goes too, Q is free, and handed back once.
		if freed, err := s.DeleteSessions(ctx, []string{z}); err != nil || fmt.Sprint(freed) != "["+Q+"]" {
			t.Fatalf("round %d: deleting z freed %v, %v; want [%s]", round, freed, err, Q)
		}
	}
}

// testTwoSweeps: two sweeps at once delete each unreachable item once between them, and
// report only what they deleted, so no item is counted (or its blob deleted) twice.
func testTwoSweeps(t *testing.T, s store.Index) {
	ctx := context.Background()
	mustProject(t, s, "p")
	for round := range 4 {
		var refs []store.ContentRef
		for i := range 24 {
			h := fmt.Sprintf("%02x%062x", round, i)
			refs = append(refs, store.ContentRef{Hash: h, Size: 2000, Stored: 100, Root: i%3 == 0})
			if i%3 != 0 {
				refs[len(refs)-1-i%3].Children = append(refs[len(refs)-1-i%3].Children, h)
			}
		}
		id := fmt.Sprintf("gone%d", round)
		b := batch("p", id, "t", 0, t0, 1)
		b.Content = refs
		keep := batch("p", fmt.Sprintf("keep%d", round), "t", 0, t0, 1)
		keep.Content = refs[:3] // the first root and its two children
		mustAppend(t, s, b, keep)
		if _, err := s.DeleteSessions(ctx, []string{id}); err != nil {
			t.Fatal(err)
		}
		var a, c []store.ContentKey
		var errA, errC error
		before := time.Now().Add(time.Minute)
		together(func() { a, errA = s.SweepContent(ctx, before) }, func() { c, errC = s.SweepContent(ctx, before) })
		if errA != nil || errC != nil {
			t.Fatalf("round %d: SweepContent: %v, %v", round, errA, errC)
		}
		seen := map[string]int{}
		for _, k := range append(a, c...) {
			seen[k.Hash]++
			if seen[k.Hash] > 1 {
				t.Fatalf("round %d: %s swept twice", round, k.Hash)
			}
		}
		if len(seen) != 21 {
			t.Fatalf("round %d: %d items swept (%d + %d); want 21", round, len(seen), len(a), len(c))
		}
		for _, r := range refs[:3] {
			if seen[r.Hash] != 0 {
				t.Fatalf("round %d: %s swept while a session reaches it", round, r.Hash)
			}
		}
	}
}

// testConcurrentEnsureSetting: nodes starting together each offer a share-link key; all of
// them end up with the same one.
func testConcurrentEnsureSetting(t *testing.T, s store.Index) {
	ctx := context.Background()
	for round := range 4 {
		name := fmt.Sprintf("share.key.%d", round)
		got := make([]string, 6)
		errs := make([]error, len(got))
		var fns []func()
		for i := range got {
			fns = append(fns, func() { got[i], errs[i] = s.EnsureSetting(ctx, name, fmt.Sprintf("key-%d", i)) })
		}
		together(fns...)
		for i := range got {
			if errs[i] != nil {
				t.Fatalf("EnsureSetting %d: %v", i, errs[i])
			}
			if got[i] != got[0] {
				t.Fatalf("round %d: nodes got %v; want one key for all", round, got)
			}
		}
	}
}

// testConcurrentMarkFired: every node evaluates every rule; when several see it cross its
// threshold at once, exactly one of them may post.
func testConcurrentMarkFired(t *testing.T, s store.Index) {
	ctx := context.Background()
	mustProject(t, s, "p")
	r := mustAlert(t, s, store.AlertRule{ProjectID: "p", Name: "rage", Kind: "rage_click", Threshold: 1, Window: time.Hour, Webhook: "https://hooks.example", CreatedAt: t0})
	for round := range 5 {
		at := t0.Add(time.Duration(round) * 2 * time.Hour)
		won := make([]bool, 6)
		errs := make([]error, len(won))
		var fns []func()
		for i := range won {
			fns = append(fns, func() { won[i], errs[i] = s.MarkFired(ctx, r.ID, at, at.Add(-r.Window)) })
		}
		together(fns...)
		n := 0
		for i, ok := range won {
			if errs[i] != nil {
				t.Fatalf("MarkFired: %v", errs[i])
			}
			if ok {
				n++
			}
		}
		if n != 1 {
			t.Fatalf("round %d: %d nodes won the firing; want exactly 1", round, n)
		}
	}
}
