package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/reelhq/reel/internal/search"
	"github.com/reelhq/reel/internal/store"
)

// RunMove runs the contract of store.Mover: an index exported and imported into a fresh one
// answers every read as the original did, and an import interrupted and run again, or run
// twice, ends with the same index.
func RunMove(t *testing.T, open func(t *testing.T) store.Index) {
	tests := []struct {
		name string
		fn   func(t *testing.T, open func(t *testing.T) store.Index)
	}{
		{"RoundTrip", testMoveRoundTrip},
		{"Resume", testMoveResume},
		{"MissingParent", testMoveMissingParent},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { tc.fn(t, open) })
	}
}

// moveFixture is what FillForMove stored that reads need to ask for again.
type moveFixture struct {
	users      []int64
	contentIDs []int64
	savedID    int64
	playlistID int64
}

// FillForMove stores a bit of everything the index holds, through the normal interface:
// group-committed batches with every search field, a compaction with numbered content and
// nested items, analysis, heat, an archive, a saved search with visits, a playlist with pins,
// alert rules (one fired) and a setting; one session stays uncompacted.
func FillForMove(t *testing.T, s store.Index) moveFixture {
	t.Helper()
	ctx := context.Background()
	var fx moveFixture
	mustProject(t, s, "p1")
	p2 := store.Project{ID: "p2", Name: "Shop", PublicKey: "pk_p2", AllowedOrigins: []string{"https://shop.example"}, CreatedAt: t0,
		RetentionDays: 7, SDKConfig: json.RawMessage(`{"sample":0.5}`), Friction: json.RawMessage(`{"rageClicks":4}`),
		Scrub: json.RawMessage(`{"patterns":["ORD-[0-9]+"]}`)}
	if err := s.CreateProject(ctx, p2); err != nil {
		t.Fatal(err)
	}
	for _, email := range []string{"admin@example.com", "viewer@example.com"} {
		u, err := s.CreateUser(ctx, store.User{Email: email, PasswordHash: "hash-" + email, Role: "admin", CreatedAt: t0})
		if err != nil {
			t.Fatal(err)
		}
		fx.users = append(fx.users, u.ID)
	}
	if err := s.CreateLogin(ctx, store.Login{TokenHash: "tok", UserID: fx.users[0], CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	// The second user is a disabled viewer of one project.
	if err := s.UpdateUser(ctx, store.User{ID: fx.users[1], Role: "viewer", DisabledAt: t0.Add(time.Minute)}); err != nil {
		t.Fatal(err)
	}
	if err := s.SetUserProjects(ctx, fx.users[1], []string{"p2"}); err != nil {
		t.Fatal(err)
	}
	for _, id := range []store.Identity{
		{Issuer: "https://id.example", Subject: "sub-admin", UserID: fx.users[0], CreatedAt: t0},
		{Issuer: "https://other.example", Subject: "sub-admin", UserID: fx.users[0], CreatedAt: t0.Add(time.Minute)},
		{Issuer: "https://id.example", Subject: "sub-viewer", UserID: fx.users[1], CreatedAt: t0.Add(time.Hour)},
	} {
		if err := s.CreateIdentity(ctx, id); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.EnsureSetting(ctx, "share_key", "secret-1"); err != nil {
		t.Fatal(err)
	}

	asset := func(c byte) string { return strings.Repeat(string(c), 64) }
	var bs []store.Batch
	for i, id := range []string{"s1", "s2", "s3", "s4"} {
		project := "p1"
		if i == 3 {
			project = "p2"
		}
		b := batch(project, id, "t", 0, t0.Add(time.Duration(i)*time.Minute), 4+i, "https://shop.example/?utm_source=news&utm_medium=mail", "https://shop.example/checkout")
		b.Browser, b.BrowserVersion, b.OS, b.Device, b.Country = "firefox", 120+i, "linux", "desktop", "DE"
		b.Errors, b.Failed, b.ErrorMessages = 1, 2, []string{"TypeError: x is undefined", fmt.Sprintf("Error %d", i)}
		b.EventNames = []string{"signup", "buy"}
		b.Traits = map[string]string{"plan": "pro", "n": fmt.Sprint(i)}
		b.Referrer = "https://news.example/item?id=1"
		b.EventProps = []store.Prop{{Key: "amount", Value: "12"}, {Key: "currency", Value: "EUR"}}
		b.Text = []string{"Add to cart", "Checkout", fmt.Sprintf("Order %d", i)}
		b.UserID = fmt.Sprintf("user-%d", i%2)
		if i == 0 {
			// An id the session had before its current one: the copy keeps both.
			b.UserIDs = []store.SessionUser{{UserID: "before-0", FirstAt: b.Chunk.FirstAt}, {UserID: b.UserID, FirstAt: b.Chunk.FirstAt.Add(time.Second)}}
		}
		b.ActiveMS = 1500
		b.Viewport = store.Viewport{Width: 1280, Height: 720}
		b.Scrubbed = map[string]int{"email": 1, "token": i}
		b.Content = []store.ContentRef{{Hash: asset('a'), Size: 2000, Stored: 300, Root: true}}
		b.Flags = []store.SessionFlag{{Name: "checkout", Variant: fmt.Sprintf("v%d", i%2), FirstAt: b.Chunk.FirstAt}}
		bs = append(bs, b)
	}
	for i, err := range s.AppendBatches(ctx, bs) {
		if err != nil {
			t.Fatalf("batch %d: %v", i, err)
		}
	}
	// A second tab and batch for s1, with more text (a second reference row).
	b := batch("p1", "s1", "u", 1, t0.Add(10*time.Second), 2, "https://shop.example/thanks")
	b.Text = []string{"Thank you", "Checkout"}
	b.Clicks = 3
	// Web vitals of that page view: one metric measured, one not, and an exact fraction.
	b.Vitals = []store.Vital{{Tab: "u", At: t0.Add(11 * time.Second), Metric: "lcp", Value: 2100}, {Tab: "u", At: t0.Add(12 * time.Second), Metric: "cls", Value: 0.125}}
	mustAppend(t, s, b)

	// Compact s1 and s2 with numbered content: a root holding a child.
	refs := []store.ContentRef{{Hash: asset('b'), Size: 5000, Stored: 900, Root: true, Children: []string{asset('c')}}, {Hash: asset('c'), Size: 1500, Stored: 200}}
	ids, err := s.NumberContent(ctx, "p1", refs, t0)
	if err != nil {
		t.Fatal(err)
	}
	for i := range refs {
		refs[i].ID = ids[refs[i].Hash]
		fx.contentIDs = append(fx.contentIDs, refs[i].ID)
	}
	compactAll(t, s, "s1", "sessions/p1/s1.compact.x", refs...)
	compactAll(t, s, "s2", "sessions/p1/s2.compact.y")
	if err := s.SaveAnalysis(ctx, store.Analysis{SessionID: "s1", Score: 70, Summary: "Rage-clicked Buy.", At: t0.Add(time.Hour),
		Counts:  map[string]int{"rage_click": 2, "dead_click": 1},
		Signals: []store.StoredSignal{signal("rage_click", "fp-rage", t0), signal("dead_click", "fp-dead", t0.Add(time.Second))}}); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveAnalysis(ctx, store.Analysis{SessionID: "s2", Score: 20, Summary: "Calm.", At: t0.Add(time.Hour),
		Counts: map[string]int{"rage_click": 1}, Signals: []store.StoredSignal{signal("rage_click", "fp-rage", t0.Add(time.Minute))}}); err != nil {
		t.Fatal(err)
	}
	heat := store.Heat{SessionID: "s1", Device: "desktop",
		Clicks: []store.HeatClick{
			{Tab: "t", At: t0, Path: "/checkout", Selector: "#buy", X: 0.25, Y: 0.5, W: 100, H: 40, PageX: 300, PageY: 200},
			{Tab: "t", At: t0.Add(time.Second), Path: "/checkout", Selector: "#buy", X: 1.0 / 3, Y: 0.75, W: 100, H: 40, PageX: 310, PageY: 210},
			{Tab: "u", At: t0.Add(2 * time.Second), Path: "/", Selector: "a.logo", X: 0.1, Y: 0.9, W: 50, H: 20, PageX: 10, PageY: 10},
		},
		Views: []store.PageDepth{{Tab: "t", At: t0, Seen: t0.Add(3 * time.Second), Path: "/checkout", Depth: 0.8}},
	}
	if err := s.SaveHeat(ctx, heat); err != nil {
		t.Fatal(err)
	}
	if err := s.SaveSteps(ctx, "s1", []store.Step{
		{At: t0, Kind: store.StepClick, Path: "/checkout", Name: "#buy", Text: `button#buy "Buy"`},
		{At: t0.Add(time.Second), Kind: store.StepEvent, Path: "/checkout", Name: "paid", Props: map[string]string{"plan": "pro"}},
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateFunnel(ctx, store.Funnel{ProjectID: "p1", Name: "Buy", Definition: `{"steps":[{"kind":"page","path":"/"},{"kind":"event","name":"paid"}],"order":"ordered"}`,
		OwnerID: fx.users[0], Shared: true, CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	arch := []store.Archived{{URL: "https://cdn.example/app.css", Hash: asset('d'), Type: "text/css", Size: 120, FetchedAt: t0},
		{URL: "https://cdn.example/gone.png", Error: "HTTP 404", FetchedAt: t0}}
	if err := s.SaveArchive(ctx, "s1", arch, []store.ContentRef{{Hash: asset('d'), Size: 130, Stored: 90, Root: true}}, t0); err != nil {
		t.Fatal(err)
	}

	ss, err := s.CreateSavedSearch(ctx, store.SavedSearch{ProjectID: "p1", Name: "Buyers", Query: "event:buy", OwnerID: fx.users[0], Shared: true, CreatedAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	fx.savedID = ss.ID
	if err := s.VisitSavedSearch(ctx, ss.ID, fx.users[1], t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateSavedSearch(ctx, store.SavedSearch{ProjectID: "p1", Name: "Mine", Query: "country:DE", OwnerID: fx.users[1], CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	pl, err := s.CreatePlaylist(ctx, store.Playlist{ProjectID: "p1", Name: "Look at these", OwnerID: fx.users[0], Shared: true, CreatedAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	fx.playlistID = pl.ID
	for _, id := range []string{"s2", "s1", "s3"} {
		if _, err := s.PinSession(ctx, pl.ID, store.Pin{Session: store.Session{ID: id}, Note: "see " + id, AddedAt: t0, AddedBy: fx.users[0]}); err != nil {
			t.Fatal(err)
		}
	}
	r := mustAlert(t, s, store.AlertRule{ProjectID: "p1", Name: "rage", Kind: "rage_click", Threshold: 1, Window: time.Hour, Webhook: "https://hooks.example/a", CreatedAt: t0,
		Format: store.FormatJSON, Secret: "whsec_moved"})
	if _, err := s.MarkFired(ctx, r.ID, t0.Add(time.Hour), t0); err != nil {
		t.Fatal(err)
	}
	mustAlert(t, s, store.AlertRule{ProjectID: "p1", Name: "buyers", SavedSearchID: ss.ID, Threshold: 5, Window: 24 * time.Hour, Webhook: "https://hooks.example/b", CreatedAt: t0,
		Format: store.FormatSlack, Secret: "whsec_b"})
	// API tokens (one limited, used and revoked) and audit entries.
	for _, tk := range []store.Token{
		{ID: "tokall", SecretHash: strings.Repeat("1", 64), Name: "ci", Scope: "read", CreatedBy: fx.users[0], CreatedAt: t0, ExpiresAt: t0.Add(90 * 24 * time.Hour)},
		{ID: "tokp2", SecretHash: strings.Repeat("2", 64), Name: "deploy", Scope: "write", Projects: []string{"p2"}, CreatedBy: fx.users[0],
			CreatedAt: t0.Add(time.Second), ExpiresAt: t0.Add(time.Hour), LastUsedAt: t0.Add(time.Minute), RevokedAt: t0.Add(2 * time.Minute)},
	} {
		if err := s.CreateToken(ctx, tk); err != nil {
			t.Fatal(err)
		}
	}
	for i, action := range []string{"login", "session.view", "token.create"} {
		if err := s.AppendAudit(ctx, store.AuditEntry{At: t0.Add(time.Duration(i) * time.Second), ActorID: fx.users[0], Actor: "admin@example.com",
			Action: action, Project: "p1", Target: "s1", Client: "192.0.2.1", Detail: json.RawMessage(`{"n":1}`)}); err != nil {
			t.Fatal(err)
		}
	}
	for _, l := range []store.ShareLink{
		{ID: "sh_move1", TokenHash: asset('1'), SessionID: "s1", ProjectID: "p1", CreatedBy: fx.users[0], CreatedAt: t0, ExpiresAt: t0.Add(time.Hour), AtMS: 1500, Note: "see the total"},
		{ID: "sh_move2", TokenHash: asset('2'), SessionID: "s2", ProjectID: "p1", CreatedAt: t0, ExpiresAt: t0.Add(2 * time.Hour)},
	} {
		if err := s.CreateShare(ctx, l); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.RevokeShare(ctx, "sh_move2", t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	for _, c := range []store.Comment{
		{ID: "cm_move1", SessionID: "s1", ProjectID: "p1", AuthorID: fx.users[0], Author: "admin@example.com", AtMS: 2500, Body: "The total jumps here", CreatedAt: t0},
		{ID: "cm_move2", SessionID: "s2", ProjectID: "p1", AuthorID: fx.users[1], Author: "someone@example.com", AtMS: 0, Body: "Starts broken", CreatedAt: t0.Add(time.Second)},
	} {
		if err := s.CreateComment(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.EditComment(ctx, "cm_move2", "Starts broken, twice", t0.Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.RotateKey(ctx, "p1", "pk_p1_rotated", t0.Add(24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordErased(ctx, "p1", []string{"s_gone_a", "s_gone_b"}, t0); err != nil {
		t.Fatal(err)
	}
	return fx
}

// exportAll returns every record of s.
func exportAll(t *testing.T, s store.Index) []store.Record {
	t.Helper()
	var out []store.Record
	if err := s.Export(context.Background(), func(r store.Record) error {
		out = append(out, r)
		return nil
	}); err != nil {
		t.Fatalf("Export: %v", err)
	}
	return out
}

// importAll imports recs in batches of n.
func importAll(t *testing.T, s store.Index, recs []store.Record, n int) {
	t.Helper()
	for i := 0; i < len(recs); i += n {
		if err := s.Import(context.Background(), recs[i:min(i+n, len(recs))]); err != nil {
			t.Fatalf("Import of records %d…: %v", i, err)
		}
	}
}

// readAll is what the read methods answer about a filled index, as text to compare.
func readAll(t *testing.T, s store.Index, fx moveFixture) string {
	t.Helper()
	ctx := context.Background()
	var b strings.Builder
	add := func(what string, v any, err error) {
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		j, err := json.Marshal(v)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		fmt.Fprintf(&b, "%s: %s\n", what, j)
	}
	ps, err := s.Projects(ctx)
	add("Projects", ps, err)
	for _, id := range fx.users {
		u, err := s.UserByID(ctx, id)
		add("UserByID", u, err)
	}
	n, err := s.CountUsers(ctx)
	add("CountUsers", n, err)
	for _, c := range [][2]string{{"https://id.example", "sub-admin"}, {"https://other.example", "sub-admin"}, {"https://id.example", "sub-viewer"}} {
		u, err := s.UserByIdentity(ctx, c[0], c[1])
		add("UserByIdentity "+c[0]+" "+c[1], u.ID, err)
	}
	for _, q := range []string{"", "country:DE", "event:buy", "user.plan:pro", "error:TypeError", "visited:/checkout", "text:\"thank you\"",
		"issue:fp-rage", "utm_source:news", "referrer:news.example", "event.amount:12", "browser:firefox sort:longest", "user:user-1", "user:before-0", "rage:>0"} {
		var pq *search.Query
		if q != "" {
			if pq, err = search.Parse(q); err != nil {
				t.Fatalf("parse %q: %v", q, err)
			}
		}
		for _, project := range []string{"", "p1"} {
			page, err := s.ListSessions(ctx, store.ListQuery{ProjectID: project, Limit: 10, Query: pq, Count: true})
			add(fmt.Sprintf("ListSessions(%q, %q)", project, q), page, err)
		}
	}
	for _, id := range []string{"s1", "s2", "s3", "s4"} {
		x, err := s.GetSession(ctx, id)
		add("GetSession "+id, x, err)
		cs, err := s.Chunks(ctx, id)
		add("Chunks "+id, cs, err)
		gs, err := s.Segments(ctx, id)
		add("Segments "+id, gs, err)
		as, err := s.SessionArchive(ctx, id)
		add("SessionArchive "+id, as, err)
		vs, err := s.SessionVitals(ctx, id)
		add("SessionVitals "+id, vs, err)
		has, err := s.HasChunk(ctx, x.ProjectID, id, "t", 0)
		add("HasChunk "+id, has, err)
	}
	hs, err := s.ContentHashes(ctx, "p1", fx.contentIDs)
	add("ContentHashes", hs, err)
	miss, err := s.MissingContent(ctx, "p1", []string{strings.Repeat("a", 64), strings.Repeat("b", 64), strings.Repeat("e", 64)})
	add("MissingContent", miss, err)
	is, err := s.Issues(ctx, store.IssueQuery{ProjectID: "p1", Since: t0.Add(-time.Hour), Until: t0.Add(24 * time.Hour), Limit: 10})
	add("Issues", is, err)
	hm, err := s.Heatmap(ctx, store.HeatmapQuery{ProjectID: "p1", Page: "*", From: t0.Add(-time.Hour), To: t0.Add(time.Hour), Bins: 4})
	add("Heatmap", hm, err)
	vs, err := s.Visits(ctx, "p1", t0.Add(-time.Hour), t0.Add(time.Hour), 10)
	add("Visits", vs, err)
	for _, u := range fx.users {
		sv, err := s.SavedSearches(ctx, "p1", u)
		add("SavedSearches", sv, err)
		pl, err := s.Playlists(ctx, "p1", u)
		add("Playlists", pl, err)
	}
	pins, err := s.Pins(ctx, fx.playlistID)
	add("Pins", pins, err)
	for _, id := range []string{"s1", "s2"} {
		cs, err := s.SessionComments(ctx, id)
		add("SessionComments", cs, err)
		sh, err := s.SessionShares(ctx, id)
		add("SessionShares", sh, err)
	}
	al, err := s.Alerts(ctx, "")
	add("Alerts", al, err)
	a, ok, err := s.LatestArchived(ctx, "p1", "https://cdn.example/app.css")
	add("LatestArchived", fmt.Sprint(a, ok), err)
	key, err := s.EnsureSetting(ctx, "share_key", "another")
	add("EnsureSetting", key, err)
	idle, err := s.IdleSessions(ctx, time.Now().Add(time.Hour), 10)
	add("IdleSessions", idle, err)
	tks, err := s.Tokens(ctx)
	add("Tokens", tks, err)
	log, err := s.ListAudit(ctx, store.AuditQuery{Limit: 100})
	add("ListAudit", log, err)
	return b.String()
}

func testMoveRoundTrip(t *testing.T, open func(t *testing.T) store.Index) {
	src := open(t)
	t.Cleanup(func() { src.Close() })
	fx := FillForMove(t, src)
	recs := exportAll(t, src)
	dst := open(t)
	t.Cleanup(func() { dst.Close() })
	importAll(t, dst, recs, 3)
	if got, want := readAll(t, dst, fx), readAll(t, src, fx); got != want {
		t.Errorf("the copy answers differently:\n%s", lineDiff(want, got))
	}
	again := exportAll(t, dst)
	if got, want := countsOf(again), countsOf(recs); !reflect.DeepEqual(got, want) {
		t.Errorf("the copy exports %v, the source %v", got, want)
	}
	if !reflect.DeepEqual(asJSON(t, again), asJSON(t, recs)) {
		t.Errorf("the copy exports other records than the source:\n%s", lineDiff(strings.Join(asJSON(t, recs), "\n"), strings.Join(asJSON(t, again), "\n")))
	}
	// Logins are not copied: people log in again.
	if _, err := dst.LoginByTokenHash(context.Background(), "tok", t0); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("a login was copied: %v", err)
	}
	want := store.Counts{"projects": 2, "users": 2, "project access": 1, "identities": 3, "sessions": 4, "settings": 1, "saved searches": 2, "playlists": 1, "pins": 3, "alert rules": 2,
		"api tokens": 2, "audit entries": 3, "share links": 2, "comments": 2, "erased sessions": 2, "session user ids": 5, "page vitals": 1}
	for k, n := range want {
		if got := countsOf(recs)[k]; got != n {
			t.Errorf("export counts %d %s, want %d", got, k, n)
		}
	}
}

// testMoveResume: an import that stopped after part of the records, then imported in full,
// then imported again, leaves the same index as one import.
func testMoveResume(t *testing.T, open func(t *testing.T) store.Index) {
	src := open(t)
	t.Cleanup(func() { src.Close() })
	fx := FillForMove(t, src)
	recs := exportAll(t, src)
	dst := open(t)
	t.Cleanup(func() { dst.Close() })
	importAll(t, dst, recs[:len(recs)/2], 2)
	importAll(t, dst, recs, 5)
	importAll(t, dst, recs, len(recs))
	if got, want := readAll(t, dst, fx), readAll(t, src, fx); got != want {
		t.Errorf("the resumed copy answers differently:\n%s", lineDiff(want, got))
	}
	if got, want := asJSON(t, exportAll(t, dst)), asJSON(t, recs); !reflect.DeepEqual(got, want) {
		t.Errorf("the resumed copy exports other records:\n%s", lineDiff(strings.Join(want, "\n"), strings.Join(got, "\n")))
	}
}

// testMoveMissingParent: a session whose project was not imported is refused, and nothing of
// the failed import stays.
func testMoveMissingParent(t *testing.T, open func(t *testing.T) store.Index) {
	src := open(t)
	t.Cleanup(func() { src.Close() })
	FillForMove(t, src)
	var sess []store.Record
	for _, r := range exportAll(t, src) {
		if r.Session != nil {
			sess = append(sess, r)
		}
	}
	dst := open(t)
	t.Cleanup(func() { dst.Close() })
	if err := dst.Import(context.Background(), sess[:1]); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("importing a session without its project: %v, want ErrNotFound", err)
	}
	if _, err := dst.GetSession(context.Background(), sess[0].Session.Session.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("after a failed import, GetSession = %v, want ErrNotFound", err)
	}
}

func countsOf(recs []store.Record) store.Counts {
	c := store.Counts{}
	for _, r := range recs {
		c.Add(r)
	}
	return c
}

// asJSON is each record as JSON, for comparing exports.
func asJSON(t *testing.T, recs []store.Record) []string {
	t.Helper()
	out := make([]string, len(recs))
	for i, r := range recs {
		b, err := json.Marshal(r)
		if err != nil {
			t.Fatal(err)
		}
		out[i] = string(b)
	}
	return out
}

// lineDiff lists the lines of want and got that differ, by position.
func lineDiff(want, got string) string {
	w, g := strings.Split(want, "\n"), strings.Split(got, "\n")
	var b strings.Builder
	for i := range max(len(w), len(g)) {
		var x, y string
		if i < len(w) {
			x = w[i]
		}
		if i < len(g) {
			y = g[i]
		}
		if x != y {
			fmt.Fprintf(&b, "- %s\n+ %s\n", x, y)
		}
	}
	return b.String()
}

// DiffRecords lists the records of got that differ from want's, as JSON lines; empty when
// the two are the same.
func DiffRecords(want, got []store.Record) string {
	enc := func(recs []store.Record) string {
		var b strings.Builder
		for _, r := range recs {
			j, err := json.Marshal(r)
			if err != nil {
				return err.Error()
			}
			b.Write(j)
			b.WriteByte('\n')
		}
		return b.String()
	}
	w, g := enc(want), enc(got)
	if w == g {
		return ""
	}
	return lineDiff(w, g)
}
