package storetest

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"github.com/reelhq/reel/internal/store"
)

// testTeam: users are listed, change role, are disabled (which ends their logins) and deleted;
// members and viewers are given projects, and an unknown project or user changes nothing.
func testTeam(t *testing.T, s store.Store) {
	ctx := context.Background()
	mustProject(t, s, "shop")
	mustProject(t, s, "blog")
	owner, err := s.CreateUser(ctx, store.User{Email: "owner@example.com", PasswordHash: "h", Role: "owner", CreatedAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	viewer, err := s.CreateUser(ctx, store.User{Email: "viewer@example.com", PasswordHash: "h", Role: "viewer", CreatedAt: t0.Add(time.Second)})
	if err != nil {
		t.Fatal(err)
	}
	users, err := s.ListUsers(ctx)
	if err != nil || len(users) != 2 || users[0].ID != owner.ID || users[1].Email != "viewer@example.com" || !users[1].DisabledAt.IsZero() {
		t.Fatalf("ListUsers = %+v, %v", users, err)
	}

	if ps, err := s.UserProjects(ctx, viewer.ID); err != nil || ps == nil || len(ps) != 0 {
		t.Fatalf("projects of a new user = %#v, %v; want an empty list", ps, err)
	}
	if err := s.SetUserProjects(ctx, viewer.ID, []string{"shop", "blog", "shop"}); err != nil {
		t.Fatal(err)
	}
	if ps, _ := s.UserProjects(ctx, viewer.ID); !slices.Equal(ps, []string{"blog", "shop"}) {
		t.Fatalf("projects = %v, want [blog shop]", ps)
	}
	if err := s.SetUserProjects(ctx, viewer.ID, []string{"blog", "nope"}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown project: %v, want ErrNotFound", err)
	}
	if ps, _ := s.UserProjects(ctx, viewer.ID); !slices.Equal(ps, []string{"blog", "shop"}) {
		t.Fatalf("projects after a refused change = %v, want them unchanged", ps)
	}
	if err := s.SetUserProjects(ctx, 999999, []string{"blog"}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unknown user: %v, want ErrNotFound", err)
	}
	if err := s.SetUserProjects(ctx, viewer.ID, nil); err != nil {
		t.Fatal(err)
	}
	if ps, _ := s.UserProjects(ctx, viewer.ID); len(ps) != 0 {
		t.Fatalf("projects after clearing = %v", ps)
	}
	if err := s.SetUserProjects(ctx, viewer.ID, []string{"shop"}); err != nil {
		t.Fatal(err)
	}

	// Promote, then disable: the user's logins end.
	now := time.Now()
	if err := s.CreateLogin(ctx, store.Login{TokenHash: "viewer-tok", UserID: viewer.ID, CreatedAt: now, ExpiresAt: now.Add(time.Hour)}); err != nil {
		t.Fatal(err)
	}
	viewer.Role = "member"
	if err := s.UpdateUser(ctx, viewer); err != nil {
		t.Fatal(err)
	}
	if _, err := s.LoginByTokenHash(ctx, "viewer-tok", now); err != nil {
		t.Fatalf("a role change ended the login: %v", err)
	}
	viewer.DisabledAt = t0.Add(time.Hour)
	if err := s.UpdateUser(ctx, viewer); err != nil {
		t.Fatal(err)
	}
	got, err := s.UserByID(ctx, viewer.ID)
	if err != nil || got.Role != "member" || !got.DisabledAt.Equal(t0.Add(time.Hour)) {
		t.Fatalf("after update = %+v, %v", got, err)
	}
	if _, err := s.LoginByTokenHash(ctx, "viewer-tok", now); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("login of a disabled user: %v, want ErrNotFound", err)
	}
	viewer.DisabledAt = time.Time{}
	if err := s.UpdateUser(ctx, viewer); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.UserByEmail(ctx, "viewer@example.com"); !got.DisabledAt.IsZero() {
		t.Fatalf("re-enabled user still disabled: %+v", got)
	}
	if err := s.UpdateUser(ctx, store.User{ID: 999999, Role: "viewer"}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("update unknown user: %v", err)
	}

	if err := s.DeleteUser(ctx, viewer.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := s.UserByID(ctx, viewer.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("deleted user: %v", err)
	}
	if ps, _ := s.UserProjects(ctx, viewer.ID); len(ps) != 0 {
		t.Fatalf("a deleted user's projects remain: %v", ps)
	}
	if err := s.DeleteUser(ctx, viewer.ID); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("delete twice: %v", err)
	}
	if users, _ := s.ListUsers(ctx); len(users) != 1 || users[0].ID != owner.ID {
		t.Fatalf("users after delete = %+v", users)
	}
}
