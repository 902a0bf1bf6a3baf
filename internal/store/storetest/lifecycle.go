package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/reelhq/reel/internal/search"
	"github.com/reelhq/reel/internal/store"
)

// RunLifecycle runs the contract of what ends data: retention, erasure of a user, the blobs a
// deletion frees, the content sweep, and the content numbering compaction relies on; with the
// settings share links keep their key in, and the maintenance after deletions.
func RunLifecycle(t *testing.T, open func(t *testing.T) store.Index) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Index)
	}{
		{"Retention", testRetention},
		{"Erasure", testErasure},
		{"EveryUserID", testEveryUserID},
		{"SharedPacks", testSharedPacks},
		{"ContentNumbers", testContentNumbers},
		{"Sweep", testSweep},
		{"SweptBeforeCommit", testSweptBeforeCommit},
		{"ShareLinkKey", testShareLinkKey},
		{"StaleLease", testStaleLease},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() { s.Close() })
			tc.fn(t, s)
		})
	}
}

// hashOf is a content hash made of one repeated hex digit.
func hashOf(c byte) string { return strings.Repeat(string(c), 64) }

func sorted(xs []string) string {
	xs = slices.Clone(xs)
	slices.Sort(xs)
	return fmt.Sprint(xs)
}

// testRetention: a session expires retention_days after the server last received a batch of
// it, whatever times its events carry: a visitor's clock may be years off either way, and must
// neither keep a session past its project's retention nor end it early. A project keeping
// sessions forever expires none.
func testRetention(t *testing.T, s store.Index) {
	ctx := context.Background()
	day := 24 * time.Hour
	week := mustProject(t, s, "week")
	week.RetentionDays = 7
	if err := s.UpdateProject(ctx, week); err != nil {
		t.Fatal(err)
	}
	mustProject(t, s, "forever")
	now := time.Now()
	mustAppend(t, s,
		batch("week", "behind", "t", 0, now.Add(-1000*day), 1),
		batch("week", "ahead", "t", 0, now.Add(400*day), 1),
		batch("week", "honest", "t", 0, now.Add(-time.Minute), 1),
		batch("forever", "ancient", "t", 0, now.Add(-1000*day), 1),
	)
	// Sessions received before this index knew when (last_batch_at 0) go by the time their row
	// was last written; one received ten days ago is past the week.
	for _, r := range []store.SessionRecord{
		{Session: store.Session{ID: "idle", ProjectID: "week", StartedAt: now.Add(time.Hour), EndedAt: now.Add(time.Hour), UpdatedAt: now.Add(-10 * day)}, LastBatchAt: now.Add(-10 * day)},
		{Session: store.Session{ID: "legacy", ProjectID: "week", StartedAt: now.Add(time.Hour), EndedAt: now.Add(time.Hour), UpdatedAt: now.Add(-9 * day)}},
	} {
		if err := s.Import(ctx, []store.Record{{Session: &r}}); err != nil {
			t.Fatalf("Import %s: %v", r.Session.ID, err)
		}
	}
	got, err := s.ExpiredSessions(ctx, now, 10)
	if err != nil || sorted(got) != "[idle legacy]" {
		t.Fatalf("ExpiredSessions now = %v, %v; want [idle legacy] (received more than a week ago, events timed in the future)", got, err)
	}
	if got, err := s.ExpiredSessions(ctx, now, 1); err != nil || len(got) != 1 {
		t.Fatalf("ExpiredSessions with limit 1 = %v, %v", got, err)
	}
	if got, _ := s.ExpiredSessions(ctx, now.Add(6*day), 10); sorted(got) != "[idle legacy]" {
		t.Fatalf("ExpiredSessions in six days = %v; want [idle legacy] (a clock years behind ends nothing early)", got)
	}
	// A session's latest batch counts: one more batch keeps idle another week.
	mustAppend(t, s, batch("week", "idle", "t", 1, now.Add(-10*day), 1))
	if got, _ := s.ExpiredSessions(ctx, now, 10); fmt.Sprint(got) != "[legacy]" {
		t.Fatalf("ExpiredSessions after idle went on = %v; want [legacy]", got)
	}
	if _, err := s.DeleteSessions(ctx, []string{"legacy"}); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.ExpiredSessions(ctx, now, 10); len(got) != 0 {
		t.Fatalf("ExpiredSessions after deleting = %v", got)
	}
	// Statistics are refreshed after a retention pass; it changes no answer.
	if err := s.Optimize(ctx); err != nil {
		t.Fatalf("Optimize: %v", err)
	}
	if got, _ := s.ExpiredSessions(ctx, now.Add(8*day), 10); sorted(got) != "[ahead behind honest idle]" {
		t.Fatalf("ExpiredSessions in eight days = %v; want [ahead behind honest idle] (a clock 400 days ahead keeps nothing longer)", got)
	}
}

// testErasure: every session identified as the user, in that project only, goes with all that
// is indexed under it: chunks, segments, pages, findings, heatmap data, pins.
func testErasure(t *testing.T, s store.Index) {
	ctx := context.Background()
	mustProject(t, s, "p")
	mustProject(t, s, "q")
	b1 := batch("p", "u1", "t", 0, t0, 2, "https://shop.example/cart")
	b1.UserID = "mallory"
	b2 := batch("p", "u2", "t", 0, t0.Add(time.Hour), 2, "https://shop.example/cart")
	b2.UserID = "mallory"
	other := batch("p", "o", "t", 0, t0, 2, "https://shop.example/cart")
	other.UserID = "trent"
	elsewhere := batch("q", "e", "t", 0, t0, 2)
	elsewhere.UserID = "mallory"
	mustAppend(t, s, b1, b2, other, elsewhere, batch("p", "anon", "t", 0, t0, 1))

	if got, err := s.SessionsOfUser(ctx, "p", "mallory"); err != nil || sorted(got) != "[u1 u2]" {
		t.Fatalf("SessionsOfUser = %v, %v", got, err)
	}
	if got, err := s.SessionsOfUser(ctx, "p", ""); err != nil || len(got) != 0 {
		t.Fatalf("SessionsOfUser of the empty id = %v, %v; an anonymous session belongs to nobody", got, err)
	}
	for _, id := range []string{"u1", "o"} {
		if err := s.SaveAnalysis(ctx, store.Analysis{SessionID: id, At: t0, Counts: map[string]int{"rage_click": 1},
			Signals: []store.StoredSignal{signal("rage_click", "fp", t0.Add(time.Second))}}); err != nil {
			t.Fatal(err)
		}
		if err := s.SaveHeat(ctx, store.Heat{SessionID: id, Device: "desktop", Clicks: []store.HeatClick{{Tab: "t", At: t0, Path: "/cart", Selector: "#pay", X: 0.5, Y: 0.5, W: 100, H: 20, PageX: 10, PageY: 10}}}); err != nil {
			t.Fatalf("SaveHeat: %v", err)
		}
	}
	// u1 is compacted, so its pack is freed and it has a segment blob instead.
	if freed := compactAll(t, s, "u1", "u1-compact"); fmt.Sprint(freed) != "["+b1.Chunk.BlobKey+"]" {
		t.Fatalf("compacting u1 freed %v; want its pack", freed)
	}
	pl, err := s.CreatePlaylist(ctx, store.Playlist{ProjectID: "p", Name: "watch", OwnerID: 1, CreatedAt: t0, UpdatedAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.PinSession(ctx, pl.ID, store.Pin{Session: store.Session{ID: "u2"}, AddedAt: t0, AddedBy: 1}); err != nil {
		t.Fatal(err)
	}

	ids, _ := s.SessionsOfUser(ctx, "p", "mallory")
	keys, err := s.DeleteSessions(ctx, ids)
	if err != nil {
		t.Fatalf("DeleteSessions: %v", err)
	}
	if want := sorted([]string{b2.Chunk.BlobKey, "u1-compact"}); sorted(keys) != want {
		t.Fatalf("DeleteSessions freed %v; want %s", keys, want)
	}
	for _, id := range ids {
		if _, err := s.GetSession(ctx, id); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("GetSession(%s) after erasure = %v; want ErrNotFound", id, err)
		}
		if ch, err := s.Chunks(ctx, id); err != nil || len(ch) != 0 {
			t.Fatalf("Chunks(%s) after erasure = %v, %v", id, ch, err)
		}
		if sg, err := s.Segments(ctx, id); err != nil || len(sg) != 0 {
			t.Fatalf("Segments(%s) after erasure = %v, %v", id, sg, err)
		}
		if has, err := s.HasChunk(ctx, "p", id, "t", 0); has || err != nil {
			t.Fatalf("HasChunk(%s) after erasure = %v, %v", id, has, err)
		}
	}
	if got, _ := s.SessionsOfUser(ctx, "q", "mallory"); fmt.Sprint(got) != "[e]" {
		t.Fatalf("the user's session in another project = %v; erasure is per project", got)
	}
	issues, err := s.Issues(ctx, store.IssueQuery{ProjectID: "p", Since: t0, Until: t0.Add(time.Hour), Limit: 10})
	if err != nil || len(issues) != 1 || issues[0].Sessions != 1 || issues[0].Samples[0].SessionID != "o" {
		t.Fatalf("Issues after erasure = %+v, %v; want only o's", issues, err)
	}
	hm, err := s.Heatmap(ctx, store.HeatmapQuery{ProjectID: "p", Page: "/cart", From: t0.Add(-time.Hour), To: t0.Add(time.Hour), Bins: 4})
	if err != nil || hm.Clicks != 1 || hm.Sessions != 1 {
		t.Fatalf("Heatmap after erasure = %+v, %v; want only o's click", hm, err)
	}
	if pins, err := s.Pins(ctx, pl.ID); err != nil || len(pins) != 0 {
		t.Fatalf("Pins after erasure = %+v, %v", pins, err)
	}
	if page, err := s.ListSessions(ctx, store.ListQuery{ProjectID: "p", Limit: 10}); err != nil || len(page.Sessions) != 2 {
		t.Fatalf("ListSessions after erasure = %+v, %v; want o and anon", page.Sessions, err)
	}
	// Deleting again, or nothing, frees nothing.
	if keys, err := s.DeleteSessions(ctx, ids); err != nil || len(keys) != 0 {
		t.Fatalf("DeleteSessions again = %v, %v", keys, err)
	}
	if keys, err := s.DeleteSessions(ctx, nil); err != nil || len(keys) != 0 {
		t.Fatalf("DeleteSessions(nil) = %v, %v", keys, err)
	}
	// Erasure ends with the deleted rows made unreadable on disk.
	if err := s.Checkpoint(ctx); err != nil {
		t.Fatalf("Checkpoint: %v", err)
	}
}

// compactAll compacts every uncompacted chunk of a session into one segment in blob key, as a
// compaction worker would, and returns the blob keys the commit freed.
func compactAll(t *testing.T, s store.Index, id, key string, content ...store.ContentRef) []string {
	t.Helper()
	freed, err := tryCompactAll(s, id, key, time.Minute, content...)
	if err != nil {
		t.Fatalf("compacting %s: %v", id, err)
	}
	return freed
}

// tryCompactAll is compactAll for goroutines, leasing the session for lease: it reports
// instead of failing.
func tryCompactAll(s store.Index, id, key string, lease time.Duration, content ...store.ContentRef) ([]string, error) {
	ctx := context.Background()
	ok, err := s.ClaimSession(ctx, id, lease)
	if err != nil {
		return nil, fmt.Errorf("ClaimSession: %w", err)
	}
	if !ok {
		return nil, errors.New("ClaimSession refused")
	}
	all, err := s.Chunks(ctx, id)
	if err != nil {
		return nil, err
	}
	var chunks []store.Chunk
	events := 0
	for _, ch := range all {
		if !ch.Compacted {
			chunks = append(chunks, ch)
			events += ch.Events
		}
	}
	seg := store.Segment{SessionID: id, Tab: "t", FirstAt: t0, LastAt: t0, BlobKey: key, Length: 10, Events: events}
	return s.CommitCompaction(ctx, store.Compaction{SessionID: id, Chunks: chunks, Segments: []store.Segment{seg}, Content: content, At: time.Now()})
}

// testSharedPacks: batches ingested together share a pack; a pack's key is handed back for
// deletion once, by the call that removed its last reference, and never while a session still
// reads from it.
func testSharedPacks(t *testing.T, s store.Index) {
	ctx := context.Background()
	mustProject(t, s, "p")
	inPack := func(b store.Batch, key string, off int64) store.Batch {
		b.Chunk.BlobKey, b.Chunk.BlobOffset, b.Chunk.BlobLength = key, off, 10
		return b
	}
	// pack1: a, b, c; pack2: a's second batch and d.
	group1 := []store.Batch{inPack(batch("p", "a", "t", 0, t0, 1), "pack1", 0), inPack(batch("p", "b", "t", 0, t0, 1), "pack1", 10), inPack(batch("p", "c", "t", 0, t0, 1), "pack1", 20)}
	group2 := []store.Batch{inPack(batch("p", "a", "t", 1, t0.Add(time.Second), 1), "pack2", 0), inPack(batch("p", "d", "t", 0, t0, 1), "pack2", 10)}
	for _, g := range [][]store.Batch{group1, group2} {
		for i, err := range s.AppendBatches(ctx, g) {
			if err != nil {
				t.Fatalf("AppendBatches[%d]: %v", i, err)
			}
		}
	}
	if got, err := s.SessionsSharingBlobs(ctx, []string{"a"}); err != nil || sorted(got) != "[b c d]" {
		t.Fatalf("SessionsSharingBlobs(a) = %v, %v", got, err)
	}
	if got, _ := s.SessionsSharingBlobs(ctx, []string{"a", "b"}); sorted(got) != "[c d]" {
		t.Fatalf("SessionsSharingBlobs(a, b) = %v; the sessions asked about are not others", got)
	}
	// Compacted chunks no longer read from their pack: c stops sharing it.
	if freed := compactAll(t, s, "c", "c-compact"); len(freed) != 0 {
		t.Fatalf("compacting c freed %v while a and b read pack1", freed)
	}
	if got, _ := s.SessionsSharingBlobs(ctx, []string{"a"}); sorted(got) != "[b d]" {
		t.Fatalf("SessionsSharingBlobs(a) after compacting c = %v", got)
	}
	if freed, err := s.DeleteSessions(ctx, []string{"b"}); err != nil || len(freed) != 0 {
		t.Fatalf("deleting b freed %v, %v; a still reads pack1", freed, err)
	}
	if freed := compactAll(t, s, "d", "d-compact"); len(freed) != 0 {
		t.Fatalf("compacting d freed %v; a still reads pack2", freed)
	}
	// a's compaction removes the last reference to both packs.
	if freed := compactAll(t, s, "a", "a-compact"); sorted(freed) != "[pack1 pack2]" {
		t.Fatalf("compacting a freed %v; want [pack1 pack2]", freed)
	}
	// Recompacting replaces a session's segment blob, which is then freed.
	mustAppend(t, s, batch("p", "a", "t", 2, t0.Add(2*time.Second), 1))
	late := batch("p", "a", "t", 2, t0, 1).Chunk.BlobKey
	if freed := compactAll(t, s, "a", "a-compact-2"); sorted(freed) != sorted([]string{"a-compact", late}) {
		t.Fatalf("recompacting a freed %v; want its old segment blob and the late batch's", freed)
	}
	if freed, err := s.DeleteSessions(ctx, []string{"a", "c", "d"}); err != nil || sorted(freed) != "[a-compact-2 c-compact d-compact]" {
		t.Fatalf("deleting the rest freed %v, %v", freed, err)
	}
}

// testContentNumbers: content items are numbered per project once stored, and the numbers read
// back as hashes within their project only.
func testContentNumbers(t *testing.T, s store.Index) {
	ctx := context.Background()
	mustProject(t, s, "p")
	mustProject(t, s, "q")
	refs := []store.ContentRef{{Hash: hashOf('a'), Size: 2000, Stored: 300, Root: true, Children: []string{hashOf('b')}}, {Hash: hashOf('b'), Size: 1500, Stored: 200}}
	ids, err := s.NumberContent(ctx, "p", refs, t0)
	if err != nil || len(ids) != 2 || ids[hashOf('a')] == 0 || ids[hashOf('b')] == 0 || ids[hashOf('a')] == ids[hashOf('b')] {
		t.Fatalf("NumberContent = %v, %v", ids, err)
	}
	again, err := s.NumberContent(ctx, "p", refs[:1], t0.Add(time.Minute))
	if err != nil || again[hashOf('a')] != ids[hashOf('a')] {
		t.Fatalf("numbering an item again = %v, %v; want its number %d", again, err, ids[hashOf('a')])
	}
	inQ, err := s.NumberContent(ctx, "q", refs[:1], t0)
	if err != nil || inQ[hashOf('a')] == 0 {
		t.Fatalf("NumberContent in q = %v, %v", inQ, err)
	}
	missing, err := s.MissingContent(ctx, "p", []string{hashOf('a'), hashOf('c'), hashOf('b')})
	if err != nil || fmt.Sprint(missing) != "["+hashOf('c')+"]" {
		t.Fatalf("MissingContent = %v, %v", missing, err)
	}
	if missing, _ := s.MissingContent(ctx, "q", []string{hashOf('b')}); len(missing) != 1 {
		t.Fatalf("MissingContent in q = %v; p's items are not q's", missing)
	}
	hashes, err := s.ContentHashes(ctx, "p", []int64{ids[hashOf('a')], ids[hashOf('b')], inQ[hashOf('a')], 999999})
	if err != nil {
		t.Fatal(err)
	}
	want := map[int64]string{ids[hashOf('a')]: hashOf('a'), ids[hashOf('b')]: hashOf('b')}
	if inQ[hashOf('a')] == ids[hashOf('a')] {
		t.Fatalf("two projects' items share number %d", inQ[hashOf('a')])
	}
	if fmt.Sprint(hashes) != fmt.Sprint(want) {
		t.Fatalf("ContentHashes = %v; want %v (another project's number and an unknown one left out)", hashes, want)
	}
	if _, err := s.NumberContent(ctx, "p", []store.ContentRef{{Hash: "not-a-hash"}}, t0); err == nil {
		t.Fatal("NumberContent accepted a malformed hash")
	}
}

// testSweep: content no session reaches, directly or through a parent, is deleted once its
// grace period is over; what a session reaches, or what was touched since, stays.
func testSweep(t *testing.T, s store.Index) {
	ctx := context.Background()
	mustProject(t, s, "p")
	mustProject(t, s, "q")
	// keep: a root of session live, with child kid; drop: a root of session gone, with child
	// orphan and child shared (also kid's child); fresh: numbered but never referenced, touched
	// late.
	live := batch("p", "live", "t", 0, t0, 1)
	live.Content = []store.ContentRef{{Hash: hashOf('a'), Size: 2000, Stored: 100, Root: true, Children: []string{hashOf('b')}},
		{Hash: hashOf('b'), Size: 1500, Stored: 100, Children: []string{hashOf('e')}}, {Hash: hashOf('e'), Size: 1024, Stored: 90}}
	gone := batch("p", "gone", "t", 0, t0, 1)
	gone.Content = []store.ContentRef{{Hash: hashOf('c'), Size: 2000, Stored: 100, Root: true, Children: []string{hashOf('d'), hashOf('e')}},
		{Hash: hashOf('d'), Size: 1500, Stored: 100}, {Hash: hashOf('e'), Size: 1024, Stored: 90}}
	other := batch("q", "other", "t", 0, t0, 1)
	other.Content = []store.ContentRef{{Hash: hashOf('c'), Size: 2000, Stored: 100, Root: true}}
	mustAppend(t, s, live, gone, other)
	if _, err := s.NumberContent(ctx, "p", []store.ContentRef{{Hash: hashOf('f'), Size: 1024, Stored: 50}}, time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if gone, err := s.SweepContent(ctx, time.Now().Add(time.Minute)); err != nil || len(gone) != 0 {
		t.Fatalf("SweepContent while every item is reached = %v, %v", gone, err)
	}
	if _, err := s.DeleteSessions(ctx, []string{"gone"}); err != nil {
		t.Fatal(err)
	}
	swept, err := s.SweepContent(ctx, time.Now().Add(time.Minute))
	if err != nil {
		t.Fatalf("SweepContent: %v", err)
	}
	var got []string
	for _, k := range swept {
		got = append(got, k.ProjectID+"/"+k.Hash[:1])
	}
	if sorted(got) != "[p/c p/d]" {
		t.Fatalf("SweepContent = %v; want p's c and d (e is still live's, f in its grace period, q's c is q's)", got)
	}
	if missing, _ := s.MissingContent(ctx, "p", []string{hashOf('a'), hashOf('b'), hashOf('c'), hashOf('d'), hashOf('e'), hashOf('f')}); len(missing) != 2 {
		t.Fatalf("MissingContent after the sweep = %v; want c and d", missing)
	}
	// A second sweep finds nothing more; once the grace period is over f goes too.
	if again, err := s.SweepContent(ctx, time.Now().Add(time.Minute)); err != nil || len(again) != 0 {
		t.Fatalf("a second sweep = %v, %v", again, err)
	}
	if later, err := s.SweepContent(ctx, time.Now().Add(2*time.Hour)); err != nil || len(later) != 1 || later[0].Hash != hashOf('f') {
		t.Fatalf("sweep after f's grace period = %v, %v", later, err)
	}
	// A parent within its grace period keeps its children, however old: whoever touched the
	// parent is about to reference the tree.
	tree := batch("p", "tree", "t", 0, t0, 1)
	tree.Content = []store.ContentRef{{Hash: hashOf('7'), Size: 2000, Stored: 100, Root: true, Children: []string{hashOf('8')}}, {Hash: hashOf('8'), Size: 1500, Stored: 100}}
	mustAppend(t, s, tree)
	if _, err := s.DeleteSessions(ctx, []string{"tree"}); err != nil {
		t.Fatal(err)
	}
	if ok, err := s.TouchContent(ctx, "p", hashOf('7'), time.Now().Add(time.Hour)); !ok || err != nil {
		t.Fatalf("TouchContent = %v, %v", ok, err)
	}
	if swept, err := s.SweepContent(ctx, time.Now().Add(time.Minute)); err != nil || len(swept) != 0 {
		t.Fatalf("sweep while the parent is in its grace period = %v, %v; want nothing", swept, err)
	}
	if swept, err := s.SweepContent(ctx, time.Now().Add(2*time.Hour)); err != nil || len(swept) != 2 {
		t.Fatalf("sweep after the parent's grace period = %v, %v; want parent and child", swept, err)
	}
	// TouchContent says whether an item is still there to be referenced.
	if ok, err := s.TouchContent(ctx, "p", hashOf('d'), time.Now()); ok || err != nil {
		t.Fatalf("TouchContent of a swept item = %v, %v", ok, err)
	}
}

// testSweptBeforeCommit: a compaction numbers its items, writes segments naming those numbers,
// then commits. If a sweep (an erasure sweeps without a grace period) deleted one of the items
// in between, the commit must fail, changing nothing, rather than leave segments naming an item
// that no longer exists; the worker then tries again later.
func testSweptBeforeCommit(t *testing.T, s store.Index) {
	ctx := context.Background()
	mustProject(t, s, "p")
	mustAppend(t, s, batch("p", "s", "t", 0, t0, 1))
	refs := []store.ContentRef{{Hash: hashOf('a'), Size: 2000, Stored: 100, Root: true}}
	ids, err := s.NumberContent(ctx, "p", refs, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	refs[0].ID = ids[hashOf('a')]
	if swept, err := s.SweepContent(ctx, time.Now().Add(time.Minute)); err != nil || len(swept) != 1 {
		t.Fatalf("SweepContent = %v, %v", swept, err)
	}
	if _, err := tryCompactAll(s, "s", "s-compact", 200*time.Millisecond, refs...); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("CommitCompaction naming a swept item = %v; want ErrNotFound", err)
	}
	if segs, _ := s.Segments(ctx, "s"); len(segs) != 0 {
		t.Fatalf("a failed commit left segments %+v", segs)
	}
	if ch, _ := s.Chunks(ctx, "s"); len(ch) != 1 || ch[0].Compacted {
		t.Fatalf("a failed commit changed the chunks: %+v", ch)
	}
	// Numbered again (the worker's next attempt), the item is stored anew and the commit holds.
	ids, err = s.NumberContent(ctx, "p", []store.ContentRef{{Hash: hashOf('a'), Size: 2000, Stored: 100}}, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	refs[0].ID = ids[hashOf('a')]
	time.Sleep(250 * time.Millisecond) // the failed attempt's lease runs out
	if _, err := tryCompactAll(s, "s", "s-compact", time.Minute, refs...); err != nil {
		t.Fatalf("compacting after renumbering: %v", err)
	}
	if swept, err := s.SweepContent(ctx, time.Now().Add(time.Minute)); err != nil || len(swept) != 0 {
		t.Fatalf("SweepContent of a referenced item = %v, %v", swept, err)
	}
}

// testShareLinkKey: share links are signed with a key kept as a setting; every node must sign
// with the same one, so the first stored wins and is what every caller gets back.
func testShareLinkKey(t *testing.T, s store.Index) {
	ctx := context.Background()
	a, err := s.EnsureSetting(ctx, "share.key", "key-from-node-a")
	if err != nil {
		t.Fatal(err)
	}
	b, err := s.EnsureSetting(ctx, "share.key", "key-from-node-b")
	if err != nil || a != "key-from-node-a" || b != a {
		t.Fatalf("EnsureSetting = %q then %q, %v; want the first key twice", a, b, err)
	}
	if other, err := s.EnsureSetting(ctx, "other", "x"); err != nil || other != "x" {
		t.Fatalf("another setting = %q, %v", other, err)
	}
}

// testStaleLease: a worker whose lease ran out may have been overtaken by another that claimed
// the session and compacted batches the first never read. The first's commit must fail and
// change nothing, or those batches' events would be dropped from the segments.
func testStaleLease(t *testing.T, s store.Index) {
	ctx := context.Background()
	mustProject(t, s, "p")
	mustAppend(t, s, batch("p", "s", "t", 0, t0, 1))
	if ok, err := s.ClaimSession(ctx, "s", time.Millisecond); !ok || err != nil {
		t.Fatalf("ClaimSession = %v, %v", ok, err)
	}
	stale, _ := s.Chunks(ctx, "s")
	time.Sleep(5 * time.Millisecond)
	mustAppend(t, s, batch("p", "s", "t", 1, t0.Add(time.Second), 1))
	compactAll(t, s, "s", "s-by-second-worker")
	_, err := s.CommitCompaction(ctx, store.Compaction{SessionID: "s", Chunks: stale, At: time.Now(),
		Segments: []store.Segment{{SessionID: "s", Tab: "t", FirstAt: t0, LastAt: t0, BlobKey: "s-by-first-worker", Length: 5, Events: 1}}})
	if !errors.Is(err, store.ErrConflict) {
		t.Fatalf("commit after the lease ran out = %v; want ErrConflict", err)
	}
	if segs, _ := s.Segments(ctx, "s"); len(segs) != 1 || segs[0].BlobKey != "s-by-second-worker" || segs[0].Events != 2 {
		t.Fatalf("segments after the stale commit = %+v; want the second worker's, with both batches", segs)
	}
	// A commit releases the lease: committing again without claiming fails too.
	if _, err := s.CommitCompaction(ctx, store.Compaction{SessionID: "s", At: time.Now()}); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("commit without a lease = %v; want ErrConflict", err)
	}
	if _, err := s.CommitCompaction(ctx, store.Compaction{SessionID: "nope", At: time.Now()}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("commit for a deleted session = %v; want ErrNotFound", err)
	}
}

// testEveryUserID: a session keeps every user id it was identified as, in the order first
// seen, with when; a later identify (an account switch, or anyone holding the public key and
// the session id) adds an id instead of replacing the first, so the session is found, and
// erased, by any of them. An id seen again keeps its first time.
func testEveryUserID(t *testing.T, s store.Index) {
	ctx := context.Background()
	mustProject(t, s, "p")
	mustProject(t, s, "q")
	first := batch("p", "h", "t", 0, t0, 2)
	first.UserID, first.UserIDs = "alice", []store.SessionUser{{UserID: "alice", FirstAt: t0.Add(time.Second)}}
	// The hostile batch: same session, another tab, identify as mallory.
	hostile := batch("p", "h", "t2", 0, t0.Add(time.Minute), 1)
	hostile.UserID = "mallory"
	hostile.UserIDs = []store.SessionUser{{UserID: "mallory", FirstAt: t0.Add(time.Minute)}}
	// Alice again, later: her first time stays.
	again := batch("p", "h", "t", 1, t0.Add(2*time.Minute), 1)
	again.UserIDs = []store.SessionUser{{UserID: "alice", FirstAt: t0.Add(2 * time.Minute)}}
	// Only UserID set, as a caller that predates UserIDs sends it.
	plain := batch("p", "k", "t", 0, t0.Add(3*time.Minute), 1)
	plain.UserID = "bob"
	elsewhere := batch("q", "e", "t", 0, t0, 1)
	elsewhere.UserID = "alice"
	mustAppend(t, s, first, hostile, again, plain, elsewhere)

	got, err := s.GetSession(ctx, "h")
	if err != nil {
		t.Fatal(err)
	}
	want := []store.SessionUser{{UserID: "alice", FirstAt: t0.Add(time.Second)}, {UserID: "mallory", FirstAt: t0.Add(time.Minute)}}
	if got.UserID != "mallory" || !slices.EqualFunc(got.UserIDs, want, func(a, b store.SessionUser) bool { return a.UserID == b.UserID && a.FirstAt.Equal(b.FirstAt) }) {
		t.Fatalf("session h: current %q, ids %+v; want mallory, %+v", got.UserID, got.UserIDs, want)
	}
	if k, err := s.GetSession(ctx, "k"); err != nil || len(k.UserIDs) != 1 || k.UserIDs[0].UserID != "bob" || !k.UserIDs[0].FirstAt.Equal(t0.Add(3*time.Minute)) {
		t.Fatalf("session k: %+v, %v; want bob first seen at its first event", k.UserIDs, err)
	}
	for _, u := range []string{"alice", "mallory"} {
		if ids, err := s.SessionsOfUser(ctx, "p", u); err != nil || fmt.Sprint(ids) != "[h]" {
			t.Fatalf("SessionsOfUser(p, %s) = %v, %v; want [h]", u, ids, err)
		}
	}
	if ids, err := s.SessionsOfUser(ctx, "q", "mallory"); err != nil || len(ids) != 0 {
		t.Fatalf("SessionsOfUser(q, mallory) = %v, %v; ids are per project", ids, err)
	}
	plan, err := search.Parse("user:alice")
	if err != nil {
		t.Fatal(err)
	}
	page, err := s.ListSessions(ctx, store.ListQuery{ProjectID: "p", Limit: 10, Query: plan})
	if err != nil || len(page.Sessions) != 1 || page.Sessions[0].ID != "h" || page.Sessions[0].UserID != "mallory" {
		t.Fatalf("user:alice lists %+v, %v; want h, showing its current id mallory", page.Sessions, err)
	}
	// The whole record of h, as a subject access export reads it, holds both ids.
	rec, err := s.SessionRecord(ctx, "h")
	if err != nil || rec.Session.ID != "h" || rec.Session.UserID != "mallory" || len(rec.Session.UserIDs) != 2 || len(rec.Chunks) != 3 || len(rec.Pages) != 0 {
		t.Fatalf("SessionRecord(h) = %+v, %v", rec, err)
	}
	if _, err := s.SessionRecord(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("SessionRecord of no session = %v; want ErrNotFound", err)
	}
	// Erasing alice erases h (whose current id is mallory); nothing of it is left to mallory.
	ids, _ := s.SessionsOfUser(ctx, "p", "alice")
	if _, err := s.DeleteSessions(ctx, ids); err != nil {
		t.Fatal(err)
	}
	for _, u := range []string{"alice", "mallory"} {
		if ids, err := s.SessionsOfUser(ctx, "p", u); err != nil || len(ids) != 0 {
			t.Fatalf("SessionsOfUser(p, %s) after erasure = %v, %v", u, ids, err)
		}
	}
	if ids, err := s.SessionsOfUser(ctx, "q", "alice"); err != nil || fmt.Sprint(ids) != "[e]" {
		t.Fatalf("SessionsOfUser(q, alice) = %v, %v; erasure is per project", ids, err)
	}
}
