package sqlite

import (
	"context"
	"errors"
	"math"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/reelhq/reel/internal/store"
)

func TestHeatmaps(t *testing.T) {
	ctx := context.Background()
	db, err := Open(ctx, filepath.Join(t.TempDir(), "index.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for _, p := range []string{"p", "other"} {
		if err := db.CreateProject(ctx, store.Project{ID: p, Name: p, PublicKey: "pk_" + p}); err != nil {
			t.Fatal(err)
		}
	}
	t0 := heatT0
	sessions, heats := heatFixture()
	for _, s := range sessions {
		b := store.Batch{ProjectID: s.project, Chunk: store.Chunk{SessionID: s.id, Tab: "tab_0001", FirstAt: s.at, LastAt: s.at.Add(time.Minute), BlobKey: s.id}}
		if err := db.AppendBatch(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	save := func(h store.Heat) {
		t.Helper()
		if err := db.SaveHeat(ctx, h); err != nil {
			t.Fatal(err)
		}
	}
	for _, h := range heats {
		save(h)
	}
	q := checkHeatmaps(t, db)
	click := heatClickAt
	// Analysing a session again replaces its rows.
	save(store.Heat{SessionID: "s_desk", Device: "desktop", Clicks: []store.HeatClick{click(t0, "/demo/cart.html", "#pay", 0.1, 0.1, 50, 700)}})
	if hm, _ := db.Heatmap(ctx, q); hm.Clicks != 2 || hm.Views != 1 {
		t.Errorf("after re-saving: clicks %d views %d, want 2 and 1", hm.Clicks, hm.Views)
	}
	if err := db.SaveHeat(ctx, store.Heat{SessionID: "s_nobody"}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("SaveHeat of an unknown session = %v, want ErrNotFound", err)
	}

	// Deleting sessions (retention, erasure) deletes their points.
	if _, err := db.DeleteSessions(ctx, []string{"s_desk", "s_phone"}); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM heat WHERE session_id IN ('s_desk', 's_phone')`).Scan(&n); err != nil || n != 0 {
		t.Errorf("heat rows of deleted sessions = %d, %v", n, err)
	}
	// The cart page was shown only by them (in this project); its path goes too.
	if err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM heat_pages WHERE project_id = 'p' AND path = '/demo/cart.html'`).Scan(&n); err != nil || n != 0 {
		t.Errorf("paths of deleted sessions = %d, %v", n, err)
	}
	if err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM heat_pages`).Scan(&n); err != nil || n != 2 {
		t.Errorf("paths left = %d, %v; want 2 (/demo/ in p, the cart in other)", n, err)
	}
	if hm, _ := db.Heatmap(ctx, q); hm.Clicks != 0 || hm.Views != 0 || hm.Backdrop != nil {
		t.Errorf("after deleting: %+v, want nothing", hm)
	}
}

var heatT0 = time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)

const heatCoupon = `button[data-testid="apply-coupon"]`

func heatClickAt(at time.Time, path, sel string, x, y float64, px, py int) store.HeatClick {
	return store.HeatClick{Tab: "tab_0001", At: at, Path: path, Selector: sel, X: x, Y: y, W: 120, H: 40, PageX: px, PageY: py}
}

type heatSession struct {
	project, id string
	at          time.Time
}

// heatFixture is the sessions and heat TestHeatmaps and TestHeatMigration query.
func heatFixture() ([]heatSession, []store.Heat) {
	t0, coupon, click := heatT0, heatCoupon, heatClickAt
	view := func(at time.Time, path string, depth float64) store.PageDepth {
		return store.PageDepth{Tab: "tab_0001", At: at, Seen: at.Add(5 * time.Second), Path: path, Depth: depth}
	}
	sessions := []heatSession{{"p", "s_desk", t0}, {"p", "s_phone", t0.Add(time.Hour)}, {"p", "s_home", t0.Add(2 * time.Hour)}, {"other", "s_elsewhere", t0}}
	// The coupon button sits at the right on desktop and below the list on a phone: the same
	// place within the button is two different page positions.
	heats := []store.Heat{
		{SessionID: "s_desk", Device: "desktop",
			Clicks: []store.HeatClick{click(t0, "/demo/cart.html", coupon, 0.52, 0.48, 900, 300), click(t0, "/demo/cart.html", coupon, 0.51, 0.49, 899, 300), click(t0, "/demo/cart.html", "#pay", 0.1, 0.1, 50, 700)},
			Views:  []store.PageDepth{view(t0, "/demo/cart.html", 0.45)}},
		{SessionID: "s_phone", Device: "mobile",
			Clicks: []store.HeatClick{click(t0.Add(time.Hour), "/demo/cart.html", coupon, 0.53, 0.47, 195, 1210)},
			Views:  []store.PageDepth{view(t0.Add(time.Hour), "/demo/cart.html", 1)}},
		{SessionID: "s_home", Device: "desktop",
			Clicks: []store.HeatClick{click(t0.Add(2*time.Hour), "/demo/", "#add", 1, 1, 10, 10)},
			Views:  []store.PageDepth{view(t0.Add(2*time.Hour), "/demo/", 0.2)}},
		{SessionID: "s_elsewhere", Device: "desktop", Clicks: []store.HeatClick{click(t0, "/demo/cart.html", coupon, 0.5, 0.5, 1, 1)}},
	}
	return sessions, heats
}

// checkHeatmaps runs heatmap queries over heatFixture's data and returns the first.
func checkHeatmaps(t *testing.T, db *DB) store.HeatmapQuery {
	t.Helper()
	ctx, t0, coupon := context.Background(), heatT0, heatCoupon
	q := store.HeatmapQuery{ProjectID: "p", Page: "/demo/cart*", From: t0.Add(-time.Hour), To: t0.Add(24 * time.Hour), Bins: 10}
	hm, err := db.Heatmap(ctx, q)
	if err != nil {
		t.Fatal(err)
	}
	if hm.Clicks != 4 || hm.Sessions != 2 || hm.Views != 2 || len(hm.Bins) != 2 {
		t.Fatalf("heatmap = %+v, want 4 clicks in 2 sessions, 2 views, 2 bins", hm)
	}
	if b := hm.Bins[0]; b.Selector != coupon || b.Clicks != 3 || b.X != 0.55 || b.Y != 0.45 || b.PageX != 665 {
		t.Errorf("first bin = %+v, want the coupon's cell (0.55, 0.45) with 3 clicks at mean page x 665", b)
	}
	if want := [11]int{2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1}; hm.Reached != want {
		t.Errorf("reached = %v, want %v", hm.Reached, want)
	}
	if b := hm.Backdrop; b == nil || b.SessionID != "s_phone" || b.Path != "/demo/cart.html" || !b.At.Equal(t0.Add(time.Hour+5*time.Second)) || !b.SessionStarted.Equal(t0.Add(time.Hour)) {
		t.Errorf("backdrop = %+v, want the phone's view", hm.Backdrop)
	}

	cases := []struct {
		name                string
		q                   store.HeatmapQuery
		clicks, views, bins int
		backdrop            string
	}{
		{"device filter", store.HeatmapQuery{Device: "desktop"}, 3, 1, 2, "s_desk"},
		{"no such device", store.HeatmapQuery{Device: "tablet"}, 0, 0, 0, ""},
		{"exact path", store.HeatmapQuery{Page: "/demo/"}, 1, 1, 1, "s_home"},
		{"every page", store.HeatmapQuery{Page: "*"}, 5, 3, 3, "s_home"},
		{"glob specials are literal", store.HeatmapQuery{Page: "/demo/[c]art.html"}, 0, 0, 0, ""},
		{"time window", store.HeatmapQuery{From: t0.Add(30 * time.Minute), To: t0.Add(90 * time.Minute)}, 1, 1, 1, "s_phone"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			q2 := q
			if tc.q.Device != "" {
				q2.Device = tc.q.Device
			}
			if tc.q.Page != "" {
				q2.Page = tc.q.Page
			}
			if !tc.q.From.IsZero() {
				q2.From, q2.To = tc.q.From, tc.q.To
			}
			hm, err := db.Heatmap(ctx, q2)
			if err != nil {
				t.Fatal(err)
			}
			got := ""
			if hm.Backdrop != nil {
				got = hm.Backdrop.SessionID
			}
			if hm.Clicks != tc.clicks || hm.Views != tc.views || len(hm.Bins) != tc.bins || got != tc.backdrop {
				t.Errorf("clicks %d views %d bins %d backdrop %q; want %d %d %d %q", hm.Clicks, hm.Views, len(hm.Bins), got, tc.clicks, tc.views, tc.bins, tc.backdrop)
			}
		})
	}

	// Without any view that reported a depth, the latest click is the backdrop.
	hm, err = db.Heatmap(ctx, store.HeatmapQuery{ProjectID: "other", Page: "*", From: q.From, To: q.To, Bins: 10})
	if err != nil || hm.Backdrop == nil || hm.Backdrop.SessionID != "s_elsewhere" || !hm.Backdrop.At.Equal(t0) {
		t.Errorf("backdrop from clicks = %+v, %v", hm.Backdrop, err)
	}

	return q
}

// TestHeatMigration: the rows of heat_clicks and heat_views (migration 0006) are packed by
// migration 0013 and give the same heatmaps.
func TestHeatMigration(t *testing.T) {
	ctx := context.Background()
	path, old := migratedTo(t, func(v int) bool { return v <= 12 })
	sessions, heats := heatFixture()
	project := map[string]string{}
	for _, s := range sessions {
		project[s.id] = s.project
		if _, err := old.ExecContext(ctx, `INSERT INTO projects(id, name, public_key, allowed_origins, created_at) VALUES (?, ?, ?, '[]', 0) ON CONFLICT DO NOTHING`, s.project, s.project, "pk_"+s.project); err != nil {
			t.Fatal(err)
		}
		if _, err := old.ExecContext(ctx, `INSERT INTO sessions(id, project_id, started_at, ended_at, user_agent, updated_at) VALUES (?, ?, ?, ?, '', ?)`, s.id, s.project, ms(s.at), ms(s.at), ms(s.at)); err != nil {
			t.Fatal(err)
		}
	}
	for _, h := range heats {
		for _, c := range h.Clicks {
			if _, err := old.ExecContext(ctx, `INSERT INTO heat_clicks(session_id, project_id, tab, path, device, at, selector, x, y, w, h, page_x, page_y)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, h.SessionID, project[h.SessionID], c.Tab, c.Path, h.Device, ms(c.At), c.Selector, c.X, c.Y, c.W, c.H, c.PageX, c.PageY); err != nil {
				t.Fatal(err)
			}
		}
		for _, v := range h.Views {
			if _, err := old.ExecContext(ctx, `INSERT INTO heat_views(session_id, project_id, tab, path, device, at, seen_at, depth) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
				h.SessionID, project[h.SessionID], v.Tab, v.Path, h.Device, ms(v.At), ms(v.Seen), int(math.Round(v.Depth*100))); err != nil {
				t.Fatal(err)
			}
		}
	}
	// A position the SDK would not send (not in thousandths) moves over exactly.
	for _, q := range []string{`INSERT INTO projects(id, name, public_key, allowed_origins, created_at) VALUES ('odd', 'odd', 'pk_odd', '[]', 0)`,
		`INSERT INTO sessions(id, project_id, started_at, ended_at, user_agent, updated_at) VALUES ('s_odd', 'odd', ?1, ?1, '', ?1)`,
		`INSERT INTO heat_clicks(session_id, project_id, tab, path, device, at, selector, x, y, w, h, page_x, page_y)
			VALUES ('s_odd', 'odd', 'tab_0001', '/odd', 'desktop', ?1, '#odd', ?2, 0.25, 1, 1, 0, 0)`} {
		if _, err := old.ExecContext(ctx, q, ms(heatT0), 1.0/3); err != nil {
			t.Fatal(err)
		}
	}
	old.Close()

	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	checkHeatmaps(t, db)
	hm, err := db.Heatmap(ctx, store.HeatmapQuery{ProjectID: "odd", Page: "/odd", From: heatT0, To: heatT0.Add(time.Hour), Bins: 3})
	if err != nil || hm.Clicks != 1 || len(hm.Bins) != 1 || hm.Bins[0].X != 0.5 || hm.Bins[0].Y != 0.5/3 {
		t.Errorf("odd position after migrating: %+v, %v; want one click in the middle cell of the top row", hm, err)
	}
	for _, table := range []string{"heat_clicks", "heat_views"} {
		var n int
		if err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM sqlite_schema WHERE name = ?`, table).Scan(&n); err != nil || n != 0 {
			t.Errorf("table %s still there: %d, %v", table, n, err)
		}
	}
}

func TestPackHeat(t *testing.T) {
	clicks := []heatClick{
		{tab: "tab_1", selector: "#a", at: 1000, x: 0.5, y: 1, w: 120, h: 40, pageX: -5, pageY: 3000},
		{tab: "tab_2", selector: "#a", at: 1001, x: 1.0 / 3, y: 0, w: 0, h: 0, pageX: 1e7, pageY: -1e7},
	}
	views := []heatView{{tab: "tab_1", at: 990, seen: 2000, depth: 45}, {tab: "tab_2", at: 1500, seen: 1500, depth: 100}}
	data := packHeat(990, clicks, views)
	c, v, err := unpackHeat(990, data)
	if err != nil || !slices.Equal(c, clicks) || !slices.Equal(v, views) {
		t.Fatalf("round trip = %+v %+v, %v", c, v, err)
	}
	for i := range data {
		if _, _, err := unpackHeat(990, data[:i]); err == nil {
			t.Errorf("truncated to %d bytes: no error", i)
		}
	}
}

func FuzzUnpackHeat(f *testing.F) {
	f.Add(packHeat(5, []heatClick{{tab: "t", selector: "#a", at: 7, x: 0.25, y: 1.0 / 3, w: 1, h: 2, pageX: 3, pageY: 4}}, []heatView{{tab: "t", at: 5, seen: 9, depth: 50}}))
	f.Add([]byte{1, 0, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		c, v, err := unpackHeat(0, data)
		if err != nil {
			return
		}
		// What decodes packs again to something that decodes the same.
		c2, v2, err := unpackHeat(0, packHeat(0, c, v))
		if err != nil || len(c2) != len(c) || len(v2) != len(v) {
			t.Fatalf("repacked: %v", err)
		}
	})
}
