package storetest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/reelhq/reel/internal/store"
)

// testTokens: API tokens are stored with their hash only, listed newest first with their
// projects, revoked once (the first time stays), touched at most once a minute, refused for an
// unknown creator or a taken id, and go when their creator is deleted.
func testTokens(t *testing.T, s store.Store) {
	ctx := context.Background()
	ix := s.(store.Index)
	mustProject(t, s, "shop")
	u, err := s.CreateUser(ctx, store.User{Email: "ada@example.com", PasswordHash: "h", Role: "admin", CreatedAt: t0})
	if err != nil {
		t.Fatal(err)
	}
	if ts, err := ix.Tokens(ctx); err != nil || ts == nil || len(ts) != 0 {
		t.Fatalf("Tokens of an empty index = %#v, %v; want an empty list", ts, err)
	}
	a := store.Token{ID: "aaaa1111", SecretHash: strings.Repeat("a", 64), Name: "ci", Scope: "read", CreatedBy: u.ID, CreatedAt: t0, ExpiresAt: t0.Add(24 * time.Hour)}
	b := store.Token{ID: "bbbb2222", SecretHash: strings.Repeat("b", 64), Name: "deploy", Scope: "write", Projects: []string{"shop", "gone"},
		CreatedBy: u.ID, CreatedAt: t0.Add(time.Minute), ExpiresAt: t0.Add(48 * time.Hour)}
	for _, tk := range []store.Token{a, b} {
		if err := ix.CreateToken(ctx, tk); err != nil {
			t.Fatal(err)
		}
	}
	if err := ix.CreateToken(ctx, a); !errors.Is(err, store.ErrDuplicate) {
		t.Fatalf("a taken id: %v, want ErrDuplicate", err)
	}
	if err := ix.CreateToken(ctx, store.Token{ID: "cccc", SecretHash: "x", Name: "n", Scope: "read", CreatedBy: 999999, CreatedAt: t0, ExpiresAt: t0}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("an unknown creator: %v, want ErrNotFound", err)
	}
	ts, err := ix.Tokens(ctx)
	if err != nil || len(ts) != 2 || ts[0].ID != b.ID || ts[1].ID != a.ID {
		t.Fatalf("Tokens = %+v, %v; want b then a", ts, err)
	}
	if got := ts[0]; got.Name != "deploy" || got.Scope != "write" || !slices.Equal(got.Projects, []string{"shop", "gone"}) || got.SecretHash != b.SecretHash ||
		!got.CreatedAt.Equal(b.CreatedAt) || !got.ExpiresAt.Equal(b.ExpiresAt) || !got.RevokedAt.IsZero() || !got.LastUsedAt.IsZero() || got.CreatedBy != u.ID {
		t.Fatalf("stored token = %+v", got)
	}
	if got, err := ix.TokenByID(ctx, a.ID); err != nil || got.Projects == nil || len(got.Projects) != 0 || got.Name != "ci" {
		t.Fatalf("TokenByID = %#v, %v", got, err)
	}
	if _, err := ix.TokenByID(ctx, "nope"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("TokenByID unknown: %v", err)
	}

	// Last use: written, then not again within a minute, then again after it.
	use := t0.Add(time.Hour)
	for i, at := range []time.Time{use, use.Add(30 * time.Second), use.Add(90 * time.Second)} {
		if err := ix.TouchToken(ctx, a.ID, at); err != nil {
			t.Fatal(err)
		}
		want := use
		if i == 2 {
			want = at
		}
		if got, _ := ix.TokenByID(ctx, a.ID); !got.LastUsedAt.Equal(want) {
			t.Fatalf("after touch %d last used = %v, want %v", i, got.LastUsedAt, want)
		}
	}

	if err := ix.RevokeToken(ctx, a.ID, t0.Add(2*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := ix.RevokeToken(ctx, a.ID, t0.Add(3*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if got, _ := ix.TokenByID(ctx, a.ID); !got.RevokedAt.Equal(t0.Add(2 * time.Hour)) {
		t.Fatalf("revoked at = %v, want the first revocation", got.RevokedAt)
	}
	if err := ix.RevokeToken(ctx, "nope", t0); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("revoking an unknown token: %v", err)
	}

	if err := s.DeleteUser(ctx, u.ID); err != nil {
		t.Fatal(err)
	}
	if ts, err := ix.Tokens(ctx); err != nil || len(ts) != 0 {
		t.Fatalf("tokens of a deleted user = %+v, %v; want none", ts, err)
	}
}

// testAudit: entries come back newest first, filtered by action, actor (email or token id),
// project and time, paged by cursor without gaps or repeats; a foreign cursor is refused, and
// pruning removes exactly the entries older than the cutoff.
func testAudit(t *testing.T, s store.Store) {
	ctx := context.Background()
	ix := s.(store.Index)
	if p, err := ix.ListAudit(ctx, store.AuditQuery{}); err != nil || p.Entries == nil || len(p.Entries) != 0 || p.Next != "" {
		t.Fatalf("empty log = %#v, %v", p, err)
	}
	for i := range 25 {
		e := store.AuditEntry{At: t0.Add(time.Duration(i) * time.Minute), ActorID: 7, Actor: "ada@example.com", Action: "session.view",
			Project: "shop", Target: fmt.Sprintf("s%d", i), Client: "192.0.2.7", Detail: json.RawMessage(`{"i":` + fmt.Sprint(i) + `}`)}
		if i%5 == 0 {
			e.Action, e.Project, e.Actor, e.TokenID = "token.create", "", "bob@example.com", "tok12345"
		}
		if err := ix.AppendAudit(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	all, err := ix.ListAudit(ctx, store.AuditQuery{Limit: 100})
	if err != nil || len(all.Entries) != 25 || all.Next != "" {
		t.Fatalf("all = %d entries, next %q, %v", len(all.Entries), all.Next, err)
	}
	first := all.Entries[0]
	if first.Target != "s24" || first.Action != "session.view" || first.ActorID != 7 || first.Client != "192.0.2.7" || !first.At.Equal(t0.Add(24*time.Minute)) ||
		string(first.Detail) != `{"i":24}` || first.ID <= all.Entries[1].ID {
		t.Fatalf("newest = %+v", first)
	}

	// Paging walks every entry once, in order.
	var seen []string
	q := store.AuditQuery{Limit: 7}
	for pages := 0; ; pages++ {
		p, err := ix.ListAudit(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range p.Entries {
			seen = append(seen, e.Target)
		}
		if p.Next == "" {
			break
		}
		if pages > 10 {
			t.Fatal("paging does not end")
		}
		q.Cursor = p.Next
	}
	if len(seen) != 25 || seen[0] != "s24" || seen[24] != "s0" {
		t.Fatalf("paged = %v", seen)
	}
	if _, err := ix.ListAudit(ctx, store.AuditQuery{Cursor: "not-a-cursor"}); !errors.Is(err, store.ErrBadCursor) {
		t.Fatalf("foreign cursor: %v, want ErrBadCursor", err)
	}

	for _, tc := range []struct {
		name string
		q    store.AuditQuery
		want int
	}{
		{"action", store.AuditQuery{Action: "token.create"}, 5},
		{"actor email", store.AuditQuery{Actor: "ada@example.com"}, 20},
		{"actor token", store.AuditQuery{Actor: "tok12345"}, 5},
		{"project", store.AuditQuery{Project: "shop"}, 20},
		{"since", store.AuditQuery{Since: t0.Add(20 * time.Minute)}, 5},
		{"until", store.AuditQuery{Until: t0.Add(20 * time.Minute)}, 20},
		{"all of them", store.AuditQuery{Action: "session.view", Actor: "ada@example.com", Project: "shop", Since: t0.Add(time.Minute), Until: t0.Add(5 * time.Minute)}, 4},
		{"nothing", store.AuditQuery{Action: "nope"}, 0},
	} {
		tc.q.Limit = 100
		p, err := ix.ListAudit(ctx, tc.q)
		if err != nil || len(p.Entries) != tc.want {
			t.Errorf("%s: %d entries, %v; want %d", tc.name, len(p.Entries), err, tc.want)
		}
	}

	n, err := ix.PruneAudit(ctx, t0.Add(10*time.Minute))
	if err != nil || n != 10 {
		t.Fatalf("PruneAudit = %d, %v; want 10", n, err)
	}
	left, _ := ix.ListAudit(ctx, store.AuditQuery{Limit: 100})
	if len(left.Entries) != 15 || left.Entries[14].Target != "s10" {
		t.Fatalf("after pruning %d entries, oldest %+v", len(left.Entries), left.Entries[len(left.Entries)-1])
	}
}
