package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/reelhq/reel/internal/store"
)

func (x recorded) CreateIdentity(ctx context.Context, a1 store.Identity) error {
	x.r.count("CreateIdentity")
	return x.ix.CreateIdentity(ctx, a1)
}

func (x recorded) UserByIdentity(ctx context.Context, a1, a2 string) (store.User, error) {
	x.r.count("UserByIdentity")
	return x.ix.UserByIdentity(ctx, a1, a2)
}

// RunIdentities runs the contract of the links between users and their accounts at OpenID
// providers (store.Identities).
func RunIdentities(t *testing.T, open func(t *testing.T) store.Index) {
	ctx := context.Background()
	s := open(t)
	t.Cleanup(func() { s.Close() })
	const google, okta = "https://accounts.google.com", "https://acme.okta.com/"
	ann, err := s.CreateUser(ctx, store.User{Email: "ann@acme.test", Role: "viewer", CreatedAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	bob, err := s.CreateUser(ctx, store.User{Email: "bob@acme.test", PasswordHash: "x", Role: "admin", CreatedAt: t0})
	if err != nil {
		t.Fatal(err)
	}

	if _, err := s.UserByIdentity(ctx, google, "1001"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("unlinked subject: %v, want ErrNotFound", err)
	}
	if err := s.CreateIdentity(ctx, store.Identity{Issuer: google, Subject: "1001", UserID: ann.ID, CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	got, err := s.UserByIdentity(ctx, google, "1001")
	if err != nil || got.ID != ann.ID || got.Email != "ann@acme.test" || got.Role != "viewer" || !got.CreatedAt.Equal(t0) {
		t.Fatalf("UserByIdentity = %+v, %v; want ann", got, err)
	}
	// A deactivated user is found as deactivated, so single sign-on can refuse them.
	got.DisabledAt = t0.Add(time.Hour)
	if err := s.UpdateUser(ctx, got); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.UserByIdentity(ctx, google, "1001"); !got.DisabledAt.Equal(t0.Add(time.Hour)) {
		t.Fatalf("UserByIdentity of a deactivated user = %+v", got)
	}
	got.DisabledAt = time.Time{}
	if err := s.UpdateUser(ctx, got); err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name string
		id   store.Identity
		want error
	}{
		{"same account again", store.Identity{Issuer: google, Subject: "1001", UserID: ann.ID}, store.ErrDuplicate},
		{"same account for another user", store.Identity{Issuer: google, Subject: "1001", UserID: bob.ID}, store.ErrDuplicate},
		{"a second account at one provider", store.Identity{Issuer: google, Subject: "2002", UserID: ann.ID}, store.ErrDuplicate},
		{"no such user", store.Identity{Issuer: google, Subject: "3003", UserID: bob.ID + 100}, store.ErrNotFound},
		{"another provider", store.Identity{Issuer: okta, Subject: "1001", UserID: bob.ID}, nil},
		{"subject differing in case", store.Identity{Issuer: google, Subject: "abc", UserID: bob.ID}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			tc.id.CreatedAt = t0.Add(time.Minute)
			if err := s.CreateIdentity(ctx, tc.id); !errors.Is(err, tc.want) || (tc.want == nil) != (err == nil) {
				t.Fatalf("CreateIdentity(%+v) = %v, want %v", tc.id, err, tc.want)
			}
		})
	}
	// The same subject at two issuers is two accounts; subjects compare exactly.
	for _, c := range []struct {
		issuer, subject string
		want            int64
	}{{google, "1001", ann.ID}, {okta, "1001", bob.ID}, {google, "abc", bob.ID}} {
		if u, err := s.UserByIdentity(ctx, c.issuer, c.subject); err != nil || u.ID != c.want {
			t.Fatalf("UserByIdentity(%s, %s) = %d, %v; want %d", c.issuer, c.subject, u.ID, err, c.want)
		}
	}
	for _, c := range [][2]string{{google, "ABC"}, {google, "2002"}, {google + "/", "1001"}} {
		if _, err := s.UserByIdentity(ctx, c[0], c[1]); !errors.Is(err, store.ErrNotFound) {
			t.Fatalf("UserByIdentity(%s, %s) = %v, want ErrNotFound", c[0], c[1], err)
		}
	}

	// reel migrate carries the links (store.Mover); one naming a user not copied is refused.
	dst := open(t)
	t.Cleanup(func() { dst.Close() })
	err = dst.Import(ctx, []store.Record{{Identity: &store.Identity{Issuer: google, Subject: "1001", UserID: 42, CreatedAt: t0}}})
	if !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("importing an identity of a user not there: %v, want ErrNotFound", err)
	}
}
