package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/reelhq/reel/internal/store"
)

// RunHeatmaps runs the contract of store.Heatmaps: clicks binned per element, scroll depth,
// the backdrop, the filters, re-saving, and deletion with the sessions.
func RunHeatmaps(t *testing.T, open func(t *testing.T) store.Index) {
	ctx := context.Background()
	db := open(t)
	t.Cleanup(func() { db.Close() })
	for _, p := range []string{"p", "other"} {
		if err := db.CreateProject(ctx, store.Project{ID: p, Name: p, PublicKey: "pk_" + p}); err != nil {
			t.Fatal(err)
		}
	}
	sessions, heats := HeatFixture()
	for _, s := range sessions {
		b := store.Batch{ProjectID: s.Project, Chunk: store.Chunk{SessionID: s.ID, Tab: "tab_0001", FirstAt: s.At, LastAt: s.At.Add(time.Minute), BlobKey: s.ID}}
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
	q := CheckHeatmaps(t, db)
	t0 := HeatT0
	// Analysing a session again replaces its rows.
	save(store.Heat{SessionID: "s_desk", Device: "desktop", Clicks: []store.HeatClick{heatClickAt(t0, "/demo/cart.html", "#pay", 0.1, 0.1, 50, 700)}})
	if hm, _ := db.Heatmap(ctx, q); hm.Clicks != 2 || hm.Views != 1 {
		t.Errorf("after re-saving: clicks %d views %d, want 2 and 1", hm.Clicks, hm.Views)
	}
	if err := db.SaveHeat(ctx, store.Heat{SessionID: "s_nobody"}); !errors.Is(err, store.ErrNotFound) {
		t.Errorf("SaveHeat of an unknown session = %v, want ErrNotFound", err)
	}
	// A position the SDK would not send (not in thousandths) is kept exactly.
	save(store.Heat{SessionID: "s_home", Device: "desktop", Clicks: []store.HeatClick{heatClickAt(t0.Add(2*time.Hour), "/odd", "#odd", 1.0/3, 0.25, 0, 0)}})
	hm, err := db.Heatmap(ctx, store.HeatmapQuery{ProjectID: "p", Page: "/odd", From: t0, To: t0.Add(3 * time.Hour), Bins: 3})
	if err != nil || hm.Clicks != 1 || len(hm.Bins) != 1 || hm.Bins[0].X != 0.5 || hm.Bins[0].Y != 0.5/3 {
		t.Errorf("odd position: %+v, %v; want one click in the middle cell of the top row", hm, err)
	}

	// Deleting sessions (retention, erasure) deletes their points.
	if _, err := db.DeleteSessions(ctx, []string{"s_desk", "s_phone"}); err != nil {
		t.Fatal(err)
	}
	if hm, _ := db.Heatmap(ctx, q); hm.Clicks != 0 || hm.Views != 0 || hm.Backdrop != nil {
		t.Errorf("after deleting: %+v, want nothing", hm)
	}
	// The other project's cart page stays.
	hm, err = db.Heatmap(ctx, store.HeatmapQuery{ProjectID: "other", Page: "/demo/cart.html", From: q.From, To: q.To, Bins: 10})
	if err != nil || hm.Clicks != 1 {
		t.Errorf("the other project's heatmap after deleting = %+v, %v; want its click", hm, err)
	}
}

// HeatT0 is when HeatFixture's sessions start.
var HeatT0 = time.Date(2026, 11, 1, 10, 0, 0, 0, time.UTC)

const heatCoupon = `button[data-testid="apply-coupon"]`

func heatClickAt(at time.Time, path, sel string, x, y float64, px, py int) store.HeatClick {
	return store.HeatClick{Tab: "tab_0001", At: at, Path: path, Selector: sel, X: x, Y: y, W: 120, H: 40, PageX: px, PageY: py}
}

// HeatSession is a session of HeatFixture.
type HeatSession struct {
	Project, ID string
	At          time.Time
}

// HeatFixture is the sessions and heat that CheckHeatmaps queries (a backend's migration
// tests load it their own way).
func HeatFixture() ([]HeatSession, []store.Heat) {
	t0, coupon, click := HeatT0, heatCoupon, heatClickAt
	view := func(at time.Time, path string, depth float64) store.PageDepth {
		return store.PageDepth{Tab: "tab_0001", At: at, Seen: at.Add(5 * time.Second), Path: path, Depth: depth}
	}
	sessions := []HeatSession{{"p", "s_desk", t0}, {"p", "s_phone", t0.Add(time.Hour)}, {"p", "s_home", t0.Add(2 * time.Hour)}, {"other", "s_elsewhere", t0}}
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

// CheckHeatmaps runs heatmap queries over HeatFixture's data and returns the first.
func CheckHeatmaps(t *testing.T, db store.Heatmaps) store.HeatmapQuery {
	t.Helper()
	ctx, t0, coupon := context.Background(), HeatT0, heatCoupon
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
	// Every device: the backdrop is a view on the device with the most clicks (desktop, 3 of 4),
	// not the latest view (the phone's), so desktop clicks are not drawn over a phone's layout.
	if b := hm.Backdrop; b == nil || b.SessionID != "s_desk" || b.Device != "desktop" || b.Path != "/demo/cart.html" || !b.At.Equal(t0.Add(5*time.Second)) || !b.SessionStarted.Equal(t0) {
		t.Errorf("backdrop = %+v, want the desktop's view", hm.Backdrop)
	}

	cases := []struct {
		name                string
		q                   store.HeatmapQuery
		clicks, views, bins int
		backdrop            string
	}{
		{"device filter", store.HeatmapQuery{Device: "desktop"}, 3, 1, 2, "s_desk"},
		{"one device's backdrop is its own", store.HeatmapQuery{Device: "mobile"}, 1, 1, 1, "s_phone"},
		{"no such device", store.HeatmapQuery{Device: "tablet"}, 0, 0, 0, ""},
		{"exact path", store.HeatmapQuery{Page: "/demo/"}, 1, 1, 1, "s_home"},
		{"every page", store.HeatmapQuery{Page: "*"}, 5, 3, 3, "s_home"},
		{"glob specials are literal", store.HeatmapQuery{Page: "/demo/[c]art.html"}, 0, 0, 0, ""},
		{"like specials are literal", store.HeatmapQuery{Page: "/demo/_art.html"}, 0, 0, 0, ""},
		{"patterns are case-sensitive", store.HeatmapQuery{Page: "/DEMO/*"}, 0, 0, 0, ""},
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
