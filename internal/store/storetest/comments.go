package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/reelhq/reel/internal/store"
)

// RunComments runs the contract of comments on sessions (issue 18).
func RunComments(t *testing.T, open func(t *testing.T) store.Index) {
	tests := []struct {
		name string
		fn   func(t *testing.T, s store.Index)
	}{
		{"Comments", testComments},
		{"CommentsGoWithTheirSession", testCommentsGoWithSession},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := open(t)
			t.Cleanup(func() { s.Close() })
			tc.fn(t, s)
		})
	}
}

func testComments(t *testing.T, s store.Index) {
	ctx := context.Background()
	mustProject(t, s, "p")
	mustProject(t, s, "q")
	for _, id := range []string{"s_a", "s_b"} {
		if err := s.AppendBatch(ctx, batch("p", id, "t1", 0, t0, 2, "https://p.example/")); err != nil {
			t.Fatal(err)
		}
	}
	late := store.Comment{ID: "cm_late", SessionID: "s_a", ProjectID: "p", AuthorID: 3, Author: "ann@example.com", AtMS: 9000, Body: "Rage clicks on Pay", CreatedAt: t0}
	early := store.Comment{ID: "cm_early", SessionID: "s_a", ProjectID: "p", AuthorID: 4, Author: "bob@example.com", AtMS: 1200, Body: "Coupon «SAVE» rejected ✂", CreatedAt: t0.Add(time.Minute)}
	other := store.Comment{ID: "cm_other", SessionID: "s_b", ProjectID: "p", AuthorID: 3, Author: "ann@example.com", Body: "elsewhere", CreatedAt: t0}
	for _, c := range []store.Comment{late, early, other} {
		if err := s.CreateComment(ctx, c); err != nil {
			t.Fatal(err)
		}
	}
	bad := []struct {
		name string
		c    store.Comment
		want error
	}{
		{"taken id", store.Comment{ID: "cm_late", SessionID: "s_b", ProjectID: "p", Body: "x", CreatedAt: t0}, store.ErrDuplicate},
		{"no such session", store.Comment{ID: "cm_x", SessionID: "s_nope", ProjectID: "p", Body: "x", CreatedAt: t0}, store.ErrNotFound},
		{"another project's session", store.Comment{ID: "cm_y", SessionID: "s_a", ProjectID: "q", Body: "x", CreatedAt: t0}, store.ErrNotFound},
	}
	for _, b := range bad {
		if err := s.CreateComment(ctx, b.c); !errors.Is(err, b.want) {
			t.Errorf("CreateComment, %s: %v, want %v", b.name, err, b.want)
		}
	}
	list, err := s.SessionComments(ctx, "s_a")
	if err != nil || len(list) != 2 || list[0] != early || list[1] != late {
		t.Fatalf("SessionComments = %+v, %v; want by moment: %+v, %+v", list, err, early, late)
	}
	if list, err := s.SessionComments(ctx, "s_nope"); err != nil || list == nil || len(list) != 0 {
		t.Fatalf("SessionComments of an unknown session = %#v, %v; want an empty list", list, err)
	}
	if got, err := s.Comment(ctx, "cm_other"); err != nil || got != other {
		t.Fatalf("Comment = %+v, %v; want %+v", got, err, other)
	}
	if _, err := s.Comment(ctx, "cm_nope"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("Comment of an unknown id: %v", err)
	}
	edited, err := s.EditComment(ctx, "cm_late", "Rage clicks on Pay, then leaves", t0.Add(time.Hour))
	want := late
	want.Body, want.EditedAt = "Rage clicks on Pay, then leaves", t0.Add(time.Hour)
	if err != nil || edited != want {
		t.Fatalf("EditComment = %+v, %v; want %+v", edited, err, want)
	}
	if got, err := s.Comment(ctx, "cm_late"); err != nil || got != want {
		t.Fatalf("Comment after the edit = %+v, %v; want %+v", got, err, want)
	}
	if _, err := s.EditComment(ctx, "cm_nope", "x", t0); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("editing an unknown comment: %v", err)
	}
	if err := s.DeleteComment(ctx, "cm_early"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteComment(ctx, "cm_early"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("deleting it again: %v, want ErrNotFound", err)
	}
	if list, err := s.SessionComments(ctx, "s_a"); err != nil || len(list) != 1 || list[0] != want {
		t.Fatalf("SessionComments after a deletion = %+v, %v", list, err)
	}
	if list, err := s.SessionComments(ctx, "s_b"); err != nil || len(list) != 1 || list[0] != other {
		t.Fatalf("the other session's comments = %+v, %v", list, err)
	}
}

// testCommentsGoWithSession: deleting a session deletes its comments, so a session recorded
// again under the same id does not inherit them.
func testCommentsGoWithSession(t *testing.T, s store.Index) {
	ctx := context.Background()
	mustProject(t, s, "p")
	if err := s.AppendBatch(ctx, batch("p", "s_gone", "t1", 0, t0, 2, "https://p.example/")); err != nil {
		t.Fatal(err)
	}
	if err := s.CreateComment(ctx, store.Comment{ID: "cm_1", SessionID: "s_gone", ProjectID: "p", Body: "x", CreatedAt: t0}); err != nil {
		t.Fatal(err)
	}
	if _, err := s.DeleteSessions(ctx, []string{"s_gone"}); err != nil {
		t.Fatal(err)
	}
	if err := s.AppendBatch(ctx, batch("p", "s_gone", "t1", 0, t0.Add(time.Hour), 2, "https://p.example/")); err != nil {
		t.Fatal(err)
	}
	if list, err := s.SessionComments(ctx, "s_gone"); err != nil || len(list) != 0 {
		t.Fatalf("comments of a session recorded again after deletion = %+v, %v", list, err)
	}
	if _, err := s.Comment(ctx, "cm_1"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("the deleted session's comment: %v", err)
	}
}
