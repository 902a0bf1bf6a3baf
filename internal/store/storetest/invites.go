package storetest

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/reelhq/reel/internal/store"
)

// testInvites: an invitation is listed while pending, checked by its token, used once to make
// its user with its role and projects (a project deleted meanwhile is dropped), and then
// answers as used; an expired one is refused and not listed; a revoked one is gone; one for an
// email that has an account by now is refused and stays unused; a reset sets its user's
// password, ends the user's logins, and goes with a deleted user.
func testInvites(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustProject(t, s, "shop")
	mustProject(t, s, "blog")
	admin, err := s.CreateUser(ctx, store.User{Email: "admin@example.com", PasswordHash: "h", Role: "owner", CreatedAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	inv, err := s.CreateInvite(ctx, store.Invite{TokenHash: "hash-viewer", Kind: store.InviteKind, Email: "Viewer@example.com", Role: "viewer",
		Projects: []string{"shop", "blog", "gone"}, InvitedBy: admin.ID, CreatedAt: t0, ExpiresAt: t0.Add(48 * time.Hour)})
	if err != nil || inv.ID == 0 {
		t.Fatalf("CreateInvite = %+v, %v", inv, err)
	}
	if _, err := s.CreateInvite(ctx, store.Invite{TokenHash: "hash-viewer", Kind: store.InviteKind, Email: "x@example.com", Role: "viewer", CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}); !errors.Is(err, store.ErrDuplicate) {
		t.Fatalf("a second invite with the same token hash: %v, want ErrDuplicate", err)
	}
	_, err = s.CreateInvite(ctx, store.Invite{TokenHash: "hash-short", Kind: store.InviteKind, Email: "late@example.com", Role: "member", CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	revoked, err := s.CreateInvite(ctx, store.Invite{TokenHash: "hash-revoked", Kind: store.InviteKind, Email: "no@example.com", Role: "admin", CreatedAt: t0, ExpiresAt: t0.Add(48 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	taken, err := s.CreateInvite(ctx, store.Invite{TokenHash: "hash-taken", Kind: store.InviteKind, Email: "ADMIN@example.com", Role: "viewer", CreatedAt: t0, ExpiresAt: t0.Add(48 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}

	pending, err := s.PendingInvites(ctx, store.InviteKind, t0.Add(2*time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if ids := inviteIDs(pending); !slices.Equal(ids, []int64{inv.ID, revoked.ID, taken.ID}) {
		t.Fatalf("pending after the short one expired = %v, want [%d %d %d]", ids, inv.ID, revoked.ID, taken.ID)
	}
	if p := pending[0]; p.Email != "Viewer@example.com" || p.Role != "viewer" || !slices.Equal(p.Projects, []string{"shop", "blog", "gone"}) ||
		p.InvitedBy != admin.ID || !p.CreatedAt.Equal(t0) || !p.ExpiresAt.Equal(t0.Add(48*time.Hour)) || !p.UsedAt.IsZero() || p.Kind != store.InviteKind {
		t.Fatalf("pending invite = %+v", p)
	}
	if resets, err := s.PendingInvites(ctx, store.ResetKind, t0); err != nil || len(resets) != 0 {
		t.Fatalf("pending resets = %+v, %v; want none", resets, err)
	}

	got, err := s.InviteByTokenHash(ctx, "hash-viewer")
	if err != nil || got.ID != inv.ID || got.Email != "Viewer@example.com" {
		t.Fatalf("InviteByTokenHash = %+v, %v", got, err)
	}
	if _, err := s.InviteByTokenHash(ctx, "hash-nope"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown token: %v", err)
	}

	if _, err := s.ConsumeInvite(ctx, "hash-short", "pw", t0.Add(time.Hour)); !errors.Is(err, store.ErrExpired) {
		t.Fatalf("expired invite: %v, want ErrExpired", err)
	}
	if _, err := s.UserByEmail(ctx, "late@example.com"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("an expired invite made its user: %v", err)
	}
	if _, err := s.ConsumeInvite(ctx, "hash-nope", "pw", t0); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown token: %v, want ErrNotFound", err)
	}
	if _, err := s.ConsumeInvite(ctx, "hash-taken", "pw", t0); !errors.Is(err, store.ErrDuplicate) {
		t.Fatalf("invite for an existing email: %v, want ErrDuplicate", err)
	}
	if got, _ := s.InviteByTokenHash(ctx, "hash-taken"); !got.UsedAt.IsZero() {
		t.Fatalf("a refused invite was marked used: %+v", got)
	}
	if a, _ := s.UserByID(ctx, admin.ID); a.Role != "owner" || a.PasswordHash != "h" {
		t.Fatalf("the refused invite changed the existing user: %+v", a)
	}

	if err := s.RevokeInvite(ctx, revoked.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeInvite(ctx, revoked.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("revoke twice: %v", err)
	}
	if _, err := s.ConsumeInvite(ctx, "hash-revoked", "pw", t0); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("revoked invite: %v, want ErrNotFound", err)
	}

	u, err := s.ConsumeInvite(ctx, "hash-viewer", "pw-hash", t0.Add(time.Minute))
	if err != nil {
		t.Fatal(err)
	}
	if u.ID == 0 || u.Email != "Viewer@example.com" || u.Role != "viewer" || u.PasswordHash != "pw-hash" || !u.CreatedAt.Equal(t0.Add(time.Minute)) {
		t.Fatalf("user from invite = %+v", u)
	}
	if db, err := s.UserByEmail(ctx, "viewer@example.com"); err != nil || db.ID != u.ID || db.Role != "viewer" || db.PasswordHash != "pw-hash" {
		t.Fatalf("stored user = %+v, %v", db, err)
	}
	if ps, _ := s.UserProjects(ctx, u.ID); !slices.Equal(ps, []string{"blog", "shop"}) {
		t.Fatalf("projects of the invited user = %v, want [blog shop] (gone dropped)", ps)
	}
	if _, err := s.ConsumeInvite(ctx, "hash-viewer", "other", t0.Add(2*time.Minute)); !errors.Is(err, store.ErrUsed) {
		t.Fatalf("second use: %v, want ErrUsed", err)
	}
	if got, _ := s.InviteByTokenHash(ctx, "hash-viewer"); !got.UsedAt.Equal(t0.Add(time.Minute)) {
		t.Fatalf("used invite = %+v", got)
	}
	if err := s.RevokeInvite(ctx, inv.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("revoking a used invite: %v, want ErrNotFound", err)
	}
	if pending, _ := s.PendingInvites(ctx, store.InviteKind, t0.Add(2*time.Hour)); !slices.Equal(inviteIDs(pending), []int64{taken.ID}) {
		t.Fatalf("pending after use and revoke = %v", inviteIDs(pending))
	}

	// A reset link.
	if _, err := s.CreateInvite(ctx, store.Invite{TokenHash: "hash-bad-reset", Kind: store.ResetKind, Email: "x", UserID: 999999, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("reset for an unknown user: %v, want ErrNotFound", err)
	}
	reset, err := s.CreateInvite(ctx, store.Invite{TokenHash: "hash-reset", Kind: store.ResetKind, Email: u.Email, UserID: u.ID, InvitedBy: admin.ID, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	if resets, _ := s.PendingInvites(ctx, store.ResetKind, t0); len(resets) != 1 || resets[0].ID != reset.ID || resets[0].UserID != u.ID {
		t.Fatalf("pending resets = %+v", resets)
	}
	now := time.Now()
	if err := s.CreateLogin(ctx, store.Login{TokenHash: "viewer-login", UserID: u.ID, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	ru, err := s.ConsumeInvite(ctx, "hash-reset", "new-hash", t0.Add(time.Minute))
	if err != nil || ru.ID != u.ID || ru.PasswordHash != "new-hash" || ru.Role != "viewer" {
		t.Fatalf("reset = %+v, %v", ru, err)
	}
	if db, _ := s.UserByID(ctx, u.ID); db.PasswordHash != "new-hash" {
		t.Fatalf("password after reset = %q", db.PasswordHash)
	}
	if _, err := s.LoginByTokenHash(ctx, "viewer-login", now); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a login survived the reset: %v", err)
	}
	if _, err := s.CreateInvite(ctx, store.Invite{TokenHash: "hash-reset2", Kind: store.ResetKind, Email: u.Email, UserID: u.ID, CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteUser(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.InviteByTokenHash(ctx, "hash-reset2"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("a deleted user's reset link remains: %v", err)
	}
}

func inviteIDs(invs []store.Invite) []int64 {
	ids := []int64{}
	for _, inv := range invs {
		ids = append(ids, inv.ID)
	}
	return ids
}

// testConcurrentConsumeInvite: two browsers accepting one invitation at once make one user;
// the other is told the link was used. Run a few rounds, each with its own invitation.
func testConcurrentConsumeInvite(t *testing.T, s store.Index) {
	ctx := context.Background()
	for round := range 5 {
		hash := fmt.Sprintf("race-%d", round)
		email := fmt.Sprintf("race%d@example.com", round)
		if _, err := s.CreateInvite(ctx, store.Invite{TokenHash: hash, Kind: store.InviteKind, Email: email, Role: "member", CreatedAt: t0, ExpiresAt: t0.Add(time.Hour)}); err != nil {
			t.Fatal(err)
		}
		const n = 6
		errs := make([]error, n)
		users := make([]store.User, n)
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range n {
			wg.Go(func() {
				<-start
				users[i], errs[i] = s.ConsumeInvite(ctx, hash, fmt.Sprintf("pw-%d", i), t0.Add(time.Minute))
			})
		}
		close(start)
		wg.Wait()
		won := -1
		for i, err := range errs {
			switch {
			case err == nil && won >= 0:
				t.Fatalf("round %d: callers %d and %d both used one invitation", round, won, i)
			case err == nil:
				won = i
			case !errors.Is(err, store.ErrUsed):
				t.Fatalf("round %d: caller %d: %v, want ErrUsed", round, i, err)
			}
		}
		if won < 0 {
			t.Fatalf("round %d: nobody could use the invitation: %v", round, errs)
		}
		u, err := s.UserByEmail(ctx, email)
		if err != nil || u.ID != users[won].ID || u.PasswordHash != fmt.Sprintf("pw-%d", won) {
			t.Fatalf("round %d: user = %+v, %v; want the winner's (%d)", round, u, err, won)
		}
	}
	if all, _ := s.ListUsers(ctx); len(all) != 5 {
		t.Fatalf("users after 5 raced invitations = %d, want 5", len(all))
	}
}

func (x recorded) CreateInvite(ctx context.Context, a1 store.Invite) (store.Invite, error) {
	x.r.count("CreateInvite")
	return x.ix.CreateInvite(ctx, a1)
}

func (x recorded) PendingInvites(ctx context.Context, a1 string, a2 time.Time) ([]store.Invite, error) {
	x.r.count("PendingInvites")
	return x.ix.PendingInvites(ctx, a1, a2)
}

func (x recorded) InviteByTokenHash(ctx context.Context, a1 string) (store.Invite, error) {
	x.r.count("InviteByTokenHash")
	return x.ix.InviteByTokenHash(ctx, a1)
}

func (x recorded) RevokeInvite(ctx context.Context, a1 int64) error {
	x.r.count("RevokeInvite")
	return x.ix.RevokeInvite(ctx, a1)
}

func (x recorded) ConsumeInvite(ctx context.Context, a1, a2 string, a3 time.Time) (store.User, error) {
	x.r.count("ConsumeInvite")
	return x.ix.ConsumeInvite(ctx, a1, a2, a3)
}
