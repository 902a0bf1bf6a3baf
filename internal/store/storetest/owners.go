package storetest

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/reelhq/reel/internal/store"
)

// testLastOwner: the last active owner cannot be demoted, disabled or deleted (ErrLastOwner,
// nothing changes); with a second owner each of these works, and a disabled owner does not
// count.
func testLastOwner(t *testing.T, s store.Store) {
	ctx := context.Background()
	a, err := s.CreateUser(ctx, store.User{Email: "a@example.com", PasswordHash: "h", Role: "owner", CreatedAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	demoted := a
	demoted.Role = "admin"
	disabled := a
	disabled.DisabledAt = t0
	for name, change := range map[string]func() error{
		"demote":  func() error { return s.UpdateUser(ctx, demoted) },
		"disable": func() error { return s.UpdateUser(ctx, disabled) },
		"delete":  func() error { return s.DeleteUser(ctx, a.ID) },
	} {
		if err := change(); !errors.Is(err, store.ErrLastOwner) {
			t.Errorf("%s the only owner: %v, want ErrLastOwner", name, err)
		}
	}
	if got, err := s.UserByID(ctx, a.ID); err != nil || got.Role != "owner" || !got.DisabledAt.IsZero() {
		t.Fatalf("the only owner after refused changes = %+v, %v", got, err)
	}
	// A second owner, disabled, does not count.
	b, err := s.CreateUser(ctx, store.User{Email: "b@example.com", PasswordHash: "h", Role: "owner", CreatedAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	b.DisabledAt = t0
	if err := s.UpdateUser(ctx, b); err != nil {
		t.Fatal(err)
	}
	if err := s.UpdateUser(ctx, demoted); !errors.Is(err, store.ErrLastOwner) {
		t.Fatalf("demoting the only active owner beside a disabled one: %v, want ErrLastOwner", err)
	}
	b.DisabledAt = time.Time{}
	if err := s.UpdateUser(ctx, b); err != nil {
		t.Fatal(err)
	}
	if err := s.UpdateUser(ctx, demoted); err != nil {
		t.Fatalf("demoting one of two owners: %v", err)
	}
	if err := s.DeleteUser(ctx, b.ID); !errors.Is(err, store.ErrLastOwner) {
		t.Fatalf("deleting the owner left: %v, want ErrLastOwner", err)
	}
	if err := s.DeleteUser(ctx, a.ID); err != nil {
		t.Fatalf("deleting an admin: %v", err)
	}
}

// testConcurrentLastOwner: two owners demoting, disabling or deleting each other at once
// leave one of them an owner.
func testConcurrentLastOwner(t *testing.T, s store.Index) {
	ctx := context.Background()
	var survivor store.User // the owner the last round kept
	for round := range 6 {
		var owners [2]store.User
		for i := range owners {
			u, err := s.CreateUser(ctx, store.User{Email: fmt.Sprintf("owner%d-%d@example.com", round, i), PasswordHash: "h", Role: "owner", CreatedAt: t0})
			if err != nil {
				t.Fatal(err)
			}
			owners[i] = u
		}
		if survivor.ID != 0 {
			survivor.Role = "admin"
			if err := s.UpdateUser(ctx, survivor); err != nil {
				t.Fatal(err)
			}
		}
		change := func(u store.User) error {
			switch round % 3 {
			case 0:
				u.Role = "admin"
				return s.UpdateUser(ctx, u)
			case 1:
				u.DisabledAt = t0
				return s.UpdateUser(ctx, u)
			}
			return s.DeleteUser(ctx, u.ID)
		}
		var errs [2]error
		var wg sync.WaitGroup
		start := make(chan struct{})
		for i := range owners {
			wg.Go(func() { <-start; errs[i] = change(owners[i]) })
		}
		close(start)
		wg.Wait()
		refused := 0
		for _, err := range errs {
			if errors.Is(err, store.ErrLastOwner) {
				refused++
			} else if err != nil {
				t.Fatalf("round %d: %v", round, err)
			}
		}
		if refused != 1 {
			t.Fatalf("round %d: %d of two concurrent changes refused (%v), want exactly one", round, refused, errs)
		}
		users, err := s.ListUsers(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var active []store.User
		for _, u := range users {
			if u.Role == "owner" && u.DisabledAt.IsZero() {
				active = append(active, u)
			}
		}
		if len(active) != 1 {
			t.Fatalf("round %d: active owners %+v, want one", round, active)
		}
		survivor = active[0]
	}
}
