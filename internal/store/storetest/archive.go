package storetest

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/reelhq/reel/internal/store"
)

// RunArchives runs the contract of store.Archives.
func RunArchives(t *testing.T, open func(t *testing.T) store.Index) {
	s := open(t)
	t.Cleanup(func() { s.Close() })
	ctx := context.Background()
	mustProject(t, s, "p1")
	mustProject(t, s, "p2")
	for _, b := range []store.Batch{batch("p1", "s1", "t", 0, t0, 2), batch("p1", "s2", "t", 0, t0, 2), batch("p2", "s3", "t", 0, t0, 2)} {
		if err := s.AppendBatch(ctx, b); err != nil {
			t.Fatal(err)
		}
	}
	h := strings.Repeat("ab", 32)
	const u = "https://cdn.example/app.css"
	first := t0.Add(time.Hour)
	rows := []store.Archived{
		{URL: u, Hash: h, Type: "text/css", Size: 120, FetchedAt: first},
		{URL: "https://cdn.example/gone.png", Error: "HTTP 404", FetchedAt: first},
	}
	if err := s.SaveArchive(ctx, "s1", rows, []store.ContentRef{{Hash: h, Size: 130, Stored: 90, Root: true}}, first); err != nil {
		t.Fatal(err)
	}
	got, err := s.SessionArchive(ctx, "s1")
	if err != nil || fmt.Sprint(got) != fmt.Sprint(rows) {
		t.Fatalf("SessionArchive = %+v, %v\nwant %+v", got, err, rows)
	}
	// The newest row of a URL in the project, from whichever session; none in another project.
	later := rows[0]
	later.Hash, later.FetchedAt = strings.Repeat("cd", 32), first.Add(time.Hour)
	if err := s.SaveArchive(ctx, "s2", []store.Archived{later}, []store.ContentRef{{Hash: later.Hash, Size: 1, Stored: 1, Root: true}}, later.FetchedAt); err != nil {
		t.Fatal(err)
	}
	if a, ok, err := s.LatestArchived(ctx, "p1", u); err != nil || !ok || a.Hash != later.Hash {
		t.Fatalf("LatestArchived = %+v, %v, %v", a, ok, err)
	}
	if _, ok, err := s.LatestArchived(ctx, "p2", u); ok || err != nil {
		t.Fatalf("LatestArchived in another project = %v, %v", ok, err)
	}
	// Saving a URL again replaces the session's row.
	if err := s.SaveArchive(ctx, "s1", []store.Archived{{URL: rows[1].URL, Error: "timed out", FetchedAt: first}}, nil, first); err != nil {
		t.Fatal(err)
	}
	if got, _ := s.SessionArchive(ctx, "s1"); len(got) != 2 || got[1].Error != "timed out" {
		t.Fatalf("after replacing: %+v", got)
	}
	if err := s.SaveArchive(ctx, "nope", rows, nil, first); err == nil {
		t.Fatal("SaveArchive for an unknown session succeeded")
	}
	// Content a session references is touched (and exists); unknown content is not.
	if ok, err := s.TouchContent(ctx, "p1", h, first.Add(2*time.Hour)); !ok || err != nil {
		t.Fatalf("TouchContent = %v, %v", ok, err)
	}
	if ok, err := s.TouchContent(ctx, "p2", h, first); ok || err != nil {
		t.Fatalf("TouchContent in another project = %v, %v", ok, err)
	}
	// Rows go with their sessions, and the copies with the last session using them.
	if _, err := s.DeleteSessions(ctx, []string{"s1", "s2"}); err != nil {
		t.Fatal(err)
	}
	if got, err := s.SessionArchive(ctx, "s1"); len(got) != 0 || err != nil {
		t.Fatalf("rows of a deleted session: %+v, %v", got, err)
	}
	if _, ok, _ := s.LatestArchived(ctx, "p1", u); ok {
		t.Fatal("a deleted session's URL is still found")
	}
	swept, err := s.SweepContent(ctx, first.Add(24*time.Hour))
	if err != nil || len(swept) != 2 {
		t.Fatalf("SweepContent = %v, %v (want both copies)", swept, err)
	}
}
