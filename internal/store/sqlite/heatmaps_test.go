package sqlite

import (
	"context"
	"math"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/reelhq/reel/internal/store"
	"github.com/reelhq/reel/internal/store/storetest"
)

func TestHeatmaps(t *testing.T) {
	storetest.RunHeatmaps(t, func(t *testing.T) store.Index { return openIndex(t) })
}

// openIndex opens a fresh index in a temporary directory.
func openIndex(t *testing.T) *DB {
	t.Helper()
	db, err := Open(context.Background(), filepath.Join(t.TempDir(), "index.db"))
	if err != nil {
		t.Fatal(err)
	}
	return db
}

// TestHeatPathsGoWithSessions: deleting sessions deletes their heat rows, and a path only they
// showed (which may name the person) goes too.
func TestHeatPathsGoWithSessions(t *testing.T) {
	ctx := context.Background()
	db := openIndex(t)
	defer db.Close()
	for _, p := range []string{"p", "other"} {
		if err := db.CreateProject(ctx, store.Project{ID: p, Name: p, PublicKey: "pk_" + p}); err != nil {
			t.Fatal(err)
		}
	}
	sessions, heats := storetest.HeatFixture()
	for _, s := range sessions {
		b := store.Batch{ProjectID: s.Project, Chunk: store.Chunk{SessionID: s.ID, Tab: "tab_0001", FirstAt: s.At, LastAt: s.At.Add(time.Minute), BlobKey: s.ID}}
		if err := db.AppendBatch(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	for _, h := range heats {
		if err := db.SaveHeat(ctx, h); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.DeleteSessions(ctx, []string{"s_desk", "s_phone"}); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM heat WHERE session_id IN ('s_desk', 's_phone')`).Scan(&n); err != nil || n != 0 {
		t.Errorf("heat rows of deleted sessions = %d, %v", n, err)
	}
	if err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM heat_pages WHERE project_id = 'p' AND path = '/demo/cart.html'`).Scan(&n); err != nil || n != 0 {
		t.Errorf("paths of deleted sessions = %d, %v", n, err)
	}
	if err := db.read.QueryRowContext(ctx, `SELECT COUNT(*) FROM heat_pages`).Scan(&n); err != nil || n != 2 {
		t.Errorf("paths left = %d, %v; want 2 (/demo/ in p, the cart in other)", n, err)
	}
}

// TestHeatMigration: the rows of heat_clicks and heat_views (migration 0006) are packed by
// migration 0013 and give the same heatmaps.
func TestHeatMigration(t *testing.T) {
	ctx := context.Background()
	path, old := migratedTo(t, func(v int) bool { return v <= 12 })
	sessions, heats := storetest.HeatFixture()
	project := map[string]string{}
	for _, s := range sessions {
		project[s.ID] = s.Project
		if _, err := old.ExecContext(ctx, `INSERT INTO projects(id, name, public_key, allowed_origins, created_at) VALUES (?, ?, ?, '[]', 0) ON CONFLICT DO NOTHING`, s.Project, s.Project, "pk_"+s.Project); err != nil {
			t.Fatal(err)
		}
		if _, err := old.ExecContext(ctx, `INSERT INTO sessions(id, project_id, started_at, ended_at, user_agent, updated_at) VALUES (?, ?, ?, ?, '', ?)`, s.ID, s.Project, ms(s.At), ms(s.At), ms(s.At)); err != nil {
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
		if _, err := old.ExecContext(ctx, q, ms(storetest.HeatT0), 1.0/3); err != nil {
			t.Fatal(err)
		}
	}
	old.Close()

	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	storetest.CheckHeatmaps(t, db)
	hm, err := db.Heatmap(ctx, store.HeatmapQuery{ProjectID: "odd", Page: "/odd", From: storetest.HeatT0, To: storetest.HeatT0.Add(time.Hour), Bins: 3})
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
