package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/reelhq/reel/internal/store"
)

// RunShares runs the contract of projects' lifecycle (key rotation, deletion), share links and
// the tombstones of erased sessions (issue 14).
func RunShares(t *testing.T, open func(t *testing.T) store.Index) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Index)
	}{
		{"RotateKey", testRotateKey},
		{"DeleteProject", testDeleteProject},
		{"ShareLinks", testShareLinks},
		{"ErasedSessionsStayErased", testErasedSessions},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() { s.Close() })
			tc.fn(t, s)
		})
	}
}

func testRotateKey(t *testing.T, s store.Index) {
	ctx := context.Background()
	p := mustProject(t, s, "shop")
	mustProject(t, s, "other")
	until := t0.Add(24 * time.Hour)
	got, err := s.RotateKey(ctx, "shop", "pk_new", until)
	if err != nil {
		t.Fatal(err)
	}
	if got.PublicKey != "pk_new" || got.PreviousKey != p.PublicKey || !got.PreviousKeyUntil.Equal(until) {
		t.Fatalf("RotateKey = %+v", got)
	}
	for _, key := range []string{"pk_new", p.PublicKey} {
		byKey, err := s.ProjectByKey(ctx, key)
		if err != nil || byKey.ID != "shop" || byKey.PublicKey != "pk_new" || !byKey.PreviousKeyUntil.Equal(until) {
			t.Fatalf("ProjectByKey(%s) = %+v, %v", key, byKey, err)
		}
	}
	if !got.KeyValid(p.PublicKey, until.Add(-time.Second)) || got.KeyValid(p.PublicKey, until) || !got.KeyValid("pk_new", until.Add(time.Hour)) || got.KeyValid("", t0) {
		t.Fatal("KeyValid: the old key must ingest until the grace ends and not after, the new one always")
	}
	// No project is found by an empty key, though every project never rotated has an empty
	// previous key.
	if _, err := s.ProjectByKey(ctx, ""); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("ProjectByKey(\"\") = %v, want ErrNotFound", err)
	}
	// A second rotation keeps only the key it replaces.
	if _, err := s.RotateKey(ctx, "shop", "pk_newer", until); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ProjectByKey(ctx, p.PublicKey); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("first key after two rotations: %v, want ErrNotFound", err)
	}
	if byKey, err := s.ProjectByKey(ctx, "pk_new"); err != nil || byKey.PreviousKey != "pk_new" {
		t.Fatalf("ProjectByKey(pk_new) = %+v, %v", byKey, err)
	}
	all, err := s.Projects(ctx)
	if err != nil || len(all) != 2 || all[1].ID != "shop" || all[1].PreviousKey != "pk_new" {
		t.Fatalf("Projects = %+v, %v", all, err)
	}
	if _, err := s.RotateKey(ctx, "shop", "pk_other", until); !errors.Is(err, store.ErrDuplicate) {
		t.Fatalf("rotating to another project's key: %v, want ErrDuplicate", err)
	}
	if _, err := s.RotateKey(ctx, "nope", "pk_x", until); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("rotating an unknown project: %v, want ErrNotFound", err)
	}
}

func testDeleteProject(t *testing.T, s store.Index) {
	ctx := context.Background()
	mustProject(t, s, "keep")
	mustProject(t, s, "gone")
	for i, id := range []string{"s_gone_1", "s_gone_2"} {
		if err := s.AppendBatch(ctx, batch("gone", id, "t1", 0, t0.Add(time.Duration(i)*time.Minute), 2, "https://gone.example/")); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.AppendBatch(ctx, batch("keep", "s_keep", "t1", 0, t0, 2, "https://keep.example/")); err != nil {
		t.Fatal(err)
	}
	if _, err := s.NumberContent(ctx, "gone", []store.ContentRef{{Hash: hashOf('a'), Size: 10, Stored: 5, Root: true}}, t0); err != nil {
		t.Fatal(err)
	}
	saved, err := s.CreateSavedSearch(ctx, store.SavedSearch{ProjectID: "gone", Name: "x", Query: "browser:firefox", CreatedAt: t0, UpdatedAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateAlert(ctx, store.AlertRule{ProjectID: "gone", Name: "a", Kind: "rage_click", Threshold: 1, Window: time.Hour, Webhook: "https://hook.example/", CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.CreateAlert(ctx, store.AlertRule{ProjectID: "gone", Name: "b", SavedSearchID: saved.ID, Threshold: 1, Window: time.Hour, Webhook: "https://hook.example/", CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteProject(ctx, "gone"); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("deleting a project with sessions: %v, want ErrConflict", err)
	}
	first, err := s.SessionsOfProject(ctx, "gone", 1)
	if err != nil || len(first) != 1 {
		t.Fatalf("SessionsOfProject(limit 1) = %v, %v", first, err)
	}
	ids, err := s.SessionsOfProject(ctx, "gone", 10)
	if err != nil || sorted(ids) != "[s_gone_1 s_gone_2]" {
		t.Fatalf("SessionsOfProject = %v, %v", ids, err)
	}
	if _, err := s.DeleteSessions(ctx, ids); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteProject(ctx, "gone"); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Project(ctx, "gone"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Project after deletion: %v", err)
	}
	if _, err := s.ProjectByKey(ctx, "pk_gone"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("its key after deletion: %v", err)
	}
	if rules, err := s.Alerts(ctx, "gone"); err != nil || len(rules) != 0 {
		t.Fatalf("alert rules after deletion: %v, %v", rules, err)
	}
	if missing, err := s.MissingContent(ctx, "gone", []string{hashOf('a')}); err != nil || len(missing) != 1 {
		t.Fatalf("content after deletion: missing %v, %v", missing, err)
	}
	if err := s.DeleteProject(ctx, "gone"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("deleting it again: %v, want ErrNotFound", err)
	}
	// The other project is untouched, and its id can be reused.
	if got, err := s.GetSession(ctx, "s_keep"); err != nil || got.ProjectID != "keep" {
		t.Fatalf("other project's session: %+v, %v", got, err)
	}
	mustProject(t, s, "gone")
}

func testShareLinks(t *testing.T, s store.Index) {
	ctx := context.Background()
	mustProject(t, s, "p")
	mustProject(t, s, "q")
	if err := s.AppendBatch(ctx, batch("p", "s_shared", "t1", 0, t0, 2, "https://p.example/")); err != nil {
		t.Fatal(err)
	}
	l1 := store.ShareLink{ID: "sh_1", TokenHash: hashOf('1'), SessionID: "s_shared", ProjectID: "p", CreatedBy: 7, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour), AtMS: 4200, Note: "Watch the coupon field ✂"}
	l2 := store.ShareLink{ID: "sh_2", TokenHash: hashOf('2'), SessionID: "s_shared", ProjectID: "p", CreatedAt: t0.Add(time.Minute), ExpiresAt: t0.Add(2 * time.Hour)}
	for _, l := range []store.ShareLink{l1, l2} {
		if err := s.CreateShare(ctx, l); err != nil {
			t.Fatal(err)
		}
	}
	bad := []struct {
		name string
		l    store.ShareLink
		want error
	}{
		{"taken id", store.ShareLink{ID: "sh_1", TokenHash: hashOf('3'), SessionID: "s_shared", ProjectID: "p", CreatedAt: t0, ExpiresAt: t0}, store.ErrDuplicate},
		{"taken token", store.ShareLink{ID: "sh_3", TokenHash: hashOf('1'), SessionID: "s_shared", ProjectID: "p", CreatedAt: t0, ExpiresAt: t0}, store.ErrDuplicate},
		{"no such session", store.ShareLink{ID: "sh_4", TokenHash: hashOf('4'), SessionID: "s_nope", ProjectID: "p", CreatedAt: t0, ExpiresAt: t0}, store.ErrNotFound},
		{"another project's session", store.ShareLink{ID: "sh_5", TokenHash: hashOf('5'), SessionID: "s_shared", ProjectID: "q", CreatedAt: t0, ExpiresAt: t0}, store.ErrNotFound},
	}
	for _, b := range bad {
		if err := s.CreateShare(ctx, b.l); !errors.Is(err, b.want) {
			t.Errorf("CreateShare, %s: %v, want %v", b.name, err, b.want)
		}
	}
	got, err := s.ShareByToken(ctx, hashOf('1'))
	if err != nil || got != l1 {
		t.Fatalf("ShareByToken = %+v, %v; want %+v", got, err, l1)
	}
	if got, err := s.Share(ctx, "sh_2"); err != nil || got != l2 {
		t.Fatalf("Share = %+v, %v; want %+v", got, err, l2)
	}
	if _, err := s.ShareByToken(ctx, hashOf('9')); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown token: %v", err)
	}
	list, err := s.SessionShares(ctx, "s_shared")
	if err != nil || len(list) != 2 || list[0].ID != "sh_2" || list[1].ID != "sh_1" {
		t.Fatalf("SessionShares = %+v, %v (want newest first)", list, err)
	}
	if err := s.RevokeShare(ctx, "sh_1", t0.Add(10*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeShare(ctx, "sh_1", t0.Add(20*time.Minute)); err != nil {
		t.Fatal(err)
	}
	if got, err := s.ShareByToken(ctx, hashOf('1')); err != nil || !got.RevokedAt.Equal(t0.Add(10*time.Minute)) {
		t.Fatalf("revoked twice: %+v, %v (want the first time kept)", got, err)
	}
	if err := s.RevokeShare(ctx, "sh_nope", t0); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("revoking an unknown link: %v", err)
	}
	// A link goes with its session: a session recorded again under the same id later is not
	// served by it.
	if _, err := s.DeleteSessions(ctx, []string{"s_shared"}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ShareByToken(ctx, hashOf('2')); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("link of a deleted session: %v, want ErrNotFound", err)
	}
	if list, err := s.SessionShares(ctx, "s_shared"); err != nil || len(list) != 0 {
		t.Fatalf("SessionShares of a deleted session = %v, %v", list, err)
	}
}

func testErasedSessions(t *testing.T, s store.Index) {
	ctx := context.Background()
	mustProject(t, s, "p")
	if err := s.AppendBatch(ctx, batch("p", "s_erased", "t1", 0, t0, 2, "https://p.example/")); err != nil {
		t.Fatal(err)
	}
	if err := s.RecordErased(ctx, "p", []string{"s_erased", "s_erased"}, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	// Between the tombstone and the deletion, the session takes no more batches either.
	if err := s.AppendBatch(ctx, batch("p", "s_erased", "t1", 1, t0.Add(time.Minute), 2)); !errors.Is(err, store.ErrErased) {
		t.Fatalf("batch for a session being erased: %v, want ErrErased", err)
	}
	if _, err := s.DeleteSessions(ctx, []string{"s_erased"}); err != nil {
		t.Fatal(err)
	}
	// The same batch sent again, and a new one, in a group with a batch of another session.
	errs := s.AppendBatches(ctx, []store.Batch{
		batch("p", "s_erased", "t1", 0, t0, 2, "https://p.example/"),
		batch("p", "s_alive", "t1", 0, t0, 2, "https://p.example/"),
		batch("p", "s_erased", "t2", 0, t0, 2),
	})
	if !errors.Is(errs[0], store.ErrErased) || errs[1] != nil || !errors.Is(errs[2], store.ErrErased) {
		t.Fatalf("AppendBatches = %v, want [ErrErased nil ErrErased]", errs)
	}
	if _, err := s.GetSession(ctx, "s_erased"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("erased session came back: %v", err)
	}
	if _, err := s.GetSession(ctx, "s_alive"); err != nil {
		t.Fatal(err)
	}
	// Recording it again keeps the first time: pruning before it removes nothing.
	if err := s.RecordErased(ctx, "p", []string{"s_erased"}, t0.Add(48*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if n, err := s.PruneErased(ctx, t0.Add(time.Hour)); err != nil || n != 0 {
		t.Fatalf("PruneErased(at its time) = %d, %v; want 0", n, err)
	}
	if n, err := s.PruneErased(ctx, t0.Add(time.Hour+time.Millisecond)); err != nil || n != 1 {
		t.Fatalf("PruneErased = %d, %v; want 1", n, err)
	}
	if err := s.AppendBatch(ctx, batch("p", "s_erased", "t1", 0, t0, 2)); err != nil {
		t.Fatalf("batch after the tombstone was pruned: %v", err)
	}
	if err := s.RecordErased(ctx, "p", nil, t0); err != nil {
		t.Fatalf("RecordErased(nothing): %v", err)
	}
}
