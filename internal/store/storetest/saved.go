package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/reelhq/reel/internal/store"
)

// RunSaved runs the contract of store.Saved.
func RunSaved(t *testing.T, open func(t *testing.T) store.Index) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Index)
	}{
		{"SavedSearches", testSavedSearches},
		{"Playlists", testPlaylists},
		{"DeletingSessionsUnpins", testDeletingSessionsUnpins},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() { s.Close() })
			tc.fn(t, s)
		})
	}
}

const (
	alice = int64(1)
	bob   = int64(2)
)

func names[T any](xs []T, name func(T) string) string {
	out := ""
	for i, x := range xs {
		if i > 0 {
			out += ","
		}
		out += name(x)
	}
	return out
}

func testSavedSearches(t *testing.T, s store.Index) {
	ctx := context.Background()
	mustProject(t, s, "default")
	mustProject(t, s, "other")
	mk := func(project, name string, owner int64, shared bool) store.SavedSearch {
		t.Helper()
		ss, err := s.CreateSavedSearch(ctx, store.SavedSearch{ProjectID: project, Name: name, Query: "errors:>0", OwnerID: owner, Shared: shared, CreatedAt: t0})
		if err != nil || ss.ID == 0 {
			t.Fatalf("CreateSavedSearch %s = %+v, %v", name, ss, err)
		}
		return ss
	}
	mine := mk("default", "b mine", alice, false)
	shared := mk("default", "A shared", bob, true)
	mk("default", "bob private", bob, false)
	mk("other", "elsewhere", alice, true)

	byName := func(x store.SavedSearch) string { return x.Name }
	got, err := s.SavedSearches(ctx, "default", alice)
	if err != nil || names(got, byName) != "A shared,b mine" {
		t.Fatalf("alice sees %q, %v", names(got, byName), err)
	}
	// The owner has visited at creation; the others have not.
	if !got[1].VisitedAt.Equal(t0) || !got[0].VisitedAt.IsZero() {
		t.Fatalf("visits = %v, %v", got[0].VisitedAt, got[1].VisitedAt)
	}
	if n, _ := s.CountSavedSearches(ctx, "default"); n != 3 {
		t.Fatalf("CountSavedSearches = %d", n)
	}
	if _, err := s.SavedSearch(ctx, mine.ID, bob); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("bob reads alice's private search: %v", err)
	}
	if err := s.VisitSavedSearch(ctx, shared.ID, alice, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	// An older visit never moves the mark back.
	if err := s.VisitSavedSearch(ctx, shared.ID, alice, t0); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.SavedSearch(ctx, shared.ID, alice); !got.VisitedAt.Equal(t0.Add(time.Hour)) {
		t.Fatalf("alice's visit = %v", got.VisitedAt)
	}
	if got, _ := s.SavedSearch(ctx, shared.ID, bob); !got.VisitedAt.Equal(t0) {
		t.Fatalf("bob's visit = %v, want his own (creation)", got.VisitedAt)
	}
	if err := s.VisitSavedSearch(ctx, 9999, alice, t0); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("visit of a missing search: %v", err)
	}

	mine.Name, mine.Query, mine.Shared, mine.UpdatedAt = "renamed", "browser:firefox", true, t0.Add(time.Minute)
	if err := s.UpdateSavedSearch(ctx, mine); err != nil {
		t.Fatal(err)
	}
	if got, err := s.SavedSearch(ctx, mine.ID, bob); err != nil || got.Name != "renamed" || got.Query != "browser:firefox" || !got.Shared || !got.UpdatedAt.Equal(mine.UpdatedAt) {
		t.Fatalf("after update bob reads %+v, %v", got, err)
	}

	// An alert rule on a saved search carries its current query and goes with it.
	rule, err := s.CreateAlert(ctx, store.AlertRule{ProjectID: "default", Name: "r", SavedSearchID: mine.ID, Threshold: 1, Window: time.Hour, Webhook: "http://x", CreatedAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	if rules, _ := s.Alerts(ctx, "default"); len(rules) != 1 || rules[0].SavedSearchID != mine.ID || rules[0].SavedQuery != "browser:firefox" {
		t.Fatalf("Alerts = %+v", rules)
	}
	if err := s.DeleteSavedSearch(ctx, mine.ID); err != nil {
		t.Fatal(err)
	}
	if rules, _ := s.Alerts(ctx, "default"); len(rules) != 0 {
		t.Fatalf("rule %d outlived its saved search: %+v", rule.ID, rules)
	}
	if err := s.DeleteSavedSearch(ctx, mine.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("second delete: %v", err)
	}
	if err := s.UpdateSavedSearch(ctx, mine); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("update of a deleted search: %v", err)
	}
}

func testPlaylists(t *testing.T, s store.Index) {
	ctx := context.Background()
	mustProject(t, s, "default")
	mustProject(t, s, "other")
	for i, id := range []string{"s1", "s2", "s3"} {
		if err := s.AppendBatch(ctx, batch("default", id, "t", 0, t0.Add(time.Duration(i)*time.Minute), 1, "https://a/"+id)); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.AppendBatch(ctx, batch("other", "x1", "t", 0, t0, 1)); err != nil {
		t.Fatal(err)
	}
	pl, err := s.CreatePlaylist(ctx, store.Playlist{ProjectID: "default", Name: "Checkout bugs", OwnerID: alice, CreatedAt: t0})
	if err != nil || pl.ID == 0 {
		t.Fatalf("CreatePlaylist = %+v, %v", pl, err)
	}
	if _, err := s.CreatePlaylist(ctx, store.Playlist{ProjectID: "default", Name: "team", OwnerID: bob, Shared: true, CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Playlist(ctx, pl.ID, bob); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("bob reads alice's private playlist: %v", err)
	}
	for i, id := range []string{"s3", "s1", "s2"} {
		p, err := s.PinSession(ctx, pl.ID, store.Pin{Session: store.Session{ID: id}, Note: "n" + id, AddedAt: t0.Add(time.Hour), AddedBy: alice})
		if err != nil || p.Position != i+1 {
			t.Fatalf("PinSession %s = %+v, %v", id, p, err)
		}
	}
	// Pinning again changes the note and keeps the place.
	if p, err := s.PinSession(ctx, pl.ID, store.Pin{Session: store.Session{ID: "s3"}, Note: "first", AddedAt: t0.Add(2 * time.Hour)}); err != nil || p.Position != 1 || !p.AddedAt.Equal(t0.Add(time.Hour)) {
		t.Fatalf("re-pin = %+v, %v", p, err)
	}
	for _, id := range []string{"x1", "nope"} {
		if _, err := s.PinSession(ctx, pl.ID, store.Pin{Session: store.Session{ID: id}, AddedAt: t0}); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("pin %s (other project or missing): %v", id, err)
		}
	}
	if _, err := s.PinSession(ctx, 9999, store.Pin{Session: store.Session{ID: "s1"}, AddedAt: t0}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("pin to a missing playlist: %v", err)
	}
	pins, err := s.Pins(ctx, pl.ID)
	byID := func(p store.Pin) string { return p.Session.ID + ":" + p.Note }
	if err != nil || names(pins, byID) != "s3:first,s1:ns1,s2:ns2" {
		t.Fatalf("Pins = %q, %v", names(pins, byID), err)
	}
	if pins[1].Session.EntryURL != "https://a/s1" || !pins[1].Session.StartedAt.Equal(t0) {
		t.Fatalf("pinned session row = %+v", pins[1].Session)
	}
	if err := s.UnpinSession(ctx, pl.ID, "s1"); err != nil {
		t.Fatal(err)
	}
	if err := s.UnpinSession(ctx, pl.ID, "s1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("second unpin: %v", err)
	}
	byName := func(p store.Playlist) string { return fmt.Sprintf("%s=%d", p.Name, p.Sessions) }
	if all, err := s.Playlists(ctx, "default", alice); err != nil || names(all, byName) != "Checkout bugs=2,team=0" {
		t.Fatalf("Playlists = %q, %v", names(all, byName), err)
	}
	if n, _ := s.CountPlaylists(ctx, "default"); n != 2 {
		t.Fatalf("CountPlaylists = %d", n)
	}
	pl.Name, pl.Shared, pl.UpdatedAt = "Checkout", true, t0.Add(3*time.Hour)
	if err := s.UpdatePlaylist(ctx, pl); err != nil {
		t.Fatal(err)
	}
	if got, err := s.Playlist(ctx, pl.ID, bob); err != nil || got.Name != "Checkout" || got.Sessions != 2 {
		t.Fatalf("after sharing bob reads %+v, %v", got, err)
	}
	if err := s.DeletePlaylist(ctx, pl.ID); err != nil {
		t.Fatal(err)
	}
	if pins, _ := s.Pins(ctx, pl.ID); len(pins) != 0 {
		t.Fatalf("pins outlived their playlist: %+v", pins)
	}
	if got, _ := s.GetSession(ctx, "s2"); got.ID != "s2" {
		t.Fatal("deleting a playlist deleted its session")
	}
}

func testDeletingSessionsUnpins(t *testing.T, s store.Index) {
	ctx := context.Background()
	mustProject(t, s, "default")
	for _, id := range []string{"s1", "s2"} {
		if err := s.AppendBatch(ctx, batch("default", id, "t", 0, t0, 1)); err != nil {
			t.Fatal(err)
		}
	}
	pl, err := s.CreatePlaylist(ctx, store.Playlist{ProjectID: "default", Name: "p", OwnerID: alice, CreatedAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"s1", "s2"} {
		if _, err := s.PinSession(ctx, pl.ID, store.Pin{Session: store.Session{ID: id}, AddedAt: t0}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := s.DeleteSessions(ctx, []string{"s1"}); err != nil {
		t.Fatal(err)
	}
	pins, err := s.Pins(ctx, pl.ID)
	if err != nil || len(pins) != 1 || pins[0].Session.ID != "s2" {
		t.Fatalf("pins after deleting s1 = %+v, %v", pins, err)
	}
	if got, _ := s.Playlist(ctx, pl.ID, alice); got.Sessions != 1 {
		t.Fatalf("playlist counts %d pins", got.Sessions)
	}
}
