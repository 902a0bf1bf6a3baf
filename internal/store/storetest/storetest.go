// Package storetest is the contract every store.Index backend must pass. Each backend's tests
// call All with a function that opens a fresh, empty index; wrapping that index in a Recorder
// proves the suite called every method of store.Index. The cases use only the public
// interface, so what they prove holds for SQLite and PostgreSQL alike, concurrency included
// (concurrency.go).
package storetest

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/reelhq/reel/internal/measure"
	"github.com/reelhq/reel/internal/store"
)

// All runs every group of the contract, each case on a fresh index from open.
func All(t *testing.T, open func(t *testing.T) store.Index) {
	groups := []struct {
		name string
		run  func(t *testing.T, open func(t *testing.T) store.Index)
	}{
		{"Core", Run},
		{"Archives", RunArchives},
		{"Saved", RunSaved},
		{"Analysis", RunAnalysis},
		{"Alerts", RunAlerts},
		{"Lifecycle", RunLifecycle},
		{"Concurrency", RunConcurrency},
		{"Search", RunSearch},
		{"Text", RunText},
		{"Heatmaps", RunHeatmaps},
		{"Move", RunMove},
		{"Jobs", RunJobs},
		{"Identities", RunIdentities},
		{"Shares", RunShares},
		{"Facets", RunFacets},
		{"Comments", RunComments},
		{"Vitals", RunVitals},
		{"Funnels", RunFunnels},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) { g.run(t, open) })
	}
}

// Run runs the contract of the core of the index (store.Store).
func Run(t *testing.T, open func(t *testing.T) store.Index) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Store)
	}{
		{"Projects", testProjects},
		{"UsersAndLogins", testUsersAndLogins},
		{"Team", testTeam},
		{"Tokens", testTokens},
		{"Audit", testAudit},
		{"Invites", testInvites},
		{"LastOwner", testLastOwner},
		{"AppendBatch", testAppendBatch},
		{"DuplicateBatch", testDuplicateBatch},
		{"SessionOfAnotherProject", testConflict},
		{"OutOfOrderBatches", testOutOfOrder},
		{"PagesCounted", testPagesCounted},
		{"SessionSpan", testSessionSpan},
		{"ListPagination", testListPagination},
		{"Settings", testSettings},
		{"CompactionAndDeletion", testCompactionAndDeletion},
		{"BatchDuringCompaction", testBatchDuringCompaction},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() { s.Close() })
			tc.fn(t, s)
		})
	}
}

var t0 = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

func mustProject(t *testing.T, s store.Store, id string) store.Project {
	t.Helper()
	p := store.Project{ID: id, Name: "Project " + id, PublicKey: "pk_" + id, CreatedAt: t0}
	if err := s.CreateProject(context.Background(), p); err != nil {
		t.Fatalf("CreateProject: %v", err)
	}
	return p
}

func batch(project, session, tab string, seq int64, first time.Time, n int, pages ...string) store.Batch {
	b := store.Batch{
		ProjectID: project,
		Chunk: store.Chunk{
			SessionID: session, Tab: tab, Seq: seq,
			FirstAt: first, LastAt: first.Add(time.Duration(n) * time.Second),
			Events: n, RawBytes: 100 * n, StoredBytes: 10 * n,
			BlobKey: fmt.Sprintf("p/%s/%s/%s/%d", project, session, tab, seq),
		},
		Clicks:    1,
		UserAgent: "Mozilla/5.0 test",
		SentAt:    first,
	}
	for i, u := range pages {
		b.Pages = append(b.Pages, store.Page{Tab: tab, At: first.Add(time.Duration(i) * time.Millisecond), URL: u})
	}
	return b
}

func testProjects(t *testing.T, s store.Store) {
	ctx := context.Background()
	p := mustProject(t, s, "default")
	p2 := store.Project{ID: "shop", Name: "Shop", PublicKey: "pk_shop", AllowedOrigins: []string{"https://shop.example"}, CreatedAt: t0.Add(time.Hour)}
	if err := s.CreateProject(ctx, p2); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateProject(ctx, store.Project{ID: "other", Name: "x", PublicKey: p.PublicKey, CreatedAt: t0}); !errors.Is(err, store.ErrDuplicate) {
		t.Fatalf("duplicate key: got %v, want ErrDuplicate", err)
	}
	got, err := s.ProjectByKey(ctx, "pk_shop")
	if err != nil {
		t.Fatal(err)
	}
	if got.ID != "shop" || len(got.AllowedOrigins) != 1 || got.AllowedOrigins[0] != "https://shop.example" || !got.CreatedAt.Equal(p2.CreatedAt) {
		t.Fatalf("ProjectByKey = %+v", got)
	}
	if _, err := s.ProjectByKey(ctx, "pk_nope"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown key: %v", err)
	}
	all, err := s.Projects(ctx)
	if err != nil || len(all) != 2 || all[0].ID != "default" {
		t.Fatalf("Projects = %+v, %v", all, err)
	}
	if string(all[0].SDKConfig) != "{}" {
		t.Fatalf("default SDK config = %s", all[0].SDKConfig)
	}
	if string(all[0].Friction) != "{}" {
		t.Fatalf("default friction thresholds = %s", all[0].Friction)
	}
	if string(all[0].Scrub) != "{}" {
		t.Fatalf("default scrubber settings = %s", all[0].Scrub)
	}
	p2.RetentionDays, p2.SDKConfig, p2.AllowedOrigins = 7, []byte(`{"sampleRate":0.5}`), nil
	p2.Friction = []byte(`{"rageClicks":4}`)
	p2.Scrub = []byte(`{"off":["phone"]}`)
	if err := s.UpdateProject(ctx, p2); err != nil {
		t.Fatal(err)
	}
	got, err = s.Project(ctx, "shop")
	if err != nil || got.RetentionDays != 7 || string(got.SDKConfig) != `{"sampleRate":0.5}` || len(got.AllowedOrigins) != 0 ||
		string(got.Friction) != `{"rageClicks":4}` || string(got.Scrub) != `{"off":["phone"]}` || got.PublicKey != "pk_shop" {
		t.Fatalf("after update = %+v, %v", got, err)
	}
	if _, err := s.Project(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown project: %v", err)
	}
	if err := s.UpdateProject(ctx, store.Project{ID: "nope"}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("update missing project: %v", err)
	}
}

func testUsersAndLogins(t *testing.T, s store.Store) {
	ctx := context.Background()
	if n, _ := s.CountUsers(ctx); n != 0 {
		t.Fatalf("CountUsers on empty = %d", n)
	}
	u, err := s.CreateUser(ctx, store.User{Email: "Admin@Example.com", PasswordHash: "h1", Role: "admin", CreatedAt: t0})
	if err != nil || u.ID == 0 {
		t.Fatalf("CreateUser = %+v, %v", u, err)
	}
	if _, err := s.CreateUser(ctx, store.User{Email: "admin@example.com", PasswordHash: "h", Role: "admin", CreatedAt: t0}); !errors.Is(err, store.ErrDuplicate) {
		t.Fatalf("same email other case: %v, want ErrDuplicate", err)
	}
	got, err := s.UserByEmail(ctx, "ADMIN@example.com")
	if err != nil || got.ID != u.ID {
		t.Fatalf("UserByEmail = %+v, %v", got, err)
	}
	now := time.Now()
	if err := s.CreateLogin(ctx, store.Login{TokenHash: "tok", UserID: u.ID, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.LoginByTokenHash(ctx, "tok", now); err != nil {
		t.Fatalf("fresh login: %v", err)
	}
	if _, err := s.LoginByTokenHash(ctx, "tok", now.Add(2*time.Hour)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("expired login: %v, want ErrNotFound", err)
	}
	// Changing the password ends existing logins.
	if err := s.SetPassword(ctx, u.ID, "h2"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.LoginByTokenHash(ctx, "tok", now); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("login after password change: %v, want ErrNotFound", err)
	}
	if got, _ := s.UserByID(ctx, u.ID); got.PasswordHash != "h2" {
		t.Fatalf("password hash = %q", got.PasswordHash)
	}
	if err := s.CreateLogin(ctx, store.Login{TokenHash: "tok2", UserID: u.ID, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteLogin(ctx, "tok2"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.LoginByTokenHash(ctx, "tok2", now); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("deleted login: %v", err)
	}
}

func testAppendBatch(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustProject(t, s, "default")
	b0 := batch("default", "s1", "t1", 0, t0, 10, "http://x/a", "http://x/b")
	b0.Viewport = store.Viewport{Width: 1280, Height: 720}
	b0.Scrubbed = map[string]int{"card": 2, "email": 1}
	if err := s.AppendBatch(ctx, b0); err != nil {
		t.Fatal(err)
	}
	b1 := batch("default", "s1", "t1", 1, t0.Add(20*time.Second), 5, "http://x/c")
	b1.Scrubbed = map[string]int{"email": 3, "custom": 1}
	if err := s.AppendBatch(ctx, b1); err != nil {
		t.Fatal(err)
	}
	if err := s.AppendBatch(ctx, batch("default", "s1", "t2", 0, t0.Add(30*time.Second), 5)); err != nil {
		t.Fatal(err)
	}
	got, err := s.GetSession(ctx, "s1")
	if err != nil {
		t.Fatal(err)
	}
	want := store.Session{ID: "s1", ProjectID: "default", StartedAt: t0, EndedAt: t0.Add(35 * time.Second), Pages: 3,
		EntryURL: "http://x/a", ExitURL: "http://x/c", Clicks: 3, Events: 20, Tabs: 2, UserAgent: "Mozilla/5.0 test",
		Viewport: store.Viewport{Width: 1280, Height: 720}, Scrubbed: map[string]int{"card": 2, "email": 4, "custom": 1}}
	got.UpdatedAt = time.Time{}
	if fmt.Sprint(got.URLs) != "[http://x/a http://x/b http://x/c]" {
		t.Fatalf("URLs = %v", got.URLs)
	}
	got.URLs = nil
	if fmt.Sprintf("%+v", got) != fmt.Sprintf("%+v", want) {
		t.Fatalf("session =\n%+v\nwant\n%+v", got, want)
	}
	chunks, err := s.Chunks(ctx, "s1")
	if err != nil || len(chunks) != 3 {
		t.Fatalf("Chunks = %+v, %v", chunks, err)
	}
	if chunks[0].Tab != "t1" || chunks[0].Seq != 0 || chunks[1].Seq != 1 || chunks[2].Tab != "t2" || chunks[0].BlobKey != "p/default/s1/t1/0" {
		t.Fatalf("chunk order = %+v", chunks)
	}
	if ok, err := s.HasChunk(ctx, "default", "s1", "t1", 1); !ok || err != nil {
		t.Fatalf("HasChunk stored = %v, %v", ok, err)
	}
	if ok, err := s.HasChunk(ctx, "default", "s1", "t1", 2); ok || err != nil {
		t.Fatalf("HasChunk missing = %v, %v", ok, err)
	}
	if ok, err := s.HasChunk(ctx, "default", "nope", "t1", 0); ok || err != nil {
		t.Fatalf("HasChunk of an unknown session = %v, %v", ok, err)
	}
	// Another project's key learns nothing about which batches s1 holds: the same conflict for
	// a stored batch and a missing one.
	for _, seq := range []int64{1, 2} {
		if ok, err := s.HasChunk(ctx, "elsewhere", "s1", "t1", seq); ok || !errors.Is(err, store.ErrConflict) {
			t.Fatalf("HasChunk of seq %d for another project = %v, %v; want ErrConflict", seq, ok, err)
		}
	}
	if _, err := s.GetSession(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("missing session: %v", err)
	}
}

func testDuplicateBatch(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustProject(t, s, "default")
	b := batch("default", "s1", "t1", 0, t0, 10, "http://x/a")
	if err := s.AppendBatch(ctx, b); err != nil {
		t.Fatal(err)
	}
	if err := s.AppendBatch(ctx, b); !errors.Is(err, store.ErrDuplicate) {
		t.Fatalf("repeat: %v, want ErrDuplicate", err)
	}
	got, _ := s.GetSession(ctx, "s1")
	if got.Events != 10 || got.Pages != 1 || got.Clicks != 1 {
		t.Fatalf("duplicate changed the session: %+v", got)
	}
}

func testConflict(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustProject(t, s, "a")
	mustProject(t, s, "b")
	if err := s.AppendBatch(ctx, batch("a", "s1", "t1", 0, t0, 1)); err != nil {
		t.Fatal(err)
	}
	if err := s.AppendBatch(ctx, batch("b", "s1", "t9", 0, t0, 1)); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("write into another project's session: %v, want ErrConflict", err)
	}
	if chunks, _ := s.Chunks(ctx, "s1"); len(chunks) != 1 {
		t.Fatalf("conflicting write left %d chunks", len(chunks))
	}
}

func testOutOfOrder(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustProject(t, s, "default")
	if err := s.AppendBatch(ctx, batch("default", "s1", "t1", 1, t0.Add(time.Minute), 1, "http://x/second")); err != nil {
		t.Fatal(err)
	}
	if err := s.AppendBatch(ctx, batch("default", "s1", "t1", 0, t0, 1, "http://x/first")); err != nil {
		t.Fatal(err)
	}
	got, _ := s.GetSession(ctx, "s1")
	if !got.StartedAt.Equal(t0) || got.EntryURL != "http://x/first" || got.ExitURL != "http://x/second" {
		t.Fatalf("late first batch: %+v", got)
	}
	chunks, _ := s.Chunks(ctx, "s1")
	if chunks[0].Seq != 0 {
		t.Fatalf("chunks not in seq order: %+v", chunks)
	}
}

// testPagesCounted: a session's page count is measure.Pages over its page views, all tabs and
// batches together: a reload, a new snapshot or a query change on the same path is no new page,
// and a return to an earlier path is one.
func testPagesCounted(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustProject(t, s, "default")
	views := [][]string{
		{"http://x/shop", "http://x/shop?q=1", "http://x/shop#top"},
		{"http://x/shop", "http://x/cart"},
		{"http://x/cart", "http://x/shop", "http://x/checkout/"},
	}
	var all []measure.View
	for i, urls := range views {
		b := batch("default", "s1", "t1", int64(i), t0.Add(time.Duration(i)*time.Minute), 2, urls...)
		if err := s.AppendBatch(ctx, b); err != nil {
			t.Fatal(err)
		}
		for _, p := range b.Pages {
			all = append(all, measure.View{At: p.At.UnixMilli(), URL: p.URL})
		}
	}
	want := len(measure.Pages(all))
	if want != 4 {
		t.Fatalf("measure.Pages counts %d pages, want 4 (/shop, /cart, /shop, /checkout/)", want)
	}
	got, err := s.GetSession(ctx, "s1")
	if err != nil {
		t.Fatal(err)
	}
	if got.Pages != want || got.EntryURL != "http://x/shop" || got.ExitURL != "http://x/checkout/" {
		t.Fatalf("pages %d entry %q exit %q; want %d, http://x/shop, http://x/checkout/", got.Pages, got.EntryURL, got.ExitURL, want)
	}
}

func testListPagination(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustProject(t, s, "a")
	mustProject(t, s, "b")
	for i := range 7 {
		// Two sessions share each start time, so the cursor must break ties.
		if err := s.AppendBatch(ctx, batch("a", fmt.Sprintf("s%d", i), "t", 0, t0.Add(time.Duration(i/2)*time.Minute), 1)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.AppendBatch(ctx, batch("b", "other", "t", 0, t0.Add(time.Hour), 1)); err != nil {
		t.Fatal(err)
	}
	var seen []string
	cursor := ""
	for range 10 {
		page, err := s.ListSessions(ctx, store.ListQuery{ProjectID: "a", Limit: 3, Cursor: cursor})
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range page.Sessions {
			seen = append(seen, x.ID)
		}
		if page.Next == "" {
			break
		}
		cursor = page.Next
	}
	if fmt.Sprint(seen) != "[s6 s5 s4 s3 s2 s1 s0]" {
		t.Fatalf("pages = %v", seen)
	}
	all, _ := s.ListSessions(ctx, store.ListQuery{Limit: 100})
	if len(all.Sessions) != 8 || all.Sessions[0].ID != "other" || all.Next != "" {
		t.Fatalf("all projects = %d sessions, first %s, next %q", len(all.Sessions), all.Sessions[0].ID, all.Next)
	}
	for _, bad := range []string{"!!!", "bm90LWEtY3Vyc29y"} {
		if _, err := s.ListSessions(ctx, store.ListQuery{Limit: 3, Cursor: bad}); !errors.Is(err, store.ErrBadCursor) {
			t.Fatalf("cursor %q: %v, want ErrBadCursor", bad, err)
		}
	}
}

func testSettings(t *testing.T, s store.Store) {
	ctx := context.Background()
	v, err := s.EnsureSetting(ctx, "share.key", "first")
	if err != nil || v != "first" {
		t.Fatalf("EnsureSetting on empty = %q, %v", v, err)
	}
	if v, err := s.EnsureSetting(ctx, "share.key", "second"); err != nil || v != "first" {
		t.Fatalf("EnsureSetting again = %q, %v; the first value must win", v, err)
	}
}

// testBatchDuringCompaction: a batch that lands after a worker read a session's chunks and
// before it committed is not in that compaction, so the session stays idle until a later one
// takes the batch, whatever time the first one committed at.
func testBatchDuringCompaction(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustProject(t, s, "default")
	appendOne := func(seq int64) {
		t.Helper()
		if errs := s.AppendBatches(ctx, []store.Batch{batch("default", "s1", "t", seq, t0.Add(time.Duration(seq)*time.Minute), 1)}); errs[0] != nil {
			t.Fatalf("AppendBatches seq %d: %v", seq, errs[0])
		}
	}
	compact := func(at time.Time) {
		t.Helper()
		if ok, err := s.ClaimSession(ctx, "s1", time.Minute); !ok || err != nil {
			t.Fatalf("ClaimSession = %v, %v", ok, err)
		}
		all, _ := s.Chunks(ctx, "s1")
		var chunks []store.Chunk
		for _, ch := range all {
			if !ch.Compacted {
				chunks = append(chunks, ch)
			}
		}
		if len(chunks) == 0 {
			t.Fatal("no chunk to compact")
		}
		// Batches keep landing while the worker writes the segments.
		if len(all) == 1 {
			appendOne(1)
		}
		if _, err := s.CommitCompaction(ctx, store.Compaction{SessionID: "s1", Chunks: chunks, At: at,
			Segments: []store.Segment{{SessionID: "s1", Tab: "t", Index: 0, FirstAt: t0, LastAt: t0, BlobKey: fmt.Sprintf("s1-compact-%d", len(all)), Length: 5, Events: 1}}}); err != nil {
			t.Fatalf("CommitCompaction: %v", err)
		}
	}
	appendOne(0)
	compact(time.Now().Add(time.Second))
	if ids, err := s.IdleSessions(ctx, time.Now().Add(time.Minute), 10); err != nil || fmt.Sprint(ids) != "[s1]" {
		t.Fatalf("IdleSessions after a batch landed during compaction = %v, %v; want [s1]", ids, err)
	}
	// Once every chunk is compacted the session is done, even by a worker whose clock is behind.
	compact(t0)
	if ids, err := s.IdleSessions(ctx, time.Now().Add(time.Minute), 10); err != nil || len(ids) != 0 {
		t.Fatalf("IdleSessions after the second compaction = %v, %v; want none", ids, err)
	}
	if got, _ := s.GetSession(ctx, "s1"); got.Compacted.IsZero() {
		t.Fatal("compacted time not set")
	}
}

func testCompactionAndDeletion(t *testing.T, s store.Store) {
	ctx := context.Background()
	p := mustProject(t, s, "default")
	p.RetentionDays = 30
	if err := s.UpdateProject(ctx, p); err != nil {
		t.Fatal(err)
	}
	hash := func(c byte) string { return strings.Repeat(string(c), 64) }
	// Two sessions share one pack; the first references a tree item with a child.
	b1 := batch("default", "s1", "t", 0, t0, 1)
	b2 := batch("default", "s2", "t", 0, t0, 1)
	b1.Chunk.BlobKey, b1.Chunk.BlobOffset, b1.Chunk.BlobLength = "pack", 0, 10
	b2.Chunk.BlobKey, b2.Chunk.BlobOffset, b2.Chunk.BlobLength = "pack", 10, 10
	b1.UserID = "user-1"
	b1.Content = []store.ContentRef{{Hash: hash('a'), Size: 5, Stored: 4, Root: true, Children: []string{hash('b')}}, {Hash: hash('b'), Size: 3, Stored: 3}}
	for i, err := range s.AppendBatches(ctx, []store.Batch{b1, b2, b1}) {
		if (i < 2 && err != nil) || (i == 2 && !errors.Is(err, store.ErrDuplicate)) {
			t.Fatalf("AppendBatches[%d] = %v", i, err)
		}
	}
	if got, _ := s.SessionsSharingBlobs(ctx, []string{"s1"}); fmt.Sprint(got) != "[s2]" {
		t.Fatalf("SessionsSharingBlobs = %v", got)
	}
	if missing, _ := s.MissingContent(ctx, "default", []string{hash('a'), hash('c')}); fmt.Sprint(missing) != "["+hash('c')+"]" {
		t.Fatalf("MissingContent = %v", missing)
	}
	if ids, _ := s.SessionsOfUser(ctx, "default", "user-1"); fmt.Sprint(ids) != "[s1]" {
		t.Fatalf("SessionsOfUser = %v", ids)
	}

	now := time.Now()
	ids, err := s.IdleSessions(ctx, now.Add(time.Minute), 10)
	if err != nil || len(ids) != 2 {
		t.Fatalf("IdleSessions = %v, %v", ids, err)
	}
	if ok, _ := s.ClaimSession(ctx, "s2", time.Minute); !ok {
		t.Fatal("first claim refused")
	}
	if ok, _ := s.ClaimSession(ctx, "s2", time.Minute); ok {
		t.Fatal("second claim granted while leased")
	}
	chunks, _ := s.Chunks(ctx, "s2")
	obsolete, err := s.CommitCompaction(ctx, store.Compaction{SessionID: "s2", Chunks: chunks, At: now,
		Segments: []store.Segment{{SessionID: "s2", Tab: "t", Index: 0, FirstAt: t0, LastAt: t0, BlobKey: "s2-compact", Length: 5, Events: 1}}})
	if err != nil || len(obsolete) != 0 {
		t.Fatalf("compacting s2 freed %v (the pack is still s1's), %v", obsolete, err)
	}
	if segs, _ := s.Segments(ctx, "s2"); len(segs) != 1 || segs[0].BlobKey != "s2-compact" {
		t.Fatalf("Segments = %+v", segs)
	}
	if got, _ := s.GetSession(ctx, "s2"); got.Compacted.IsZero() {
		t.Fatal("compacted time not set")
	}
	if ids, _ := s.IdleSessions(ctx, now.Add(time.Minute), 10); fmt.Sprint(ids) != "[s1]" {
		t.Fatalf("IdleSessions after compaction = %v", ids)
	}

	// Deleting s1 frees the pack; its content goes on the next sweep, s2's segment stays.
	keys, err := s.DeleteSessions(ctx, []string{"s1"})
	if err != nil || fmt.Sprint(keys) != "[pack]" {
		t.Fatalf("DeleteSessions = %v, %v", keys, err)
	}
	gone, err := s.SweepContent(ctx, now.Add(time.Hour))
	if err != nil || len(gone) != 2 {
		t.Fatalf("SweepContent = %v, %v (want the tree and its child)", gone, err)
	}
	// Retention counts from when the server received a session.
	if expired, _ := s.ExpiredSessions(ctx, now.Add(29*24*time.Hour), 10); len(expired) != 0 {
		t.Fatalf("ExpiredSessions within retention = %v", expired)
	}
	if expired, _ := s.ExpiredSessions(ctx, now.Add(31*24*time.Hour), 10); fmt.Sprint(expired) != "[s2]" {
		t.Fatalf("ExpiredSessions after 31 days = %v", expired)
	}
}
