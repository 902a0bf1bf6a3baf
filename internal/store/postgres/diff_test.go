package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/reelhq/reel/internal/search"
	"github.com/reelhq/reel/internal/store"
	"github.com/reelhq/reel/internal/store/sqlite"
)

// TestSameAsSQLite runs one scenario over the parts of the index the contract suites check
// least (analysis, issues, visits, alerts, content, compaction, saved searches) against both
// backends and wants the same answers, as JSON, from each.
func TestSameAsSQLite(t *testing.T) {
	ctx := context.Background()
	lite, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "index.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer lite.Close()
	want := diffScenario(t, lite)
	got := diffScenario(t, open(t))
	for k, w := range want {
		if g := got[k]; g != w {
			t.Errorf("%s:\npostgres %s\nsqlite   %s", k, g, w)
		}
	}
}

func diffScenario(t *testing.T, db store.Index) map[string]string {
	t.Helper()
	ctx := context.Background()
	out := map[string]string{}
	record := func(name string, v any, err error) {
		t.Helper()
		b, jerr := json.Marshal(v)
		if jerr != nil {
			t.Fatal(jerr)
		}
		e := ""
		if err != nil {
			e = " error"
		}
		out[name] = string(b) + e
	}
	t0 := time.Date(2026, 11, 1, 8, 0, 0, 0, time.UTC)
	for _, p := range []string{"p", "q"} {
		if err := db.CreateProject(ctx, store.Project{ID: p, Name: "Project " + p, PublicKey: "pk_" + p, CreatedAt: t0, RetentionDays: 7,
			AllowedOrigins: []string{"https://" + p + ".test"}, SDKConfig: json.RawMessage(`{"sample":1}`)}); err != nil {
			t.Fatal(err)
		}
	}
	hash := func(c byte) string { return strings.Repeat(string(c), 64) }
	var bs []store.Batch
	for i := range 12 {
		id := fmt.Sprintf("s_%02d", i)
		at := t0.Add(time.Duration(i) * 7 * time.Hour)
		b := store.Batch{ProjectID: []string{"p", "p", "q"}[i%3], UserID: []string{"", "u1", "u2"}[i%3],
			Chunk: store.Chunk{SessionID: id, Tab: "tab_1", FirstAt: at, LastAt: at.Add(time.Duration(i) * time.Minute), Events: 10 + i, RawBytes: 100, StoredBytes: 50,
				BlobKey: fmt.Sprintf("pack_%d", i/4), BlobOffset: int64(i%4) * 50, BlobLength: 50},
			Pages:  []store.Page{{Tab: "tab_1", At: at, URL: "https://x.test/a?q=" + id}, {Tab: "tab_1", At: at.Add(time.Second), URL: "https://x.test/b/" + id}},
			Clicks: i, ActiveMS: int64(i) * 1000, UserAgent: "UA " + id, Viewport: store.Viewport{Width: 100 * i, Height: 50 * i},
			Browser: "firefox", OS: "linux", Device: "desktop", Country: "DE", Errors: i % 2, Failed: i % 3,
			Content: []store.ContentRef{{Hash: hash('a' + byte(i%3)), Size: 10, Stored: 8, Root: true, Children: []string{hash('f')}}, {Hash: hash('f'), Size: 1, Stored: 1}},
		}
		bs = append(bs, b)
		// A second tab's batch, arriving in the same group.
		b2 := b
		b2.Chunk.Tab, b2.Chunk.Seq, b2.Pages, b2.Content = "tab_2", 1, nil, nil
		bs = append(bs, b2)
	}
	var appended []string
	for _, err := range db.AppendBatches(ctx, bs) {
		appended = append(appended, fmt.Sprint(err == nil))
	}
	record("append", appended, nil)
	for i := range 12 {
		id := fmt.Sprintf("s_%02d", i)
		s, err := db.GetSession(ctx, id)
		s.UpdatedAt = time.Time{}
		record("session "+id, s, err)
		cs, err := db.Chunks(ctx, id)
		record("chunks "+id, cs, err)
	}
	kinds := []string{"rage_click", "dead_click", "js_error"}
	for i := range 12 {
		id := fmt.Sprintf("s_%02d", i)
		at := t0.Add(time.Duration(i) * 7 * time.Hour)
		a := store.Analysis{SessionID: id, Score: i * 7 % 100, Summary: "summary " + id, Counts: map[string]int{}, At: at.Add(time.Hour)}
		for k := range i % 4 {
			kind := kinds[(i+k)%3]
			a.Counts[kind]++
			a.Signals = append(a.Signals, store.StoredSignal{Kind: kind, At: at.Add(time.Duration(k) * time.Second), Path: "/b", Target: "button",
				Fingerprint: kind + "|/b|button", Detail: "d"})
		}
		record("analysis "+id, nil, db.SaveAnalysis(ctx, a))
	}
	issues, err := db.Issues(ctx, store.IssueQuery{ProjectID: "p", Since: t0, Until: t0.Add(4 * 24 * time.Hour), Limit: 10})
	record("issues", issues, err)
	visits, err := db.Visits(ctx, "p", t0, t0.Add(3*24*time.Hour), 5)
	record("visits", visits, err)
	for _, q := range []string{"", "sort:interesting", "sort:friction", "friction.rage_click:>0", "issue:js_error*", "user:u1", "clicks:>5 sort:longest"} {
		plan, _ := search.Parse(q)
		page, err := db.ListSessions(ctx, store.ListQuery{ProjectID: "p", Limit: 3, Query: plan, Count: true})
		for i := range page.Sessions {
			page.Sessions[i].UpdatedAt = time.Time{}
		}
		record("list "+q, page, err)
		page, err = db.ListSessions(ctx, store.ListQuery{ProjectID: "p", Limit: 3, Query: plan, Cursor: page.Next})
		for i := range page.Sessions {
			page.Sessions[i].UpdatedAt = time.Time{}
		}
		record("list page 2 "+q, page, err)
	}
	_, err = db.ListSessions(ctx, store.ListQuery{ProjectID: "p", Limit: 3, Cursor: "not a cursor"})
	record("bad cursor", nil, err)

	// Alerts and saved searches.
	ss, err := db.CreateSavedSearch(ctx, store.SavedSearch{ProjectID: "p", Name: "Rage", Query: "friction.rage_click:>0", OwnerID: 1, CreatedAt: t0})
	record("saved", ss, err)
	r1, err := db.CreateAlert(ctx, store.AlertRule{ProjectID: "p", Name: "by kind", Kind: "rage_click", Threshold: 2, Window: time.Hour, Webhook: "https://hook.test", CreatedAt: t0})
	record("alert 1", r1, err)
	r2, err := db.CreateAlert(ctx, store.AlertRule{ProjectID: "p", Name: "by search", SavedSearchID: ss.ID, Threshold: 1, Window: time.Hour, Webhook: "https://hook.test", CreatedAt: t0})
	record("alert 2", r2, err)
	rules, err := db.Alerts(ctx, "")
	record("alerts", rules, err)
	n, err := db.AlertCount(ctx, r1, t0)
	record("alert count kind", n, err)
	n, err = db.AlertCount(ctx, store.AlertRule{ProjectID: "p", Fingerprint: "js_error|/b|button"}, t0.Add(24*time.Hour))
	record("alert count fingerprint", n, err)
	ok, err := db.MarkFired(ctx, r1.ID, t0.Add(time.Hour), t0.Add(30*time.Minute))
	record("fired 1", ok, err)
	ok, err = db.MarkFired(ctx, r1.ID, t0.Add(time.Hour+time.Minute), t0.Add(30*time.Minute))
	record("fired 2", ok, err)
	record("delete saved", nil, db.DeleteSavedSearch(ctx, ss.ID))
	rules, err = db.Alerts(ctx, "p")
	record("alerts after deleting the search", rules, err)
	record("delete alert other project", nil, db.DeleteAlert(ctx, "q", r1.ID))

	// Content, compaction, deletion.
	numbered, err := db.NumberContent(ctx, "p", []store.ContentRef{{Hash: hash('a'), Size: 99, Stored: 98}, {Hash: hash('z'), Size: 1, Stored: 1}}, t0)
	record("number content", len(numbered), err)
	hs, err := db.ContentHashes(ctx, "p", []int64{numbered[hash('a')], numbered[hash('z')], 9999})
	record("content hashes", hs[numbered[hash('z')]], err)
	missing, err := db.MissingContent(ctx, "q", []string{hash('a'), hash('b'), hash('c'), hash('z')})
	record("missing content", missing, err)
	sharing, err := db.SessionsSharingBlobs(ctx, []string{"s_00", "s_05"})
	record("sharing", sharing, err)
	users, err := db.SessionsOfUser(ctx, "p", "u1")
	slices.Sort(users) // in no promised order
	record("sessions of user", users, err)
	expired, err := db.ExpiredSessions(ctx, time.Now().Add(9*24*time.Hour), 100)
	slices.Sort(expired)
	record("expired", expired, err)
	chunks, _ := db.Chunks(ctx, "s_01")
	keys, err := db.CommitCompaction(ctx, store.Compaction{SessionID: "s_01", Chunks: chunks, At: t0.Add(48 * time.Hour),
		Segments: []store.Segment{
			{SessionID: "s_01", Tab: "tab_2", Index: 0, FirstAt: t0, LastAt: t0.Add(time.Minute), BlobKey: "seg_s01", Offset: 0, Length: 10, Events: 3, RawBytes: 30},
			{SessionID: "s_01", Tab: "tab_1", Index: 1, FirstAt: t0.Add(time.Minute), LastAt: t0.Add(2 * time.Minute), BlobKey: "seg_s01", Offset: 10, Length: 10, Events: 3, RawBytes: 30},
			{SessionID: "s_01", Tab: "tab_1", Index: 0, FirstAt: t0, LastAt: t0.Add(time.Minute), BlobKey: "seg_s01", Offset: 20, Length: 10, Events: 3, RawBytes: 30},
		},
		Content: []store.ContentRef{{Hash: hash('z'), ID: numbered[hash('z')], Root: true}}})
	record("compaction", keys, err)
	segs, err := db.Segments(ctx, "s_01")
	record("segments", segs, err)
	keys, err = db.DeleteSessions(ctx, []string{"s_00", "s_03", "s_06", "s_09"})
	record("delete", keys, err)
	swept, err := db.SweepContent(ctx, t0.Add(1000*time.Hour))
	record("sweep", swept, err)
	issues, err = db.Issues(ctx, store.IssueQuery{ProjectID: "p", Since: t0, Until: t0.Add(4 * 24 * time.Hour), Limit: 10})
	record("issues after delete", issues, err)
	u, err := db.CreateUser(ctx, store.User{Email: "Ann@Example.com", PasswordHash: "h", Role: "admin", CreatedAt: t0})
	record("user", u.ID > 0, err)
	_, err = db.CreateUser(ctx, store.User{Email: "ann@example.COM", PasswordHash: "h", Role: "admin", CreatedAt: t0})
	record("user duplicate", nil, err)
	found, err := db.UserByEmail(ctx, "ANN@example.com")
	record("user by email", found.Email, err)
	_, err = db.UserByEmail(ctx, "ÄNN@example.com")
	record("user by non-ASCII case", nil, err)
	return out
}
